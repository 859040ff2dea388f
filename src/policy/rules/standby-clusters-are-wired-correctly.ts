import { primaryCluster, regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-009',
  group: 'patroni',
  title:
    "Each standby cluster has its own scope, follows the primary cluster's writer endpoint and restores WAL from a copy in its own region",
  severity: 'error',
  rationale:
    'A standby cluster sharing a scope with another cluster fights it for the same leader key. One that follows ' +
    "anything but the writable cluster's writer endpoint replicates from a replica (or from nothing) and stops " +
    "after a failover. One that restores WAL from the primary region's bucket cannot catch up when that region " +
    'is gone, which is exactly when it is needed.',
  fix:
    'Keep one region per standby cluster with its own name, and list every standby region in `archive.copyTo` ' +
    '(the default copies to every standby region).',
  check(t) {
    const w = primaryCluster(t);
    const drafts: Draft[] = [];
    const scopes = new Map<string, number>();
    for (const c of t.clusters) scopes.set(c.scope, (scopes.get(c.scope) ?? 0) + 1);
    const copies = new Set(t.regions.filter((r) => r.archiveCopy).map((r) => r.name));
    for (const c of t.clusters) {
      if (c.role !== 'standby') continue;
      const path = regionPath(t, c.regions[0]!);
      if (scopes.get(c.scope)! > 1) {
        drafts.push({
          path,
          target: c.regions[0]!,
          found: `scope ${c.scope} is shared with another cluster`,
          expected: 'a scope of its own',
        });
      }
      if (!w || c.follows !== w.scope || !t.endpoints.names[w.scope]) {
        drafts.push({
          path: [...path, 'role'],
          target: c.regions[0]!,
          found: `standby cluster ${c.scope} follows ${c.follows ?? 'nothing'}`,
          expected: w ? `the writer endpoint of ${w.scope}` : 'a writable cluster to follow',
        });
      }
      for (const r of c.regions) {
        if (copies.has(r)) continue;
        drafts.push({
          path: ['archive', 'copyTo'],
          target: r,
          found: `no archive copy in ${r} for standby cluster ${c.scope}`,
          expected: `${r} in archive.copyTo`,
        });
      }
    }
    return drafts;
  },
};
