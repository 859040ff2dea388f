import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-REL-001',
  group: 'hosts',
  title: "The node release's Patroni writes the leader key only while it still holds it",
  severity: 'warning',
  rationale:
    'Debian 12 ships Patroni 3.0.2. Its etcd3 `_update_leader` renews the lease and puts the leader key with ' +
    'no compare while its cached view says it leads. A primary cut off from etcd keeps that stale view and ' +
    'retries for retry_timeout every loop; a partition that heals inside such a retry hands it the lock back ' +
    'from the member promoted meanwhile, which then demotes and is rewound: the writes it acknowledged as ' +
    "primary are lost. The rehearsal's dcs-partition drill reproduced it on Debian 12. 3.0.2 lacks both fixes: " +
    'the compare on the leader key (patroni/patroni#2689 and #2693, Patroni 3.0.3) and ignoring a stale etcd ' +
    'member after a network split (patroni/patroni#3314, fixed in 4.0.6). Debian 13 ships Patroni 4.0.7, which ' +
    'has both.',
  fix: 'Set `hosts.os: debian-13` (Patroni 4.0.7, PostgreSQL 17). Moving an existing cluster needs a major upgrade: plan it as a blue/green replica set, not a restart.',
  check(t) {
    if (t.release.features.leaderKeyCompare) return [];
    return [
      {
        path: ['hosts', 'os'],
        found: `${t.release.name}: Patroni ${t.release.packages.patroni} puts the etcd leader key without a compare (patroni/patroni#3314)`,
        expected:
          'a release whose Patroni writes the leader key only while it holds it (debian-13: Patroni 4.0.7)',
      },
    ];
  },
};
