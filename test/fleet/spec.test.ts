import { describe, expect, test } from 'vitest';
import { resolveFleet, shardName } from '../../src/model/fleet.js';
import { runPolicy } from '../../src/policy/engine.js';
import { fleetOf, fleetProblems, fleetVariant } from './helpers.js';

describe('fleet spec: issues with paths, found/expected and did-you-mean', () => {
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['the example', () => {}, []],
    ['a fleet name too long for its shard names', (s) => (s.name = 'a'.repeat(33)), ['invalid_format name']],
    ['no shards', (s) => (s.shards = 0), ['too_small shards']],
    ['an unknown strategy kind', (s) => (s.strategy = { kind: 'modulo' }), ['invalid_union strategy.kind']],
    [
      'an assignment to a shard that does not exist',
      (s) => (s.strategy.assignments = [{ shard: 4, slots: '0-63' }]),
      ['invalid_value strategy.assignments[0].shard'],
    ],
    [
      'an assignment past the last slot',
      (s) => (s.strategy.assignments = [{ shard: 0, slots: '0-64' }]),
      ['invalid_value strategy.assignments[0].slots'],
    ],
    [
      'a descending slot range',
      (s) => (s.strategy.assignments = [{ shard: 0, slots: '9-3' }]),
      ['invalid_value strategy.assignments[0].slots'],
    ],
    ['a misspelled shard key', (s) => (s.tables[0].key = 'customerid'), ['unknown_member tables[0].key']],
    [
      'a key column whose type is not the keyType',
      (s) => (s.tables[0].columns[0].type = 'text'),
      ['inconsistent tables[0].columns[0].type'],
    ],
    ['a bigint key column (an alias of int8)', (s) => (s.tables[0].columns[0].type = 'bigint'), []],
    [
      'a primary key column that is not a column',
      (s) => (s.tables[1].primaryKey = ['customer_id', 'orderid']),
      ['unknown_member tables[1].primaryKey[1]'],
    ],
    ['a table twice', (s) => s.tables.push(structuredClone(s.tables[0])), ['duplicate_name tables[2].name']],
    [
      'an unknown colocated table',
      (s) => (s.colocation[0].tables = ['customers', 'order']),
      ['unknown_member colocation[0].tables[1]'],
    ],
    [
      'a table in two colocation groups',
      (s) => s.colocation.push({ name: 'again', tables: ['orders', 'customers'] }),
      ['duplicate_name colocation[1].tables[0]', 'duplicate_name colocation[1].tables[1]'],
    ],
    ['a name in the template', (s) => (s.template.name = 'x'), ['unknown_key template.name']],
    [
      'a range fleet with too few bounds',
      (s) => (s.strategy = { kind: 'range', bounds: [100, 200] }),
      ['inconsistent strategy.bounds'],
    ],
    [
      'a string bound for integer keys',
      (s) => (s.strategy = { kind: 'range', bounds: [100, 'x', 300] }),
      ['invalid_type strategy.bounds[1]'],
    ],
    [
      'a directory tenant on a missing shard',
      (s) => (s.strategy = { kind: 'directory', tenants: [{ tenant: '42', shard: 9 }] }),
      ['invalid_value strategy.tenants[0].shard'],
    ],
    [
      'a bad template field, reported once under template',
      (s) => (s.template.durability.rpo = 'zero'),
      ['invalid_value template.durability.rpo'],
    ],
    ['a bad catalog field', (s) => (s.catalog.regions[0].azs = []), ['too_small catalog.regions[0].azs']],
    ['a catalog named like a shard', (s) => (s.catalog.name = 'shop-s01'), ['duplicate_name catalog.name']],
  ])('%s', (_, edit, expected) => {
    expect(fleetProblems(edit)).toEqual(expected);
  });

  test('unknown keys get a did-you-mean from the fleet schema', () => {
    const r = resolveFleet(fleetVariant((s) => (s.colocaton = s.colocation)));
    expect(r.ok).toBe(false);
    const issue = !r.ok ? r.issues.find((i) => i.code === 'unknown_key') : undefined;
    expect(issue?.path).toEqual(['colocaton']);
    expect(issue?.hint).toContain('"colocation"');
  });

  test('template issues carry the template path and the did-you-mean of the cluster schema', () => {
    const r = resolveFleet(fleetVariant((s) => (s.template.endpoints.pooler = 'pgbouncr')));
    expect(!r.ok && r.issues.map((i) => [i.path.join('.'), i.hint])).toEqual([
      ['template.endpoints.pooler', 'did you mean "pgbouncer"?'],
    ]);
  });
});

describe('fleet model', () => {
  test('every shard is a full topology resolved from the template, named <fleet>-sNN', () => {
    const f = fleetOf();
    expect(f.shards.map((s) => s.name)).toEqual(['shop-s00', 'shop-s01', 'shop-s02', 'shop-s03']);
    for (const s of f.shards) {
      expect(s.topology.name).toBe(s.name);
      expect(s.topology.members).toHaveLength(3);
      // Every cluster rule applies per shard: the same engine, clean on the example.
      expect(runPolicy(s.topology).errors).toBe(0);
    }
    expect(f.coordinator).toBe(f.catalog);
  });

  test.each([
    [1, 1],
    [2, 3],
    [10, 11],
    [100, 101],
  ])('shard %i of %i: names sort in shard order', (i, n) => {
    const names = Array.from({ length: n }, (_, k) => shardName('f', k, n));
    expect([...names].sort()).toEqual(names);
    expect(names[i - 1]).toMatch(/^f-s\d{2,}$/);
  });

  test('hash: equal contiguous blocks by default; explicit assignments as written', () => {
    const f = fleetOf();
    expect(f.ownership.kind === 'hash' && f.ownership.owners.map((o) => o[0])).toEqual(
      Array.from({ length: 64 }, (_, s) => Math.floor(s / 16)),
    );
    const g = fleetOf((s) => {
      s.strategy.assignments = [
        { shard: 1, slots: '0-31' },
        { shard: 0, slots: '32-63' },
        { shard: 2, slots: 5 },
      ];
    });
    expect(g.ownership.kind === 'hash' && g.ownership.owners[5]).toEqual([1, 2]);
    expect(g.ownership.kind === 'hash' && g.ownership.owners[40]).toEqual([0]);
  });

  test('range: shard i owns [bounds[i-1], bounds[i])', () => {
    const f = fleetOf((s) => (s.strategy = { kind: 'range', bounds: [100, 200, 300] }));
    expect(f.ownership).toEqual({
      kind: 'range',
      ranges: [
        { shard: 0, to: 100 },
        { shard: 1, from: 100, to: 200 },
        { shard: 2, from: 200, to: 300 },
        { shard: 3, from: 300 },
      ],
    });
  });
});
