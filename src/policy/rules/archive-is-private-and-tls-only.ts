import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-006',
  group: 'archive',
  title: 'The archive has all four Block Public Access settings and a TLS-only bucket policy',
  severity: 'error',
  rationale:
    'One public ACL or bucket-policy statement publishes the database. Block Public Access overrides such ' +
    'mistakes; a policy denying aws:SecureTransport=false keeps WAL and backups off unencrypted connections.',
  fix: 'Remove `archive.blockPublicAccess: false` and `archive.tlsOnlyPolicy: false`.',
  check(t) {
    const drafts: Draft[] = [];
    if (!t.archive.blockPublicAccess) {
      drafts.push({
        path: ['archive', 'blockPublicAccess'],
        found: 'Block Public Access off',
        expected: 'all four Block Public Access settings',
      });
    }
    if (!t.archive.tlsOnlyPolicy) {
      drafts.push({
        path: ['archive', 'tlsOnlyPolicy'],
        found: 'no TLS-only policy',
        expected: 'tlsOnlyPolicy: true',
      });
    }
    return drafts;
  },
};
