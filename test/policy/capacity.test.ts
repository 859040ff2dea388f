/**
 * Issue 15, class 5: capacity. The pooler leaves PostgreSQL's reserved and superuser connections free
 * (PGT-PG-005); lifecycle expiry keeps a restorable full backup across the whole PITR window (PGT-ARC-007).
 */
import { describe, expect, test } from 'vitest';
import { hits, layout } from './helpers.js';

/** A pool on PostgreSQL 17 (debian-13), or 15 (debian-12): the release fixes the major. */
const pool = (maxDbConnections: number, parameters: Record<string, unknown> = {}, version = 17) =>
  layout((s) => {
    s.postgres = { version, parameters };
    if (version === 15) s.hosts = { os: 'debian-12' };
    s.endpoints = { pgbouncer: { maxDbConnections } };
  });

describe('PGT-PG-005: the pool leaves reserved connections free', () => {
  test.each([
    ['97 of 100 with 3 superuser slots', pool(97), []],
    ['98 of 100 takes a superuser slot', pool(98), ['endpoints.pgbouncer.maxDbConnections']],
    ['100 of 100', pool(100), ['endpoints.pgbouncer.maxDbConnections']],
    ['superuser_reserved_connections 10: 90 fit', pool(90, { superuser_reserved_connections: 10 }), []],
    [
      'superuser_reserved_connections 10: 91 do not',
      pool(91, { superuser_reserved_connections: 10 }),
      ['endpoints.pgbouncer.maxDbConnections'],
    ],
    ['reserved_connections 5 on PostgreSQL 17: 92 fit', pool(92, { reserved_connections: 5 }), []],
    [
      'reserved_connections 5 on PostgreSQL 17: 93 do not',
      pool(93, { reserved_connections: 5 }),
      ['endpoints.pgbouncer.maxDbConnections'],
    ],
    ['reserved_connections does not exist before 16', pool(97, { reserved_connections: 5 }, 15), []],
    [
      'pools of 20 + 5 against max_connections 27 with 3 reserved',
      layout((s) => {
        s.postgres = { parameters: { max_connections: 27 } };
        s.endpoints = { pgbouncer: { maxDbConnections: 24, defaultPoolSize: 20, reservePoolSize: 5 } };
      }),
      ['endpoints.pgbouncer.defaultPoolSize'],
    ],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-PG-005')).toEqual(paths);
  });
});

describe('PGT-ARC-007: a restorable full backup across the whole PITR window', () => {
  const archive = (a: Record<string, unknown>) => layout((s) => (s.archive = a));
  test.each([
    [
      'the default expiry (retention + interval + 1)',
      archive({ retentionDays: 14, fullBackupEveryDays: 7 }),
      [],
    ],
    ['expiry at retention + interval + 1', archive({ expireAfterDays: 22 }), []],
    [
      'expiry at retention + interval: a late full is gone',
      archive({ expireAfterDays: 21 }),
      ['archive.expireAfterDays'],
    ],
    [
      'weekly fulls, one-day window, expiry 8 days',
      archive({ retentionDays: 1, fullBackupEveryDays: 7, expireAfterDays: 8 }),
      ['archive.expireAfterDays'],
    ],
    [
      'weekly fulls, one-day window, expiry 9 days',
      archive({ retentionDays: 1, fullBackupEveryDays: 7, expireAfterDays: 9 }),
      [],
    ],
    [
      'Deep Archive at retention + interval',
      archive({ tiers: [{ afterDays: 21, storageClass: 'DEEP_ARCHIVE' }] }),
      ['archive.tiers[0]'],
    ],
    ['Deep Archive a day later', archive({ tiers: [{ afterDays: 22, storageClass: 'DEEP_ARCHIVE' }] }), []],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-ARC-007')).toEqual(paths);
  });
});
