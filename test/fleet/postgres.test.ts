/**
 * The routing agrees with a real PostgreSQL 17 (the debian-13 release root, as `postgres`, on
 * 127.0.50.1-3): the TypeScript slot of every generated key is the hash partition PostgreSQL's
 * `satisfies_hash_partition` accepts, for int4, int8, text and uuid; the catalog's SQL routing function
 * agrees; a cutover and a rollback are one transaction each; and rows inserted through the postgres_fdw
 * coordinator land on the shard the TypeScript router names. Everything started here is stopped here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Fleet, Ownership } from '../../src/model/fleet.js';
import { type ShardKey, shardSlot } from '../../src/model/fleet-hash.js';
import { fleetRouter } from '../../src/model/fleet-route.js';
import { catalogSchemaSql, catalogSeedSql, cutoverSql, rollbackSql } from '../../src/render/shard-catalog.js';
import { coordinatorSql, ROUTER_PASSWORD_VARIABLE, shardSql } from '../../src/render/shard-coordinator.js';
import type { ShardKeyType } from '../../src/spec/fleet.js';
import {
  type Daemon,
  makeBaseDir,
  ROOT_BUILD_TIMEOUT_MS,
  removeDir,
  run,
  startPostgres,
  useReleaseRoot,
} from '../render/helpers.js';
import { fleetOf } from './helpers.js';

const _BIN = '/usr/lib/postgresql/17/bin';
const COORDINATOR = '127.0.50.1';
const SHARDS = ['127.0.50.2', '127.0.50.3'];
const PASSWORD = 'FAKE-router-password-0123456789abcdef';

let base = '';
const daemons: Daemon[] = [];
const clients: pg.Client[] = [];

async function startShardPostgres(ip: string): Promise<void> {
  const dir = join(base, ip);
  daemons.push(
    await startPostgres({
      dataDir: dir,
      address: ip,
      initdb: ['--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
      settings: { fsync: 'off' },
    }),
  );
  await sql(ip, 'postgres', 'CREATE DATABASE app');
}

async function connect(ip: string, database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: ip, port: 5432, user: 'postgres', database });
  await c.connect();
  return c;
}

const pool = new Map<string, pg.Client>();
async function client(ip: string, database = 'app'): Promise<pg.Client> {
  const key = `${ip}/${database}`;
  let c = pool.get(key);
  if (!c) {
    c = await connect(ip, database);
    pool.set(key, c);
    clients.push(c);
  }
  return c;
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
  ip: string,
  database: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return (await (await client(ip, database)).query<T>(text, values)).rows;
}

/** Applies a rendered file with psql (psql variables: the router password comes from outside the file). */
async function psql(ip: string, text: string, name: string, database = 'app'): Promise<void> {
  const file = join(base, name);
  writeFileSync(file, text, { mode: 0o644 });
  await run(
    'psql',
    [
      '-h',
      ip,
      '-U',
      'postgres',
      '-d',
      database,
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `${ROUTER_PASSWORD_VARIABLE}=${PASSWORD}`,
      '-f',
      file,
    ],
    { timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  await useReleaseRoot('debian-13');
  base = makeBaseDir('fleet');
  for (const ip of [COORDINATOR, ...SHARDS]) await startShardPostgres(ip);
}, ROOT_BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await Promise.all(daemons.map((d) => d.stop()));
  if (base) removeDir(base);
}, 60_000);

/** Keys of each type, as the TS helper takes them and as PostgreSQL reads them (text array elements). */
const KEYS: Record<ShardKeyType, fc.Arbitrary<ShardKey>> = {
  int4: fc.integer(),
  int8: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  text: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
  uuid: fc.uuid(),
};
const TYPES = Object.keys(KEYS) as ShardKeyType[];

describe('the TS slot is PostgreSQL hash partitioning (satisfies_hash_partition)', () => {
  beforeAll(async () => {
    for (const t of TYPES)
      await sql(COORDINATOR, 'postgres', `CREATE TABLE h_${t} (k ${t}) PARTITION BY HASH (k)`);
  });

  test.each(TYPES)(
    '%s: thousands of keys, any modulus',
    async (type) => {
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(KEYS[type], { minLength: 200, maxLength: 400 }),
          fc.oneof(
            fc.integer({ min: 0, max: 12 }).map((l) => 2 ** l),
            fc.integer({ min: 1, max: 5000 }),
          ),
          async (keys, modulus) => {
            const slots = keys.map((k) => shardSlot(type, k, modulus));
            const wrong = slots.map((s) => (s + 1) % modulus);
            const rows = await sql<{ ok: boolean; other: boolean; fn: number }>(
              COORDINATOR,
              'postgres',
              `SELECT satisfies_hash_partition('h_${type}'::regclass, $2, r, k) AS ok,
                    satisfies_hash_partition('h_${type}'::regclass, $2, w, k) AS other
               FROM unnest($1::${type}[], $3::int[], $4::int[]) AS u(k, r, w)`,
              [keys.map(String), modulus, slots, wrong],
            );
            expect(rows.every((r) => r.ok)).toBe(true);
            if (modulus > 1) expect(rows.some((r) => r.other)).toBe(false);
            checked += keys.length;
          },
        ),
        { numRuns: 12 },
      );
      expect(checked).toBeGreaterThanOrEqual(2400);
    },
    120_000,
  );

  test('a NULL key is in partition 0, as in PostgreSQL', async () => {
    const [row] = await sql<{ ok: boolean }>(
      COORDINATOR,
      'postgres',
      `SELECT satisfies_hash_partition('h_int4'::regclass, 8, 0, NULL::int4) AS ok`,
    );
    expect(row!.ok).toBe(true);
    expect(shardSlot('int4', null, 8)).toBe(0);
  });
});

describe('the catalog: routing function, ownership as data, one-transaction cutover and rollback', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = fleetOf();
    await psql(COORDINATOR, catalogSchemaSql(fleet), 'catalog.sql');
    await psql(COORDINATOR, catalogSeedSql(fleet), 'seed.sql');
  });

  test.each(TYPES)('slot_of(%s) agrees with the TS slot', async (type) => {
    const keys = fc.sample(KEYS[type], 1000);
    const rows = await sql<{ s: number }>(
      COORDINATOR,
      'app',
      `SELECT pgtopo_catalog.slot_of(k, 64) AS s FROM unnest($1::${type}[]) WITH ORDINALITY u(k, i) ORDER BY i`,
      [keys.map(String)],
    );
    expect(rows.map((r) => r.s)).toEqual(keys.map((k) => shardSlot(type, k, 64)));
  });

  test('shard_for agrees with the TS router; a cutover flips ownership at commit, a rollback flips it back', async () => {
    const router = fleetRouter(fleet);
    const keys = fc.sample(KEYS.int8, 500).map(String);
    const shardFor = async () =>
      (
        await sql<{ s: string }>(
          COORDINATOR,
          'app',
          'SELECT pgtopo_catalog.shard_for(k) AS s FROM unnest($1::int8[]) WITH ORDINALITY u(k, i) ORDER BY i',
          [keys],
        )
      ).map((r) => r.s);
    expect(await shardFor()).toEqual(keys.map((k) => router.route(k)));

    // Generation 2: slots 0-15 move from shard 0 to shard 1.
    const o = fleet.ownership as Ownership & { kind: 'hash' };
    const moved: Ownership = { ...o, owners: o.owners.map((c, s) => (s < 16 ? [1] : c)) };
    await psql(COORDINATOR, cutoverSql(fleet, moved, 2, 'move slots 0-15 to shop-s01'), 'cutover.sql');
    const after = { ...fleet, ownership: moved };
    expect(await shardFor()).toEqual(keys.map((k) => fleetRouter(after).route(k)));

    // An incomplete generation is refused at commit: the pointer stays at 2.
    const holey: Ownership = { ...o, owners: o.owners.map((c, s) => (s === 7 ? [] : c)) };
    await expect(psql(COORDINATOR, cutoverSql(fleet, holey, 3, 'a hole'), 'bad.sql')).rejects.toThrow(
      /generation 3 owns 63 of 64 slots/,
    );
    expect(await sql(COORDINATOR, 'app', 'SELECT generation FROM pgtopo_catalog.current_generation')).toEqual(
      [{ generation: '2' }],
    );

    await psql(COORDINATOR, rollbackSql(1), 'rollback.sql');
    expect(await shardFor()).toEqual(keys.map((k) => router.route(k)));
  });
});

describe('the postgres_fdw coordinator routes rows to the shards the TS router names', () => {
  let fleet: Fleet;
  const ddl: string[] = [];
  beforeAll(async () => {
    fleet = fleetOf((s) => {
      s.shards = 2;
      s.strategy = { kind: 'hash', slots: 16 };
    });
    const endpoint = (s: { index: number }) => ({ host: SHARDS[s.index]!, port: 5432 });
    for (const s of fleet.shards) {
      const text = shardSql(fleet, s);
      ddl.push(text);
      await psql(SHARDS[s.index]!, text, `shard-${s.index}.sql`);
    }
    const text = coordinatorSql(fleet, endpoint, { sslmode: 'disable' });
    ddl.push(text);
    await psql(COORDINATOR, text, 'coordinator.sql');
  }, 60_000);

  test('the rendered DDL names the secret, never holds the password', () => {
    for (const text of ddl) {
      expect(text).not.toContain(PASSWORD);
      expect(text).toContain(`:'${ROUTER_PASSWORD_VARIABLE}'`);
    }
  });

  test('rows inserted through the coordinator land on the right shard; reads through it see them all', async () => {
    const router = fleetRouter(fleet);
    const ids = Array.from({ length: 400 }, (_, i) => 1_000_000 + i * 7919);
    await sql(
      COORDINATOR,
      'app',
      `INSERT INTO customers (customer_id, email) SELECT k, 'c' || k || '@example.com' FROM unnest($1::int8[]) u(k)`,
      [ids],
    );
    await sql(
      COORDINATOR,
      'app',
      'INSERT INTO orders (customer_id, order_id, total) SELECT k, k + 1, 9.99 FROM unnest($1::int8[]) u(k)',
      [ids],
    );
    for (const [i, ip] of SHARDS.entries()) {
      const shard = fleet.shards[i]!.name;
      for (const table of ['customers', 'orders']) {
        const rows = await sql<{ k: string }>(ip, 'app', `SELECT customer_id AS k FROM ${table}`);
        const expected = ids.filter((k) => router.route(k) === shard).map(String);
        expect(rows.map((r) => r.k).sort()).toEqual(expected.sort());
        expect(expected.length).toBeGreaterThan(0);
      }
    }
    const [count] = await sql<{ n: string }>(COORDINATOR, 'app', 'SELECT count(*) AS n FROM orders');
    expect(Number(count!.n)).toBe(ids.length);
    // A colocated join on the key sees every pair.
    const [joined] = await sql<{ n: string }>(
      COORDINATOR,
      'app',
      'SELECT count(*) AS n FROM customers c JOIN orders o USING (customer_id)',
    );
    expect(Number(joined!.n)).toBe(ids.length);
  });

  test('a shard refuses a row of a slot it does not own', async () => {
    const router = fleetRouter(fleet);
    const key = Array.from({ length: 100 }, (_, i) => i).find(
      (k) => router.route(k) === fleet.shards[1]!.name,
    )!;
    await expect(
      sql(SHARDS[0]!, 'app', 'INSERT INTO customers (customer_id, email) VALUES ($1, $2)', [
        key,
        'x@example.com',
      ]),
    ).rejects.toThrow(/no partition of relation "customers" found for row/);
  });
});

describe.each([
  ['range', { kind: 'range', bounds: [1_000_000] }],
  [
    'directory (list)',
    {
      kind: 'directory',
      tenants: [
        { tenant: '7', shard: 1 },
        { tenant: '8', shard: 0 },
      ],
      defaultShard: 0,
    },
  ],
])('a %s coordinator routes rows to the shards the TS router names', (kind, strategy) => {
  const database = `app_${kind.split(' ')[0]}`;
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = fleetOf((s) => {
      s.shards = 2;
      s.strategy = strategy;
      s.router.database = database;
    });
    for (const ip of [COORDINATOR, ...SHARDS]) await sql(ip, 'postgres', `CREATE DATABASE ${database}`);
    for (const s of fleet.shards)
      await psql(SHARDS[s.index]!, shardSql(fleet, s), `${database}-${s.index}.sql`, database);
    const endpoint = (s: { index: number }) => ({ host: SHARDS[s.index]!, port: 5432 });
    await psql(
      COORDINATOR,
      coordinatorSql(fleet, endpoint, { sslmode: 'disable' }),
      `${database}-c.sql`,
      database,
    );
  }, 60_000);

  test('every row lands on its owner and reads back once', async () => {
    const router = fleetRouter(fleet);
    const ids = [-5, 0, 7, 8, 9, 999_999, 1_000_000, 1_000_001, 5_000_000_000];
    await sql(
      COORDINATOR,
      database,
      'INSERT INTO customers (customer_id, email) SELECT k, k::text FROM unnest($1::int8[]) u(k)',
      [ids],
    );
    for (const [i, ip] of SHARDS.entries()) {
      const rows = await sql<{ k: string }>(ip, database, 'SELECT customer_id AS k FROM customers');
      const expected = ids.filter((k) => router.route(k) === fleet.shards[i]!.name).map(String);
      expect(rows.map((r) => r.k).sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(0);
    }
    const [count] = await sql<{ n: string }>(COORDINATOR, database, 'SELECT count(*) AS n FROM customers');
    expect(Number(count!.n)).toBe(ids.length);
  });
});
