/**
 * Issue 15, class 4: timers pgtopo derives fit together (retry_timeout outlasts an etcd election), and a
 * combination the spec sets that demotes the primary is an error (PGT-ETCD-004).
 */
import { describe, expect, test } from 'vitest';
import { hits, layout, threeRegions } from './helpers.js';

const stretched = (rtt: number, failover: Record<string, unknown> = {}) =>
  layout((s) => {
    threeRegions(s);
    s.dcs = { mode: 'stretched', interRegionRttMs: rtt };
    s.failover = failover;
  });

describe('derived timers fit: retry_timeout outlasts the slowest etcd election', () => {
  test.each([
    // rtt -> heartbeat max(100, rtt), election 10 x heartbeat; retry_timeout > 2 x election.
    ['rtt 80, balanced: the profile fits', stretched(80), { retryTimeout: 5, ttl: 20 }],
    ['rtt 249, balanced: 2 x 2490 ms < 5 s', stretched(249), { retryTimeout: 5, ttl: 20 }],
    ['rtt 250, balanced: 2 x 2500 ms = 5 s, raised to 6', stretched(250), { retryTimeout: 6, ttl: 20 }],
    ['rtt 400, balanced: raised to 9, ttl to 23', stretched(400), { retryTimeout: 9, ttl: 23 }],
    [
      'rtt 1000, conservative: raised to 21, ttl to 52',
      stretched(1000, { profile: 'conservative' }),
      { retryTimeout: 21, ttl: 52 },
    ],
    ['rtt 400 with ttl set: ttl kept', stretched(400, { ttl: 60 }), { retryTimeout: 9, ttl: 60 }],
    [
      'rtt 400 with retry_timeout set: kept as set',
      stretched(400, { retryTimeout: 5 }),
      { retryTimeout: 5, ttl: 20 },
    ],
  ])('%s', (_name, t, timers) => {
    expect(t.failover.timers).toMatchObject(timers);
    const set = t.spec.failover.retryTimeout !== undefined;
    expect(hits(t, 'PGT-ETCD-004').filter((h) => h.startsWith('failover.retryTimeout'))).toEqual(
      set && 2 * t.etcd[0]!.electionTimeoutMs >= timers.retryTimeout * 1000 ? ['failover.retryTimeout'] : [],
    );
  });

  test.each([
    ['derived timers never demote the primary', stretched(600), []],
    [
      'a set retry_timeout an election outlasts is an error',
      stretched(600, { retryTimeout: 10, ttl: 30 }),
      ['failover.retryTimeout'],
    ],
    ['a set retry_timeout just long enough', stretched(600, { retryTimeout: 13, ttl: 40 }), []],
    [
      'a set election timeout with a derived retry_timeout',
      layout((s) => (s.dcs = { mode: 'per-region', heartbeatIntervalMs: 500, electionTimeoutMs: 5000 })),
      [],
    ],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-ETCD-004').filter((h) => !h.startsWith('dcs.heartbeat'))).toEqual(paths);
    expect(hits(t, 'PGT-PAT-001').filter((h) => !h.endsWith('(warning)'))).toEqual([]);
  });
});
