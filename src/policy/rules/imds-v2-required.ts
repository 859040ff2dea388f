import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-EC2-001',
  group: 'hosts',
  title: 'Instance metadata requires IMDSv2 with a hop limit of 1',
  severity: 'error',
  rationale:
    'IMDSv1 answers any GET, so a server-side request forgery in anything on the node (an extension, the ' +
    "exporter, a proxy) yields the node role's credentials, which can read the WAL archive. A hop limit above " +
    '1 lets containers on the node reach the metadata service too.',
  fix: 'Remove `hosts.requireImdsV2: false` and `hosts.imdsHopLimit` (defaults: true and 1).',
  check(t) {
    const drafts: Draft[] = [];
    if (!t.hosts.requireImdsV2) {
      drafts.push({
        path: ['hosts', 'requireImdsV2'],
        found: 'IMDSv1 allowed',
        expected: 'requireImdsV2: true',
      });
    }
    if (t.hosts.imdsHopLimit !== 1) {
      drafts.push({
        path: ['hosts', 'imdsHopLimit'],
        found: `hop limit ${t.hosts.imdsHopLimit}`,
        expected: 'imdsHopLimit: 1',
      });
    }
    return drafts;
  },
};
