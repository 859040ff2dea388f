import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-003',
  group: 'fleet',
  title: "Every sharded table's primary key and unique constraints include the shard key",
  severity: 'error',
  rationale:
    'Each shard enforces uniqueness only over its own rows (as PostgreSQL requires of a partitioned table, ' +
    'and Citus of a distributed one). A key without the shard key lets two shards each accept the same value, ' +
    'so the fleet silently holds duplicates the schema claims impossible.',
  fix: 'Add the shard key column to the primary key and to every unique constraint of the table.',
  check(f) {
    const out: Draft[] = [];
    f.tables.forEach((t, i) => {
      if (!t.primaryKey.includes(t.key)) {
        out.push({
          path: ['tables', i, 'primaryKey'],
          target: t.name,
          found: `primary key (${t.primaryKey.join(', ')}) of ${t.name} without shard key ${t.key}`,
          expected: `a primary key that includes ${t.key}`,
        });
      }
      t.unique.forEach((u, j) => {
        if (!u.includes(t.key)) {
          out.push({
            path: ['tables', i, 'unique', j],
            target: t.name,
            found: `unique (${u.join(', ')}) of ${t.name} without shard key ${t.key}`,
            expected: `a unique constraint that includes ${t.key}`,
          });
        }
      });
    });
    return out;
  },
};
