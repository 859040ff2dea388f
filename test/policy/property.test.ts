/**
 * Property tests of the policy engine over generated, valid-ish topologies: the engine never crashes,
 * a lost quorum never yields a writable primary, and RPO 0 after a failover is only claimed when a
 * synchronous standby survives outside the failed domain.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tryResolve } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { analyzeFailures, RULES, runPolicy } from '../../src/policy/index.js';
import type { FailureResult } from '../../src/policy/types.js';
import { NOW } from './helpers.js';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'] as const;

const member = (region: string, azs: readonly string[], i: number) =>
  fc
    .record({
      az: fc.constantFrom(...azs),
      nosync: fc.boolean(),
      nofailover: fc.boolean(),
      upstream: fc.option(fc.nat(5), { nil: undefined }),
      delay: fc.option(fc.constantFrom(0, 600, 3600), { nil: undefined }),
      instanceType: fc.constantFrom('r6i.large', 'r6i.xlarge', 'm6i.large'),
    })
    .map((m) => ({ name: `${region.replace(/-/g, '')}-m${i}`, ...m }));

const region = (name: string, index: number) =>
  fc
    .record({
      azCount: fc.integer({ min: 1, max: 3 }),
      role: fc.constantFrom(undefined, undefined, 'primary', 'standby'),
      size: fc.integer({ min: 1, max: 5 }),
    })
    .chain(({ azCount, role, size }) => {
      const azs = ['a', 'b', 'c'].slice(0, azCount).map((s) => `${name}${s}`);
      return fc.tuple(...Array.from({ length: size }, (_, i) => member(name, azs, i))).map((members) => ({
        name,
        cidr: `10.${10 + index}.0.0/16`,
        azs,
        ...(role ? { role } : {}),
        members: members.map((m, _i, all) => ({
          name: m.name,
          az: m.az,
          instanceType: m.instanceType,
          tags: { nosync: m.nosync, nofailover: m.nofailover },
          ...(m.upstream !== undefined && all.length > 1
            ? { replicateFrom: all[m.upstream % all.length]!.name }
            : {}),
          ...(m.delay !== undefined ? { recoveryMinApplyDelay: m.delay } : {}),
        })),
      }));
    });

const spec = fc
  .record({
    regionCount: fc.integer({ min: 1, max: 3 }),
    primary: fc.nat(2),
    stretched: fc.boolean(),
    etcdSize: fc.integer({ min: 1, max: 7 }),
    placement: fc.constantFrom('dedicated', 'co-located'),
    rpo: fc.constantFrom('zero-in-region', 'bounded', 'async'),
    mode: fc.constantFrom(undefined, 'on', 'strict', 'off'),
    count: fc.integer({ min: 1, max: 3 }),
    cross: fc.boolean(),
    profile: fc.constantFrom('conservative', 'balanced', 'fast'),
    rto: fc.option(fc.integer({ min: 10, max: 200 }), { nil: undefined }),
    copyAll: fc.boolean(),
  })
  .chain((o) =>
    fc.tuple(...REGIONS.slice(0, o.regionCount).map((r, i) => region(r, i))).map((regions) => ({
      name: 'prop',
      primaryRegion: regions[o.primary % regions.length]!.name,
      dcs: o.stretched
        ? { mode: 'stretched', members: o.etcdSize, placement: o.placement }
        : { mode: 'per-region', membersPerRegion: o.etcdSize, placement: o.placement },
      durability: {
        rpo: o.rpo,
        ...(o.mode ? { synchronousMode: o.mode } : {}),
        synchronousNodeCount: o.count,
        allowCrossRegionSync: o.cross,
      },
      failover: { profile: o.profile, ...(o.rto ? { rtoTargetSeconds: o.rto } : {}) },
      regions,
      ...(o.copyAll ? {} : { archive: { copyTo: [] } }),
    })),
  );

/** Topologies the parser and model accept (most generated specs resolve; the rest are skipped). */
const topology = spec
  .map((s) => tryResolve(s))
  .filter((r) => r.ok)
  .map((r) => (r as { topology: Topology }).topology);

function allFailures(t: Topology): FailureResult[] {
  const a = analyzeFailures(t);
  return [...a.failures, ...a.doubleAzFailures];
}

describe('policy engine properties', () => {
  test('arbitrary valid-ish topologies never crash the engine; findings are well-formed', () => {
    const ids = new Set(RULES.map((r) => r.id));
    fc.assert(
      fc.property(topology, (t) => {
        const r = runPolicy(t, { now: NOW });
        for (const f of r.findings) {
          expect(ids.has(f.ruleId)).toBe(true);
          expect(['error', 'warning']).toContain(f.severity);
          expect(Array.isArray(f.path)).toBe(true);
          expect(f.found.length).toBeGreaterThan(0);
        }
        expect(r.errors + r.warnings + r.waived).toBe(r.findings.length);
        for (const endpoint of ['nlb', 'haproxy'] as const) {
          const a = analyzeFailures(t, { endpoint });
          expect(a.failures).toHaveLength(t.failureDomains.length);
          for (const f of a.failures) {
            if (f.rto) expect(f.rto.bestSeconds).toBeLessThanOrEqual(f.rto.worstSeconds);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a lost quorum never yields a writable primary', () => {
    fc.assert(
      fc.property(topology, (t) => {
        const quorumOf = new Map(t.clusters.map((c) => [c.scope, c.quorum]));
        for (const f of allFailures(t)) {
          const lost = new Set(f.quorums.filter((q) => !q.survives).map((q) => q.id));
          if (f.writable !== 'none') {
            // Whoever takes writes holds its leader key in a quorum that survived.
            expect(f.writer).toBeDefined();
            expect(lost.has(quorumOf.get(f.writer!)!)).toBe(false);
          }
          if (f.writer && lost.has(quorumOf.get(f.writer)!)) expect(f.writable).toBe('none');
        }
      }),
      { numRuns: 150 },
    );
  });

  test('RPO 0 after a failover only with a synchronous standby outside the failed domain', () => {
    fc.assert(
      fc.property(topology, (t) => {
        for (const f of allFailures(t)) {
          if (f.recovery !== 'failover' || f.rpo.bound !== 'zero') continue;
          expect(t.durability.synchronousMode).not.toBe('off');
          const lost = new Set(f.lostMembers);
          const survivor = t.members.find(
            (m) => m.cluster === f.writer && m.syncEligible && m.failoverEligible && !lost.has(m.name),
          );
          expect(survivor).toBeDefined();
        }
      }),
      { numRuns: 150 },
    );
  });

  test('the generator reaches the interesting cases', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(topology, (t) => {
        for (const f of allFailures(t)) seen.add(`${f.writable}:${f.recovery}:${f.rpo.bound}`);
      }),
      { numRuns: 150, seed: 42 },
    );
    for (const k of [
      'auto:failover:zero',
      'auto:failover:bounded',
      'manual:manual-failover:unbounded',
      'manual:promote-standby-cluster:unbounded',
      'none:none:unbounded',
      'auto:unaffected:zero',
    ]) {
      expect(seen).toContain(k);
    }
  });
});
