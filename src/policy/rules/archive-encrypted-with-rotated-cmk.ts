import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-002',
  group: 'archive',
  title: 'The archive uses SSE-KMS with a customer-managed key that rotates',
  severity: 'error',
  rationale:
    'The archive holds every row ever written. SSE-S3 (AES256) lets anyone with s3:GetObject read it; SSE-KMS ' +
    'adds a key policy and an audit trail to every read, and yearly rotation limits what one leaked key ' +
    'version decrypts.',
  fix: 'Remove `archive.sse: AES256` and `archive.keyRotation: false` (or give `archive.kmsKeyArn` of a key you rotate).',
  check(t) {
    const drafts: Draft[] = [];
    if (t.archive.sse !== 'aws:kms') {
      drafts.push({ path: ['archive', 'sse'], found: `sse ${t.archive.sse}`, expected: 'sse aws:kms' });
    }
    if (!t.archive.keyRotation && t.archive.kmsKeyArn === undefined) {
      drafts.push({
        path: ['archive', 'keyRotation'],
        found: 'the pgtopo-created archive key does not rotate',
        expected: 'keyRotation: true',
      });
    }
    return drafts;
  },
};
