import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-007',
  group: 'fleet',
  title: 'A Citus fleet is hash-sharded',
  severity: 'error',
  rationale:
    'Citus distributes a table by hashing its distribution column into shards (create_distributed_table); ' +
    'its range and append distribution are deprecated and cannot be created for new tables, and it has no ' +
    'tenant directory. A Citus fleet declared with range or directory ownership would route differently ' +
    'from what the catalog and the review report say.',
  fix: 'Use `strategy.kind: hash` with `router.engine: citus`, or keep `router.engine: postgres-fdw` for range and directory fleets.',
  check(f) {
    if (f.router.engine !== 'citus' || f.spec.strategy.kind === 'hash') return [];
    return [
      {
        path: ['strategy', 'kind'],
        found: `router.engine citus with strategy ${f.spec.strategy.kind}`,
        expected: 'strategy hash',
      },
    ];
  },
};
