import type { Draft, Rule } from '../types.js';

/** Storage classes pgBackRest cannot read without a restore request first. */
const UNREADABLE = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export const rule: Rule = {
  id: 'PGT-ARC-007',
  group: 'archive',
  title: 'Lifecycle rules never undercut the PITR window plus the full-backup interval and a day',
  severity: 'error',
  rationale:
    'Restoring to the oldest point of the window needs the full backup taken before it, and all WAL since. The ' +
    'scheduled backup takes a full one when the newest is at least `fullBackupEveryDays` whole days old, ' +
    'counted from when it finished, at the same hour each day: fulls are up to fullBackupEveryDays + 1 days apart. ' +
    'So the oldest full still needed is up to retentionDays + fullBackupEveryDays + 1 days old (S3 expiry rounds ' +
    'up to the next midnight, which covers the backup itself). Expiring objects sooner, or moving them to Glacier Flexible ' +
    'Retrieval or Deep Archive (which pgBackRest cannot read without a restore request), silently shortens the ' +
    'window to what is left.',
  fix: 'Leave `archive.expireAfterDays` unset (retention + full-backup interval + 1) and move objects to GLACIER or DEEP_ARCHIVE only after that.',
  check(t) {
    const a = t.archive;
    const needed = a.retentionDays + a.fullBackupEveryDays + 1;
    const drafts: Draft[] = [];
    if (a.expireAfterDays < needed) {
      drafts.push({
        path: ['archive', 'expireAfterDays'],
        found: `objects expire after ${a.expireAfterDays} days`,
        expected: `at least ${needed} days (retentionDays ${a.retentionDays} + fullBackupEveryDays ${a.fullBackupEveryDays} + 1: fulls can be a day late)`,
      });
    }
    a.tiers.forEach((tier, i) => {
      if (!UNREADABLE.has(tier.storageClass) || tier.afterDays >= needed) return;
      drafts.push({
        path: ['archive', 'tiers', i],
        found: `objects move to ${tier.storageClass} after ${tier.afterDays} days`,
        expected: `${tier.storageClass} no sooner than ${needed} days, or GLACIER_IR`,
      });
    });
    return drafts;
  },
};
