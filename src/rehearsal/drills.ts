/**
 * The drills. Each starts from a healthy cluster, runs the write load and the writer probe, injects
 * one failure, measures what the client saw, and leaves a healthy cluster behind (it restarts what it
 * killed and heals what it cut) so the next drill can run on the same cluster.
 */
import type { Topology } from '../model/types.js';
import type { FailureAnalysis, FailureResult } from '../policy/types.js';
import { CdcConsumer } from './cdc.js';
import type { LocalCluster, Progress } from './cluster.js';
import type { Layout, MemberLayout } from './layout.js';
import { type Ack, WRITES_TABLE, WriteLoad, WriterProbe } from './load.js';
import {
  applyLogicalPlan,
  cdcConn,
  type LogicalSecrets,
  primaryPlan,
  type RehearsedFeed,
  rehearsedFeeds,
  waitSlotReady,
} from './logical.js';
import { subscriptionFailover, upgrade } from './logical-drills.js';
import {
  type Check,
  type DrillName,
  type DrillResult,
  evaluate,
  type FleetDrillName,
  longestGapSeconds,
  lostWrites,
  type PitrCounts,
  type PredictedRto,
  round,
  rtoSeconds,
} from './measure.js';
import type { LinkCutter } from './netcut.js';
import type { RehearsalPrometheus } from './prometheus.js';
import type { Rehearsal } from './rehearse.js';
import { request } from './rest.js';
import type { Supervisor } from './supervisor.js';
import { sleep, waitFor } from './wait.js';

export interface DrillContext {
  readonly cluster: LocalCluster;
  readonly sup: Supervisor;
  readonly cutter: LinkCutter;
  readonly layout: Layout;
  readonly analysis?: FailureAnalysis;
  readonly progress: Progress;
  /** First sequence number of this drill's writes (each drill writes its own range). */
  readonly firstSeq: number;
  /** Passwords of the logical roles (the CDC consumer logs in as its feed's role). */
  readonly logical: LogicalSecrets;
  /** Runs the PITR restore: provided by the runner (needs the pgBackRest set-up). */
  readonly pitr?: (ctx: DrillContext) => Promise<PitrOutcome>;
  /** The rehearsal's Prometheus, when it runs one: the drill reports the alerts it saw. */
  readonly prometheus?: RehearsalPrometheus;
  /** Boots a companion cluster beside the rehearsed one (companion.ts); the drill shuts it down. */
  readonly companion?: (t: Topology, tag: string) => Promise<Rehearsal>;
}

export interface PitrOutcome {
  readonly counts: PitrCounts;
  /** Writes the load had acknowledged through the writer endpoint while the rows were written. */
  readonly loadAcks: number;
  readonly fault: string;
}

const HEAL_MS = 180_000;
/** How long a CDC consumer may take, after the drill, to hold every acknowledged write. */
const CDC_CATCH_UP_MS = 90_000;

export function predictedFor(
  a: FailureAnalysis | undefined,
  kind: string,
  id: string,
): PredictedRto | undefined {
  const f: FailureResult | undefined = a?.failures.find((x) => x.kind === kind && x.id === id);
  if (!f?.rto) return undefined;
  return { domain: `${kind}:${id}`, ...f.rto, writable: f.writable };
}

export interface FaultPlan {
  /** Description of the fault, in words. */
  readonly fault: string;
  readonly predicted?: PredictedRto;
  /** The writer must move to another member (RTO counts only writes on another server). */
  readonly moved: boolean;
  /** Injects the fault. Returns after the fault is in place. */
  readonly inject: () => Promise<void>;
  /** After the fault: e.g. the runbook step of a region promotion. */
  readonly afterFault?: (load: WriteLoad) => Promise<void>;
  /** Scope whose leader holds the data after the drill. */
  readonly survivorScope?: string;
  /** Brings the cluster back to full health. */
  readonly restore: () => Promise<void>;
  /** Extra checks on the outcome. */
  readonly extraChecks?: (o: { oldPrimary: string; newPrimary?: string }) => Check[];
  /** Where the load writes, when not the rehearsal's own table in `postgres`. */
  readonly load?: LoadTarget;
  /** Watches the drill from outside (e.g. a CDC consumer): started before the load, asked after restore. */
  readonly observer?: DrillObserver;
  /**
   * The writes the outage is measured on (RTO, longest gap), when not all: through a fleet's coordinator,
   * only the keys the faulted shard owns stop.
   */
  readonly measured?: (a: Ack) => boolean;
}

export interface LoadTarget {
  readonly database: string;
  /** Schema-qualified table with the load's columns (`seq`, `sent_at`). */
  readonly table: string;
}

export interface DrillObserver {
  start(): Promise<void>;
  /** Once the write load flows, before the fault: waits until what it watches is ready for the fault. */
  ready?(): Promise<void>;
  /** Stops watching and judges what it saw against the acknowledged writes. */
  finish(o: { acked: readonly number[]; faultAt: number }): Promise<Pick<DrillResult, 'checks' | 'logical'>>;
}

/** The shape every drill shares: load and probe, fault, recovery, measurements, restore. */
export async function runFault(
  ctx: DrillContext,
  drill: DrillName | FleetDrillName,
  plan: (leader: MemberLayout) => FaultPlan,
) {
  const started = Date.now();
  const { cluster, layout } = ctx;
  const scope = cluster.primaryScope;
  const t = layout.topology;
  const oldPrimary = await cluster.waitHealthy(scope, HEAL_MS);
  // Every cluster sound before the fault, not only the drill's: a standby cluster may still be recovering
  // from the previous drill's failover (its standby leader had replayed the old timeline's archived WAL past
  // the new timeline's branch point and pg_rewinds from the new primary). A fault in that window (the
  // region going dark mid-rewind) measures the drill order, not the topology.
  for (const c of layout.clusters) if (c.scope !== scope) await cluster.waitHealthy(c.scope, HEAL_MS);
  const leader = cluster.member(oldPrimary);
  const p = plan(leader);
  const watch = ctx.prometheus?.watch();
  const probe = new WriterProbe(
    layout.members
      .filter((m) => ctx.sup.running(m.patroni.name))
      .map((m) => ({ name: m.name, conn: cluster.memberConn(m.name) })),
  );
  const target: LoadTarget = p.load ?? { database: 'postgres', table: WRITES_TABLE };
  const load = new WriteLoad(cluster.writerConn(scope, target.database), {
    firstSeq: ctx.firstSeq,
    table: target.table,
  });
  let faultAt = 0;
  let error: string | undefined;
  let rto: number | null = null;
  let gap: number | null = null;
  let lost: number | null = null;
  let newPrimary: string | undefined;
  let recoveredAt = 0;
  let observed: Pick<DrillResult, 'checks' | 'logical'> | undefined;
  const measured = () => (p.measured ? load.acks.filter(p.measured) : load.acks);
  try {
    await p.observer?.start();
    probe.start();
    load.start();
    await waitFor('the write load to flow', () => load.acks.length >= 20, { timeoutMs: 30_000 });
    await p.observer?.ready?.();
    ctx.progress(`${drill}: ${p.fault}`);
    faultAt = Date.now();
    await p.inject();
    if (p.afterFault) await p.afterFault(load);
    const budget = Math.max(60_000, (p.predicted?.worstSeconds ?? 60) * 2000 + 30_000);
    await waitFor(
      'the first write acknowledged after the fault',
      () => rtoSeconds(measured(), faultAt, { oldServer: leader.address, moved: p.moved }) !== null,
      { timeoutMs: budget, intervalMs: 100 },
    );
    recoveredAt = Date.now();
    rto = rtoSeconds(measured(), faultAt, { oldServer: leader.address, moved: p.moved });
    ctx.progress(`${drill}: writes resumed after ${rto} s`);
    await sleep(2000);
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await load.stop();
    await probe.stop();
  }
  const stoppedAt = Date.now();
  if (faultAt > 0) gap = longestGapSeconds(measured(), faultAt, recoveredAt || stoppedAt);
  try {
    const survivor = p.survivorScope ?? scope;
    newPrimary = await waitFor(
      `a leader of ${survivor}`,
      async () => {
        const name = await cluster.leader(survivor);
        const role = name ? (await cluster.self(cluster.member(name)))?.role : undefined;
        return role === 'master' || role === 'primary' ? name : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    lost = await countLost(cluster, newPrimary, load.acks, target);
  } catch (e) {
    error ??= `reading the surviving primary: ${(e as Error).message}`;
  }
  try {
    ctx.progress(`${drill}: restoring the cluster`);
    await p.restore();
    // Acknowledged writes must outlive the restore too: a heal that hands the lock back to the old
    // primary rewinds the new one, with what it acknowledged.
    if (lost !== null) {
      const finalPrimary = await cluster.leader(p.survivorScope ?? scope);
      if (finalPrimary) lost = Math.max(lost, await countLost(cluster, finalPrimary, load.acks, target));
    }
  } catch (e) {
    error ??= `restoring the cluster after the drill: ${(e as Error).message}`;
  }
  try {
    if (p.observer) observed = await p.observer.finish({ acked: load.ackedSeqs(), faultAt });
  } catch (e) {
    error ??= `observing the drill: ${(e as Error).message}`;
  }
  const released = await endpointReleased(ctx, p.survivorScope ?? scope);
  const checks = evaluate({
    rtoSeconds: rto,
    lost,
    maxWriters: probe.rounds.length > 0 ? probe.maxConcurrentWriters() : null,
    predicted: p.predicted,
    zeroLossPromised: t.durability.synchronousMode !== 'off' && !p.survivorScope,
    expectWrites: true,
  });
  checks.push(
    ...(p.extraChecks?.({ oldPrimary, newPrimary }) ?? []),
    ...(observed?.checks ?? []),
    ...(released ? [released] : []),
  );
  const alerts = await watch?.stop(faultAt || undefined);
  return result(drill, started, {
    ...(alerts ? { alerts } : {}),
    ...(observed?.logical ? { logical: observed.logical } : {}),
    fault: p.fault,
    oldPrimary,
    newPrimary,
    rtoSeconds: rto,
    longestWriteGapSeconds: gap,
    acknowledgedWrites: load.acks.length,
    lostAcknowledgedWrites: lost,
    maxConcurrentWriters: probe.rounds.length > 0 ? probe.maxConcurrentWriters() : null,
    predicted: p.predicted,
    checks,
    error,
  });
}

/**
 * Once the drill's clients are gone (load, probe, observers), the writer endpoint holds no client session
 * but the standby clusters' (a standby leader replicates through the writer endpoint of the cluster it
 * follows): none is left connected to a server that died or was marked down. Undefined when its stats do
 * not answer.
 */
async function endpointReleased(ctx: DrillContext, scope: string): Promise<Check | undefined> {
  const standbys = ctx.layout.clusters.filter(
    (c) =>
      c.role === 'standby' &&
      c.scope !== scope &&
      ctx.cluster.membersOf(c.scope).some((m) => ctx.sup.running(m.patroni.name)),
  ).length;
  let held: number | undefined;
  await waitFor(
    'the writer endpoint to release every client session',
    async () => {
      held = await ctx.cluster.endpointSessions(scope);
      return held === undefined || held <= standbys;
    },
    { timeoutMs: 15_000, intervalMs: 500 },
  ).catch(() => undefined);
  if (held === undefined) return undefined;
  return {
    id: 'endpoint-released',
    ok: held <= standbys,
    detail: `the writer endpoint of ${scope} holds ${held} client session(s) once the drill's clients left (${standbys} standby cluster(s) replicate through it)`,
  };
}

export function result(
  drill: DrillName | FleetDrillName,
  started: number,
  r: Omit<DrillResult, 'drill' | 'status' | 'durationSeconds'>,
  skipped = false,
): DrillResult {
  const status = skipped ? 'skipped' : r.error ? 'error' : r.checks.every((c) => c.ok) ? 'passed' : 'failed';
  return {
    drill,
    status,
    ...r,
    ...(r.predicted ? {} : { predicted: undefined }),
    durationSeconds: round((Date.now() - started) / 1000, 1),
  };
}

/** A drill that measured nothing: skipped, or failed before its fault. */
export function unmeasured(
  drill: DrillName | FleetDrillName,
  started: number,
  o: { fault: string; error?: string; skipped?: boolean },
): DrillResult {
  return result(
    drill,
    started,
    {
      fault: o.fault,
      rtoSeconds: null,
      longestWriteGapSeconds: null,
      acknowledgedWrites: 0,
      lostAcknowledgedWrites: null,
      maxConcurrentWriters: null,
      checks: [],
      ...(o.error ? { error: o.error } : {}),
    },
    o.skipped,
  );
}

/** Acknowledged writes that the given primary does not hold. */
async function countLost(
  cluster: LocalCluster,
  primary: string,
  acks: readonly Ack[],
  target: LoadTarget,
): Promise<number> {
  if (acks.length === 0) return 0;
  const from = Math.min(...acks.map((a) => a.seq));
  const rows = await cluster.sql<{ seq: string }>(
    cluster.memberConn(primary, target.database),
    `SELECT seq FROM ${target.table} WHERE seq >= $1`,
    [from],
    30_000,
  );
  const present = new Set(rows.map((r) => Number(r.seq)));
  return lostWrites(
    acks.map((a) => a.seq),
    present,
  ).length;
}

// ---- restoring ---------------------------------------------------------------------------------------

export async function restartMembers(ctx: DrillContext, members: readonly MemberLayout[]): Promise<void> {
  for (const m of members) ctx.cluster.startMember(m);
  await ctx.cluster.waitHealthy(ctx.cluster.primaryScope, HEAL_MS);
}

// ---- the drills ----------------------------------------------------------------------------------

export function killPrimary(ctx: DrillContext): Promise<DrillResult> {
  return runFault(ctx, 'kill-primary', (leader) => ({
    fault: `SIGKILL Patroni and PostgreSQL on the primary ${leader.name} (its PgBouncer stays up)`,
    predicted: predictedFor(ctx.analysis, 'member', leader.name),
    moved: true,
    inject: () => ctx.sup.killNode(leader.node),
    restore: () => restartMembers(ctx, [leader]),
  }));
}

export function switchover(ctx: DrillContext): Promise<DrillResult> {
  return runFault(ctx, 'switchover', (leader) => ({
    fault: `planned switchover away from ${leader.name} through Patroni's REST API`,
    moved: true,
    inject: async () => {
      const s = await ctx.cluster.state(ctx.cluster.primaryScope);
      const candidate =
        s?.members.find((m) => m.role === 'sync_standby')?.name ??
        s?.members.find((m) => m.role === 'replica' && m.name !== leader.name)?.name;
      if (!candidate) throw new Error('no switchover candidate');
      const r = await request(`${leader.restUrl}/switchover`, {
        method: 'POST',
        body: { leader: leader.name, candidate },
        auth: ctx.layout.restAuth,
        ca: ctx.layout.tls?.ca,
        timeoutMs: 60_000,
      });
      if (r.status !== 200) throw new Error(`switchover refused: ${r.status} ${r.text.trim()}`);
    },
    restore: () => ctx.cluster.waitHealthy(ctx.cluster.primaryScope, HEAL_MS).then(() => undefined),
  }));
}

/** The etcd member that leads its Raft group (the harsher member to lose), else the first. */
async function etcdLeader(ctx: DrillContext, quorum: string) {
  const members = ctx.cluster.etcdOf(quorum);
  const tls = ctx.layout.tls;
  const opts = { method: 'POST' as const, body: {}, ca: tls?.ca, cert: tls?.clientCert, key: tls?.clientKey };
  for (const e of members) {
    try {
      const st = (await request(`${e.clientUrl}/v3/maintenance/status`, opts)).json<{ leader: string }>();
      const list = (await request(`${e.clientUrl}/v3/cluster/member/list`, opts)).json<{
        members: { ID: string; name: string }[];
      }>();
      const name = list.members.find((m) => m.ID === st.leader)?.name;
      const hit = members.find((m) => m.name === name);
      if (hit) return hit;
    } catch {
      /* ask the next one */
    }
  }
  return members[0]!;
}

export async function etcdMemberLoss(ctx: DrillContext): Promise<DrillResult> {
  const scope = ctx.cluster.primaryScope;
  const quorum = ctx.layout.clusters.find((c) => c.scope === scope)!.quorum;
  const victim = await etcdLeader(ctx, quorum);
  return runFault(ctx, 'etcd-member-loss', (leader) => ({
    fault: `SIGKILL etcd member ${victim.name} (the Raft leader of ${quorum})`,
    predicted: undefined,
    moved: false,
    inject: () => ctx.sup.killNode(victim.node),
    restore: async () => {
      ctx.cluster.startEtcd(victim);
      await ctx.cluster.waitEtcd(quorum);
      await ctx.cluster.waitHealthy(scope, HEAL_MS);
    },
    extraChecks: ({ newPrimary }) => [
      {
        id: 'healthy',
        ok: newPrimary === leader.name,
        detail: `primary ${newPrimary === leader.name ? 'stayed' : 'moved'} (${leader.name} -> ${newPrimary ?? '?'})`,
      },
    ],
  }));
}

export function azLoss(ctx: DrillContext): Promise<DrillResult> {
  return runFault(ctx, 'az-loss', (leader) => {
    const az = leader.az;
    const members = ctx.layout.members.filter((m) => m.az === az && m.region === leader.region);
    const etcd = ctx.layout.etcd.filter((e) => e.az === az && e.region === leader.region);
    const nodes = [
      ...members.flatMap((m) => [m.node, ...(m.pgbouncer ? [m.pgbouncer.node] : [])]),
      ...etcd.map((e) => e.node),
    ];
    return {
      fault: `SIGKILL every node of ${az} at once: ${[...members.map((m) => m.name), ...etcd.map((e) => e.name)].join(', ')}`,
      predicted: predictedFor(ctx.analysis, 'az', az),
      moved: true,
      inject: () => ctx.sup.killNodes([...new Set(nodes)]),
      restore: async () => {
        for (const e of etcd) ctx.cluster.startEtcd(e);
        for (const q of new Set(etcd.map((e) => e.quorum))) await ctx.cluster.waitEtcd(q);
        await restartMembers(ctx, members);
      },
    };
  });
}

export function dcsPartition(ctx: DrillContext): Promise<DrillResult> {
  return runFault(ctx, 'dcs-partition', (leader) => {
    const quorum = ctx.layout.clusters.find((c) => c.scope === leader.cluster)!.quorum;
    const etcd = ctx.cluster.etcdOf(quorum);
    return {
      fault: `cut the primary ${leader.name} off from etcd (${etcd.map((e) => e.name).join(', ')}); PostgreSQL links stay up`,
      // A primary cut from its DCS loses the leader key like a lost member: the same timers apply.
      predicted: predictedFor(ctx.analysis, 'member', leader.name),
      moved: true,
      inject: async () => {
        ctx.cutter.cut({ node: leader.node, to: etcd.map((e) => e.address) });
      },
      // The links come back as they would in production, with every daemon left running. Only on a
      // release whose Patroni puts the leader key without a compare (3.0.2, Debian 12: PGT-REL-001) the
      // restore stops the cut-off member's Patroni before the heal and starts it after: there the heal can
      // hand it the lock back from the new primary (patroni/patroni#3314), and the drills after this one
      // need a sound cluster. Debian 13's Patroni 4.0.7 heals as it is.
      restore: async () => {
        const hijackable = !ctx.layout.topology.release.features.leaderKeyCompare;
        if (hijackable) await ctx.sup.stop(leader.patroni.name, 30_000);
        ctx.cutter.healAll();
        if (hijackable) await restartMembers(ctx, [leader]);
        else await ctx.cluster.waitHealthy(leader.cluster, HEAL_MS);
      },
    };
  });
}

export function regionPromotion(ctx: DrillContext): Promise<DrillResult> {
  const standby = ctx.layout.clusters.find((c) => c.role === 'standby');
  if (!standby) {
    return Promise.resolve(
      unmeasured('region-promotion', Date.now(), {
        fault: 'skipped: no standby region booted (a spec with a standby region, and --region-standby)',
        skipped: true,
      }),
    );
  }
  return runFault(ctx, 'region-promotion', (leader) => {
    const region = leader.region;
    const members = ctx.layout.members.filter((m) => m.region === region);
    const etcd = ctx.layout.etcd.filter((e) => e.region === region);
    const endpoints = ctx.layout.endpoints.filter((e) => e.region === region);
    const nodes = [
      ...members.flatMap((m) => [m.node, ...(m.pgbouncer ? [m.pgbouncer.node] : [])]),
      ...etcd.map((e) => e.node),
      ...endpoints.map((e) => e.node),
    ];
    return {
      fault:
        `region ${region} goes dark (every member, etcd member and endpoint killed); runbook: ` +
        `remove standby_cluster from ${standby.scope}'s dynamic configuration (PATCH /config)`,
      predicted: predictedFor(ctx.analysis, 'region', region),
      moved: true,
      survivorScope: standby.scope,
      inject: () => ctx.sup.killNodes([...new Set(nodes)]),
      afterFault: async (load) => {
        // The documented runbook step: promote the standby cluster by dropping standby_cluster.
        const target = await waitFor(
          `the standby leader of ${standby.scope}`,
          () => ctx.cluster.leader(standby.scope),
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        const r = await request(`${ctx.cluster.member(target).restUrl}/config`, {
          method: 'PATCH',
          body: { standby_cluster: null },
          auth: ctx.layout.restAuth,
          ca: ctx.layout.tls?.ca,
          timeoutMs: 10_000,
        });
        if (r.status !== 200) throw new Error(`PATCH /config refused: ${r.status} ${r.text.trim()}`);
        // The global writer name moves with the primary region: the client follows it.
        load.retarget(ctx.cluster.writerConn(standby.scope));
      },
      restore: async () => {
        // The old region is gone for good in this drill; nothing to restore (the rehearsal ends).
      },
    };
  });
}

/**
 * A CDC consumer follows the first change feed of the primary cluster through the writer endpoint while
 * the primary is killed under write load. Every acknowledged write must reach the consumer (duplicates
 * are counted and allowed: delivery is at least once), so the feed's slot must be on the new primary,
 * no further ahead than the consumer had confirmed.
 */
export function cdcFailover(ctx: DrillContext): Promise<DrillResult> {
  const feed = rehearsedFeeds(ctx.layout).find((f) => f.cluster === ctx.cluster.primaryScope);
  if (!feed) {
    return Promise.resolve(
      unmeasured('cdc-failover', Date.now(), {
        fault: 'skipped: the spec declares no CDC feed on the primary cluster',
        skipped: true,
      }),
    );
  }
  const consumer = new CdcConsumer({
    conn: cdcConn(ctx.cluster, ctx.logical, feed),
    slot: feed.slot,
    publication: feed.publication,
    relation: feed.relation,
  });
  return runFault(ctx, 'cdc-failover', (leader) => ({
    fault: `SIGKILL Patroni and PostgreSQL on the primary ${leader.name} while a pgoutput consumer streams slot ${feed.slot} (owner: ${feed.owner}) through the writer endpoint`,
    predicted: predictedFor(ctx.analysis, 'member', leader.name),
    moved: true,
    load: { database: feed.database, table: feed.table },
    inject: () => ctx.sup.killNode(leader.node),
    restore: () => restartMembers(ctx, [leader]),
    observer: {
      start: async () => {
        // A slot nobody has consumed yet is not synchronized to standbys (PostgreSQL 17 syncs a slot only
        // once its consumer has moved it past the standby's catalog horizon): an earlier failover of this
        // rehearsal has lost it. The plan applied again, as an operator's idempotent apply would, recreates it.
        await applyLogicalPlan({
          cluster: ctx.cluster,
          sup: ctx.sup,
          secrets: ctx.logical,
          plan: primaryPlan(ctx.layout, feed.cluster)!,
          progress: ctx.progress,
        });
        consumer.start();
        await waitFor('the CDC consumer to stream', () => consumer.streaming, { timeoutMs: 30_000 });
      },
      // A failover slot is carried over only once the consumer has confirmed progress on it.
      ready: async () => {
        const ready = await waitSlotReady(ctx.cluster, primaryPlan(ctx.layout, feed.cluster)!, feed.slot);
        ctx.progress(`cdc-failover: slot ${feed.slot} ready for failover on ${ready.join(', ')}`);
      },
      finish: async ({ acked, faultAt }) => {
        const caught = await waitFor(
          'the CDC consumer to receive every acknowledged write',
          () => consumer.allArrivedAt(acked),
          {
            timeoutMs: CDC_CATCH_UP_MS,
            intervalMs: 250,
          },
        ).catch(() => undefined);
        await consumer.stop();
        const c = consumer.counts(acked);
        const slot = await slotOnPrimary(ctx, feed);
        return {
          logical: {
            kind: 'cdc',
            name: feed.name,
            slot: feed.slot,
            slotOwner: feed.owner,
            received: c.received,
            duplicates: c.duplicates,
            gaps: c.gaps,
            reconnects: c.reconnects,
            caughtUpSeconds: caught && faultAt ? round((caught - faultAt) / 1000) : null,
          },
          checks: [
            {
              id: 'stream-no-gaps',
              ok: c.gaps === 0 && acked.length > 0,
              detail: `${c.received} row(s) received for ${acked.length} acknowledged write(s): ${c.gaps} missing, ${c.duplicates} duplicate(s), ${c.reconnects} reconnect(s)${c.errors.length ? `; last error: ${c.errors.at(-1)}` : ''}`,
            },
            {
              id: 'slot-survived',
              ok: slot !== undefined,
              detail: slot
                ? `slot ${feed.slot} on the primary ${slot}`
                : `slot ${feed.slot} is not on the primary`,
            },
          ],
        };
      },
    },
  }));
}

/** The primary that holds the feed's slot, if it does. */
async function slotOnPrimary(ctx: DrillContext, feed: RehearsedFeed): Promise<string | undefined> {
  const primary = await ctx.cluster.leader(feed.cluster);
  if (!primary) return undefined;
  const rows = await ctx.cluster.sql(
    ctx.cluster.memberConn(primary),
    'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1',
    [feed.slot],
  );
  return rows.length > 0 ? primary : undefined;
}

export async function pitr(ctx: DrillContext): Promise<DrillResult> {
  const started = Date.now();
  if (!ctx.pitr) {
    return unmeasured('pitr', started, {
      fault: 'skipped: archive.enabled is false, nothing to restore from',
      skipped: true,
    });
  }
  try {
    const o = await ctx.pitr(ctx);
    return result('pitr', started, {
      fault: o.fault,
      rtoSeconds: null,
      longestWriteGapSeconds: null,
      acknowledgedWrites: o.loadAcks,
      lostAcknowledgedWrites: o.counts.loadAckedBeforeMissing,
      maxConcurrentWriters: null,
      pitr: o.counts,
      checks: evaluate({
        rtoSeconds: null,
        lost: null,
        maxWriters: null,
        zeroLossPromised: false,
        expectWrites: false,
        pitr: o.counts,
      }),
    });
  } catch (e) {
    return unmeasured('pitr', started, {
      fault: 'restore to a timestamp into a scratch instance',
      error: (e as Error).message,
    });
  }
}

export const DRILLS: Readonly<Record<DrillName, (ctx: DrillContext) => Promise<DrillResult>>> = {
  'kill-primary': killPrimary,
  switchover,
  'etcd-member-loss': etcdMemberLoss,
  'az-loss': azLoss,
  'dcs-partition': dcsPartition,
  pitr,
  'cdc-failover': cdcFailover,
  'subscription-failover': subscriptionFailover,
  upgrade,
  'region-promotion': regionPromotion,
};
