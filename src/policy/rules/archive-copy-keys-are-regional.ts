import { arnRegion } from '../facts.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-005',
  group: 'archive',
  title: 'Archive KMS keys live in the region of the bucket they encrypt and are named by full ARN',
  severity: 'error',
  rationale:
    "S3 encrypts with a KMS key in the bucket's own region only, and replication to a copy must name the " +
    'destination key by full ARN (an alias or id resolves in the wrong region and replication fails silently, ' +
    'object by object). pgtopo creates one key per copy region and names it by ARN; a supplied source key ' +
    'must therefore be a full key ARN in the primary region.',
  fix: 'Leave `archive.kmsKeyArn` unset, or give the full ARN of a key in `primaryRegion`.',
  check(t) {
    const arn = t.archive.kmsKeyArn;
    if (arn === undefined) return [];
    const region = arnRegion(arn);
    if (region === t.primaryRegion) return [];
    return [
      {
        path: ['archive', 'kmsKeyArn'],
        found: `a key in ${region ?? 'an unknown region'} for the bucket in ${t.primaryRegion}`,
        expected: `a key ARN in ${t.primaryRegion}`,
      },
    ];
  },
};
