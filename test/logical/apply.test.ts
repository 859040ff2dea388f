/**
 * The rendered logical SQL applied to a real PostgreSQL of each node release, twice (idempotent), then the
 * catalog checked: publication tables, slots and their failover flag, roles, grants, and a subscription that
 * really streams. One instance per release (publisher and subscriber databases side by side), as `postgres`,
 * on 127.0.60.x, stopped after. Passwords are set only through the environment the scripts read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import type { LogicalPlan } from '../../src/model/logical.js';
import {
  type LogicalSqlGroup,
  psqlScript,
  psqlScriptName,
  quoteIdent,
  renderLogicalSql,
} from '../../src/render/logical-sql.js';
import { RELEASES, type ReleaseName } from '../../src/spec/releases.js';
import {
  type Daemon,
  makeBaseDir,
  ROOT_BUILD_TIMEOUT_MS,
  RUN_AS,
  removeDir,
  run,
  startPostgres,
  useReleaseRoot,
  waitFor,
} from '../render/helpers.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

const PORT = 5432;
const PASSWORDS: Record<string, string> = {
  PGTOPO_LOGICAL_ROLE_ORDERS_APP_PASSWORD: 'app-Secret-0123456789',
  PGTOPO_LOGICAL_ROLE_DEBEZIUM_PASSWORD: 'cdc-Secret-0123456789',
  PGTOPO_LOGICAL_ROLE_ORDERS_READER_PASSWORD: "reader-'Secret\\-0123456789",
  PGTOPO_LOGICAL_ROLE_REPORTS_APP_PASSWORD: 'rep-Secret-0123456789',
  PGTOPO_LOGICAL_SUBSCRIPTION_ORDERS_READ_MODEL_PASSWORD: "reader-'Secret\\-0123456789",
};

/** The application's own migrations: the tables a publication names exist before it (and on the subscriber). */
const APP_SCHEMA = 'CREATE TABLE IF NOT EXISTS public.orders (id bigint PRIMARY KEY, note text NOT NULL)';

describe.each<[ReleaseName, string]>([
  ['debian-13', '127.0.60.10'],
  ['debian-12', '127.0.60.20'],
])('logical SQL on %s', (release, address) => {
  const major = RELEASES[release].postgresMajor;
  const bin = `/usr/lib/postgresql/${major}/bin`;
  let base = '';
  let daemon: Daemon | undefined;
  let publisher: LogicalPlan;
  let subscriber: LogicalPlan;
  let scripts: { group: LogicalSqlGroup; file: string }[] = [];

  const psql = async (database: string, sql: string) =>
    (
      await run(`${bin}/psql`, ['-X', '-At', '-h', base, '-p', String(PORT), '-d', database, '-c', sql], {
        as: RUN_AS,
      })
    ).stdout.trim();
  const apply = async (list: readonly { group: LogicalSqlGroup; file: string }[]) => {
    for (const { group, file } of list) {
      await run(
        `${bin}/psql`,
        ['-X', '-q', '-h', base, '-p', String(PORT), '-d', group.database, '-f', file],
        { as: RUN_AS, env: { ...process.env, ...PASSWORDS } },
      );
    }
  };

  beforeAll(async () => {
    await useReleaseRoot(release);
    base = makeBaseDir(`log${major}`);
    daemon = await startPostgres({
      dataDir: join(base, 'data'),
      address,
      port: PORT,
      socketDir: base,
      initdb: ['--auth-local=trust', '--auth-host=scram-sha-256'],
      // A loopback client's source address is 127.0.0.1, whatever address it connects to.
      hba: [
        'local all all trust',
        `host all all ${address}/32 scram-sha-256`,
        'host all all 127.0.0.1/32 scram-sha-256',
      ],
      settings: { wal_level: 'logical', max_worker_processes: '16' },
    });

    publisher = topologyFrom(logicalSpec(release) as never).logical[0]!;
    subscriber = topologyFrom(subscriberSpec(release) as never).logical[0]!;
    // The subscriber reaches the publisher at this instance's address, without TLS (the test has no CA).
    const subscriberGroups = renderLogicalSql(subscriber, {
      publisherEndpoint: () => ({ host: address, port: PORT }),
      sslmode: 'disable',
    });
    const groups = [
      ...renderLogicalSql(publisher).map((g) => ({ g, title: 'orders' })),
      ...subscriberGroups.map((g) => ({ g, title: 'reports' })),
    ];
    scripts = groups.map(({ g, title }, i) => {
      const file = join(base, `${title}-${psqlScriptName(g, i)}`);
      writeFileSync(file, psqlScript(g, title));
      return { group: g, file };
    });
  }, ROOT_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await daemon?.stop('SIGINT');
    if (base) removeDir(base);
  });

  test('applies twice; the catalog holds what the plan says', async () => {
    // Publisher first (the application creates its tables between the databases and the publications).
    const of = (title: string) => scripts.filter((s) => s.file.includes(`/${title}-`));
    const publisherScripts = of('orders');
    const [globals, ...rest] = publisherScripts;
    await apply([globals!]);
    await psql('orders', APP_SCHEMA);
    if (publisher.slotOwner === 'patroni-permanent') {
      // Patroni creates its permanent slots on the primary: do what it does (no failover argument on 15).
      for (const s of publisher.slots)
        await psql(s.database, `SELECT pg_create_logical_replication_slot('${s.name}', '${s.plugin}')`);
    }
    await apply(rest);
    // The subscriber's cluster: its databases, then its application schema, then the subscription.
    const subscriberScripts = of('reports');
    await apply(subscriberScripts.filter((s) => s.group.side === 'publisher'));
    await psql('orders_copy', APP_SCHEMA);
    // A subscriber needs every published table, the CDC heartbeat table included (its rows replicate too).
    await psql(
      'orders_copy',
      'CREATE TABLE IF NOT EXISTS public.debezium_heartbeat (id integer PRIMARY KEY, ts timestamptz NOT NULL)',
    );
    await apply(subscriberScripts.filter((s) => s.group.side === 'subscriber'));

    const snapshot = async () => ({
      tables: await psql(
        'orders',
        "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'orders_pub' ORDER BY 1",
      ),
      slots: await psql(
        'postgres',
        `SELECT slot_name || ' ' || plugin || ' ' || database${major >= 17 ? " || ' ' || failover" : ''} FROM pg_replication_slots ORDER BY 1`,
      ),
      roles: await psql(
        'postgres',
        "SELECT rolname || ' ' || rolcanlogin || ' ' || rolreplication FROM pg_roles WHERE rolname IN ('orders_app', 'debezium', 'orders_reader', 'reports_app') ORDER BY 1",
      ),
      grants: await psql(
        'orders',
        "SELECT has_table_privilege('debezium', 'public.orders', 'SELECT') || ' ' || has_table_privilege('debezium', 'public.debezium_heartbeat', 'INSERT') || ' ' || has_table_privilege('debezium', 'public.orders', 'INSERT') || ' ' || has_schema_privilege('orders_reader', 'public', 'USAGE')",
      ),
      owner: await psql(
        'postgres',
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'",
      ),
      extension: await psql('orders', "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'"),
      subscription: await psql(
        'orders_copy',
        `SELECT subname || ' ' || subslotname${major >= 17 ? " || ' ' || subfailover" : ''} FROM pg_subscription`,
      ),
    });
    // The subscription streams through the publisher's slot, authenticated with the password from the environment.
    await psql('orders', "INSERT INTO public.orders VALUES (1, 'first')");
    await waitFor(
      'the row to reach the subscriber',
      async () => (await psql('orders_copy', 'SELECT note FROM public.orders WHERE id = 1')) === 'first',
      30_000,
    );
    // Table synchronisation is over (every table ready) and its transient slots (pg_<oid>_sync_...) are gone.
    const syncing = async () =>
      `${await psql('orders_copy', "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")} ${await psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name ~ '^pg_[0-9]+_sync_'")}`;
    await waitFor('table synchronisation to finish', async () => (await syncing()) === '0 0', 60_000).catch(
      async (e) => {
        throw new Error(
          `${e}: ${await syncing()}\n${await psql('postgres', 'SELECT slot_name, active FROM pg_replication_slots')}`,
        );
      },
    );
    const first = await snapshot();
    expect(first.tables).toBe('public.debezium_heartbeat\npublic.orders');
    expect(first.slots).toBe(
      major >= 17
        ? 'debezium_orders pgoutput orders true\norders_read_model pgoutput orders true'
        : 'debezium_orders pgoutput orders\norders_read_model pgoutput orders',
    );
    expect(first.roles).toBe(
      'debezium true true\norders_app true false\norders_reader true true\nreports_app true false',
    );
    expect(first.grants).toBe('true true false true');
    expect(first.owner).toBe('orders_app');
    expect(first.extension).toBe('pgcrypto');
    expect(first.subscription).toBe(
      major >= 17 ? 'orders_read_model orders_read_model true' : 'orders_read_model orders_read_model',
    );

    // Again, everything: nothing fails, nothing changes.
    await apply(scripts);
    expect(await snapshot()).toEqual(first);
  }, 180_000);

  test('identifiers the renderer quotes read back as themselves in this PostgreSQL', async () => {
    const names = ['select', 'Mixed Case', 'quote"inside', "it's", 'ünïcödé', 'a;DROP TABLE x'];
    const sql = `SELECT ${names.map((n, i) => `${i} AS ${quoteIdent(n)}`).join(', ')}`;
    const out = await run(
      `${bin}/psql`,
      ['-X', '-h', base, '-p', String(PORT), '-d', 'postgres', '--csv', '-c', sql],
      { as: RUN_AS },
    );
    const header = out.stdout.split('\n')[0]!;
    // psql --csv quotes a header field holding a quote, comma or newline and doubles its quotes.
    expect(header).toBe(names.map((n) => (/[",\n]/.test(n) ? `"${n.replaceAll('"', '""')}"` : n)).join(','));
  });
});
