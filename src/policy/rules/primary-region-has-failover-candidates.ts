import { primaryCluster, regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-002',
  group: 'patroni',
  title:
    'Every Patroni cluster has a member that can lead, and the primary region has at least 2 failover-eligible members in at least 2 AZs',
  severity: 'error',
  rationale:
    'A Patroni cluster elects its leader (or, in a standby cluster, its standby leader) only among members without ' +
    '`nofailover` (and with a failover priority above 0) that follow the leader directly: cascading and delayed ' +
    'replicas never lead (PGT-PAT-007). A cluster without one never bootstraps, and after a restart it never elects ' +
    'a leader. Automatic failover also needs somebody to fail over to. With one eligible member, or all eligible members in ' +
    'one AZ, losing that member or AZ leaves the region without a writable primary until a human promotes a ' +
    'standby cluster in another region (losing asynchronous data) or rebuilds a node.',
  fix:
    'Add members in another AZ of the primary region, or remove `nofailover` / `failoverPriority: 0` from ' +
    'members there; in every other region keep at least one member without `nofailover`, `failoverPriority: 0`, ' +
    '`replicateFrom` and `recoveryMinApplyDelay`.',
  check(t) {
    const drafts: Draft[] = [];
    for (const c of t.clusters) {
      const canLead = t.members.filter(
        (m) =>
          m.cluster === c.scope &&
          m.failoverEligible &&
          m.replicateFrom === undefined &&
          m.recoveryMinApplyDelaySeconds === undefined,
      );
      if (canLead.length > 0) continue;
      const region = c.regions[0]!;
      drafts.push({
        path: [...regionPath(t, region), 'members'],
        target: region,
        found: `no member of ${c.role} cluster ${c.scope} can lead (every member has nofailover, failoverPriority 0, replicateFrom or a delay)`,
        expected: 'at least one failover-eligible member that follows the leader directly',
      });
    }
    const w = primaryCluster(t);
    const eligible = t.members.filter(
      (m) => m.region === t.primaryRegion && m.failoverEligible && (!w || m.cluster === w.scope),
    );
    const azs = new Set(eligible.map((m) => m.az));
    if (eligible.length >= 2 && azs.size >= 2) return drafts;
    if (eligible.length === 0 && drafts.some((d) => d.target === t.primaryRegion)) return drafts;
    drafts.push({
      path: [...regionPath(t, t.primaryRegion), 'members'],
      target: t.primaryRegion,
      found: `${eligible.length} failover-eligible member(s) in ${azs.size} AZ(s) of ${t.primaryRegion}`,
      expected: 'at least 2 failover-eligible members in at least 2 AZs',
    });
    return drafts;
  },
};
