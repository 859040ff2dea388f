import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ETCD-005',
  group: 'etcd',
  title: 'etcd client and peer traffic use TLS',
  severity: 'error',
  rationale:
    'The DCS decides who is primary. Without client TLS anyone on the network path can read cluster state and, ' +
    'without authentication, write a leader key; without peer TLS the Raft log crosses AZs and regions in clear ' +
    'text. Either can cause a split brain or leak topology and credentials.',
  fix: 'Remove `dcs.tls` or set `dcs.tls.client` and `dcs.tls.peer` to true.',
  check(t) {
    const drafts: Draft[] = [];
    const off = (kind: 'client' | 'peer') => t.etcd.filter((q) => !q.tls[kind]).map((q) => q.id);
    for (const kind of ['client', 'peer'] as const) {
      const quorums = off(kind);
      if (quorums.length === 0) continue;
      drafts.push({
        path: ['dcs', 'tls', kind],
        found: `${kind} TLS off in ${quorums.join(', ')}`,
        expected: `dcs.tls.${kind}: true`,
      });
    }
    return drafts;
  },
};
