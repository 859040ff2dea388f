import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-EC2-003',
  group: 'hosts',
  title: 'Nodes have no public IP addresses',
  severity: 'error',
  rationale:
    'A public address puts every node one security-group mistake away from the internet and lets it bypass ' +
    'the NAT or VPC-endpoint egress path. Administration goes through SSM Session Manager.',
  fix: 'Remove `hosts.associatePublicIp: true`; use `hosts.egress: nat` (default) for outbound traffic.',
  check(t) {
    if (!t.hosts.associatePublicIp) return [];
    return [
      {
        path: ['hosts', 'associatePublicIp'],
        found: 'public IPs on every node',
        expected: 'associatePublicIp: false',
      },
    ];
  },
};
