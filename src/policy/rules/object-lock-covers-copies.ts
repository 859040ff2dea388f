import type { Topology } from '../../model/types.js';
import type { Draft, Rule } from '../types.js';

const MODE_RANK = { none: 0, governance: 1, compliance: 2 } as const;

/** Each archive bucket with its Object Lock: the source, then one per copy (copies inherit the source's lock). */
export function archiveBuckets(t: Topology) {
  const lock = { mode: t.archive.objectLock, days: t.archive.objectLockDays };
  return [
    { region: t.primaryRegion, role: 'source' as const, ...lock },
    ...t.archive.copyTo.map((region) => ({ region, role: 'copy' as const, ...lock })),
  ];
}

export const rule: Rule = {
  id: 'PGT-ARC-008',
  group: 'archive',
  title:
    'Object Lock on the source carries to every copy with at least the same retention, covering the PITR window',
  severity: 'error',
  rationale:
    'Object Lock makes backups survive a compromised account or a ransomware run that deletes them. A copy ' +
    'without the lock (or with a shorter one) is the weak point an attacker deletes first, and a lock shorter ' +
    'than the PITR window leaves its older part deletable, which is the part an attack that went unnoticed for ' +
    'days needs.',
  fix: 'Leave `archive.objectLockDays` unset (it defaults to `retentionDays`) or set it to at least `retentionDays`.',
  check(t) {
    const buckets = archiveBuckets(t);
    const source = buckets[0]!;
    if (source.mode === 'none') return [];
    const drafts: Draft[] = [];
    for (const b of buckets) {
      const weaker = MODE_RANK[b.mode] < MODE_RANK[source.mode] || b.days < source.days;
      const short = b.days < t.archive.retentionDays;
      if (!weaker && !short) continue;
      drafts.push({
        path: ['archive', 'objectLockDays'],
        target: b.region,
        found: `${b.role} in ${b.region}: Object Lock ${b.mode} for ${b.days} days (source: ${source.mode}, ${source.days} days; PITR window ${t.archive.retentionDays} days)`,
        expected: `${source.mode} for at least ${Math.max(source.days, t.archive.retentionDays)} days on every bucket`,
      });
    }
    return drafts;
  },
};
