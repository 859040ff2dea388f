import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PG-003',
  group: 'postgres',
  title: 'use_pg_rewind has data checksums or wal_log_hints to work with',
  severity: 'error',
  rationale:
    'pg_rewind needs every hint-bit change WAL-logged, which only data checksums or wal_log_hints provide. ' +
    "Without them Patroni's rewind of a failed primary fails, and the old primary is re-cloned from scratch " +
    '(hours on a large database) or stays out of the cluster.',
  fix: 'Keep `postgres.dataChecksums` or `postgres.walLogHints` true (both default to true), or set `postgres.usePgRewind: false`.',
  check(t) {
    const p = t.postgres;
    if (!p.usePgRewind || p.dataChecksums || p.walLogHints) return [];
    return [
      {
        path: ['postgres', 'usePgRewind'],
        found: 'use_pg_rewind with data checksums and wal_log_hints both off',
        expected: 'postgres.dataChecksums or postgres.walLogHints true',
      },
    ];
  },
};
