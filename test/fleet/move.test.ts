/**
 * The runtime half of a slot move, without daemons: the ownership after a move, the logical plans the move
 * hands the logical layer's renderer, the coordinator's re-pointing statements against the coordinator DDL
 * of the new ownership, and the fleet rehearsal's refusals before anything boots. The move on real
 * clusters is test/rehearsal/fleet.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/model/fleet.js';
import { FleetRehearsal } from '../../src/rehearsal/fleet.js';
import { slotToMove } from '../../src/rehearsal/fleet-drills.js';
import {
  MOVER_ROLE,
  movedOwnership,
  moveName,
  movePlans,
  slotOwner,
} from '../../src/rehearsal/fleet-move.js';
import { renderLogicalSql } from '../../src/render/logical-sql.js';
import { cutoverSql, cutoverStatements } from '../../src/render/shard-catalog.js';
import {
  coordinatorSql,
  serverName,
  slotPartitions,
  slotRepointSql,
} from '../../src/render/shard-coordinator.js';
import { fleetOf } from './helpers.js';

const fleet = fleetOf();
const hash = (f: Fleet) => {
  if (f.ownership.kind !== 'hash') throw new Error('not hash');
  return f.ownership;
};
const endpoint = (s: Fleet['shards'][number]) => ({ host: `${s.name}.test`, port: 5432 });

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

describe('the move as logical plans, rendered by the logical layer', () => {
  const plans = movePlans(fleet, 7, {
    sourceScope: 'shop-s00-us-east-1',
    targetScope: 'shop-s01-us-east-1',
    source: { host: '127.0.43.12', port: 5433 },
    postgresMajor: 17,
  });
  const sql = (side: 'publisher' | 'subscriber') =>
    renderLogicalSql(side === 'publisher' ? plans.publisher : plans.subscriber, { sslmode: 'disable' })
      .filter((g) => g.side === side)
      .flatMap((g) => g.statements.map((s) => s.sql));

  test('the source publishes the slot partition of every sharded table, from a failover slot', () => {
    const pub = sql('publisher');
    expect(slotPartitions(fleet, 7)).toEqual(['customers_p7', 'orders_p7']);
    expect(pub).toContain(
      `CREATE PUBLICATION "${moveName(7)}" FOR TABLE "public"."customers_p7", "public"."orders_p7"`,
    );
    expect(
      pub.some((s) =>
        s.includes(`pg_create_logical_replication_slot('${moveName(7)}', 'pgoutput', false, false, true)`),
      ),
    ).toBe(true);
    expect(
      pub.some((s) => s.startsWith(`ALTER ROLE "${MOVER_ROLE}" WITH LOGIN REPLICATION PASSWORD :'`)),
    ).toBe(true);
  });

  test('the target subscribes to the source endpoint and copies the rows; the password stays a psql variable', () => {
    const groups = renderLogicalSql(plans.subscriber, { sslmode: 'disable' });
    expect(groups.map((g) => [g.side, g.database])).toEqual([['subscriber', fleet.router.database]]);
    const [st] = groups[0]!.statements;
    expect(st!.sql).toMatch(
      /^CREATE SUBSCRIPTION "pgtopo_move_p7" CONNECTION :'[a-z_0-9]+' PUBLICATION "pgtopo_move_p7" WITH \(create_slot = false, slot_name = 'pgtopo_move_p7', copy_data = true/,
    );
    // The connection string is built in SQL from a literal (quotes doubled) and the psql variable.
    expect(st!.prepare).toContain("host=''127.0.43.12'' port=''5433'' dbname=''app'' user=''pgtopo_mover''");
    expect(st!.prepare).toContain(":'pgtopo_logical_role_pgtopo_mover_password'");
    expect(st!.env).toEqual([
      {
        variable: 'pgtopo_logical_role_pgtopo_mover_password',
        env: 'PGTOPO_LOGICAL_ROLE_PGTOPO_MOVER_PASSWORD',
      },
    ]);
  });
});

describe('the coordinator half of a cutover', () => {
  test('re-pointing a slot recreates exactly the partitions the coordinator DDL of the new ownership has', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 3 }), (slot, to) => {
        const next = { ...fleet, ownership: movedOwnership(fleet.ownership, slot, to) };
        const stmts = slotRepointSql(next, slot);
        const ddl = coordinatorSql(next, endpoint).split('\n');
        expect(stmts).toHaveLength(3 * fleet.tables.length);
        for (const [i, t] of fleet.tables.entries()) {
          const [detach, drop, create] = stmts.slice(3 * i, 3 * i + 3);
          expect(detach).toBe(`ALTER TABLE ${t.name} DETACH PARTITION ${t.name}_p${slot};`);
          expect(drop).toBe(`DROP FOREIGN TABLE ${t.name}_p${slot};`);
          expect(ddl).toContain(create);
          expect(create).toContain(`SERVER ${serverName(next.shards[to]!)} `);
        }
      }),
      { numRuns: 30 },
    );
  });

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
      'a range-sharded fleet (the drills move hash slots)',
      { ...fleet, ownership: { kind: 'range', ranges: [] } },
    ],
    ['a first table without the write load columns (seq, sent_at)', fleet],
  ];
  test.each(cases)('%s', async (_, f) => {
    expect(fleet.spec.coordinator).toBeUndefined();
    await expect(FleetRehearsal.boot(f)).rejects.toThrow(RangeError);
  });
});
