import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-NET-002',
  group: 'network',
  title: 'Database load balancers are internal',
  severity: 'error',
  rationale:
    'An internet-facing load balancer gives the database a public DNS name and address; security groups are ' +
    'then the only thing between PostgreSQL and the internet, and one widened rule exposes it.',
  fix: 'Remove `endpoints.internal: false`; reach the database over peering, Transit Gateway, VPN or PrivateLink.',
  check(t) {
    if (t.endpoints.internal) return [];
    return [
      {
        path: ['endpoints', 'internal'],
        found: 'internet-facing load balancers',
        expected: 'internal: true',
      },
    ];
  },
};
