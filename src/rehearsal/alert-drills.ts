/**
 * Drills that degrade a link rather than break a node, asserted through what operators watch: the alerts of
 * the rehearsal's Prometheus (`RehearsalPrometheus`), the reader endpoint's health check, the commit latency
 * a client sees. Both leave a healthy cluster behind (links healed, replica caught up).
 *
 * - `lag-spike`: one replica's link to the leader is stalled (every packet it sends to the leader's address is
 *   dropped, so the leader's stream to it stops at a full window) while WAL is written steadily: its lag passes
 *   the bound, the reader endpoint's check (`/replica?lag=`) drops it, `PgtopoReplicaLagAboveBound` fires
 *   although the replica catches up from the archive now and then (its lag saw-tooths); healed, it catches up,
 *   the check takes it back and the alert resolves.
 * - `packet-loss`: a share of the packets from the synchronous standby to the leader is dropped
 *   (`-m statistic`): commit latency through the writer endpoint is measured before and during the loss, and
 *   the leader must not change (no failover flapping) and nothing must page.
 *
 * The links are cut with iptables by the sender's cgroup (`LinkCutter`), the way `dcs-partition` cuts them:
 * loopback addresses alone cannot tell a replica's stream from other clients (they all send from 127.0.0.1).
 */
import { HEALTH_PATHS } from '../model/constants.js';
import { LAG_FOR_SECONDS, LAG_MEDIAN_WINDOW_SECONDS, lagBoundBytes } from '../render/alerts.js';
import type { DrillContext } from './drills.js';
import type { MemberLayout } from './layout.js';
import { WriteLoad } from './load.js';
import type { AlertDrillName, Check, DrillResult, ObservedAlert } from './measure.js';
import { round } from './measure.js';
import { REHEARSAL_SCRAPE_SECONDS } from './plan.js';
import type { RehearsalPrometheus } from './prometheus.js';
import { request } from './rest.js';
import { sleep, waitFor } from './wait.js';

/** The drills' context; without `prometheus` they measure but assert no alert. */
export type AlertDrillContext = DrillContext;

const HEAL_MS = 180_000;
/**
 * How long the lag alert may take to fire: half its median window (the lag must be above the bound in most of
 * it), its `for`, and slack for the dips of a replica catching up from the archive.
 */
const ALERT_FIRE_MS = (LAG_MEDIAN_WINDOW_SECONDS / 2 + LAG_FOR_SECONDS + 120) * 1000;
/** ... and to resolve once the replica caught up: half the median window, plus slack. */
const ALERT_RESOLVE_MS = (LAG_MEDIAN_WINDOW_SECONDS / 2 + 60) * 1000;
/** Share of the standby's packets the packet-loss drill drops, and for how long. */
export const PACKET_LOSS_PERCENT = 20;
const PACKET_LOSS_MS = 30_000;
const BASELINE_MS = 10_000;
const LAG_ALERT = 'PgtopoReplicaLagAboveBound';

const secondsSince = (t0: number) => round((Date.now() - t0) / 1000, 1);

function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function finish(
  drill: AlertDrillName,
  started: number,
  r: Pick<DrillResult, 'fault' | 'oldPrimary' | 'newPrimary' | 'checks' | 'alerts' | 'figures' | 'error'> & {
    acknowledgedWrites?: number;
  },
): DrillResult {
  const status = r.error ? 'error' : r.checks.every((c) => c.ok) ? 'passed' : 'failed';
  return {
    drill,
    status,
    rtoSeconds: null,
    longestWriteGapSeconds: null,
    acknowledgedWrites: r.acknowledgedWrites ?? 0,
    lostAcknowledgedWrites: null,
    maxConcurrentWriters: null,
    ...r,
    durationSeconds: round((Date.now() - started) / 1000, 1),
  };
}

/** A replica to degrade: one that is not a synchronous or quorum standby when the cluster has one. */
async function pickReplica(
  ctx: DrillContext,
  leader: string,
  prefer: 'async' | 'sync',
): Promise<MemberLayout> {
  const s = await ctx.cluster.state(ctx.cluster.primaryScope);
  const others = (s?.members ?? []).filter((m) => m.name !== leader);
  const sync = (r: string) => r === 'sync_standby' || r === 'quorum_standby';
  const pick =
    others.find((m) => (prefer === 'sync' ? sync(m.role) : !sync(m.role))) ?? others.find(() => true);
  if (!pick) throw new Error('the cluster has no replica to degrade');
  return ctx.cluster.member(pick.name);
}

/** Whether Patroni's reader check on the member passes (what HAProxy's reader backend asks). */
async function readerCheck(ctx: DrillContext, m: MemberLayout, maxLagBytes: number): Promise<boolean> {
  const r = await request(`${m.restUrl}${HEALTH_PATHS.reader(maxLagBytes)}`, {
    ca: ctx.layout.tls?.ca,
    timeoutMs: 2000,
  }).catch(() => undefined);
  return r?.status === 200;
}

/**
 * The alert's state now: pending, firing, `inactive`, or `unknown` when Prometheus did not answer (a poll that
 * fails under load is not an alert that resolved).
 */
export async function alertState(
  p: RehearsalPrometheus,
  name: string,
  member?: string,
): Promise<'pending' | 'firing' | 'inactive' | 'unknown'> {
  const all = await p.alerts().catch(() => undefined);
  if (!all) return 'unknown';
  return all.find((a) => a.name === name && (!member || a.labels.member === member))?.state ?? 'inactive';
}

/** Rows of ~1.9 kB (below the TOAST threshold, so not compressed) the lag-spike writer inserts per round. */
const LAG_ROWS_PER_ROUND = 140;
const LAG_ROUND_MS = 2000;

/**
 * Samples, once a second until stopped, the replica's lag as Patroni reports it and the reader check: how much
 * of the time the lag was above the bound and the replica out of the reader pool.
 */
function sampleLag(ctx: DrillContext, replica: MemberLayout, bound: number, readerBound: number) {
  const { cluster } = ctx;
  let running = true;
  let peak: number | null = null;
  let n = 0;
  let above = 0;
  let out = 0;
  const loop = (async () => {
    while (running) {
      const s = await cluster.state(cluster.primaryScope).catch(() => undefined);
      const lag = s?.members.find((m) => m.name === replica.name)?.lag;
      if (typeof lag === 'number') {
        n++;
        if (lag > bound) above++;
        if (peak === null || lag > peak) peak = lag;
        if (!(await readerCheck(ctx, replica, readerBound))) out++;
      }
      await sleep(1000);
    }
  })();
  return {
    get peak() {
      return peak;
    },
    stop: async () => {
      running = false;
      await loop;
      return {
        peakLagBytes: peak,
        lagSamples: n,
        lagAboveBoundShare: n > 0 ? round(above / n, 2) : null,
        readerOutShare: n > 0 ? round(out / n, 2) : null,
      };
    },
  };
}

/** Inserts WAL through the writer endpoint, LAG_ROWS_PER_ROUND rows every LAG_ROUND_MS, until stopped. */
function writeWal(ctx: DrillContext) {
  let running = true;
  let rounds = 0;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      await ctx.cluster
        .adminSql(
          ctx.cluster.primaryScope,
          `INSERT INTO pgtopo_lag_spike SELECT repeat(md5(random()::text), 60) FROM generate_series(1, ${LAG_ROWS_PER_ROUND})`,
          [],
          30_000,
        )
        .then(() => rounds++)
        .catch(() => undefined);
      await sleep(Math.max(0, LAG_ROUND_MS - (Date.now() - t0)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return rounds;
    },
  };
}

export async function lagSpike(ctx: AlertDrillContext): Promise<DrillResult> {
  const started = Date.now();
  const { cluster, layout } = ctx;
  const t = layout.topology;
  const scope = cluster.primaryScope;
  const bound = lagBoundBytes(t);
  const readerBound = t.endpoints.readerMaxLagBytes;
  const checks: Check[] = [];
  const figures: Record<string, number | null> = { lagBoundBytes: bound, readerMaxLagBytes: readerBound };
  let error: string | undefined;
  let fault = 'stall one replica’s stream under a steady write load';
  let alerts: ObservedAlert[] | undefined;
  let leaderName: string | undefined;
  let faultAt: number | undefined;
  let writer: ReturnType<typeof writeWal> | undefined;
  let sampler: ReturnType<typeof sampleLag> | undefined;
  const watch = ctx.prometheus?.watch();
  try {
    leaderName = await cluster.waitHealthy(scope, HEAL_MS);
    const leader = cluster.member(leaderName);
    const replica = await pickReplica(ctx, leaderName, 'async');
    const rate = Math.round((LAG_ROWS_PER_ROUND * 1900) / (LAG_ROUND_MS / 1000) / 1024);
    // No pg_wal_replay_pause(): Patroni (PostgreSQL 14+) resumes a paused replay on every loop of a replica
    // (`handle_parameter_change`). The stalled replica falls back to the archive (restore_command) once
    // wal_receiver_timeout ends its stream, and catches up one archived segment at a time: its lag saw-tooths
    // above and below the bound, as it would in production. The alert must fire through that.
    fault = `drop every packet ${replica.name} sends to the leader ${leader.name} (its stream stalls; it can only catch up from the archive) while ~${rate} KiB/s of WAL is written`;
    ctx.progress(`lag-spike: ${fault}`);
    await cluster.adminSql(scope, 'CREATE TABLE IF NOT EXISTS pgtopo_lag_spike (b text)');
    faultAt = Date.now();
    ctx.cutter.cut({ node: replica.node, to: [leader.address] });
    writer = writeWal(ctx);
    sampler = sampleLag(ctx, replica, bound, readerBound);
    const s = sampler;
    const above = await waitFor(
      `${replica.name} lagging beyond ${bound} bytes`,
      async () => (s.peak ?? 0) > bound,
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch(() => false);
    figures.lagAboveBoundAfterSeconds = above ? secondsSince(faultAt) : null;
    const dropped = await waitFor(
      'the reader check failing on the lagging replica',
      async () => !(await readerCheck(ctx, replica, readerBound)),
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch(() => false);
    figures.readerDroppedAfterSeconds = dropped ? secondsSince(faultAt) : null;
    checks.push({
      id: 'reader-dropped',
      ok: dropped,
      detail: dropped
        ? `reader check /replica?lag=${readerBound} failed on ${replica.name} ${figures.readerDroppedAfterSeconds} s after the stall`
        : `reader check still passes on ${replica.name}`,
    });
    const p = ctx.prometheus;
    if (p) {
      const fired = await waitFor(
        `${LAG_ALERT} firing for ${replica.name}`,
        async () => (await alertState(p, LAG_ALERT, replica.name)) === 'firing',
        { timeoutMs: ALERT_FIRE_MS, intervalMs: 1000 },
      ).catch(() => false);
      figures.alertFiringAfterSeconds = fired ? secondsSince(faultAt) : null;
      checks.push({
        id: 'alert-fired',
        ok: fired,
        detail: fired
          ? `${LAG_ALERT} fired for ${replica.name} ${figures.alertFiringAfterSeconds} s after the stall`
          : `${LAG_ALERT} did not fire within ${ALERT_FIRE_MS / 1000} s`,
      });
    }
    ctx.progress('lag-spike: healing the link, stopping the writes');
    const healedAt = Date.now();
    figures.healedAfterSeconds = secondsSince(faultAt);
    ctx.cutter.healAll();
    figures.writeRounds = await writer.stop();
    writer = undefined;
    Object.assign(figures, await s.stop());
    sampler = undefined;
    checks.unshift({
      id: 'lag-above-bound',
      ok: above,
      detail: `${replica.name} lag peaked at ${figures.peakLagBytes ?? '?'} bytes (bound ${bound}), above the bound in ${Math.round((figures.lagAboveBoundShare ?? 0) * 100)}% of ${figures.lagSamples} samples`,
    });
    const back = await waitFor(
      'the reader check passing again',
      () => readerCheck(ctx, replica, readerBound),
      { timeoutMs: HEAL_MS, intervalMs: 500 },
    ).catch(() => false);
    figures.readerBackAfterHealSeconds = back ? secondsSince(healedAt) : null;
    if (p) {
      // Resolved: inactive in every answered poll for more than one rule evaluation, so that an alert whose
      // condition lapses for one evaluation and holds again is not taken for resolved.
      let inactiveSince: number | undefined;
      const resolved = await waitFor(
        `${LAG_ALERT} resolved`,
        async () => {
          const state = await alertState(p, LAG_ALERT, replica.name);
          if (state === 'unknown') return false;
          if (state !== 'inactive') inactiveSince = undefined;
          else inactiveSince ??= Date.now();
          return (
            inactiveSince !== undefined && Date.now() - inactiveSince > (REHEARSAL_SCRAPE_SECONDS + 1) * 1000
          );
        },
        { timeoutMs: ALERT_RESOLVE_MS, intervalMs: 1000 },
      ).catch(() => false);
      figures.alertResolvedAfterHealSeconds = resolved ? secondsSince(healedAt) : null;
      checks.push({
        id: 'alert-resolved',
        ok: resolved,
        detail: resolved
          ? `${LAG_ALERT} resolved ${figures.alertResolvedAfterHealSeconds} s after the heal`
          : `${LAG_ALERT} still active ${ALERT_RESOLVE_MS / 1000} s after the heal`,
      });
    }
    const healthy = await cluster.waitHealthy(scope, HEAL_MS).catch(() => undefined);
    checks.push({
      id: 'healthy',
      ok: healthy !== undefined && back,
      detail: healthy
        ? `healthy, leader ${healthy}; ${replica.name} back in the reader pool ${figures.readerBackAfterHealSeconds} s after the heal`
        : 'not healthy again',
    });
    await cluster.adminSql(scope, 'DROP TABLE IF EXISTS pgtopo_lag_spike');
  } catch (e) {
    error = (e as Error).message;
  } finally {
    ctx.cutter.healAll();
    await writer?.stop();
    await sampler?.stop();
    alerts = await watch?.stop(faultAt);
  }
  return finish('lag-spike', started, {
    fault,
    ...(leaderName ? { oldPrimary: leaderName } : {}),
    checks,
    figures,
    error,
    ...(alerts ? { alerts } : {}),
  });
}

export async function packetLoss(ctx: AlertDrillContext): Promise<DrillResult> {
  const started = Date.now();
  const { cluster } = ctx;
  const scope = cluster.primaryScope;
  const checks: Check[] = [];
  const figures: Record<string, number | null> = { lossPercent: PACKET_LOSS_PERCENT };
  let error: string | undefined;
  let fault = `drop ${PACKET_LOSS_PERCENT}% of the packets from the synchronous standby to the leader`;
  let alerts: ObservedAlert[] | undefined;
  let leaderName: string | undefined;
  let load: WriteLoad | undefined;
  let lossAt: number | undefined;
  const leadersSeen = new Set<string>();
  const watch = ctx.prometheus?.watch();
  try {
    leaderName = await cluster.waitHealthy(scope, HEAL_MS);
    const leader = cluster.member(leaderName);
    const standby = await pickReplica(ctx, leaderName, 'sync');
    fault = `drop ${PACKET_LOSS_PERCENT}% of the packets ${standby.name} (synchronous standby) sends to the leader ${leader.name}, for ${PACKET_LOSS_MS / 1000} s`;
    load = new WriteLoad(cluster.writerConn(scope), { firstSeq: ctx.firstSeq });
    load.start();
    const l = load;
    await waitFor('the write load to flow', () => l.acks.length >= 20, { timeoutMs: 30_000 });
    await sleep(BASELINE_MS);
    lossAt = Date.now();
    const from = lossAt;
    ctx.progress(`packet-loss: ${fault}`);
    ctx.cutter.degrade({ node: standby.node, to: [leader.address], lossPercent: PACKET_LOSS_PERCENT });
    while (Date.now() - from < PACKET_LOSS_MS) {
      const now = await cluster.leader(scope);
      if (now) leadersSeen.add(now);
      await sleep(1000);
    }
    ctx.cutter.healAll();
    const healedAt = Date.now();
    await sleep(3000);
    await load.stop();
    const latency = (from: number, to: number) =>
      l.acks.filter((a) => a.sentAt >= from && a.sentAt < to).map((a) => a.ackAt - a.sentAt);
    const before = latency(from - BASELINE_MS, from);
    const during = latency(from, healedAt);
    figures.commitsBefore = before.length;
    figures.commitsDuring = during.length;
    figures.commitMsP50Before = percentile(before, 50);
    figures.commitMsP99Before = percentile(before, 99);
    figures.commitMsP50During = percentile(during, 50);
    figures.commitMsP99During = percentile(during, 99);
    checks.push({
      id: 'writes-resumed',
      ok: during.length > 0,
      detail: `${during.length} commits during the loss (p50 ${figures.commitMsP50During} ms, p99 ${figures.commitMsP99During} ms; before: p50 ${figures.commitMsP50Before} ms, p99 ${figures.commitMsP99Before} ms)`,
    });
    const stable = leadersSeen.size === 1 && leadersSeen.has(leaderName);
    checks.push({
      id: 'no-failover',
      ok: stable,
      detail: stable
        ? `${leaderName} led throughout`
        : `leaders seen: ${[...leadersSeen].join(', ') || 'none'}`,
    });
    const healthy = await cluster.waitHealthy(scope, HEAL_MS).catch(() => undefined);
    checks.push({
      id: 'healthy',
      ok: healthy === leaderName,
      detail: `leader after the drill: ${healthy ?? 'none'}`,
    });
  } catch (e) {
    error = (e as Error).message;
  } finally {
    ctx.cutter.healAll();
    await load?.stop();
    alerts = await watch?.stop(lossAt);
  }
  if (alerts && ctx.prometheus) {
    const paging = alerts.filter((a) => PAGING.has(a.name));
    checks.push({
      id: 'no-paging-alert',
      ok: paging.length === 0,
      detail: paging.length === 0 ? 'no paging alert' : `paged: ${paging.map((a) => a.name).join(', ')}`,
    });
  }
  return finish('packet-loss', started, {
    fault,
    ...(leaderName ? { oldPrimary: leaderName } : {}),
    checks,
    figures,
    error,
    acknowledgedWrites: load?.acks.length ?? 0,
    ...(alerts ? { alerts } : {}),
  });
}

/** Alerts that must stay quiet while a link is merely lossy (the writer outage's ticket included: no failover). */
const PAGING = new Set([
  'PgtopoNoWritableLeader',
  'PgtopoNoWritableLeaderProlonged',
  'PgtopoMultipleLeaders',
  'PgtopoEtcdNoLeader',
]);

export const ALERT_DRILLS: Readonly<
  Record<AlertDrillName, (ctx: AlertDrillContext) => Promise<DrillResult>>
> = {
  'lag-spike': lagSpike,
  'packet-loss': packetLoss,
};
