import { primaryCluster, regionPath } from '../facts.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-002',
  group: 'patroni',
  title: 'The primary region has at least 2 failover-eligible members in at least 2 AZs',
  severity: 'error',
  rationale:
    'Automatic failover needs somebody to fail over to. With one eligible member, or all eligible members in ' +
    'one AZ, losing that member or AZ leaves the region without a writable primary until a human promotes a ' +
    'standby cluster in another region (losing asynchronous data) or rebuilds a node.',
  fix:
    'Add members in another AZ of the primary region, or remove `nofailover` / `failoverPriority: 0` from ' +
    'members there.',
  check(t) {
    const w = primaryCluster(t);
    const eligible = t.members.filter(
      (m) => m.region === t.primaryRegion && m.failoverEligible && (!w || m.cluster === w.scope),
    );
    const azs = new Set(eligible.map((m) => m.az));
    if (eligible.length >= 2 && azs.size >= 2) return [];
    return [
      {
        path: [...regionPath(t, t.primaryRegion), 'members'],
        target: t.primaryRegion,
        found: `${eligible.length} failover-eligible member(s) in ${azs.size} AZ(s) of ${t.primaryRegion}`,
        expected: 'at least 2 failover-eligible members in at least 2 AZs',
      },
    ];
  },
};
