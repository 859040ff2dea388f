/**
 * Drills of the logical layer that need a second PostgreSQL beside the rehearsed cluster:
 *
 * - `subscription-failover`: a subscriber (a scratch instance of the same release) streams a publication
 *   of the rehearsed cluster through its writer endpoint, from a slot the publisher owns, while the
 *   publisher's primary is killed under write load. Every acknowledged write must reach the subscriber.
 * - `upgrade`: a blue/green major upgrade. The old major (a scratch instance of the previous node release,
 *   Debian 12 / PostgreSQL 15) takes the writes; the rehearsed cluster (the new major) subscribes to it,
 *   catches up, and takes over: writes on the old side are stopped, the new side drains, its subscription
 *   is detached, and the client moves. Rows lost must be 0; the write pause is measured.
 *
 * Both sides' SQL is the plan's own, rendered by `renderLogicalSql` and applied with psql.
 */
import { chownSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogicalPlan, SubscriptionPlan } from '../model/logical.js';
import { qualifiedIdent, quoteIdent, quoteLiteral, renderLogicalSql } from '../render/logical-sql.js';
import { type NodeRelease, RELEASES, type ReleaseName } from '../spec/releases.js';
import type { LocalCluster } from './cluster.js';
import { type DrillContext, predictedFor, restartMembers, result, runFault, unmeasured } from './drills.js';
import type { Layout } from './layout.js';
import { type ConnInfo, WriteLoad } from './load.js';
import {
  applyGroups,
  applyLogicalPlan,
  pgEnv,
  primaryPlan,
  standInTables,
  waitSlotReady,
} from './logical.js';
import { type DrillResult, round } from './measure.js';
import { ensureReleaseRoot } from './release-root.js';
import { initScratch, type ScratchInstance, startScratch, stopScratch, waitScratch } from './scratch.js';
import { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

/** Ports of the scratch instances on the spare address (the PITR target has the PostgreSQL port). */
export const SUBSCRIBER_PORT = 5433;
export const UPGRADE_SOURCE_PORT = 5434;
/** How long the receiving side may take to hold every acknowledged write. */
const CATCH_UP_MS = 120_000;

/** Seq values of a stand-in table in a range, on one server. */
async function seqsOn(
  cluster: LocalCluster,
  conn: ConnInfo,
  table: string,
  from: number,
): Promise<Set<number>> {
  const rows = await cluster.sql<{ seq: string }>(
    conn,
    `SELECT seq FROM ${table} WHERE seq >= $1`,
    [from],
    30_000,
  );
  return new Set(rows.map((r) => Number(r.seq)));
}

/** Copies the definitions of tables from one server to another (pg_dump --schema-only, then psql). */
async function copySchema(
  sup: Supervisor,
  o: {
    binDir: string;
    dir: string;
    from: ConnInfo;
    to: ConnInfo;
    caFile?: string;
    tables: readonly string[];
  },
): Promise<void> {
  const file = join(o.dir, 'schema.sql');
  const steps = [
    {
      command: join(o.binDir, 'pg_dump'),
      args: [
        '--schema-only',
        '--no-owner',
        '--no-privileges',
        '--no-publications',
        '-f',
        file,
        ...o.tables.flatMap((t) => ['-t', t]),
      ],
      env: pgEnv(o.from, o.caFile),
    },
    {
      command: join(o.binDir, 'psql'),
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file],
      env: pgEnv(o.to, o.caFile),
    },
  ];
  for (const [i, st] of steps.entries()) {
    const r = await sup.run({ name: `schema-copy-${i}`, node: 'logical-apply', ...st }, 120_000);
    if (r.code !== 0)
      throw new Error(`${st.command} ${st.args.join(' ')} failed (exit ${r.code}):\n${r.output}`);
  }
}

/** An empty plan of a cluster, to render one side's SQL from. */
function planWith(base: LogicalPlan, part: Partial<LogicalPlan>): LogicalPlan {
  return {
    ...base,
    databases: [],
    roles: [],
    grants: [],
    publications: [],
    subscriptions: [],
    feeds: [],
    slots: [],
    ...part,
  };
}

/** A replication role of the plan that may read the publication's database (the initial copy selects). */
function subscriberRole(plan: LogicalPlan, database: string) {
  return plan.roles.find(
    (r) =>
      r.replication &&
      r.login &&
      plan.grants.some(
        (g) => g.role === r.name && g.database === database && g.tablePrivileges.includes('SELECT'),
      ),
  );
}

function scratchOf(
  layout: Layout,
  sup: Supervisor,
  name: string,
  port: number,
  binDir: string,
): ScratchInstance {
  return {
    name,
    sup,
    binDir,
    dir: join(layout.runDir, name),
    address: layout.spareAddress,
    port,
    tls: layout.scratchTls,
  };
}

// ---- subscription-failover ---------------------------------------------------------------------------

export function subscriptionFailover(ctx: DrillContext): Promise<DrillResult> {
  const { cluster, layout } = ctx;
  const plan = primaryPlan(layout, cluster.primaryScope);
  const slot = plan?.slots.find((s) => s.usedBy.kind === 'subscriber');
  const pub = plan?.publications.find((p) => p.database === slot?.database && slot !== undefined);
  const table = plan && pub ? standInTables(plan).find((t) => t.database === pub.database) : undefined;
  const role = plan && pub ? subscriberRole(plan, pub.database) : undefined;
  if (!plan || !slot || !pub || !table || !role) {
    return Promise.resolve(
      unmeasured('subscription-failover', Date.now(), {
        fault:
          'skipped: the primary cluster publishes no table with a subscriber slot (`publications[].subscriberSlots`) and a replication role that may read it',
        skipped: true,
      }),
    );
  }
  const binDir = layout.binPath[0]!;
  const sub = scratchOf(layout, ctx.sup, 'subscriber', SUBSCRIBER_PORT, binDir);
  const subConn: ConnInfo = {
    ...cluster.writerDirectConn(cluster.primaryScope),
    host: sub.address,
    port: sub.port,
  };
  const endpoint = cluster.endpoint(cluster.primaryScope);
  const subscription: SubscriptionPlan = {
    name: slot.name,
    database: pub.database,
    publication: pub.name,
    publisher: {
      kind: 'cluster',
      cluster: layout.topology.name,
      host: endpoint.address,
      port: endpoint.directPort,
      database: pub.database,
      user: role.name,
      password: role.password,
      slotFailover: slot.failover,
    },
    slot: slot.name,
    copyData: true,
    failover: slot.failover,
    path: slot.path,
  };
  return runFault(ctx, 'subscription-failover', (leader) => ({
    fault: `SIGKILL Patroni and PostgreSQL on the primary ${leader.name} while subscription ${slot.name} (a scratch PostgreSQL ${plan.postgresMajor} at ${sub.address}:${sub.port}) streams ${pub.name} from slot ${slot.name}`,
    predicted: predictedFor(ctx.analysis, 'member', leader.name),
    moved: true,
    load: { database: pub.database, table: table.table },
    inject: () => ctx.sup.killNode(leader.node),
    restore: () => restartMembers(ctx, [leader]),
    observer: {
      start: async () => {
        // The plan applied again, as an operator's apply would: a subscriber slot nobody has consumed yet is
        // not synchronized to standbys (PostgreSQL 17 syncs a slot only once it has moved past the standby's
        // catalog horizon), so an earlier failover may have lost it; the idempotent apply recreates it.
        await applyLogicalPlan({ cluster, sup: ctx.sup, secrets: ctx.logical, plan, progress: ctx.progress });
        ctx.progress(`subscription-failover: subscriber at ${sub.address}:${sub.port}`);
        await initScratch(sub, layout.superuser);
        startScratch(sub);
        await waitScratch(cluster, sub, subConn);
        await cluster.sql(subConn, `CREATE DATABASE ${quoteIdent(pub.database)}`);
        // Logical replication carries rows, not schema: the published tables' definitions come first.
        await copySchema(ctx.sup, {
          binDir,
          dir: sub.dir,
          from: cluster.writerDirectConn(cluster.primaryScope, pub.database),
          to: { ...subConn, database: pub.database },
          caFile: layout.tls?.caFile,
          tables: pub.tables.map(qualifiedIdent),
        });
        await applyGroups(ctx.sup, {
          name: 'subscriber',
          dir: sub.dir,
          psql: join(binDir, 'psql'),
          conn: subConn,
          caFile: layout.tls?.caFile,
          env: ctx.logical.env(plan),
          groups: renderLogicalSql(planWith(plan, { subscriptions: [subscription] }), {
            sslrootcert: layout.tls?.caFile,
            sslmode: layout.tls ? 'verify-full' : 'disable',
          }),
        });
        await waitFor(
          `subscription ${slot.name} to finish its initial copy`,
          async () => {
            const rows = await cluster.sql<{ n: string }>(
              { ...subConn, database: pub.database },
              "SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'",
            );
            return Number(rows[0]?.n) === 0;
          },
          { timeoutMs: 60_000, intervalMs: 500 },
        );
      },
      ready: async () => {
        const ready = await waitSlotReady(cluster, plan, slot.name);
        ctx.progress(`subscription-failover: slot ${slot.name} ready for failover on ${ready.join(', ')}`);
      },
      finish: async ({ acked, faultAt }) => {
        try {
          let present = new Set<number>();
          const from = Math.min(...acked);
          const caught = await waitFor(
            `the subscriber to hold every acknowledged write`,
            async () => {
              present = await seqsOn(cluster, { ...subConn, database: pub.database }, table.table, from);
              return acked.every((s) => present.has(s)) ? Date.now() : undefined;
            },
            { timeoutMs: CATCH_UP_MS, intervalMs: 500 },
          ).catch(() => undefined);
          const gaps = acked.filter((s) => !present.has(s)).length;
          const leaderNow = await cluster.leader(cluster.primaryScope);
          const slots = leaderNow
            ? await cluster.sql(
                cluster.memberConn(leaderNow),
                'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1',
                [slot.name],
              )
            : [];
          return {
            logical: {
              kind: 'subscription',
              name: slot.name,
              slot: slot.name,
              slotOwner: plan.slotOwner,
              received: present.size,
              duplicates: 0,
              gaps,
              reconnects: 0,
              caughtUpSeconds: caught && faultAt ? round((caught - faultAt) / 1000) : null,
            },
            checks: [
              {
                id: 'stream-no-gaps',
                ok: gaps === 0 && acked.length > 0,
                detail: `the subscriber holds ${present.size} row(s) of ${acked.length} acknowledged: ${gaps} missing`,
              },
              {
                id: 'slot-survived',
                ok: slots.length > 0,
                detail: `slot ${slot.name} ${slots.length > 0 ? 'is' : 'is not'} on the primary ${leaderNow ?? '?'}`,
              },
            ],
          };
        } finally {
          // Detach before stopping: the publisher owns the slot, the subscriber must not drop it.
          await cluster
            .sql(
              { ...subConn, database: pub.database },
              `ALTER SUBSCRIPTION ${quoteIdent(slot.name)} DISABLE`,
            )
            .catch(() => undefined);
          await stopScratch(sub);
        }
      },
    },
  }));
}

// ---- upgrade -----------------------------------------------------------------------------------------

const UPGRADE_SUBSCRIPTION = 'pgtopo_upgrade';

/** The node release to upgrade from: the newest release with an older PostgreSQL major than this one. */
export function previousRelease(current: NodeRelease): ReleaseName | undefined {
  return Object.values(RELEASES)
    .filter((r) => r.postgresMajor < current.postgresMajor)
    .sort((a, b) => b.postgresMajor - a.postgresMajor)[0]?.name;
}

export async function upgrade(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  const { cluster, layout } = ctx;
  const scope = cluster.primaryScope;
  const plan = primaryPlan(layout, scope);
  const pub = plan?.publications[0];
  const table = plan && pub ? standInTables(plan).find((t) => t.database === pub.database) : undefined;
  const role = plan && pub ? subscriberRole(plan, pub.database) : undefined;
  const from = previousRelease(layout.topology.release);
  if (!plan || !pub || !table || !role || !from) {
    return unmeasured('upgrade', started, {
      fault: from
        ? 'skipped: the primary cluster publishes no table with a replication role that may read it'
        : `skipped: no older node release than ${layout.topology.release.name} to upgrade from`,
      skipped: true,
    });
  }
  // The old major runs from its own release's root, under a supervisor of its own in this run.
  const oldRoot = await ensureReleaseRoot(from, { progress: ctx.progress });
  const oldSup = new Supervisor({
    runId: `${ctx.sup.opts.runId}-blue`,
    runDir: join(layout.runDir, 'blue-run'),
    cgroupRoot: ctx.sup.opts.cgroupRoot,
    path: [`/usr/lib/postgresql/${oldRoot.release.postgresMajor}/bin`],
    root: { dir: oldRoot.dir, binds: [layout.runDir] },
  });
  const blueBin = `/usr/lib/postgresql/${oldRoot.release.postgresMajor}/bin`;
  const blue = scratchOf(layout, oldSup, 'blue', UPGRADE_SOURCE_PORT, blueBin);
  // Its certificate files must belong to its own root's postgres account.
  const tlsDir = join(layout.runDir, 'blue-tls');
  mkdirSync(tlsDir, { recursive: true });
  const tls = { certFile: join(tlsDir, 'server.crt'), keyFile: join(tlsDir, 'server.key') };
  copyFileSync(layout.scratchTls.certFile, tls.certFile);
  copyFileSync(layout.scratchTls.keyFile, tls.keyFile);
  for (const f of [tlsDir, tls.certFile, tls.keyFile]) chownSync(f, oldSup.user.uid, oldSup.user.gid);
  const blueInst: ScratchInstance = {
    ...blue,
    tls,
    parameters: { wal_level: 'logical', max_replication_slots: '10', max_wal_senders: '10' },
  };
  const blueConn: ConnInfo = { ...cluster.writerDirectConn(scope), host: blue.address, port: blue.port };
  // The old side gets the plan's roles, databases, grants and publications (its slot is the migration's).
  const oldPlan = planWith(plan, {
    postgresMajor: oldRoot.release.postgresMajor,
    roles: plan.roles,
    databases: plan.databases,
    grants: plan.grants,
    publications: plan.publications,
    feeds: plan.feeds,
  });
  const env = ctx.logical.env(plan);
  const load = new WriteLoad(
    { ...blueConn, database: pub.database },
    { firstSeq: ctx.firstSeq, table: table.table },
  );
  let error: string | undefined;
  let lost: number | null = null;
  let pause: number | null = null;
  let received = 0;
  try {
    ctx.progress(
      `upgrade: PostgreSQL ${oldRoot.release.postgresMajor} (${from}) at ${blue.address}:${blue.port}`,
    );
    await initScratch(blueInst, layout.superuser);
    startScratch(blueInst);
    await waitScratch(cluster, blueInst, blueConn);
    const oldGroups = renderLogicalSql(oldPlan);
    const apply = (
      name: string,
      sup: Supervisor,
      psql: string,
      conn: ConnInfo,
      groups: ReturnType<typeof renderLogicalSql>,
    ) =>
      applyGroups(sup, {
        name,
        dir: join(layout.runDir, 'logical'),
        psql,
        conn,
        caFile: layout.tls?.caFile,
        env,
        groups,
      });
    // The old side: roles, database, stand-in table, publication (its own plan's SQL).
    await apply(
      'blue-global',
      oldSup,
      join(blueBin, 'psql'),
      blueConn,
      oldGroups.filter((g) => g.database === 'postgres'),
    );
    await cluster.sql(
      { ...blueConn, database: pub.database },
      `CREATE TABLE IF NOT EXISTS ${table.table} (seq bigint PRIMARY KEY, sent_at timestamptz NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    await apply(
      'blue-db',
      oldSup,
      join(blueBin, 'psql'),
      blueConn,
      oldGroups.filter((g) => g.database !== 'postgres'),
    );
    load.start();
    await waitFor('the write load on the old major', () => load.acks.length >= 50, { timeoutMs: 30_000 });
    // The new side subscribes to the old one, from a slot it creates there for the migration.
    const subscription: SubscriptionPlan = {
      name: UPGRADE_SUBSCRIPTION,
      database: pub.database,
      publication: pub.name,
      publisher: {
        kind: 'host',
        host: blue.address,
        port: blue.port,
        database: pub.database,
        user: role.name,
        password: role.password,
        slotFailover: false,
      },
      slot: UPGRADE_SUBSCRIPTION,
      copyData: true,
      failover: false,
      path: pub.path,
    };
    await cluster.sql(
      { ...blueConn, database: pub.database },
      `SELECT pg_create_logical_replication_slot(${quoteLiteral(UPGRADE_SUBSCRIPTION)}, 'pgoutput')`,
    );
    const green = cluster.writerDirectConn(scope, pub.database);
    await apply(
      'green-subscription',
      ctx.sup,
      join(layout.binPath[0]!, 'psql'),
      cluster.writerDirectConn(scope),
      renderLogicalSql(planWith(plan, { subscriptions: [subscription] }), {
        sslrootcert: layout.tls?.caFile,
        sslmode: layout.tls ? 'verify-full' : 'disable',
      }),
    );
    ctx.progress('upgrade: the new major subscribed; waiting for it to catch up');
    await waitFor(
      'the new major to catch up with the old one',
      async () => {
        const [behind] = await cluster.sql<{ n: string }>(
          green,
          `SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`,
        );
        if (Number(behind?.n) !== 0) return false;
        const have = await seqsOn(cluster, green, table.table, ctx.firstSeq);
        return load
          .ackedSeqs()
          .slice(0, -50)
          .every((s) => have.has(s));
      },
      { timeoutMs: CATCH_UP_MS, intervalMs: 500 },
    );
    // Cutover: stop writes on the old side, drain, detach, move the client.
    ctx.progress('upgrade: cutover');
    await cluster.sql(
      blueConn,
      `ALTER DATABASE ${quoteIdent(pub.database)} SET default_transaction_read_only = on`,
    );
    await cluster.sql(
      blueConn,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      [pub.database],
    );
    const blueHas = await seqsOn(cluster, { ...blueConn, database: pub.database }, table.table, ctx.firstSeq);
    await waitFor(
      'the new major to hold every row of the old one',
      async () => {
        const have = await seqsOn(cluster, green, table.table, ctx.firstSeq);
        return [...blueHas].every((s) => have.has(s));
      },
      { timeoutMs: CATCH_UP_MS, intervalMs: 200 },
    );
    const sub = quoteIdent(UPGRADE_SUBSCRIPTION);
    await cluster.sql(green, `ALTER SUBSCRIPTION ${sub} DISABLE`);
    await cluster.sql(green, `ALTER SUBSCRIPTION ${sub} SET (slot_name = NONE)`);
    await cluster.sql(green, `DROP SUBSCRIPTION ${sub}`);
    const lastOld = Math.max(...load.acks.map((a) => a.ackAt));
    load.retarget(cluster.writerConn(scope, pub.database));
    await waitFor('a write on the new major', () => load.acks.some((a) => a.ackAt > lastOld), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const firstNew = load.acks.find((a) => a.ackAt > lastOld)!.ackAt;
    pause = round((firstNew - lastOld) / 1000);
    await waitFor('writes on the new major', () => load.acks.filter((a) => a.ackAt > lastOld).length >= 50, {
      timeoutMs: 30_000,
    });
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await load.stop();
  }
  try {
    const have = await seqsOn(
      cluster,
      cluster.writerDirectConn(scope, pub.database),
      table.table,
      ctx.firstSeq,
    );
    received = have.size;
    lost = load.ackedSeqs().filter((s) => !have.has(s)).length;
  } catch (e) {
    error ??= `counting rows on the new major: ${(e as Error).message}`;
  }
  await stopScratch(blueInst).catch(() => undefined);
  await oldSup.stopAll();
  const acked = load.acks.length;
  return result('upgrade', started, {
    fault: `blue/green upgrade: PostgreSQL ${oldRoot.release.postgresMajor} (${from}) replicated logically into the rehearsed PostgreSQL ${plan.postgresMajor} cluster, then cut over under write load`,
    rtoSeconds: pause,
    longestWriteGapSeconds: pause,
    acknowledgedWrites: acked,
    lostAcknowledgedWrites: lost,
    maxConcurrentWriters: null,
    logical: {
      kind: 'upgrade',
      name: UPGRADE_SUBSCRIPTION,
      slot: UPGRADE_SUBSCRIPTION,
      slotOwner: 'upgrade-subscription',
      received,
      duplicates: 0,
      gaps: lost ?? 0,
      reconnects: 0,
      caughtUpSeconds: null,
      writePauseSeconds: pause,
    },
    checks: [
      {
        id: 'no-lost-writes',
        ok: lost === 0 && acked > 0,
        detail: `${lost ?? '?'} of ${acked} acknowledged write(s) missing on the new major`,
      },
      {
        id: 'writes-resumed',
        ok: pause !== null,
        detail: pause === null ? 'no write on the new major' : `write pause ${pause} s`,
      },
    ],
    ...(error ? { error } : {}),
  });
}
