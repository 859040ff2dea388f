import { describe, expect, test } from 'vitest';
import { runPolicy } from '../../src/policy/index.js';
import { expiryInstant } from '../../src/policy/waivers.js';
import { layout, NOW, twoRegions } from './helpers.js';

/** A layout with one PGT-PAT-011 warning on use1-c and one PGT-PAT-007 error on use1-c. */
function withWaivers(waivers: unknown[]) {
  return layout((s) => {
    twoRegions(s);
    s.regions[0].members[0].instanceType = 'r6i.xlarge';
    s.regions[0].members[1].instanceType = 'r6i.xlarge';
    s.regions[1].members[2].replicateFrom = 'usw2-a';
    s.waivers = waivers;
  });
}

const REASON = 'reporting replica, accepted by the data team';

describe('waivers', () => {
  test('without waivers the layout has one error and one warning', () => {
    const r = runPolicy(withWaivers([]), { now: NOW });
    expect(r.findings.map((f) => `${f.ruleId} ${f.target}`)).toEqual([
      'PGT-PAT-007 usw2-c',
      'PGT-PAT-011 use1-c',
    ]);
    expect(r).toMatchObject({ errors: 1, warnings: 1, waived: 0 });
  });

  test.each([
    ['the whole rule', undefined],
    ['the member', 'usw2-c'],
    ['the region holding the member', 'us-west-2'],
    ['the spec path', 'regions[1].members[2]'],
    ['the spec path in dotted form', 'regions.1.members.2.tags'],
  ])('a waiver of %s', (_what, target) => {
    const r = runPolicy(
      withWaivers([
        {
          rule: 'PGT-PAT-007',
          reason: REASON,
          ...(target ? { target } : target === null ? { target: 'us-west-2c' } : {}),
        },
      ]),
      { now: NOW },
    );
    const f = r.findings.find((x) => x.ruleId === 'PGT-PAT-007')!;
    // Waived findings stay in the report, marked, and stop counting.
    expect(f.waived).toEqual({ reason: REASON });
    expect(r).toMatchObject({ errors: 0, warnings: 1, waived: 1 });
  });

  test.each([
    ['another member', 'usw2-b'],
    ['another region', 'us-east-1'],
    ["the member's AZ (an AZ covers only findings about the AZ)", 'us-west-2c'],
    ['a sibling path', 'regions[1].members[1]'],
    ['a path prefix that is not a segment', 'regions[1].members[2'],
  ])('a waiver of %s does not apply', (_what, target) => {
    const r = runPolicy(withWaivers([{ rule: 'PGT-PAT-007', target, reason: REASON }]), { now: NOW });
    expect(r).toMatchObject({ errors: 1, waived: 0 });
  });

  test('an AZ target covers a finding about that AZ', () => {
    const t = layout((s) => {
      s.durability = { rpo: 'zero-in-region' };
      s.regions[0].members[1].az = 'us-east-1a';
      s.waivers = [{ rule: 'PGT-PAT-004', target: 'us-east-1a', reason: 'second member in 1a is temporary' }];
    });
    const r = runPolicy(t, { now: NOW });
    expect(r.findings.filter((f) => f.ruleId === 'PGT-PAT-004').map((f) => [f.target, !!f.waived])).toEqual([
      ['us-east-1a', true],
    ]);
  });

  describe('expiry, with an injected clock', () => {
    const t = withWaivers([{ rule: 'PGT-PAT-007', reason: REASON, expires: '2026-06-30' }]);
    test.each([
      ['well before', '2026-01-01T00:00:00Z', false],
      ['on the last day', '2026-06-30T23:59:59Z', false],
      ['the day after', '2026-07-01T00:00:00Z', true],
      ['long after', '2027-01-01T00:00:00Z', true],
    ])('%s the expiry date', (_when, now, expired) => {
      const r = runPolicy(t, { now: new Date(now) });
      const finding = r.findings.find((f) => f.ruleId === 'PGT-PAT-007')!;
      const wvr = r.findings.filter((f) => f.ruleId === 'PGT-WVR-001');
      if (expired) {
        // The waiver no longer applies and is itself an error.
        expect(finding.waived).toBeUndefined();
        expect(wvr.map((f) => [f.severity, f.path.join('.')])).toEqual([['error', 'waivers.0.expires']]);
        expect(r.errors).toBe(2);
      } else {
        expect(finding.waived).toEqual({ reason: REASON, expires: '2026-06-30' });
        expect(wvr).toEqual([]);
        expect(r.errors).toBe(0);
      }
    });
  });

  test('a waiver with a short reason does not apply and is an error', () => {
    const r = runPolicy(withWaivers([{ rule: 'PGT-PAT-007', reason: 'ok, accepted' }]), { now: NOW });
    expect(r.findings.map((f) => `${f.ruleId}${f.waived ? ' waived' : ''}`)).toEqual([
      'PGT-PAT-007',
      'PGT-PAT-011',
      'PGT-WVR-001',
    ]);
    expect(r.errors).toBe(2);
  });

  test('findings of the waiver rule cannot be waived', () => {
    const r = runPolicy(
      withWaivers([
        { rule: 'PGT-WVR-001', reason: 'waive the waiver rule itself, please' },
        { rule: 'PGT-PAT-007', reason: 'short' },
      ]),
      { now: NOW },
    );
    const wvr = r.findings.filter((f) => f.ruleId === 'PGT-WVR-001');
    expect(wvr.map((f) => [f.path.join('.'), !!f.waived])).toEqual([
      ['waivers.0.rule', false],
      ['waivers.1.reason', false],
    ]);
  });

  test.each([
    ['2026-06-30', '2026-07-01T00:00:00.000Z'],
    ['2028-02-29', '2028-03-01T00:00:00.000Z'],
    ['2027-02-29', undefined],
    ['2027-13-01', undefined],
    ['27-01-01', undefined],
  ])('expiryInstant(%s) = %s', (date, instant) => {
    expect(expiryInstant(date)?.toISOString()).toBe(instant);
  });
});
