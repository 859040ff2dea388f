import { primaryCluster, regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-004',
  group: 'patroni',
  title:
    'With rpo zero-in-region, whichever candidate leads, a synchronous standby survives the loss of its AZ',
  severity: 'error',
  rationale:
    '`rpo: zero-in-region` promises that an AZ failure loses no acknowledged commit. That holds only when, for ' +
    'every member that may be primary, the synchronous standbys Patroni may pick include one in another AZ that ' +
    'can be promoted. Patroni picks among sync-eligible members (preferring ones without `nofailover`) without ' +
    "looking at AZs, so a second sync-eligible member in the leader's AZ can be the one it picks.",
  fix:
    'Put sync-eligible, failover-eligible members in at least two AZs and tag members that share an AZ with a ' +
    'candidate `nosync`, or raise `durability.synchronousNodeCount` so the picked set must cross AZs.',
  check(t, ctx) {
    const w = primaryCluster(t);
    if (t.durability.rpo !== 'zero-in-region' || !w) return [];
    const drafts: Draft[] = [];
    const regionOfAz = new Map(t.regions.flatMap((r) => r.azs.map((az) => [az, r] as const)));
    for (const f of ctx.analysis().failures) {
      if (f.kind !== 'az' || f.rpo.bound === 'zero') continue;
      const region = regionOfAz.get(f.id);
      if (!region || !w.regions.includes(region.name)) continue;
      drafts.push({
        path: [...regionPath(t, region.name), 'members'],
        target: f.id,
        found: `losing ${f.id} with the leader there can lose acknowledged commits (RPO ${f.rpo.bound}: ${f.recovery})`,
        expected: 'a promotable synchronous standby outside the AZ of every failover candidate',
      });
    }
    return drafts;
  },
};
