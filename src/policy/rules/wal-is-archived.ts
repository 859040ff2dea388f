import { regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-001',
  group: 'archive',
  title: 'Every cluster archives WAL and backups to its own repository',
  severity: 'error',
  rationale:
    'Replicas protect against losing a node, not against losing data: a dropped table replicates everywhere ' +
    'in milliseconds. Only archived WAL and backups allow a point-in-time restore, and standby clusters ' +
    'need the archive to catch up after a gap in streaming.',
  fix: 'Remove `archive.enabled: false`.',
  check(t) {
    if (!t.archive.enabled) {
      return [
        { path: ['archive', 'enabled'], found: 'WAL archiving off', expected: 'archive.enabled: true' },
      ];
    }
    const drafts: Draft[] = [];
    for (const c of t.clusters) {
      if (t.archive.prefixes[c.scope]) continue;
      drafts.push({
        path: regionPath(t, c.regions[0]!),
        target: c.regions[0]!,
        found: `no archive repository for ${c.scope}`,
        expected: 'a repository prefix per cluster',
      });
    }
    return drafts;
  },
};
