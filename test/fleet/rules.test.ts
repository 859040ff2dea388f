import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Ownership, resolveOwnership } from '../../src/model/fleet.js';
import { growthPlan } from '../../src/model/fleet-ownership.js';
import { ruleById } from '../../src/policy/engine.js';
import { FLEET_RULES } from '../../src/policy/rules/fleet-rules.js';
import { FleetSpec } from '../../src/spec/fleet.js';
import { formatPath } from '../../src/spec/issues.js';
import { fleetOf } from './helpers.js';

/** Findings of one fleet rule on the edited example, as `id path`. */
function findings(id: string, edit: (s: Record<string, any>) => void): string[] {
  const rule = FLEET_RULES.find((r) => r.id === id)!;
  return rule.check(fleetOf(edit)).map((d) => `${id} ${formatPath(d.path)}`);
}

const hash =
  (slots: number, assignments?: { shard: number; slots: string | number }[]) => (s: Record<string, any>) => {
    s.strategy = { kind: 'hash', slots, ...(assignments ? { assignments } : {}) };
  };

describe('fleet rules: boundaries', () => {
  test('every fleet rule has an id, a fix and an entry in the rule list (docs/rules.md, explain)', () => {
    for (const r of FLEET_RULES) {
      expect(r.id).toMatch(/^PGT-SHD-\d{3}$/);
      expect(r.fix.length).toBeGreaterThan(20);
      expect(ruleById(r.id)?.group).toBe('fleet');
    }
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['64 slots', hash(64), []],
    [
      '1 slot, 1 shard',
      (s) => {
        s.shards = 1;
        hash(1)(s);
      },
      [],
    ],
    ['4096 slots', hash(4096), []],
    ['48 slots', hash(48), ['PGT-SHD-001 strategy.slots']],
    ['63 slots', hash(63), ['PGT-SHD-001 strategy.slots']],
    ['range fleets have no slots', (s) => (s.strategy = { kind: 'range', bounds: [1, 2, 3] }), []],
  ])('PGT-SHD-001 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-001', edit)).toEqual(expected);
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['default blocks', hash(64), []],
    [
      'explicit, complete, disjoint',
      hash(8, [
        { shard: 0, slots: '0-1' },
        { shard: 1, slots: '2-3' },
        { shard: 2, slots: '4-5' },
        { shard: 3, slots: '6-7' },
      ]),
      [],
    ],
    ['slot 7 unowned', hash(8, [{ shard: 0, slots: '0-6' }]), ['PGT-SHD-002 strategy.assignments']],
    [
      'slot 3 twice',
      hash(8, [
        { shard: 0, slots: '0-3' },
        { shard: 1, slots: '3-7' },
      ]),
      ['PGT-SHD-002 strategy.assignments[0]'],
    ],
    [
      'slot 3 twice to the same shard',
      hash(8, [
        { shard: 0, slots: '0-3' },
        { shard: 0, slots: 3 },
        { shard: 1, slots: '4-7' },
      ]),
      ['PGT-SHD-002 strategy.assignments[0]'],
    ],
    ['ascending bounds', (s) => (s.strategy = { kind: 'range', bounds: [-5, 0, 5] }), []],
    [
      'equal bounds',
      (s) => (s.strategy = { kind: 'range', bounds: [1, 1, 5] }),
      ['PGT-SHD-002 strategy.bounds[1]'],
    ],
    [
      'descending bounds',
      (s) => (s.strategy = { kind: 'range', bounds: [1, 9, 5] }),
      ['PGT-SHD-002 strategy.bounds[2]'],
    ],
    [
      'tenants once',
      (s) =>
        (s.strategy = {
          kind: 'directory',
          tenants: [
            { tenant: '1', shard: 0 },
            { tenant: '2', shard: 0 },
          ],
        }),
      [],
    ],
    [
      'a tenant twice',
      (s) =>
        (s.strategy = {
          kind: 'directory',
          tenants: [
            { tenant: '1', shard: 0 },
            { tenant: '1', shard: 1 },
          ],
        }),
      ['PGT-SHD-002 strategy.tenants[1].tenant'],
    ],
  ])('PGT-SHD-002 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-002', edit)).toEqual(expected);
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['keys include the shard key', () => {}, []],
    ['shard key last in the primary key', (s) => (s.tables[1].primaryKey = ['order_id', 'customer_id']), []],
    [
      'primary key without it',
      (s) => (s.tables[1].primaryKey = ['order_id']),
      ['PGT-SHD-003 tables[1].primaryKey'],
    ],
    ['unique without it', (s) => (s.tables[0].unique = [['email']]), ['PGT-SHD-003 tables[0].unique[0]']],
  ])('PGT-SHD-003 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-003', edit)).toEqual(expected);
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['same key type', () => {}, []],
    [
      'text key colocated with int8',
      (s) => {
        s.tables[1].keyType = 'text';
        s.tables[1].columns[0].type = 'text';
      },
      ['PGT-SHD-004 colocation[0].tables[1]'],
    ],
    [
      'different key types, not colocated',
      (s) => {
        s.tables[1].keyType = 'text';
        s.tables[1].columns[0].type = 'text';
        s.colocation = [];
      },
      [],
    ],
  ])('PGT-SHD-004 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-004', edit)).toEqual(expected);
  });

  const coordinator = (s: Record<string, any>, members: number, azs: number) => {
    s.coordinator = structuredClone(s.catalog);
    s.coordinator.name = 'shop-coord';
    s.coordinator.regions[0].cidr = '10.30.0.0/16';
    s.coordinator.regions[0].members = Array.from({ length: members }, (_, i) => ({
      name: `co-${i}`,
      az: s.coordinator.regions[0].azs[i % azs],
    }));
  };
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['3 members in 3 AZs', () => {}, []],
    ['catalog of 2', (s) => s.catalog.regions[0].members.pop(), ['PGT-SHD-005 catalog.regions[0].members']],
    ['coordinator 3 in 3', (s) => coordinator(s, 3, 3), []],
    ['coordinator 4 in 2 AZs', (s) => coordinator(s, 4, 2), ['PGT-SHD-005 coordinator.regions[0].members']],
    ['coordinator of 1', (s) => coordinator(s, 1, 1), ['PGT-SHD-005 coordinator.regions[0].members']],
  ])('PGT-SHD-005 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-005', edit)).toEqual(expected);
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['64 slots, 4 shards', hash(64), []],
    ['8 slots, 4 shards (exactly 2N)', hash(8), []],
    ['4 slots, 4 shards', hash(4), ['PGT-SHD-006 strategy.slots']],
    [
      'lopsided: shard 0 holds 29 of 32',
      hash(32, [
        { shard: 0, slots: '0-28' },
        { shard: 1, slots: 29 },
        { shard: 2, slots: 30 },
        { shard: 3, slots: 31 },
      ]),
      ['PGT-SHD-006 strategy.assignments'],
    ],
    ['range fleets split a range', (s) => (s.strategy = { kind: 'range', bounds: [1, 2, 3] }), []],
  ])('PGT-SHD-006 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-006', edit)).toEqual(expected);
  });

  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['citus over hash', (s) => (s.router.engine = 'citus'), []],
    [
      'citus over ranges',
      (s) => {
        s.router.engine = 'citus';
        s.strategy = { kind: 'range', bounds: [1, 2, 3] };
      },
      ['PGT-SHD-007 strategy.kind'],
    ],
    ['postgres-fdw over ranges', (s) => (s.strategy = { kind: 'range', bounds: [1, 2, 3] }), []],
  ])('PGT-SHD-007 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-007', edit)).toEqual(expected);
  });
});

/** Arbitrary hash fleets: a power-of-two slot count, a shard count, and (sometimes) random assignments. */
const hashFleet = fc
  .record({ log: fc.integer({ min: 0, max: 10 }), shards: fc.integer({ min: 1, max: 64 }) })
  .filter(({ log, shards }) => 2 ** log >= shards);

function ownership(
  slots: number,
  shards: number,
  assignments?: { shard: number; slots: string }[],
): Ownership & { kind: 'hash' } {
  const spec = FleetSpec.parse({
    kind: 'fleet',
    name: 'ff',
    shards,
    template: {},
    catalog: {},
    strategy: { kind: 'hash', slots, ...(assignments ? { assignments } : {}) },
    tables: [
      { name: 't', key: 'k', keyType: 'int4', columns: [{ name: 'k', type: 'int4' }], primaryKey: ['k'] },
    ],
  });
  return resolveOwnership(spec) as Ownership & { kind: 'hash' };
}

describe('ownership properties (reference: count claims per slot)', () => {
  test('the default hash assignment covers every slot exactly once, in equal blocks', () => {
    fc.assert(
      fc.property(hashFleet, ({ log, shards }) => {
        const o = ownership(2 ** log, shards);
        expect(o.owners.every((c) => c.length === 1 && c[0]! >= 0 && c[0]! < shards)).toBe(true);
        const counts = Array.from({ length: shards }, (_, i) => o.owners.filter((c) => c[0] === i).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  test('PGT-SHD-002 agrees with a count of claims on random assignments', () => {
    const rule = FLEET_RULES.find((r) => r.id === 'PGT-SHD-002')!;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ shard: fc.integer({ min: 0, max: 3 }), a: fc.nat(63), b: fc.nat(63) }), {
          maxLength: 6,
        }),
        (log, raw) => {
          const slots = 2 ** log;
          const assignments = raw.map(({ shard, a, b }) => ({
            shard,
            slots: `${Math.min(a, b) % slots}-${Math.max(a, b) % slots >= Math.min(a, b) % slots ? Math.max(a, b) % slots : Math.min(a, b) % slots}`,
          }));
          const claims = Array.from({ length: slots }, () => 0);
          for (const x of assignments) {
            const [from, to] = x.slots.split('-').map(Number) as [number, number];
            for (let s = from; s <= to; s++) claims[s]!++;
          }
          const sound = claims.every((c) => c === 1);
          const f = fleetOf((s) => hash(slots, assignments)(s));
          expect(rule.check(f).length === 0).toBe(sound);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('doubling a balanced hash fleet moves exactly half the slots and leaves it balanced', () => {
    fc.assert(
      fc.property(
        hashFleet.filter(({ log, shards }) => 2 ** log >= 2 * shards),
        ({ log, shards }) => {
          const slots = 2 ** log;
          const o = ownership(slots, shards);
          const plan = growthPlan(o, shards, 2 * shards);
          expect(plan.owner.every((x) => x >= 0 && x < 2 * shards)).toBe(true);
          // A moved slot changes owner; every other slot keeps its owner.
          plan.owner.forEach((x, s) => {
            expect(x === o.owners[s]![0]).toBe(!plan.moved.includes(s));
          });
          if (slots % (2 * shards) === 0) expect(plan.moved.length).toBe(slots / 2);
          else expect(plan.moved.length).toBeLessThanOrEqual(slots / 2 + shards);
          const counts = Array.from(
            { length: 2 * shards },
            (_, i) => plan.owner.filter((x) => x === i).length,
          );
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('the review slot map', () => {
  test('each shard with its slots and share; a moved slot shows under its new owner', async () => {
    const { renderFleetMap } = await import('../../src/review/fleet.js');
    const md = renderFleetMap(fleetOf());
    expect(md).toContain('| shop-s00 | 3 | 0-15 | 25.0 % |');
    expect(md).toContain('| shop-s03 | 3 | 48-63 | 25.0 % |');
    const moved = renderFleetMap(
      fleetOf(
        hash(64, [
          { shard: 0, slots: '0-14' },
          { shard: 1, slots: 15 },
          { shard: 1, slots: '16-31' },
          { shard: 2, slots: '32-47' },
          { shard: 3, slots: '48-63' },
        ]),
      ),
    );
    expect(moved).toContain('| shop-s01 | 3 | 15-31 | 26.6 % |');
  });
});

describe('fleet rules over the routing tier', () => {
  const clients = (cidrs: string[]) => (s: Record<string, any>) => {
    s.template.security.allowedCidrs = cidrs;
  };
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['a private range holding the coordinator VPC', clients(['10.0.0.0/8']), []],
    ['exactly the coordinator VPC', clients(['10.9.0.0/16']), []],
    ['half of the coordinator VPC', clients(['10.9.0.0/17']), ['PGT-SHD-008 template.security.allowedCidrs']],
    ['another range', clients(['192.168.0.0/16']), ['PGT-SHD-008 template.security.allowedCidrs']],
    ['no client CIDR', clients([]), ['PGT-SHD-008 template.security.allowedCidrs']],
  ])('PGT-SHD-008 %s', (_, edit, expected) => {
    expect(findings('PGT-SHD-008', edit)).toEqual(expected);
  });

  const shards = (n: number) => (s: Record<string, any>) => {
    s.shards = n;
    s.strategy = { kind: 'hash', slots: 256 };
    s.template.regions[0].cidr = '10.0.0.0/20';
  };
  const severities = (n: number) =>
    FLEET_RULES.find((r) => r.id === 'PGT-SHD-009')!
      .check(fleetOf(shards(n)))
      .map((d) => d.severity);
  test.each<[number, string[]]>([
    [4, []],
    [50, []],
    [51, ['warning']],
    [125, ['warning']],
    [126, ['error']],
  ])(
    'PGT-SHD-009 %i shards: one peering each from the coordinator VPC',
    (n, expected) => {
      expect(severities(n)).toEqual(expected);
    },
    60_000,
  );
});
