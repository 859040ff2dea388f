import { etcdSizePath, regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ETCD-002',
  group: 'etcd',
  title: 'Losing any one AZ keeps every per-region etcd quorum (at least 3 AZs)',
  severity: 'error',
  rationale:
    'Patroni holds the leader key in etcd. When an AZ takes a majority of a regional quorum with it, no member ' +
    'of that cluster can hold or take the key: the leader demotes itself and the region has no writable primary ' +
    'until etcd comes back, although most of the database survived. AZ outages are the most common large failure ' +
    'on AWS, so a regional quorum must be spread over at least three AZs with no AZ holding half of it.',
  fix:
    "List at least three AZs in the region's `azs` (etcd members are placed round-robin over them), keep the " +
    'quorum size odd, and with `dcs.placement: co-located` put the PostgreSQL members in three AZs.',
  check(t, ctx) {
    const quorums = new Map(t.etcd.map((q) => [q.id, q]));
    const breaking = new Map<string, string[]>();
    for (const f of ctx.analysis().failures) {
      if (f.kind !== 'az') continue;
      for (const q of f.quorums) {
        const quorum = quorums.get(q.id);
        if (q.survives || quorum?.mode !== 'per-region') continue;
        breaking.set(q.id, [...(breaking.get(q.id) ?? []), f.id]);
      }
    }
    const drafts: Draft[] = [];
    for (const [id, azs] of breaking) {
      const q = quorums.get(id)!;
      const region = t.regions.find((r) => r.name === q.regions[0]);
      const fewAzs = region !== undefined && region.azs.length < 3;
      drafts.push({
        path: fewAzs
          ? [...regionPath(t, region.name), 'azs']
          : q.placement === 'co-located'
            ? ['dcs', 'placement']
            : etcdSizePath(t),
        target: q.regions[0]!,
        found: `losing ${azs.join(' or ')} leaves etcd quorum ${id} without a majority (${q.members
          .map((m) => m.az)
          .join(', ')})`,
        expected: 'no AZ holding half or more of the quorum: an odd quorum spread over at least 3 AZs',
      });
    }
    return drafts;
  },
};
