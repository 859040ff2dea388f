import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-004',
  group: 'archive',
  title: 'Multi-region layouts copy the archive to another region, and every standby region holds a copy',
  severity: 'error',
  rationale:
    'A layout that spans regions is built to survive losing one, but an archive only in the primary region ' +
    'goes down with it: no point-in-time restore, and standby clusters that cannot fetch WAL to catch up. ' +
    'Each standby region needs its own copy so its restore_command does not depend on the lost region.',
  fix: 'List the standby regions (at least one other region) in `archive.copyTo`, or leave it unset to copy to every standby region.',
  check(t) {
    if (t.regions.length < 2) return [];
    const drafts: Draft[] = [];
    const elsewhere = t.archive.copyTo.filter((r) => r !== t.primaryRegion);
    if (elsewhere.length === 0) {
      drafts.push({
        path: ['archive', 'copyTo'],
        found: `no archive copy outside ${t.primaryRegion}`,
        expected: 'a copy in at least one other region',
      });
    }
    for (const r of t.regions) {
      if (r.role !== 'standby' || r.archiveCopy) continue;
      drafts.push({
        path: ['archive', 'copyTo'],
        target: r.name,
        found: `standby region ${r.name} has no archive copy`,
        expected: `${r.name} in archive.copyTo`,
      });
    }
    return drafts;
  },
};
