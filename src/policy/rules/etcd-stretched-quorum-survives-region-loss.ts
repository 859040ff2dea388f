import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ETCD-003',
  group: 'etcd',
  title: 'A stretched etcd quorum survives losing any one region, and never spans exactly two regions',
  severity: 'error',
  rationale:
    'A quorum stretched over regions exists to keep the leader key through a regional outage. Over exactly two ' +
    'regions one of them holds the majority, so losing that region (or the link between them) stops every ' +
    'cluster that uses the quorum; any placement in which one region holds half of the members has the same flaw.',
  fix:
    'Spread the stretched quorum over at least three regions (`dcs.regions`) with no region holding half of ' +
    '`dcs.members`, or use `dcs.mode: per-region`.',
  check(t, ctx) {
    const drafts: Draft[] = [];
    const stretched = t.etcd.filter((q) => q.mode === 'stretched');
    const twoRegions = new Set<string>();
    for (const q of stretched) {
      const regions = [...new Set(q.members.map((m) => m.region))];
      if (regions.length === 2) {
        twoRegions.add(q.id);
        drafts.push({
          path: ['dcs', 'regions'],
          target: q.id,
          found: `etcd quorum ${q.id} stretched over exactly two regions (${regions.join(', ')})`,
          expected: 'a stretched quorum over at least three regions',
        });
      }
    }
    const ids = new Set(stretched.map((q) => q.id));
    for (const f of ctx.analysis().failures) {
      if (f.kind !== 'region') continue;
      for (const q of f.quorums) {
        if (q.survives || !ids.has(q.id) || twoRegions.has(q.id)) continue;
        drafts.push({
          path: ['dcs', 'members'],
          target: f.id,
          found: `losing ${f.id} leaves ${q.reachable} of ${q.size} members of etcd quorum ${q.id}`,
          expected: 'a majority of the stretched quorum outside every single region',
        });
      }
    }
    return drafts;
  },
};
