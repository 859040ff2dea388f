/**
 * The CDC consumer the `cdc-failover` drill relies on, against a real PostgreSQL of the default release:
 * it resumes from its offset across a server crash with no gap, and it does report a gap when the slot it
 * resumes from is not the one it was reading (a slot recreated after the changes it missed).
 * Address: 127.0.31.1 (one instance, stopped after).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CdcConsumer } from '../../src/rehearsal/cdc.js';
import { type ConnInfo, client } from '../../src/rehearsal/load.js';
import { DEFAULT_RELEASE } from '../../src/spec/releases.js';
import {
  type Daemon,
  makeBaseDir,
  ROOT_BUILD_TIMEOUT_MS,
  RUN_AS,
  removeDir,
  startPostgres,
  useReleaseRoot,
  waitFor,
} from '../render/helpers.js';

const HOST = '127.0.31.1';
const PORT = 5432;
const conn: ConnInfo = {
  host: HOST,
  port: PORT,
  user: RUN_AS,
  password: '',
  database: 'postgres',
  ssl: false,
};

async function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = client(conn, { connectMs: 2000, queryMs: 10_000, app: 'pgtopo-test' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.query(text, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

describe('CdcConsumer on a real PostgreSQL', () => {
  let base: string;
  let data: string;
  let pg: Daemon | undefined;

  const start = async (init: boolean) => {
    pg = await startPostgres({
      dataDir: data,
      address: HOST,
      socketDir: base,
      settings: { wal_level: 'logical' },
      ...(init ? {} : { initdb: false }),
    });
  };

  const insert = (from: number, to: number) =>
    sql('INSERT INTO public.feed (seq, sent_at) SELECT g, now() FROM generate_series($1::int, $2::int) g', [
      from,
      to,
    ]);

  beforeAll(async () => {
    await useReleaseRoot(DEFAULT_RELEASE);
    base = makeBaseDir('cdc');
    data = join(base, 'data');
    await start(true);
    await sql('CREATE TABLE public.feed (seq bigint PRIMARY KEY, sent_at timestamptz NOT NULL)');
    await sql('CREATE PUBLICATION feed_pub FOR TABLE public.feed');
    await sql("SELECT pg_create_logical_replication_slot('feed_slot', 'pgoutput')");
  }, ROOT_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await pg?.stop();
    if (base) removeDir(base);
  });

  test('resumes from its offset across a crash of the server: every row, none missing', async () => {
    const consumer = new CdcConsumer(
      { conn, slot: 'feed_slot', publication: 'feed_pub', relation: { schema: 'public', table: 'feed' } },
      { backoffMs: { min: 100, max: 500 } },
    );
    consumer.start();
    try {
      await waitFor('the consumer to stream', async () => consumer.streaming, 20_000);
      await insert(1, 200);
      await waitFor('200 rows', async () => consumer.received.size >= 200, 20_000);
      await pg!.stop('SIGKILL');
      await start(false);
      await insert(201, 400);
      const acked = Array.from({ length: 400 }, (_, i) => i + 1);
      await waitFor('400 rows', async () => consumer.allArrivedAt(acked), 30_000);
      const c = consumer.counts(acked);
      expect(c.gaps).toBe(0);
      expect(c.received).toBe(400);
      expect(c.reconnects).toBeGreaterThan(0);
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  test('a slot recreated after changes the consumer missed shows up as gaps', async () => {
    await sql("SELECT pg_drop_replication_slot('feed_slot')");
    await insert(401, 450); // decoded by nobody: the slot is gone
    await sql("SELECT pg_create_logical_replication_slot('feed_slot', 'pgoutput')");
    await insert(451, 500);
    const consumer = new CdcConsumer({
      conn,
      slot: 'feed_slot',
      publication: 'feed_pub',
      relation: { schema: 'public', table: 'feed' },
    });
    consumer.start();
    try {
      const after = Array.from({ length: 50 }, (_, i) => 451 + i);
      await waitFor('the rows after the new slot', async () => consumer.allArrivedAt(after), 30_000);
      const c = consumer.counts(Array.from({ length: 100 }, (_, i) => 401 + i));
      expect(c.gaps).toBe(50);
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
