import { describe, expect, test } from 'vitest';
import type { Ack } from '../../src/rehearsal/load.js';
import {
  ALERT_DRILL_NAMES,
  DRILL_NAMES,
  evaluate,
  longestGapSeconds,
  lostWrites,
  type PitrCounts,
  rtoSeconds,
} from '../../src/rehearsal/measure.js';
import { orderDrills, parseDrills } from '../../src/rehearsal/rehearse.js';
import { formatTable, type RehearsalReport } from '../../src/rehearsal/report.js';

const ack = (seq: number, sentAt: number, ackAt: number, server: string | null = '127.0.30.11'): Ack => ({
  seq,
  sentAt,
  ackAt,
  server,
});

describe('rtoSeconds', () => {
  const acks = [
    ack(1, 900, 910),
    ack(2, 990, 1010), // sent before the fault: never ends the outage
    ack(3, 1100, 1120), // the old primary still acknowledges after the fault
    ack(4, 5000, 5200, '127.0.30.12'),
    ack(5, 5300, 5310, '127.0.30.12'),
  ];
  test.each([
    // fault at, moved, expected
    [1000, true, 4.2],
    [1000, false, 0.12],
    [5250, true, 0.06],
    [6000, true, null],
  ])('fault at %i, writer moved %s -> %s s', (faultAt, moved, expected) => {
    expect(rtoSeconds(acks, faultAt, { oldServer: '127.0.30.11', moved })).toBe(expected);
  });

  test('an unknown server does not end an outage that needs another server', () => {
    expect(
      rtoSeconds([ack(1, 2000, 2100, null)], 1000, { oldServer: '127.0.30.11', moved: true }),
    ).toBeNull();
  });
});

describe('longestGapSeconds', () => {
  test.each([
    [[], 0, 1000, 1],
    [[ack(1, 0, 100), ack(2, 0, 200)], 0, 1000, 0.8],
    [[ack(1, 0, 100), ack(2, 0, 900)], 0, 1000, 0.8],
    [[ack(1, 0, 500)], 0, 600, 0.5],
  ])('%#', (acks, from, to, expected) => {
    expect(longestGapSeconds(acks as Ack[], from, to)).toBe(expected);
  });
});

describe('lostWrites', () => {
  test.each([
    [[1, 2, 3], [1, 2, 3], []],
    [[1, 2, 3], [1, 3], [2]],
    [[1, 2, 3], [], [1, 2, 3]],
    [[], [1], []],
  ])('acked %j present %j -> lost %j', (acked, present, lost) => {
    expect(lostWrites(acked, new Set(present))).toEqual(lost);
  });
});

describe('evaluate', () => {
  const predicted = { domain: 'member:use1-a', bestSeconds: 10, typicalSeconds: 15, worstSeconds: 30 };
  const base = {
    rtoSeconds: 20,
    lost: 0,
    maxWriters: 1,
    predicted,
    zeroLossPromised: true,
    expectWrites: true,
  };
  const failed = (m: Parameters<typeof evaluate>[0]) =>
    evaluate(m)
      .filter((c) => !c.ok)
      .map((c) => c.id);

  test.each([
    ['inside the prediction', {}, []],
    ['RTO at the worst case exactly', { rtoSeconds: 30 }, []],
    ['RTO beyond the worst case', { rtoSeconds: 30.01 }, ['rto-within-prediction']],
    ['no write after the fault', { rtoSeconds: null }, ['writes-resumed']],
    ['one lost write with synchronous replication', { lost: 1 }, ['no-lost-writes']],
    ['one lost write, asynchronous', { lost: 1, zeroLossPromised: false }, []],
    ['two writers at once', { maxWriters: 2 }, ['single-writer']],
    ['no writer at all is not split brain', { maxWriters: 0 }, []],
  ] as const)('%s', (_, over, ids) => {
    expect(failed({ ...base, ...over })).toEqual(ids);
  });

  const pitr: PitrCounts = {
    target: '2026-01-01 00:00:00+00',
    beforeWritten: 1000,
    beforeFound: 1000,
    afterWritten: 500,
    afterFound: 0,
    loadAckedBeforeMissing: 0,
    loadSentAfterPresent: 0,
  };
  test.each([
    ['exact', {}, []],
    ['a row before the target missing', { beforeFound: 999 }, ['pitr-rows']],
    ['a row after the target present', { afterFound: 1 }, ['pitr-rows']],
    ['an acknowledged load write before the target missing', { loadAckedBeforeMissing: 1 }, ['pitr-rows']],
    ['a load write sent after the target present', { loadSentAfterPresent: 1 }, ['pitr-rows']],
  ] as const)('pitr: %s', (_, over, ids) => {
    expect(
      failed({
        rtoSeconds: null,
        lost: null,
        maxWriters: null,
        zeroLossPromised: false,
        expectWrites: false,
        pitr: { ...pitr, ...over },
      }),
    ).toEqual(ids);
  });
});

describe('drill selection', () => {
  test('all is every drill, region promotion last', () => {
    expect(parseDrills('all')).toEqual([...DRILL_NAMES]);
    expect(DRILL_NAMES.at(-1)).toBe('region-promotion');
  });
  test('a list is put in canonical order', () => {
    expect(parseDrills('pitr, kill-primary,dcs-partition')).toEqual([
      'kill-primary',
      'dcs-partition',
      'pitr',
    ]);
    expect(orderDrills(['region-promotion', 'switchover'])).toEqual(['switchover', 'region-promotion']);
  });
  test.each(['kill-primry', '', 'all,pitr'])('%j is refused', (text) => {
    expect(() => parseDrills(text)).toThrow(RangeError);
  });
  test('alert drills need a Prometheus: refused without --alerts, in all with it, before region promotion', () => {
    expect(() => parseDrills('kill-primary,lag-spike')).toThrow(/--alerts/);
    const all = parseDrills('all', { alerts: true });
    expect(all).toEqual(expect.arrayContaining([...DRILL_NAMES, ...ALERT_DRILL_NAMES]));
    expect(all).toHaveLength(DRILL_NAMES.length + ALERT_DRILL_NAMES.length);
    expect(all.at(-1)).toBe('region-promotion');
    expect(parseDrills('packet-loss,region-promotion,kill-primary,lag-spike', { alerts: true })).toEqual([
      'kill-primary',
      'lag-spike',
      'packet-loss',
      'region-promotion',
    ]);
  });
});

describe('report table', () => {
  const report: RehearsalReport = {
    version: 1,
    spec: 'examples/single-region.yaml',
    topology: 'orders',
    cluster: 'orders-us-east-1',
    profile: 'balanced',
    timers: { ttl: 20, loopWait: 5, retryTimeout: 5 },
    synchronousMode: 'on',
    release: { name: 'debian-13', packages: { postgresql: '17.12-1', patroni: '4.0.7-3' } },
    startedAt: '2026-01-01T00:00:00.000Z',
    bootSeconds: 12.3,
    drills: [
      {
        drill: 'kill-primary',
        status: 'passed',
        fault: 'SIGKILL',
        oldPrimary: 'use1-a',
        newPrimary: 'use1-b',
        rtoSeconds: 21.5,
        longestWriteGapSeconds: 21.5,
        acknowledgedWrites: 400,
        lostAcknowledgedWrites: 0,
        maxConcurrentWriters: 1,
        predicted: { domain: 'member:use1-a', bestSeconds: 16, typicalSeconds: 19, worstSeconds: 36.5 },
        checks: [],
        durationSeconds: 40,
      },
      {
        drill: 'etcd-member-loss',
        status: 'passed',
        fault: 'SIGKILL etcd',
        oldPrimary: 'use1-b',
        newPrimary: 'use1-b',
        rtoSeconds: 0.01,
        longestWriteGapSeconds: 0.05,
        acknowledgedWrites: 100,
        lostAcknowledgedWrites: 0,
        maxConcurrentWriters: 1,
        checks: [],
        durationSeconds: 5,
      },
    ],
    passed: true,
    runDir: '/tmp/x',
    runId: '0123abcd',
    kept: false,
    filesKept: false,
  };
  test('one row per drill with the measurement beside the prediction', () => {
    const text = formatTable(report);
    const row = text.split('\n').find((l) => l.startsWith('kill-primary'))!;
    expect(row.split(/\s{2,}/)).toEqual([
      'kill-primary',
      'passed',
      '21.5',
      '16/19/36.5',
      '0',
      '1',
      '400',
      'use1-a -> use1-b',
    ]);
    const kept = text.split('\n').find((l) => l.startsWith('etcd-member-loss'))!;
    expect(kept.split(/\s{2,}/).at(-1)).toBe('use1-b (kept)');
    expect(text).toContain('all drills passed');
    expect(text.split('\n')[1]).toBe('release debian-13: postgresql 17.12-1, patroni 4.0.7-3');
  });
});
