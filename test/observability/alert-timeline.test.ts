/**
 * How a drill folds its polls of Prometheus' active alerts into what the report says: when each alert went
 * pending, fired and resolved, relative to the fault, and how often its condition started over.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { alertState } from '../../src/rehearsal/alert-drills.js';
import { type AlertSample, AlertTimeline } from '../../src/rehearsal/measure.js';
import type { RehearsalPrometheus } from '../../src/rehearsal/prometheus.js';
import { formatAlert } from '../../src/rehearsal/report.js';

const LAG = 'PgtopoReplicaLagAboveBound';
const NO_LEADER = 'PgtopoNoWritableLeader';
/** Same condition as NO_LEADER with the failover bound as its `for`: a failover that finishes leaves it pending. */
const PROLONGED = 'PgtopoNoWritableLeaderProlonged';
const pending = (name: string, member?: string): AlertSample => ({
  name,
  state: 'pending',
  ...(member ? { member } : {}),
});
const firing = (name: string, member?: string): AlertSample => ({
  ...pending(name, member),
  state: 'firing',
});

/** Polls one second apart from t = 0 s; times relative to `fault` seconds. */
function fold(polls: readonly (readonly AlertSample[])[], fault = 0) {
  const tl = new AlertTimeline();
  for (const [i, p] of polls.entries()) tl.observe(i * 1000, p);
  return tl.result(fault * 1000);
}

describe('AlertTimeline', () => {
  test('pending, firing and resolved, in seconds after the fault', () => {
    const polls = [
      [],
      [],
      [pending(NO_LEADER)],
      [pending(NO_LEADER)],
      [firing(NO_LEADER)],
      [firing(NO_LEADER)],
      [],
    ];
    expect(fold(polls, 1)).toEqual([
      {
        name: NO_LEADER,
        pendingAfterSeconds: 1,
        firingAfterSeconds: 3,
        resolvedAfterSeconds: 5,
        activations: 1,
      },
    ]);
  });

  test('an alert that resolves without firing (a failover inside its `for`)', () => {
    expect(fold([[], [pending(PROLONGED)], [pending(PROLONGED)], []])).toEqual([
      {
        name: PROLONGED,
        pendingAfterSeconds: 1,
        firingAfterSeconds: null,
        resolvedAfterSeconds: 3,
        activations: 1,
      },
    ]);
  });

  test('still active when the watch stops: not resolved', () => {
    expect(fold([[], [firing(LAG, 'b')]])[0]).toMatchObject({
      firingAfterSeconds: 1,
      resolvedAfterSeconds: null,
    });
  });

  test('a condition that lapses and starts over is counted; the first pending and the last resolution are kept', () => {
    const p = pending(LAG, 'b');
    expect(fold([[], [p], [], [p], [firing(LAG, 'b')], []])).toEqual([
      {
        name: LAG,
        member: 'b',
        pendingAfterSeconds: 1,
        firingAfterSeconds: 4,
        resolvedAfterSeconds: 5,
        activations: 2,
      },
    ]);
  });

  test('alerts active at the first poll belong to what came before, until they resolve and come back', () => {
    const old = firing('PgtopoSyncStandbyMissing');
    expect(fold([[old], [old], []])).toEqual([]);
    expect(fold([[old], [], [pending(old.name)]])).toEqual([
      {
        name: old.name,
        pendingAfterSeconds: 2,
        firingAfterSeconds: null,
        resolvedAfterSeconds: null,
        activations: 1,
      },
    ]);
  });

  test('per-member alerts are told apart by member', () => {
    const r = fold([[], [pending(LAG, 'a'), firing(LAG, 'b')], [firing(LAG, 'b')]]);
    expect(r.map((x) => [x.member, x.resolvedAfterSeconds])).toEqual([
      ['a', 2],
      ['b', null],
    ]);
  });

  test('property: pending <= firing, pending <= resolved, one activation per rise', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<0 | 1 | 2>(0, 1, 2), { maxLength: 60 }), (states) => {
        const polls = [[], ...states.map((s) => (s === 0 ? [] : s === 1 ? [pending(LAG)] : [firing(LAG)]))];
        const r = fold(polls);
        const rises = states.filter((s, i) => s !== 0 && (i === 0 || states[i - 1] === 0)).length;
        if (rises === 0) return r.length === 0;
        const a = r[0]!;
        return (
          r.length === 1 &&
          a.activations === rises &&
          a.pendingAfterSeconds !== null &&
          (a.firingAfterSeconds === null || a.firingAfterSeconds >= a.pendingAfterSeconds) &&
          (a.resolvedAfterSeconds === null
            ? states[states.length - 1] !== 0
            : a.resolvedAfterSeconds > a.pendingAfterSeconds) &&
          (a.firingAfterSeconds !== null) === states.includes(2)
        );
      }),
    );
  });
});

describe('formatAlert', () => {
  test.each([
    [
      {
        name: PROLONGED,
        pendingAfterSeconds: 2.5,
        firingAfterSeconds: null,
        resolvedAfterSeconds: 21,
        activations: 1,
      },
      'alert PgtopoNoWritableLeaderProlonged: pending +2.5 s, firing never, resolved +21.0 s after the fault',
    ],
    [
      {
        name: NO_LEADER,
        pendingAfterSeconds: 1.3,
        firingAfterSeconds: 6.4,
        resolvedAfterSeconds: 21.5,
        activations: 1,
      },
      'alert PgtopoNoWritableLeader: pending +1.3 s, firing +6.4 s, resolved +21.5 s after the fault',
    ],
    [
      {
        name: LAG,
        member: 'use1-b',
        pendingAfterSeconds: -1,
        firingAfterSeconds: 160.2,
        resolvedAfterSeconds: null,
        activations: 3,
      },
      'alert PgtopoReplicaLagAboveBound (use1-b): pending -1.0 s, firing +160.2 s, resolved not yet after the fault; its condition started 3 times',
    ],
  ])('%j', (a, line) => {
    expect(formatAlert(a)).toBe(line);
  });
});

describe('a drill asking for one alert’s state', () => {
  const answering = (alerts: readonly AlertSample[]) =>
    ({
      alerts: async () =>
        alerts.map((a) => ({
          name: a.name,
          state: a.state,
          labels: { alertname: a.name, ...(a.member ? { member: a.member } : {}) },
          activeAt: '',
        })),
    }) as unknown as RehearsalPrometheus;
  const failing = {
    alerts: async () => Promise.reject(new Error('timeout')),
  } as unknown as RehearsalPrometheus;

  test('a poll Prometheus does not answer is unknown, never a resolved alert', async () => {
    expect(await alertState(failing, LAG, 'b')).toBe('unknown');
  });

  test('absent is inactive; otherwise the state of the member’s own alert', async () => {
    const p = answering([firing(LAG, 'a'), pending(LAG, 'b')]);
    expect(await alertState(p, LAG, 'a')).toBe('firing');
    expect(await alertState(p, LAG, 'b')).toBe('pending');
    expect(await alertState(p, LAG, 'c')).toBe('inactive');
    expect(await alertState(answering([]), LAG, 'a')).toBe('inactive');
  });
});
