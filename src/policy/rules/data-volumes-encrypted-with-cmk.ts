import { arnRegion, KMS_KEY_ARN } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-EC2-002',
  group: 'hosts',
  title: 'EBS data volumes are encrypted with a customer-managed KMS key in their own region',
  severity: 'error',
  rationale:
    'Unencrypted volumes and their snapshots expose the whole database to anyone who can copy a snapshot. ' +
    'The AWS-managed key (alias/aws/ebs) cannot be shared, rotated on your schedule or revoked, and a KMS key ' +
    'only encrypts volumes in its own region.',
  fix:
    'Remove `hosts.ebsEncrypted: false`, and either leave `hosts.ebsKmsKeyArn` unset (pgtopo creates a key in ' +
    'each region) or give the full ARN of a customer-managed key in the only region of a single-region layout.',
  check(t) {
    const drafts: Draft[] = [];
    if (!t.hosts.ebsEncrypted) {
      drafts.push({
        path: ['hosts', 'ebsEncrypted'],
        found: 'unencrypted data volumes',
        expected: 'ebsEncrypted: true',
      });
    }
    const arn = t.hosts.ebsKmsKeyArn;
    if (arn === undefined) return drafts;
    if (!KMS_KEY_ARN.test(arn)) {
      drafts.push({
        path: ['hosts', 'ebsKmsKeyArn'],
        found: JSON.stringify(arn),
        expected:
          'the full ARN of a customer-managed key (arn:aws:kms:<region>:<account>:key/<id>), not an alias or id',
      });
      return drafts;
    }
    const keyRegion = arnRegion(arn);
    const elsewhere = t.regions.map((r) => r.name).filter((r) => r !== keyRegion);
    if (elsewhere.length > 0) {
      drafts.push({
        path: ['hosts', 'ebsKmsKeyArn'],
        found: `a key in ${keyRegion} for volumes in ${elsewhere.join(', ')}`,
        expected:
          'no ebsKmsKeyArn in a multi-region layout (pgtopo creates one key per region), or a key in the region',
      });
    }
    return drafts;
  },
};
