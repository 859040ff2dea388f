import { regionPath, writableClusters } from '../facts.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-010',
  group: 'patroni',
  title: 'Exactly one writable cluster per dataset',
  severity: 'error',
  rationale:
    'Two writable clusters of one dataset accept conflicting writes (a split brain by design); none means the ' +
    'dataset cannot be written at all. A region with `role: primary` under a per-region DCS is its own writable ' +
    'Patroni cluster; only a stretched DCS joins primary-role regions into one cluster.',
  fix:
    'Give every region except `primaryRegion` `role: standby` (the default), or use `dcs.mode: stretched` to ' +
    'make several regions one cluster; do not set `role: standby` on the primary region.',
  check(t) {
    const writable = writableClusters(t);
    if (writable.length === 0) {
      return [
        {
          path: [...regionPath(t, t.primaryRegion), 'role'],
          target: t.primaryRegion,
          found: 'no writable cluster',
          expected: `role primary for ${t.primaryRegion}`,
        },
      ];
    }
    if (writable.length === 1) return [];
    return writable
      .filter((c) => !c.regions.includes(t.primaryRegion))
      .map((c) => ({
        path: [...regionPath(t, c.regions[0]!), 'role'],
        target: c.regions[0]!,
        found: `${c.scope} is a second writable cluster (${writable.map((x) => x.scope).join(', ')})`,
        expected: 'role standby outside the primary cluster, or dcs.mode stretched',
      }));
  },
};
