import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Fleet, type Ownership, resolveFleet } from '../../src/model/fleet.js';
import { fleetMoves, rangeMoves, slotMoves } from '../../src/model/fleet-moves.js';
import { ownerOf } from '../../src/model/fleet-route.js';
import { type MOVE_PHASES, movePlanText, renderMovePlan } from '../../src/render/shard-move.js';
import { diffFleets } from '../../src/review/fleet-diff.js';
import { fleetOf, fleetProblems, fleetVariant } from './helpers.js';

/** The example fleet as deployed: 4 shards, 64 slots in blocks of 16. */
const base = () => fleetOf();

/** Slot 5 and slots 16-19 reassigned, with the given declarations. */
function reassigned(moves: unknown[] = []): Fleet {
  return fleetOf((s) => {
    s.strategy.assignments = [
      { shard: 0, slots: '0-4' },
      { shard: 1, slots: 5 },
      { shard: 0, slots: '6-15' },
      { shard: 3, slots: '16-19' },
      { shard: 1, slots: '20-31' },
      { shard: 2, slots: '32-47' },
      { shard: 3, slots: '48-63' },
    ];
    s.moves = moves;
  });
}

describe('moves between two slot maps', () => {
  test('cover exactly the changed slots, each once, grouped by (from, to)', () => {
    const map = (n: number) =>
      fc.array(fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }), {
        minLength: n,
        maxLength: n,
      });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 128 }).chain((n) => fc.tuple(map(n), map(n))),
        ([a, b]) => {
          const moves = slotMoves(a, b);
          const moved = moves.flatMap((m) => m.slots.map((s) => [s, m.from, m.to] as const));
          const changed = a.flatMap((x, s) =>
            x !== undefined && b[s] !== undefined && x !== b[s] ? [[s, x, b[s]!] as const] : [],
          );
          expect([...moved].sort((x, y) => x[0] - y[0])).toEqual(changed);
          expect(new Set(moves.map((m) => `${m.from}>${m.to}`)).size).toBe(moves.length);
          for (const m of moves) expect([...m.slots].sort((x, y) => x - y)).toEqual(m.slots);
        },
      ),
    );
  });

  test('range moves agree with routing every key under both maps', () => {
    const bounds = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(
        bounds,
        bounds,
        fc.array(fc.integer({ min: -1200, max: 1200 }), { maxLength: 60 }),
        (x, y, keys) => {
          const ranges = (b: number[]): Ownership & { kind: 'range' } => {
            const s = [...b].sort((p, q) => p - q);
            return {
              kind: 'range',
              ranges: [0, 1, 2, 3].map((i) => ({
                shard: i,
                ...(i > 0 ? { from: s[i - 1]! } : {}),
                ...(i < 3 ? { to: s[i]! } : {}),
              })),
            };
          };
          const a = ranges(x);
          const b = ranges(y);
          const moves = rangeMoves(a.ranges, b.ranges, true);
          for (const k of [...keys, ...x, ...y]) {
            const from = ownerOf(a, 'int8', k)!;
            const to = ownerOf(b, 'int8', k)!;
            const hit = moves.filter(
              (m) =>
                (m.lower === undefined || k >= Number(m.lower)) &&
                (m.upper === undefined || k < Number(m.upper)),
            );
            if (from === to) expect(hit).toEqual([]);
            else expect(hit.map((m) => [m.from, m.to])).toEqual([[from, to]]);
          }
        },
      ),
    );
  });

  test('growth from 4 to 8 default shards moves every slot whose block changes (56 of 64: PGT-SHD-007 warns)', () => {
    const grown = fleetOf((s) => (s.shards = 8));
    const { moves, blockers } = fleetMoves(base(), grown);
    expect(blockers).toEqual([]);
    expect(moves.flatMap((m) => (m.kind === 'slots' ? m.slots : [])).length).toBe(56);
  });
});

describe('declared moves in the fleet document', () => {
  test.each([
    ['slots in a hash fleet, target owns them', [{ slots: 5, from: 0, to: 1 }], []],
    [
      'a tenant in a hash fleet',
      [{ tenant: 'a', slots: 5, from: 0, to: 1 }],
      ['inconsistent moves[0].tenant'],
    ],
    ['no unit', [{ from: 0, to: 1 }], ['invalid_value moves[0]']],
    ['from = to', [{ slots: 5, from: 1, to: 1 }], ['inconsistent moves[0].to']],
    ['target outside the fleet', [{ slots: 5, from: 1, to: 9 }], ['invalid_value moves[0].to']],
    ['target does not own the slot here', [{ slots: '16-19', from: 1, to: 2 }], ['inconsistent moves[0].to']],
    ['slot past the slot count', [{ slots: '60-70', from: 3, to: 2 }], ['invalid_value moves[0].slots']],
    ['a misspelt key', [{ slot: 5, from: 0, to: 1 }], ['unknown_key moves[0].slot']],
  ])('%s', (_, moves, expected) => {
    const problems = fleetProblems((s) => {
      s.strategy.assignments = [
        { shard: 0, slots: '0-4' },
        { shard: 1, slots: 5 },
        { shard: 0, slots: '6-15' },
        { shard: 1, slots: '16-31' },
        { shard: 2, slots: '32-47' },
        { shard: 3, slots: '48-63' },
      ];
      s.moves = moves;
    });
    expect(problems).toEqual(expected);
  });

  test('a tenant move names a listed tenant, with a did-you-mean', () => {
    const r = resolveFleet(
      fleetVariant((s) => {
        s.strategy = { kind: 'directory', tenants: [{ tenant: '42', shard: 1 }], defaultShard: 0 };
        s.moves = [{ tenant: '43', from: 0, to: 1 }];
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual(['unknown_member moves.0.tenant']);
    expect(r.issues[0]!.hint).toBe('did you mean "42"?');
  });

  test('a range move lies within the target range', () => {
    const range = (moves: unknown[]) =>
      fleetProblems((s) => {
        s.strategy = { kind: 'range', bounds: [100, 200, 300] };
        s.moves = moves;
      });
    expect(range([{ range: { lower: 150, upper: 200 }, from: 2, to: 1 }])).toEqual([]);
    expect(range([{ range: { lower: 50, upper: 200 }, from: 0, to: 1 }])).toEqual([
      'inconsistent moves[0].range',
    ]);
    expect(range([{ range: { lower: 'a' }, from: 0, to: 3 }])).toEqual(['invalid_type moves[0].range.lower']);
  });
});

describe('diff of a fleet change', () => {
  test('refuses a reassignment without a declared move: code, path of the reassignment, found, expected', () => {
    const d = diffFleets(base(), reassigned());
    expect(d.moves.map((m) => (m.kind === 'slots' ? `${m.slots.join(',')} ${m.from}>${m.to}` : ''))).toEqual([
      '5 0>1',
      '16,17,18,19 1>3',
    ]);
    expect(d.refused.map((r) => `${r.code} ${r.pathText}`)).toEqual([
      'undeclared-move strategy.assignments[1]',
      'undeclared-move strategy.assignments[3]',
    ]);
    expect(d.refused[1]!.found).toContain('slots 16-19: shop-s01 → shop-s03');
    expect(d.refused[1]!.expected).toContain('{slots: "16-19",from: 1,to: 3}');
    expect(d.needsCare).toBe(true);
  });

  test('declared moves are shown and not refused; a partly declared one refuses the rest', () => {
    const ok = diffFleets(
      base(),
      reassigned([
        { slots: 5, from: 0, to: 1 },
        { slots: '16-19', from: 1, to: 3 },
      ]),
    );
    expect(ok.refused).toEqual([]);
    expect(ok.moves.length).toBe(2);
    const partly = diffFleets(
      base(),
      reassigned([
        { slots: 5, from: 0, to: 1 },
        { slots: '16-17', from: 1, to: 3 },
      ]),
    );
    expect(partly.refused.map((r) => r.found)).toEqual([expect.stringContaining('slots 18-19')]);
  });

  test.each([
    ['slot-count-changed', (s: Record<string, any>) => (s.strategy.slots = 128), 'strategy.slots'],
    [
      'strategy-changed',
      (s: Record<string, any>) => (s.strategy = { kind: 'range', bounds: [1, 2, 3] }),
      'strategy.kind',
    ],
  ])('%s is refused: a re-shard, not a move', (code, edit, path) => {
    const d = diffFleets(base(), fleetOf(edit));
    expect(d.refused.map((r) => `${r.code} ${r.pathText}`)).toEqual([`${code} ${path}`]);
  });

  test('an unchanged fleet has no moves and needs no care', () => {
    const d = diffFleets(base(), base());
    expect(d.moves).toEqual([]);
    expect(d.refused).toEqual([]);
    expect(d.needsCare).toBe(false);
  });
});

describe('the move plan', () => {
  const plan = renderMovePlan(base(), reassigned(), fleetMoves(base(), reassigned()).moves, {
    generation: 3,
  });

  test('copies over logical replication, then flips catalog and coordinator in one transaction', () => {
    expect(plan.atomic).toBe(true);
    expect(plan.generation).toEqual({ from: 3, to: 4 });
    const phases = plan.steps.map((s) => s.phase);
    const first = (p: string) => phases.indexOf(p as (typeof MOVE_PHASES)[number]);
    for (const [a, b] of [
      ['prepare', 'publish'],
      ['publish', 'subscribe'],
      ['subscribe', 'synced'],
      ['synced', 'flip-lock'],
      ['flip-lock', 'caught-up'],
      ['caught-up', 'verify'],
      ['verify', 'flip-commit'],
      ['flip-commit', 'cleanup'],
    ]) {
      expect(first(a!)).toBeLessThan(first(b!));
    }
    const pub = plan.steps.find(
      (s) => s.phase === 'publish' && s.on.role === 'shard' && s.on.shard === 'shop-s01',
    )!;
    expect(pub.sql).toContain('CREATE PUBLICATION pgtopo_move_g4_1_3 FOR TABLE customers_p16, customers_p17');
    const flip = plan.steps.filter((s) => s.phase === 'flip-commit');
    expect(flip.length).toBe(1);
    expect(flip[0]!.sql).toMatch(
      /DROP FOREIGN TABLE IF EXISTS orders_p5;[\s\S]*SERVER shop_s01[\s\S]*current_generation SET generation = 4;\nCOMMIT;/,
    );
    const rollback = plan.steps.find((s) => s.phase === 'rollback')!;
    expect(rollback.sql).toContain('SET generation = 3;');
  });

  test('no secret value: the subscription reads the router password from a psql variable', () => {
    const text = movePlanText(plan);
    expect(text).toContain(":'router_password'");
    expect(text).not.toMatch(/password=[^'"\s]/);
  });

  test('a separate coordinator: the catalog cutover is its own step, and the plan says it is not atomic', () => {
    const withCoordinator = (edit: (s: Record<string, any>) => void = () => {}) =>
      fleetOf((s) => {
        s.coordinator = { ...structuredClone(s.catalog), name: 'shop-coord' };
        s.coordinator.regions[0].cidr = '10.30.0.0/16';
        edit(s);
      });
    const a = withCoordinator();
    const b = withCoordinator((s) => (s.shards = 8));
    const p = renderMovePlan(a, b, fleetMoves(a, b).moves);
    expect(p.atomic).toBe(false);
    expect(p.steps.filter((s) => s.phase === 'catalog-cutover').map((s) => s.on.role)).toEqual(['catalog']);
    expect(
      p.steps.filter((s) => s.phase === 'prepare' && s.on.role === 'shard').length,
    ).toBeGreaterThanOrEqual(4);
  });
});
