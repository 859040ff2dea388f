import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-EC2-005',
  group: 'hosts',
  title: 'Nodes without internet egress boot from an image that already holds their packages',
  severity: 'error',
  rationale:
    "With `hosts.egress: none` the nodes reach AWS through VPC endpoints only: Debian's package mirrors are out of " +
    'reach. The default image is plain Debian, whose first boot installs PostgreSQL, Patroni, etcd, PgBouncer and ' +
    'pgBackRest from those mirrors, so every node boots without them and no cluster ever forms.',
  fix: "Set `hosts.imageId` to an image built with the node release's packages (one AMI per region), or use `hosts.egress: nat`.",
  check(t) {
    if (t.hosts.egress !== 'none') return [];
    const drafts: Draft[] = [];
    const missing = t.regions.map((r) => r.name).filter((r) => t.hosts.imageIds[r] === undefined);
    if (missing.length > 0)
      drafts.push({
        path: ['hosts', 'egress'],
        found: `egress none with the default Debian image in ${missing.join(', ')}`,
        expected: 'hosts.imageId naming a pre-built image for every region',
      });
    return drafts;
  },
};
