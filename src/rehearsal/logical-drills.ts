/**
 * Drills of the logical layer between two rehearsed Patroni clusters (the second one a companion cluster
 * booted beside the rehearsed one for the drill, see companion.ts):
 *
 * - `subscription-failover`: a subscriber cluster, whose own plan subscribes to a publication of the
 *   rehearsed cluster through its writer endpoint, from a slot the publisher owns, streams while the
 *   publisher's primary is killed under write load. Every acknowledged write must reach the subscriber.
 * - `upgrade`: a blue/green major upgrade. The old major (the rehearsed spec on the previous node release,
 *   Debian 12 / PostgreSQL 15, as a Patroni cluster) takes the writes; the rehearsed cluster (the new major)
 *   subscribes to it, catches up, and takes over: writes on the old side are stopped, the new side drains,
 *   its subscription is detached, and the client moves. Rows lost must be 0; the write pause is measured.
 *
 * Both sides' SQL is the plans' own, rendered by `renderLogicalSql` and applied with psql.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogicalPlan, SubscriptionPlan } from '../model/logical.js';
import { MAINTENANCE_DATABASE, qualifiedIdent, quoteIdent, renderLogicalSql } from '../render/logical-sql.js';
import { type NodeRelease, RELEASES, type ReleaseName } from '../spec/releases.js';
import type { LocalCluster } from './cluster.js';
import { subscriberTopology, upgradeSourceTopology } from './companion.js';
import { type DrillContext, predictedFor, restartMembers, result, runFault, unmeasured } from './drills.js';
import { type ConnInfo, WriteLoad } from './load.js';
import {
  applyGroups,
  applyLogicalPlan,
  pgEnv,
  planWith,
  primaryPlan,
  standInTables,
  waitSlotReady,
} from './logical.js';
import { type DrillResult, round } from './measure.js';
import type { Rehearsal } from './rehearse.js';
import type { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

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

/** A companion's directory for the SQL scripts and schema dumps the drill runs as the daemons' user. */
function workDir(r: Rehearsal): string {
  const dir = join(r.runDir, 'logical');
  mkdirSync(dir, { recursive: true });
  chownSync(dir, r.sup.user.uid, r.sup.user.gid);
  return dir;
}

/**
 * One CA file that verifies both clusters' servers (each rehearsal has its own CA), in `dir`: the subscribing
 * side's PostgreSQL and psql read it, in their own root.
 */
function caBundle(dir: string, ...layouts: readonly { tls?: { caFile: string } }[]): string | undefined {
  const files = layouts.flatMap((l) => (l.tls ? [l.tls.caFile] : []));
  if (files.length === 0) return undefined;
  const file = join(dir, 'rehearsal-cas.crt');
  writeFileSync(file, files.map((f) => readFileSync(f, 'utf8')).join(''), { mode: 0o644 });
  return file;
}

/**
 * Applies a companion's subscriber side: its roles and databases, the published tables' definitions copied
 * from the publisher (logical replication carries rows, not schema), then its own plan's subscriptions.
 */
async function applySubscriberPlan(
  ctx: DrillContext,
  sub: Rehearsal,
  o: {
    plan: LogicalPlan;
    publisher: ConnInfo;
    tables: readonly string[];
    ca?: string;
    env: Record<string, string>;
  },
): Promise<void> {
  const dir = workDir(sub);
  const scope = sub.cluster.primaryScope;
  const groups = renderLogicalSql(o.plan, {
    sslrootcert: o.ca,
    sslmode: o.ca ? 'verify-full' : 'disable',
    publisherEndpoint: () => {
      const e = ctx.cluster.endpoint(ctx.cluster.primaryScope);
      return { host: e.address, port: e.directPort };
    },
  });
  const apply = (name: string, part: typeof groups) =>
    applyGroups(sub.sup, {
      name,
      dir,
      psql: join(sub.layout.binPath[0]!, 'psql'),
      conn: sub.cluster.writerDirectConn(scope),
      caFile: o.ca,
      env: o.env,
      groups: part,
    });
  await apply(
    'subscriber-global',
    groups.filter((g) => g.database === MAINTENANCE_DATABASE),
  );
  for (const db of new Set(o.plan.subscriptions.map((s) => s.database))) {
    await copySchema(ctx.sup, {
      binDir: ctx.layout.binPath[0]!,
      dir,
      from: {
        ...o.publisher,
        database: o.plan.subscriptions.find((s) => s.database === db)!.publisher.database,
      },
      to: sub.cluster.writerDirectConn(scope, db),
      caFile: o.ca,
      tables: o.tables,
    });
  }
  await apply(
    'subscriber-databases',
    groups.filter((g) => g.database !== MAINTENANCE_DATABASE),
  );
}

/** The state of a subscription's apply worker and of its slot on the publisher, in one line (diagnostics). */
async function subscriptionState(
  pub: LocalCluster,
  sub: LocalCluster,
  o: { name: string; database: string; slot: string },
): Promise<string> {
  const parts: string[] = [];
  try {
    const [w] = await sub.sql<Record<string, unknown>>(
      sub.writerDirectConn(sub.primaryScope, o.database),
      `SELECT st.pid, st.received_lsn, st.latest_end_lsn, st.last_msg_receipt_time, a.wait_event_type, a.wait_event
         FROM pg_catalog.pg_subscription s
         LEFT JOIN pg_catalog.pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
         LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = st.pid
        WHERE s.subname = $1`,
      [o.name],
      3000,
    );
    parts.push(
      `apply worker pid ${w?.pid ?? '-'} wait ${w?.wait_event_type ?? '-'}/${w?.wait_event ?? '-'} received ${w?.received_lsn ?? '-'} last message ${w?.last_msg_receipt_time instanceof Date ? w.last_msg_receipt_time.toISOString() : '-'}`,
    );
  } catch (e) {
    parts.push(`subscriber: ${(e as Error).message}`);
  }
  try {
    const leader = await pub.leader(pub.primaryScope);
    if (leader) {
      const [s] = await pub.sql<Record<string, unknown>>(
        pub.memberConn(leader),
        `SELECT r.active, r.active_pid, r.confirmed_flush_lsn, pg_catalog.pg_current_wal_lsn() AS current, a.wait_event_type, a.wait_event, a.client_port
           FROM pg_catalog.pg_replication_slots r LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = r.active_pid
          WHERE r.slot_name = $1`,
        [o.slot],
        3000,
      );
      parts.push(
        s
          ? `slot on ${leader}: active ${s.active} pid ${s.active_pid ?? '-'} wait ${s.wait_event_type ?? '-'}/${s.wait_event ?? '-'} confirmed ${s.confirmed_flush_lsn} of ${s.current}`
          : `slot missing on ${leader}`,
      );
    }
  } catch (e) {
    parts.push(`publisher: ${(e as Error).message}`);
  }
  // The TCP connections through the publisher's writer endpoint (client side and HAProxy's server side).
  const e = pub.endpoint(pub.primaryScope);
  const ss = spawnSync('ss', ['-tnH', 'state', 'all', `( dst ${e.address} or src ${e.address} )`], {
    encoding: 'utf8',
    timeout: 3000,
  });
  const conns = (ss.stdout ?? '').split('\n').filter((l) => l.includes(`:${e.directPort}`));
  parts.push(
    `${conns.length} TCP connection(s) at the endpoint: ${conns.map((l) => l.split(/\s+/).filter(Boolean).join(' ')).join(' | ')}`,
  );
  return parts.join('; ');
}

// ---- subscription-failover ---------------------------------------------------------------------------

/** Tag of the subscriber companion cluster (its name, members and run id carry it). */
const SUBSCRIBER_TAG = 'sub';

export function subscriptionFailover(ctx: DrillContext): Promise<DrillResult> {
  const { cluster, layout } = ctx;
  const plan = primaryPlan(layout, cluster.primaryScope);
  const slot = plan?.slots.find((s) => s.usedBy.kind === 'subscriber');
  const pub = plan?.publications.find((p) => p.database === slot?.database && slot !== undefined);
  const table = plan && pub ? standInTables(plan).find((t) => t.database === pub.database) : undefined;
  const role = plan && pub ? subscriberRole(plan, pub.database) : undefined;
  if (!plan || !slot || !pub || !table || !role || !ctx.companion) {
    return Promise.resolve(
      unmeasured('subscription-failover', Date.now(), {
        fault:
          'skipped: the primary cluster publishes no table with a subscriber slot (`publications[].subscriberSlots`) and a replication role that may read it',
        skipped: true,
      }),
    );
  }
  const boot = ctx.companion;
  const subTopology = subscriberTopology(layout.topology, plan, {
    tag: SUBSCRIBER_TAG,
    slot: slot.name,
    publication: pub.name,
    database: pub.database,
    role: role.name,
  });
  const subPlan = subTopology.logical.find((p) => p.subscriptions.length > 0)!;
  const subscription = subPlan.subscriptions[0]!;
  let sub: Rehearsal | undefined;
  const subConn = () => sub!.cluster.writerDirectConn(sub!.cluster.primaryScope, subscription.database);
  const state = () =>
    subscriptionState(cluster, sub!.cluster, {
      name: subscription.name,
      database: subscription.database,
      slot: slot.name,
    });
  return runFault(ctx, 'subscription-failover', (leader) => ({
    fault: `SIGKILL Patroni and PostgreSQL on the primary ${leader.name} while cluster ${subTopology.name} (${subTopology.members.length} members, PostgreSQL ${subPlan.postgresMajor}) streams ${pub.name} from slot ${slot.name} through the writer endpoint`,
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
        sub = await boot(subTopology, SUBSCRIBER_TAG);
        const dir = workDir(sub);
        const ca = caBundle(dir, layout, sub.layout);
        await applySubscriberPlan(ctx, sub, {
          plan: subPlan,
          publisher: cluster.writerDirectConn(cluster.primaryScope),
          tables: pub.tables.map(qualifiedIdent),
          ca,
          env: {
            ...ctx.logical.env(subPlan),
            [subscription.publisher.password.env]: ctx.logical.password(plan, role.name),
          },
        });
        await waitFor(
          `subscription ${subscription.name} to finish its initial copy`,
          async () => {
            const rows = await sub!.cluster.sql<{ n: string }>(
              subConn(),
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
          if (!sub || acked.length === 0) throw new Error('the subscriber did not start: nothing to observe');
          const from = Math.min(...acked);
          let lastState = 0;
          const caught = await waitFor(
            `the subscriber to hold every acknowledged write`,
            async () => {
              present = await seqsOn(sub!.cluster, subConn(), table.table, from);
              if (acked.every((s) => present.has(s))) return Date.now();
              if (Date.now() - lastState > 10_000) {
                lastState = Date.now();
                ctx.progress(
                  `subscription-failover: ${acked.length - acked.filter((s) => present.has(s)).length} row(s) still missing; ${await state()}`,
                );
              }
              return undefined;
            },
            { timeoutMs: CATCH_UP_MS, intervalMs: 500 },
          ).catch(() => undefined);
          const gaps = acked.filter((s) => !present.has(s)).length;
          const stalled = caught ? '' : `; ${await state()}`;
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
              name: subscription.name,
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
                detail: `cluster ${subTopology.name} holds ${present.size} row(s) of ${acked.length} acknowledged: ${gaps} missing${stalled}`,
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
          if (sub) {
            await sub.cluster
              .sql(subConn(), `ALTER SUBSCRIPTION ${quoteIdent(subscription.name)} DISABLE`)
              .catch(() => undefined);
            await sub.shutdown();
          }
        }
      },
    },
  }));
}

// ---- upgrade -----------------------------------------------------------------------------------------

const UPGRADE_SUBSCRIPTION = 'pgtopo_upgrade';
/** Tag of the old-major companion cluster. */
const UPGRADE_TAG = 'blue';

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
  if (!plan || !pub || !table || !role || !from || !ctx.companion) {
    return unmeasured('upgrade', started, {
      fault: from
        ? 'skipped: the primary cluster publishes no table with a replication role that may read it'
        : `skipped: no older node release than ${layout.topology.release.name} to upgrade from`,
      skipped: true,
    });
  }
  // The old major: the same spec on the previous release, a Patroni cluster booted beside this one. Its
  // plan declares the migration's slot, so its owner there (Patroni's permanent slots) creates and keeps it.
  const blueTopology = upgradeSourceTopology(layout.topology, {
    tag: UPGRADE_TAG,
    os: from,
    publication: pub.name,
    slot: UPGRADE_SUBSCRIPTION,
  });
  const bluePlan = blueTopology.logical.find((p) => p.publications.length > 0)!;
  const oldMajor = blueTopology.postgres.version;
  let blue: Rehearsal | undefined;
  let load: WriteLoad | undefined;
  let error: string | undefined;
  let lost: number | null = null;
  let pause: number | null = null;
  let received = 0;
  const green = cluster.writerDirectConn(scope, pub.database);
  try {
    blue = await ctx.companion(blueTopology, UPGRADE_TAG);
    const b = blue;
    const blueScope = b.cluster.primaryScope;
    const blueDb = b.cluster.writerDirectConn(blueScope, pub.database);
    ctx.progress(
      `upgrade: cluster ${blueTopology.name} (${from}, PostgreSQL ${oldMajor}, ${blueTopology.members.length} members) booted`,
    );
    // The application writes to the old major through its writer endpoint.
    load = new WriteLoad(b.cluster.writerConn(blueScope, pub.database), {
      firstSeq: ctx.firstSeq,
      table: table.table,
    });
    const w = load;
    w.start();
    await waitFor('the write load on the old major', () => w.acks.length >= 50, { timeoutMs: 30_000 });
    await waitFor(
      `slot ${UPGRADE_SUBSCRIPTION} on the primary of ${blueScope} (${bluePlan.slotOwner})`,
      async () => {
        const leader = await b.cluster.leader(blueScope);
        if (!leader) return false;
        const rows = await b.cluster.sql(
          b.cluster.memberConn(leader),
          'SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1',
          [UPGRADE_SUBSCRIPTION],
        );
        return rows.length > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The new side subscribes to the old one through its writer endpoint, on the slot the old side owns.
    const e = b.cluster.endpoint(blueScope);
    const subscription: SubscriptionPlan = {
      name: UPGRADE_SUBSCRIPTION,
      database: pub.database,
      publication: pub.name,
      publisher: {
        kind: 'host',
        host: e.address,
        port: e.directPort,
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
    const ca = caBundle(join(layout.runDir, 'logical'), layout, b.layout);
    await applyGroups(ctx.sup, {
      name: 'green-subscription',
      dir: join(layout.runDir, 'logical'),
      psql: join(layout.binPath[0]!, 'psql'),
      conn: cluster.writerDirectConn(scope),
      caFile: ca,
      env: ctx.logical.env(plan),
      groups: renderLogicalSql(planWith(plan, { subscriptions: [subscription] }), {
        sslrootcert: ca,
        sslmode: ca ? 'verify-full' : 'disable',
      }),
    });
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
        return w
          .ackedSeqs()
          .slice(0, -50)
          .every((s) => have.has(s));
      },
      { timeoutMs: CATCH_UP_MS, intervalMs: 500 },
    );
    // Cutover: stop writes on the old side, drain, detach, move the client.
    ctx.progress('upgrade: cutover');
    const blueAdmin = b.cluster.writerDirectConn(blueScope);
    await b.cluster.sql(
      blueAdmin,
      `ALTER DATABASE ${quoteIdent(pub.database)} SET default_transaction_read_only = on`,
    );
    await b.cluster.sql(
      blueAdmin,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      [pub.database],
    );
    const blueHas = await seqsOn(b.cluster, blueDb, table.table, ctx.firstSeq);
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
    const lastOld = Math.max(...w.acks.map((a) => a.ackAt));
    w.retarget(cluster.writerConn(scope, pub.database));
    await waitFor('a write on the new major', () => w.acks.some((a) => a.ackAt > lastOld), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const firstNew = w.acks.find((a) => a.ackAt > lastOld)!.ackAt;
    pause = round((firstNew - lastOld) / 1000);
    await waitFor('writes on the new major', () => w.acks.filter((a) => a.ackAt > lastOld).length >= 50, {
      timeoutMs: 30_000,
    });
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await load?.stop();
  }
  if (load) {
    try {
      const have = await seqsOn(cluster, green, table.table, ctx.firstSeq);
      received = have.size;
      lost = load.ackedSeqs().filter((s) => !have.has(s)).length;
    } catch (e) {
      error ??= `counting rows on the new major: ${(e as Error).message}`;
    }
  }
  // A subscription left behind by a failed run would keep reconnecting to a cluster that is gone.
  const leftover = quoteIdent(UPGRADE_SUBSCRIPTION);
  for (const sql of [
    `ALTER SUBSCRIPTION ${leftover} DISABLE`,
    `ALTER SUBSCRIPTION ${leftover} SET (slot_name = NONE)`,
    `DROP SUBSCRIPTION IF EXISTS ${leftover}`,
  ]) {
    await cluster.sql(green, sql).catch(() => undefined);
  }
  await blue?.shutdown().catch(() => undefined);
  const acked = load?.acks.length ?? 0;
  return result('upgrade', started, {
    fault: `blue/green upgrade: a PostgreSQL ${oldMajor} (${from}) Patroni cluster of ${blueTopology.members.length} members replicated logically into the rehearsed PostgreSQL ${plan.postgresMajor} cluster, then cut over under write load`,
    rtoSeconds: pause,
    longestWriteGapSeconds: pause,
    acknowledgedWrites: acked,
    lostAcknowledgedWrites: lost,
    maxConcurrentWriters: null,
    logical: {
      kind: 'upgrade',
      name: UPGRADE_SUBSCRIPTION,
      slot: UPGRADE_SUBSCRIPTION,
      slotOwner: bluePlan.slotOwner,
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
