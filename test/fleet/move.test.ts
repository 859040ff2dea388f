/**
 * The runtime half of a slot move, without daemons: the ownership after a move, the move plan the
 * shard-move drill runs (the shipped `renderMovePlan`: its variables, bounded waits, the flip's re-pointing
 * against the coordinator DDL of the new ownership), and the fleet rehearsal's refusals before anything boots. The move on real
 * clusters is test/rehearsal/fleet.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/model/fleet.js';
import { fleetMoves } from '../../src/model/fleet-moves.js';
import { ownerOf } from '../../src/model/fleet-route.js';
import { FleetRehearsal } from '../../src/rehearsal/fleet.js';
import { nextMove, RANGE_MOVE_MARGIN, slotToMove } from '../../src/rehearsal/fleet-drills.js';
import { type MoveContext, movedOwnership, runMovePlan, slotOwner } from '../../src/rehearsal/fleet-move.js';
import type { Rehearsal } from '../../src/rehearsal/rehearse.js';
import { WaitTimeout } from '../../src/rehearsal/wait.js';
import { cutoverSql, cutoverStatements } from '../../src/render/shard-catalog.js';
import { coordinatorSql, serverName } from '../../src/render/shard-coordinator.js';
import {
  bindVariables,
  digestRows,
  forwardSteps,
  type MoveStep,
  renderMovePlan,
} from '../../src/render/shard-move.js';
import { fleetOf } from './helpers.js';

const fleet = fleetOf();
const hash = (f: Fleet) => {
  if (f.ownership.kind !== 'hash') throw new Error('not hash');
  return f.ownership;
};
const endpoint = (s: Fleet['shards'][number]) => ({ host: `${s.name}.test`, port: 5432 });
const where = (s: MoveStep) => (s.on.role === 'shard' ? s.on.shard : s.on.role);

describe('the ownership after a move', () => {
  test('exactly the moved slot changes owner', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 3 }), (slot, to) => {
        const before = hash(fleet);
        const after = movedOwnership(before, slot, to);
        expect(after.owners[slot]).toEqual([to]);
        after.owners.forEach((o, s) => {
          if (s !== slot) expect(o).toEqual(before.owners[s]);
        });
      }),
    );
  });

  test.each([
    ['slot below the range', -1],
    ['slot past the last', 64],
  ])('%s is refused', (_, slot) => {
    expect(() => movedOwnership(fleet.ownership, slot, 1)).toThrow(RangeError);
  });

  test('a slot with two claimants has no owner to move from', () => {
    const o = hash(fleet);
    const split = { ...o, owners: o.owners.map((c, s) => (s === 5 ? [0, 1] : c)) };
    expect(() => slotOwner(split, 5)).toThrow(RangeError);
    expect(slotOwner(o, 5)).toBe(o.owners[5]![0]);
  });

  test('each run of the move drill takes another slot of the source shard', () => {
    const picked = [0, 1, 2].map((run) => slotToMove(fleet, 0, run));
    expect(new Set(picked).size).toBe(3);
    for (const s of picked) expect(hash(fleet).owners[s]).toEqual([0]);
    const none = { ...fleet, ownership: { ...hash(fleet), owners: hash(fleet).owners.map(() => [1]) } };
    expect(() => slotToMove(none, 0, 0)).toThrow(RangeError);
  });
});

describe('the move plan the shard-move drill runs (renderMovePlan of the fleet before and after)', () => {
  const plannedMove = (f: Fleet, run: number) => {
    const { to } = nextMove(f, run);
    return { to, plan: renderMovePlan(f, to, fleetMoves(f, to).moves, { generation: 1 + run, endpoint }) };
  };

  test('each run moves one slot of shard run mod N to the next shard, and nothing else', () => {
    for (const run of [0, 1, 2, 5]) {
      const { to, slot } = nextMove(fleet, run);
      const { moves } = fleetMoves(fleet, to);
      const from = run % fleet.shards.length;
      expect(moves).toEqual([{ kind: 'slots', from, to: (from + 1) % fleet.shards.length, slots: [slot] }]);
    }
  });

  const rangeFleet = fleetOf((s) => (s.strategy = { kind: 'range', bounds: [1000, 2000, 3000] }));

  test.each([
    [
      'inside a middle range: its upper part goes to the next shard',
      1500,
      { from: 1, to: 2, lower: 1500, upper: 2000 },
    ],
    ['inside the first range', -7, { from: 0, to: 1, lower: -7, upper: 1000 }],
    [
      'inside the last range: its lower part, past the live key, goes to the shard before',
      5000,
      { from: 3, to: 2, lower: 3000, upper: 5000 + RANGE_MOVE_MARGIN },
    ],
  ])('range, live key %s', (_, live, want) => {
    const { to } = nextMove(rangeFleet, 0, live);
    expect(fleetMoves(rangeFleet, to)).toEqual({ moves: [{ kind: 'range', ...want }], blockers: [] });
  });

  test('range: the moved keys always include the key the load writes next, and the shards stay contiguous', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (live) => {
        fc.pre(![1000, 2000, 3000].includes(live));
        const { to } = nextMove(rangeFleet, 0, live);
        const { moves } = fleetMoves(rangeFleet, to);
        expect(moves).toHaveLength(1);
        expect(ownerOf(to.ownership, 'int8', live)).not.toBe(ownerOf(rangeFleet.ownership, 'int8', live));
        if (to.ownership.kind !== 'range') throw new Error('not range');
        to.ownership.ranges.slice(1).forEach((r, i) => {
          expect(r.from).toBe(to.ownership.kind === 'range' && to.ownership.ranges[i]!.to);
        });
      }),
      { numRuns: 200 },
    );
    expect(() => nextMove(rangeFleet, 0, 2000)).toThrow(RangeError);
    expect(() => nextMove(rangeFleet, 0)).toThrow(RangeError);
  });

  test('directory: the first tenant listed for shard run mod N moves to the next shard', () => {
    const dir = fleetOf(
      (s) =>
        (s.strategy = {
          kind: 'directory',
          tenants: [
            { tenant: '7', shard: 1 },
            { tenant: '42', shard: 0 },
            { tenant: '43', shard: 0 },
          ],
          defaultShard: 3,
        }),
    );
    expect(fleetMoves(dir, nextMove(dir, 0).to).moves).toEqual([
      { kind: 'tenant', from: 0, to: 1, tenant: '42' },
    ]);
    expect(fleetMoves(dir, nextMove(dir, 1).to).moves).toEqual([
      { kind: 'tenant', from: 1, to: 2, tenant: '7' },
    ]);
    expect(() => nextMove(dir, 2)).toThrow(RangeError);
  });

  test('every variable a query step reads was kept by an earlier step; psql-only steps read only the router password', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), (run) => {
        const { plan } = plannedMove(fleet, run);
        const kept = new Set<string>();
        for (const s of plan.steps) {
          const read = [...s.sql.matchAll(/:'([a-z_0-9]+)'/g)].map((m) => m[1]!);
          if (s.expect) for (const v of read) expect(kept).toContain(v);
          else expect(read.filter((v) => v !== 'router_password')).toEqual([]);
          if (s.expect?.kind === 'value') kept.add(s.expect.variable);
          // A step run on a session is plain SQL: no psql meta-command.
          if (s.expect || s.session) expect(s.sql).not.toContain('\\');
        }
      }),
      { numRuns: 20 },
    );
  });

  test('the waits are bounded: the copy and the catch-up under the lock poll with the given limits', () => {
    const { to } = nextMove(fleet, 0);
    const plan = renderMovePlan(fleet, to, fleetMoves(fleet, to).moves, {
      copyTimeoutSeconds: 120,
      catchUpTimeoutSeconds: 7,
    });
    const polls = plan.steps.filter((s) => s.expect?.kind === 'poll');
    expect(polls.map((s) => [s.phase, s.expect])).toEqual([
      ['synced', { kind: 'poll', timeoutSeconds: 120, intervalMs: 500 }],
      ['caught-up', { kind: 'poll', timeoutSeconds: 7, intervalMs: 20 }],
      ['verify', { kind: 'poll', timeoutSeconds: 7, intervalMs: 20 }],
    ]);
    expect(plan.steps.filter((s) => s.session === 'flip').map((s) => s.phase)).toEqual([
      'flip-lock',
      'flip-commit',
      'abort',
    ]);
  });

  test("the flip re-points exactly the moved slot's partitions to the coordinator DDL of the new ownership", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), (run) => {
        const { to, slot } = nextMove(fleet, run);
        const { plan } = plannedMove(fleet, run);
        const flip = plan.steps.find((s) => s.phase === 'flip-commit')!.sql.split('\n');
        const ddl = coordinatorSql(to, endpoint).split('\n');
        const created = flip.filter((l) => l.startsWith('CREATE FOREIGN TABLE'));
        expect(created).toHaveLength(fleet.tables.length);
        for (const t of fleet.tables) {
          expect(flip).toContain(`DROP FOREIGN TABLE IF EXISTS ${t.name}_p${slot};`);
          const create = created.find((l) =>
            l.startsWith(`CREATE FOREIGN TABLE IF NOT EXISTS ${t.name}_p${slot} `),
          );
          expect(ddl).toContain(create);
          expect(create).toContain(`SERVER ${serverName(to.shards[slotOwner(to.ownership, slot!)]!)} `);
        }
      }),
      { numRuns: 20 },
    );
  });

  test("the subscription reaches the source at the endpoint given, verifies it with the reader's CA file, and keeps the password a psql variable", () => {
    const { to } = nextMove(fleet, 0);
    const plan = renderMovePlan(fleet, to, fleetMoves(fleet, to).moves, {
      endpoint,
      sslrootcert: (s, reader) => `/ca/${reader.role === 'shard' ? reader.shard : reader.role}/${s.name}.crt`,
    });
    const sub = plan.steps.find((s) => s.phase === 'subscribe')!;
    expect(sub.on).toEqual({ role: 'shard', shard: fleet.shards[1]!.name });
    expect(sub.sql).toContain(
      `host=${fleet.shards[0]!.name}.test port=5432 dbname=${fleet.router.database} user=pgtopo_router sslmode=verify-full sslrootcert=/ca/${fleet.shards[1]!.name}/${fleet.shards[0]!.name}.crt `,
    );
    expect(sub.sql).toContain(":'router_password'");
  });

  test('clean-up and abort leave no replication slot on the source: the subscription drops it, a left one is dropped', () => {
    const { plan } = plannedMove(fleet, 0);
    const name = `pgtopo_move_g${plan.generation.to}_0_1`;
    for (const phase of ['cleanup', 'abort'] as const) {
      const target = plan.steps.find(
        (s) => s.phase === phase && s.on.role === 'shard' && s.on.shard === fleet.shards[1]!.name,
      )!;
      const source = plan.steps.find(
        (s) => s.phase === phase && s.on.role === 'shard' && s.on.shard === fleet.shards[0]!.name,
      )!;
      expect(target.sql).toContain(`DROP SUBSCRIPTION IF EXISTS ${name};`);
      expect(source.sql).toContain(`DROP PUBLICATION IF EXISTS ${name};`);
      expect(source.sql).toContain(
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('${name}') AND NOT active;`,
      );
      expect(plan.steps.indexOf(target)).toBeLessThan(plan.steps.indexOf(source));
    }
  });

  test('bindVariables replaces the named psql variables with SQL literals, and nothing else', () => {
    expect(bindVariables("SELECT :'lsn_0'::pg_lsn, :'other'", { lsn_0: "0/1'A" })).toBe(
      "SELECT '0/1''A'::pg_lsn, :'other'",
    );
  });

  test('digestRows adds the row counts of every table in a verify answer', () => {
    expect(digestRows('12:-3456 0:0 7:99')).toBe(19);
  });
});

describe('the coordinator half of a cutover', () => {
  test('a cutover in a transaction of its own is the same statements between BEGIN and COMMIT', () => {
    const next = movedOwnership(fleet.ownership, 3, 2);
    expect(cutoverSql(fleet, next, 2, 'move')).toBe(
      ['BEGIN;', ...cutoverStatements(fleet, next, 2, 'move'), 'COMMIT;', ''].join('\n'),
    );
  });

  test.each([
    [undefined, ['CURRENT_USER']],
    [
      ['CURRENT_USER', 'app_writer'],
      ['CURRENT_USER', 'app_writer'],
    ],
  ])('user mappings for %j: one per role and shard', (mappedRoles, roles) => {
    const lines = coordinatorSql(fleet, endpoint, mappedRoles ? { mappedRoles } : {})
      .split('\n')
      .filter((l) => l.startsWith('CREATE USER MAPPING'));
    expect(lines).toHaveLength(roles.length * fleet.shards.length);
    for (const r of roles)
      expect(lines.filter((l) => l.includes(` FOR ${r} SERVER `))).toHaveLength(fleet.shards.length);
  });
});

describe('the fleet rehearsal refuses, before anything boots', () => {
  const cases: [string, Fleet][] = [
    [
      'a coordinator apart from the catalog (a move flips both in one transaction)',
      { ...fleet, spec: { ...fleet.spec, coordinator: fleet.spec.catalog } },
    ],
    [
      'a directory fleet (the load writes each key once: a moved tenant gets no write to measure)',
      { ...fleet, ownership: { kind: 'directory', tenants: [] } },
    ],
    ['a first table without the write load columns (seq, sent_at)', fleet],
  ];
  test.each(cases)('%s', async (_, f) => {
    expect(fleet.spec.coordinator).toBeUndefined();
    await expect(FleetRehearsal.boot(f)).rejects.toThrow(RangeError);
  });
});

describe('runMovePlan: the plan in order, its abort on failure, its committed check (sessions faked, no daemons)', () => {
  const { to } = nextMove(fleet, 0);
  const plan = renderMovePlan(fleet, to, fleetMoves(fleet, to).moves, {
    endpoint,
    copyTimeoutSeconds: 0.3,
    catchUpTimeoutSeconds: 0.3,
  });
  const names = [...fleet.shards.map((s) => s.name), 'coordinator'];
  const clusters = names.map((name) => ({ name }) as unknown as Rehearsal);
  const nameOf = (r: Rehearsal) => (r as unknown as { name: string }).name;

  /** Answers by what a query asks; `commit` answers the flip's COMMIT, `committed` the lost-answer check. */
  function harness(o: { same?: boolean; commit?: Error; committed?: boolean | Error } = {}) {
    const log: string[] = [];
    let opened = 0;
    const answer = (sql: string): unknown => {
      if (sql.includes('AS committed')) {
        if (o.committed instanceof Error) throw o.committed;
        return o.committed;
      }
      if (sql.includes('COMMIT;') && o.commit) throw o.commit;
      if (sql.includes('pg_current_wal_lsn')) return '0/1A';
      if (sql.includes(' AS rows_')) return '5:123';
      if (sql.includes(' AS same')) return o.same ?? true;
      if (/AS (ok|synced|caught_up)\b/.test(sql)) return true;
      return undefined;
    };
    const ctx: MoveContext = {
      fleet,
      shards: clusters.slice(0, -1),
      coordinator: clusters.at(-1)!,
      psql: async (r, name) => {
        log.push(
          `psql ${nameOf(r)} ${name.replace(/^move-g\d+-(abort-)?\d+-?/, (m) => (m.includes('abort') ? 'abort ' : ''))}`,
        );
      },
      progress: () => undefined,
      sessions: {
        open: async (r) => {
          const id = `${nameOf(r)}#${++opened}`;
          return {
            id,
            query: async (sql: string) => {
              log.push(
                `query ${id} ${sql.trim().split(/\s/)[0]}${sql.includes('COMMIT;') ? ' ... COMMIT' : ''}`,
              );
              const a = answer(sql);
              return { rows: a === undefined ? [] : [{ a }] };
            },
          };
        },
        end: (c) => log.push(`end ${(c as unknown as { id: string }).id}`),
      },
    };
    return { ctx, log };
  }
  const psqlPhases = (log: string[]) =>
    log.filter((l) => l.startsWith('psql ')).map((l) => l.split(' ').slice(1).join(' '));

  test('every forward step runs once, in order: psql for scripts, one flip session from the lock to the COMMIT', async () => {
    const { ctx, log } = harness();
    const out = await runMovePlan(ctx, plan);
    const forward = forwardSteps(plan);
    expect(out.steps).toBe(forward.length);
    expect(out.rows).toBe(5);
    expect(out.cleanupError).toBeUndefined();
    expect(psqlPhases(log)).toEqual(
      forward.filter((s) => !s.expect && !s.session).map((s) => `${where(s)} ${s.phase}`),
    );
    const flip = log.filter((l) => /^query coordinator#\d+ (BEGIN|DROP)/.test(l));
    expect(flip).toHaveLength(2);
    expect(flip[0]!.split(' ')[1]).toBe(flip[1]!.split(' ')[1]);
    expect(flip[1]).toMatch(/\.\.\. COMMIT$/);
  });

  test('a target that never shows the same rows: the wait ends in time, the abort steps run, nothing is cleaned up', async () => {
    const { ctx, log } = harness({ same: false });
    await expect(runMovePlan(ctx, plan)).rejects.toBeInstanceOf(WaitTimeout);
    const ran = psqlPhases(log);
    expect(ran.filter((p) => p.endsWith('cleanup'))).toEqual([]);
    expect(ran.filter((p) => p.includes('abort'))).toHaveLength(
      plan.steps.filter((s) => s.phase === 'abort' && !s.session).length,
    );
    // The flip session (lock held) is ended without COMMIT: its transaction rolls back.
    expect(log.some((l) => l.endsWith('COMMIT'))).toBe(false);
    const flipId = log.find((l) => / BEGIN/.test(l))!.split(' ')[1];
    expect(log).toContain(`end ${flipId}`);
  });

  test.each([
    ['took effect: the clean-up runs, the lost answer is reported', true, 'cleanup'],
    ['did not: the abort steps run and the error is thrown', false, 'abort'],
    ['cannot be told: nothing is undone, the error says what to run', new Error('no route'), 'none'],
  ])('a lost COMMIT answer, and the committed step says it %s', async (_, committed, then) => {
    const { ctx, log } = harness({ commit: new Error('connection lost'), committed });
    const run = runMovePlan(ctx, plan);
    if (committed === true) expect((await run).cleanupError).toMatch(/flip-commit was lost/);
    else await expect(run).rejects.toThrow(/connection lost/);
    const ran = psqlPhases(log);
    expect(ran.some((p) => p.endsWith('cleanup'))).toBe(then === 'cleanup');
    expect(ran.some((p) => p.includes('abort'))).toBe(then === 'abort');
  });
});
