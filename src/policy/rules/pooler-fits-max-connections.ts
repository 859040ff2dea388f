import { effectiveCmdlineParameter, intParameter } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PG-005',
  group: 'postgres',
  title: 'PgBouncer pool sizes fit within max_connections less the reserved and superuser connections',
  severity: 'error',
  rationale:
    'PgBouncer on each member opens server connections up to max_db_connections per database (or, unlimited, ' +
    'default_pool_size + reserve_pool_size per user and database). Beyond max_connections PostgreSQL refuses ' +
    'them: under load the pooler queues clients until they time out, while the database looks healthy. ' +
    'PostgreSQL keeps `superuser_reserved_connections` (default 3) and `reserved_connections` (PostgreSQL 16+, ' +
    'default 0) of them for superusers and privileged roles: a pool that takes those leaves Patroni, pgBackRest ' +
    'and an operator unable to connect during exactly the overload they must repair.',
  fix: 'Lower `endpoints.pgbouncer.maxDbConnections` (or the pool sizes), or raise `postgres.parameters.max_connections`, so the pool leaves the reserved connections free.',
  check(t) {
    if (t.endpoints.pooler !== 'pgbouncer') return [];
    const pb = t.endpoints.pgbouncer;
    const maxConnections = effectiveCmdlineParameter(t, 'max_connections');
    const superuser = intParameter(t, 'superuser_reserved_connections') ?? 3;
    const reserved = t.postgres.version >= 16 ? (intParameter(t, 'reserved_connections') ?? 0) : 0;
    const max = Math.max(0, maxConnections - superuser - reserved);
    const of = `max_connections ${maxConnections} less ${superuser + reserved} reserved = ${max}`;
    const perPool = pb.defaultPoolSize + pb.reservePoolSize;
    const drafts: Draft[] = [];
    if (pb.maxDbConnections > max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'maxDbConnections'],
        found: `max_db_connections ${pb.maxDbConnections} > ${of}`,
        expected: `max_db_connections <= ${max}`,
      });
    }
    if (perPool > max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'defaultPoolSize'],
        found: `default_pool_size + reserve_pool_size = ${perPool} > ${of}`,
        expected: `at most ${max} server connections per pool`,
      });
    }
    if (pb.maxDbConnections === 0 && perPool <= max) {
      drafts.push({
        path: ['endpoints', 'pgbouncer', 'maxDbConnections'],
        severity: 'warning',
        found: `max_db_connections 0 (unlimited): ${perPool} per user and database, bounded only by ${of}`,
        expected: 'a max_db_connections bound',
      });
    }
    return drafts;
  },
};
