import { etcdSizePath } from '../facts.js';
import type { Rule } from '../types.js';

const SIZES = [3, 5, 7];

export const rule: Rule = {
  id: 'PGT-ETCD-001',
  group: 'etcd',
  title: 'Each etcd quorum has 3, 5 or 7 members',
  severity: 'error',
  rationale:
    'etcd needs a majority of its members to accept writes. One or two members tolerate no failure, an even ' +
    'count tolerates no more failures than the odd count below it while adding a vote every write waits for, ' +
    'and more than seven members slow every commit of the leader key without adding useful fault tolerance.',
  fix: 'Set `dcs.membersPerRegion` (per-region) or `dcs.members` (stretched) to 3, 5 or 7.',
  check(t) {
    return t.etcd
      .filter((q) => !SIZES.includes(q.members.length))
      .map((q) => ({
        path: etcdSizePath(t),
        target: q.mode === 'per-region' ? q.regions[0]! : q.id,
        found: `${q.members.length} member(s) in etcd quorum ${q.id}`,
        expected: '3, 5 or 7 members',
      }));
  },
};
