import { effectiveCmdlineParameter } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PG-005',
  group: 'postgres',
  title: 'PgBouncer pool sizes fit within max_connections',
  severity: 'error',
  rationale:
    'PgBouncer on each member opens server connections up to max_db_connections per database (or, unlimited, ' +
    'default_pool_size + reserve_pool_size per user and database). Beyond max_connections PostgreSQL refuses ' +
    'them: under load the pooler queues clients until they time out, while the database looks healthy.',
  fix: 'Lower `endpoints.pgbouncer.maxDbConnections` (or the pool sizes), or raise `postgres.parameters.max_connections`.',
  check(t) {
    if (t.endpoints.pooler !== 'pgbouncer') return [];
    const pb = t.endpoints.pgbouncer;
    const max = effectiveCmdlineParameter(t, 'max_connections');
    const perPool = pb.defaultPoolSize + pb.reservePoolSize;
    const drafts: Draft[] = [];
    if (pb.maxDbConnections > max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'maxDbConnections'],
        found: `max_db_connections ${pb.maxDbConnections} > max_connections ${max}`,
        expected: `max_db_connections <= ${max}`,
      });
    }
    if (perPool > max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'defaultPoolSize'],
        found: `default_pool_size + reserve_pool_size = ${perPool} > max_connections ${max}`,
        expected: `at most ${max} server connections per pool`,
      });
    }
    if (pb.maxDbConnections === 0 && perPool <= max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'maxDbConnections'],
        severity: 'warning',
        found: `max_db_connections 0 (unlimited): ${perPool} per user and database, bounded only by max_connections ${max}`,
        expected: 'a max_db_connections bound',
      });
    }
    return drafts;
  },
};
