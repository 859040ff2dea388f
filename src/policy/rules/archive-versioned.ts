import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ARC-003',
  group: 'archive',
  title: 'Versioning is on for the archive bucket and every copy',
  severity: 'error',
  rationale:
    'Without versioning an overwrite or delete (a bug, a compromised node role, a mistaken lifecycle rule) ' +
    'destroys backups and WAL for good. S3 replication and Object Lock both require versioning on source and copies.',
  fix: 'Remove `archive.versioning: false`.',
  check(t) {
    if (t.archive.versioning) return [];
    return [
      {
        path: ['archive', 'versioning'],
        found: `versioning off on the archive${t.archive.copyTo.length > 0 ? ` and its copies in ${t.archive.copyTo.join(', ')}` : ''}`,
        expected: 'versioning: true',
      },
    ];
  },
};
