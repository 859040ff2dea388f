/**
 * The drills of a sharded fleet, on one boot (`FleetRehearsal`): the write load runs through the
 * coordinator's writer endpoint into the partitioned table; every drill ends by reading each shard
 * directly (no acknowledged write missing, none on two shards, each on its slot's owner) and leaves the
 * fleet healthy for the next.
 * - shard-failover: a shard's primary is killed; RTO counts only the writes whose keys that shard owns
 *   (the other shards' keys never stop);
 * - coordinator-failover: the coordinator's primary is killed; RTO counts every write;
 * - shard-move: a hash slot moves to another shard (`fleet-move.ts`); the write pause is the longest stretch
 *   without an acknowledged write from the cutover's lock request to the first write after its commit.
 */

import type { Fleet } from '../model/fleet.js';
import { shardSlot } from '../model/fleet-hash.js';
import { ownerOf } from '../model/fleet-route.js';
import { analyzeFailures } from '../policy/failures.js';
import { serverName, slotPartitions } from '../render/shard-coordinator.js';
import { type DrillObserver, predictedFor, result, runFault, unmeasured } from './drills.js';
import { FleetRehearsal, type FleetRehearsalOptions, type FleetRehearsalReport } from './fleet.js';
import { type MoveOutcome, moveSlot } from './fleet-move.js';
import { WriteLoad, WriterProbe } from './load.js';
import { type Check, type DrillResult, type FleetDrillName, longestGapSeconds, round } from './measure.js';
import type { Rehearsal } from './rehearse.js';
import { sleep, waitFor } from './wait.js';

const HEAL_MS = 180_000;

/**
 * Reads every shard directly once the drill is over and judges the acknowledged writes; with a faulted
 * shard, also probes that shard's members for two writers at once, from before the fault until it healed.
 */
function shardVerifier(f: FleetRehearsal, faulted?: Rehearsal): DrillObserver {
  let probe: WriterProbe | undefined;
  return {
    start: async () => {
      if (!faulted) return;
      const c = faulted.cluster;
      probe = new WriterProbe(
        c.membersOf(c.primaryScope).map((m) => ({ name: m.name, conn: c.memberConn(m.name) })),
      );
      probe.start();
    },
    finish: async ({ acked }) => {
      await probe?.stop();
      const checks = (await f.verify(acked)).checks;
      if (probe && faulted) {
        const most = probe.maxConcurrentWriters();
        checks.push({
          id: 'single-writer',
          ok: most <= 1,
          detail: `shard ${faulted.topology.name}: at most ${most} member(s) accepted writes at the same time`,
        });
      }
      return { checks };
    },
  };
}

function loadTarget(f: FleetRehearsal) {
  return { database: f.database, table: f.fleet.tables[0]!.name };
}

/** Kills the primary of one shard (the next one on each run) under write load through the coordinator. */
export async function shardFailover(f: FleetRehearsal): Promise<DrillResult> {
  const index = f.nextRun('shard-failover') % f.shards.length;
  const shard = f.shards[index]!;
  const sc = shard.cluster;
  const scope = sc.primaryScope;
  const keyType = f.fleet.tables[0]!.keyType;
  const started = Date.now();
  let leaderName: string;
  try {
    leaderName = await sc.waitHealthy(scope, HEAL_MS);
  } catch (e) {
    return unmeasured('shard-failover', started, {
      fault: `kill the primary of ${shard.topology.name}`,
      error: (e as Error).message,
    });
  }
  const leader = sc.member(leaderName);
  const r = await runFault(f.coordinator.context(), 'shard-failover', () => ({
    fault: `SIGKILL Patroni and PostgreSQL on ${leader.name}, the primary of shard ${shard.topology.name}, under write load through the coordinator`,
    predicted: predictedFor(analyzeFailures(shard.topology, { endpoint: 'haproxy' }), 'member', leader.name),
    moved: false,
    measured: (a) => ownerOf(f.fleet.ownership, keyType, a.seq) === index,
    inject: () => shard.sup.killNode(leader.node),
    restore: async () => {
      sc.startMember(leader);
      await sc.waitHealthy(scope, HEAL_MS);
    },
    load: loadTarget(f),
    observer: shardVerifier(f, shard),
  }));
  // The coordinator's leader never moved: report the shard's.
  return { ...r, oldPrimary: leader.name, newPrimary: await sc.leader(scope) };
}

/** Kills the coordinator's primary under write load through its writer endpoint. */
export function coordinatorFailover(f: FleetRehearsal): Promise<DrillResult> {
  f.nextRun('coordinator-failover');
  const c = f.coordinator;
  const ctx = c.context();
  return runFault(ctx, 'coordinator-failover', (leader) => ({
    fault: `SIGKILL Patroni and PostgreSQL on ${leader.name}, the primary of the coordinator ${c.topology.name}, under write load through it`,
    predicted: predictedFor(analyzeFailures(c.topology, { endpoint: 'haproxy' }), 'member', leader.name),
    moved: true,
    inject: () => c.sup.killNode(leader.node),
    restore: async () => {
      c.cluster.startMember(leader);
      await c.cluster.waitHealthy(c.cluster.primaryScope, HEAL_MS);
    },
    load: loadTarget(f),
    observer: shardVerifier(f),
  }));
}

/** The slot a move run takes: one of shard `from`'s slots, another on each run. */
export function slotToMove(fleet: Fleet, from: number, run: number): number {
  const o = fleet.ownership;
  if (o.kind !== 'hash') throw new RangeError('only a hash-sharded fleet moves slots');
  const mine = o.owners.flatMap((c, s) => (c.length === 1 && c[0] === from ? [s] : []));
  if (mine.length === 0) throw new RangeError(`shard ${fleet.shards[from]!.name} owns no slot to move`);
  return mine[run % mine.length]!;
}

/** Moves a slot (from shard run mod N to the next shard) under write load through the coordinator. */
export async function shardMove(f: FleetRehearsal): Promise<DrillResult> {
  const started = Date.now();
  const run = f.nextRun('shard-move');
  const n = f.shards.length;
  const from = run % n;
  const to = (from + 1) % n;
  const slot = slotToMove(f.fleet, from, run);
  const o = f.fleet.ownership;
  const slots = o.kind === 'hash' ? o.slots : 1;
  const keyType = f.fleet.tables[0]!.keyType;
  const inSlot = (seq: number) => shardSlot(keyType, seq, slots) === slot;
  const fault = `move slot ${slot} from ${f.fleet.shards[from]!.name} to ${f.fleet.shards[to]!.name} under write load through the coordinator`;
  const coord = f.coordinator.cluster;
  const ctx = f.coordinator.context();
  const load = new WriteLoad(coord.writerConn(coord.primaryScope, f.database), {
    firstSeq: ctx.firstSeq,
    table: loadTarget(f).table,
  });
  let error: string | undefined;
  let moved: MoveOutcome | undefined;
  let resumedAt: number | undefined;
  try {
    load.start();
    await waitFor('the write load to flow', () => load.acks.length >= 20, { timeoutMs: 30_000 });
    ctx.progress(`shard-move: ${fault}`);
    moved = await moveSlot(
      {
        fleet: f.fleet,
        generation: f.generation,
        shards: f.shards,
        coordinator: f.coordinator,
        secrets: f.secrets,
        psql: (r, name, text) => f.psql(r, name, text),
        trust: (consumer, provider) => f.trust(consumer, provider),
        progress: ctx.progress,
      },
      slot,
      to,
    );
    f.fleet = moved.fleet;
    f.generation = moved.generation;
    if (moved.cleanupError) error = `cleaning up after the cutover: ${moved.cleanupError}`;
    const committedAt = moved.committedAt;
    resumedAt = await waitFor(
      `a write of slot ${slot} acknowledged after the cutover`,
      () => load.acks.find((a) => a.sentAt >= committedAt && inSlot(a.seq))?.ackAt,
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await sleep(1000);
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await load.stop();
  }
  const checks: Check[] = [];
  let lost: number | null = null;
  let duplicated: number | null = null;
  try {
    const v = await f.verify(load.ackedSeqs());
    checks.push(...v.checks);
    lost = v.lost;
    duplicated = v.duplicated;
    if (moved) checks.push(await cutoverCheck(f, slot, to));
  } catch (e) {
    error ??= `reading the shards after the move: ${(e as Error).message}`;
  }
  checks.push({
    id: 'writes-resumed',
    ok: resumedAt !== undefined,
    detail: resumedAt
      ? 'writes of the moved slot acknowledged by the new owner'
      : 'no write of the moved slot after the cutover',
  });
  let pause: number | null = null;
  let slowest: number | null = null;
  if (moved) {
    const after = load.acks.find((a) => a.ackAt >= moved!.committedAt)?.ackAt ?? moved.committedAt;
    pause = longestGapSeconds(load.acks, moved.lockRequestedAt, after);
    const window = load.acks.filter((a) => a.ackAt >= moved!.lockRequestedAt && a.sentAt <= after);
    slowest = window.length ? round(Math.max(...window.map((a) => a.ackAt - a.sentAt)) / 1000, 3) : null;
  }
  ctx.progress(
    `shard-move: ${moved ? `${moved.rows} row(s) moved, write pause ${pause} s (lock held ${moved.lockSeconds} s)` : 'not moved'}`,
  );
  return result('shard-move', started, {
    fault,
    rtoSeconds: null,
    longestWriteGapSeconds: pause,
    acknowledgedWrites: load.acks.length,
    lostAcknowledgedWrites: lost,
    maxConcurrentWriters: null,
    checks,
    figures: {
      writePauseSeconds: pause,
      slowestWriteSeconds: slowest,
      lockSeconds: moved?.lockSeconds ?? null,
      catchUpSeconds: moved?.catchUpSeconds ?? null,
      copySeconds: moved?.copySeconds ?? null,
      rowsMoved: moved?.rows ?? null,
      duplicatedRows: duplicated,
      generation: moved?.generation ?? null,
      writesOfSlot: load.acks.filter((a) => inSlot(a.seq)).length,
    },
    ...(error ? { error } : {}),
  });
}

/** The catalog names the new owner of the slot, and the coordinator's partitions read from it. */
async function cutoverCheck(f: FleetRehearsal, slot: number, to: number): Promise<Check> {
  const owners = await f.catalogOwners();
  const c = f.coordinator.cluster;
  const servers = await c.sql<{ rel: string; srv: string }>(
    c.writerDirectConn(c.primaryScope, f.database),
    `SELECT ft.ftrelid::regclass::text AS rel, s.srvname AS srv FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid::regclass::text = ANY($1)`,
    [slotPartitions(f.fleet, slot)],
  );
  const want = f.fleet.shards[to]!;
  const ok =
    owners.slots[slot] === want.name &&
    owners.generation === f.generation &&
    servers.length === f.fleet.tables.length &&
    servers.every((s) => s.srv === serverName(want));
  return {
    id: 'move-cutover',
    ok,
    detail: `catalog generation ${owners.generation}: slot ${slot} -> ${owners.slots[slot]}; coordinator partitions ${servers.map((s) => `${s.rel}@${s.srv}`).join(', ')}; expected ${want.name}`,
  };
}

export const FLEET_DRILLS: Readonly<Record<FleetDrillName, (f: FleetRehearsal) => Promise<DrillResult>>> = {
  'shard-failover': shardFailover,
  'coordinator-failover': coordinatorFailover,
  'shard-move': shardMove,
};

/** Runs one fleet drill, with a progress line of its verdict. */
export async function fleetDrill(f: FleetRehearsal, name: FleetDrillName): Promise<DrillResult> {
  f.progress(`drill ${name}`);
  const r = await FLEET_DRILLS[name](f);
  const why = [
    ...(r.error ? [r.error] : []),
    ...r.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`),
  ];
  f.progress(
    `drill ${name}: ${r.status}${r.rtoSeconds !== null ? `, RTO ${r.rtoSeconds} s` : ''}${why.length ? ` (${why.join('; ')})` : ''}`,
  );
  return r;
}

/** Boots the fleet once, runs the drills in the order given (names may repeat), reports, stops everything. */
export async function rehearseFleet(
  fleet: Fleet,
  drills: readonly FleetDrillName[],
  opts: FleetRehearsalOptions & { spec?: string } = {},
): Promise<FleetRehearsalReport> {
  const f = await FleetRehearsal.boot(fleet, opts);
  const results: DrillResult[] = [];
  let ownership: FleetRehearsalReport['ownership'] = { generation: f.generation, slots: [] };
  let failed = false;
  try {
    for (const d of drills) results.push(await fleetDrill(f, d));
    ownership = await f.catalogOwners();
  } finally {
    failed = results.some((r) => r.status !== 'passed');
    await f.shutdown({ keepFiles: failed });
  }
  return f.report(results, opts.spec ?? fleet.name, ownership);
}
