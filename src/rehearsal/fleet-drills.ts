/**
 * The drills of a sharded fleet, on one boot (`FleetRehearsal`): the write load runs through the
 * coordinator's writer endpoint into the partitioned table; every drill ends by reading each shard
 * directly (no acknowledged write missing, none on two shards, each on its slot's owner) and leaves the
 * fleet healthy for the next.
 * - shard-failover: a shard's primary is killed; RTO counts only the writes whose keys that shard owns
 *   (the other shards' keys never stop);
 * - coordinator-failover: the coordinator's primary is killed; RTO counts every write;
 * - shard-move: a hash slot or a key range (`nextMove`) moves to another shard by the move plan users run
 *   (`renderMovePlan`, run step by step by `fleet-move.ts`); the write pause is the longest stretch without an acknowledged write from
 *   the flip's lock request to the first write after its commit.
 */

import type { Bound, Fleet } from '../model/fleet.js';
import { describeMove, fleetMoves } from '../model/fleet-moves.js';
import { ownerOf } from '../model/fleet-route.js';
import { analyzeFailures } from '../policy/failures.js';
import { partitions, serverName } from '../render/shard-coordinator.js';
import { forwardSteps, type MovePlan, renderMovePlan } from '../render/shard-move.js';
import { type DrillObserver, predictedFor, result, runFault, unmeasured } from './drills.js';
import { FleetRehearsal, type FleetRehearsalOptions, type FleetRehearsalReport } from './fleet.js';
import { type MoveOutcome, movedOwnership, runMovePlan } from './fleet-move.js';
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

/** How far past the live key a range move reaches when it must move keys down (the last shard's lower part). */
export const RANGE_MOVE_MARGIN = 1_000_000;

/**
 * The move a run of the drill makes, as the fleet after it (the plan comes from the fleet before and after,
 * like `pgtopo render --moves`), for the fleet's strategy:
 * - hash: one of shard `run mod N`'s slots moves to the next shard;
 * - range: the bound next to `liveKey` (the next key the write load writes) moves to it, so the moved keys are
 *   the ones the load writes next: the upper part `[liveKey, hi)` of the range holding it goes to the next
 *   shard, or, for the last shard, its lower part `[lo, liveKey + RANGE_MOVE_MARGIN)` to the one before;
 * - directory: the first tenant listed for shard `run mod N` moves to the next shard.
 */
export function nextMove(
  fleet: Fleet,
  run: number,
  liveKey?: number,
): { readonly to: Fleet; readonly slot?: number } {
  const n = fleet.shards.length;
  const from = run % n;
  const o = fleet.ownership;
  if (o.kind === 'hash') {
    const slot = slotToMove(fleet, from, run);
    return { to: { ...fleet, ownership: movedOwnership(o, slot, (from + 1) % n) }, slot };
  }
  if (o.kind === 'directory') {
    const tenant = o.tenants.find((t) => t.shard === from);
    if (!tenant) throw new RangeError(`shard ${fleet.shards[from]!.name} lists no tenant to move`);
    const tenants = o.tenants.map((t) => (t === tenant ? { ...t, shard: (from + 1) % n } : t));
    return { to: { ...fleet, ownership: { ...o, tenants } } };
  }
  if (liveKey === undefined) throw new RangeError('a range move needs the live key the load writes next');
  const ranges = [...o.ranges].sort((x, y) => x.shard - y.shard);
  const num = (b: Bound | undefined) => (b === undefined ? undefined : Number(b));
  const i = ranges.findIndex(
    (r) => (num(r.from) ?? -Infinity) < liveKey && liveKey < (num(r.to) ?? Infinity),
  );
  if (i < 0 || ranges.length < 2)
    throw new RangeError(`no range of fleet ${fleet.name} holds key ${liveKey} strictly inside it`);
  // Shard i gives [liveKey, hi) to i + 1, or (the last shard) [lo, liveKey + margin) to i - 1.
  const [lower, upper] = i < ranges.length - 1 ? [i, i + 1] : [i - 1, i];
  const bound = i < ranges.length - 1 ? liveKey : liveKey + RANGE_MOVE_MARGIN;
  if (i === ranges.length - 1 && num(ranges[i]!.to) !== undefined && bound >= num(ranges[i]!.to)!)
    throw new RangeError(`the last range of fleet ${fleet.name} ends before ${bound}`);
  const moved = ranges.map((r, j) =>
    j === lower ? { ...r, to: bound } : j === upper ? { ...r, from: bound } : r,
  );
  return { to: { ...fleet, ownership: { ...o, ranges: moved } } };
}

/**
 * Moves a slot, a range or a tenant (`nextMove`) under write load through the coordinator, by running the
 * shipped move plan (`renderMovePlan`) step by step.
 */
export async function shardMove(f: FleetRehearsal): Promise<DrillResult> {
  const started = Date.now();
  const run = f.nextRun('shard-move');
  const before = f.fleet;
  const keyType = before.tables[0]!.keyType;
  const coord = f.coordinator.cluster;
  const ctx = f.coordinator.context();
  const load = new WriteLoad(coord.writerConn(coord.primaryScope, f.database), {
    firstSeq: ctx.firstSeq,
    table: loadTarget(f).table,
  });
  let fault = `move ${before.ownership.kind === 'hash' ? 'a slot' : before.ownership.kind === 'range' ? 'a key range' : 'a tenant'} of ${before.shards[run % before.shards.length]!.name} under write load through the coordinator`;
  let after: Fleet | undefined;
  let plan: MovePlan | undefined;
  let moving: (seq: number) => boolean = () => false;
  let error: string | undefined;
  let moved: MoveOutcome | undefined;
  let resumedAt: number | undefined;
  try {
    load.start();
    await waitFor('the write load to flow', () => load.acks.length >= 20, { timeoutMs: 30_000 });
    // The live key: a range move takes the keys the load writes next.
    after = nextMove(before, run, load.nextSeq).to;
    const { moves } = fleetMoves(before, after);
    plan = renderMovePlan(before, after, moves, {
      generation: f.generation,
      endpoint: (s) => f.shardEndpoint(s),
      sslmode: f.sslmode,
      sslrootcert: (s, reader) =>
        f.trust(
          reader.role === 'shard' ? f.shards[shardIndex(before, reader.shard)]! : f.coordinator,
          f.shards[s.index]!,
        ),
      mappedRoles: f.mappedRoles,
      copyTimeoutSeconds: 120,
      catchUpTimeoutSeconds: 30,
    });
    const next = after;
    moving = (seq) => ownerOf(before.ownership, keyType, seq) !== ownerOf(next.ownership, keyType, seq);
    fault = `${moves.map((m) => describeMove(m, (i) => before.shards[i]!.name)).join('; ')}, by the ${forwardSteps(plan).length} steps of the move plan, under write load through the coordinator`;
    ctx.progress(`shard-move: ${fault}`);
    moved = await runMovePlan(
      {
        fleet: before,
        shards: f.shards,
        coordinator: f.coordinator,
        psql: (r, name, text) => f.psql(r, name, text),
        progress: ctx.progress,
      },
      plan,
    );
    f.fleet = after;
    f.generation = plan.generation.to;
    if (moved.cleanupError) error = `cleaning up after the cutover: ${moved.cleanupError}`;
    const committedAt = moved.committedAt;
    resumedAt = await waitFor(
      'a write of the moved keys acknowledged after the cutover',
      () => load.acks.find((a) => a.sentAt >= committedAt && moving(a.seq))?.ackAt,
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
    if (moved && plan) checks.push(await cutoverCheck(f, plan.generation.to));
  } catch (e) {
    error ??= `reading the shards after the move: ${(e as Error).message}`;
  }
  checks.push({
    id: 'writes-resumed',
    ok: resumedAt !== undefined,
    detail: resumedAt
      ? 'writes of the moved keys acknowledged by the new owner'
      : 'no write of the moved keys after the cutover',
  });
  let pause: number | null = null;
  let slowest: number | null = null;
  if (moved) {
    const end = load.acks.find((a) => a.ackAt >= moved!.committedAt)?.ackAt ?? moved.committedAt;
    pause = longestGapSeconds(load.acks, moved.lockRequestedAt, end);
    const window = load.acks.filter((a) => a.ackAt >= moved!.lockRequestedAt && a.sentAt <= end);
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
      generation: moved && plan ? plan.generation.to : null,
      planSteps: moved?.steps ?? null,
      writesOfSlot: load.acks.filter((a) => moving(a.seq)).length,
    },
    ...(error ? { error } : {}),
  });
}

const shardIndex = (f: Fleet, name: string) => f.shards.findIndex((s) => s.name === name);

/**
 * The catalog's current generation is the move's, and every foreign partition on the coordinator reads from
 * the shard that owns it under the fleet after the move.
 */
async function cutoverCheck(f: FleetRehearsal, generation: number): Promise<Check> {
  const owners = await f.catalogOwners();
  const c = f.coordinator.cluster;
  const servers = await c.sql<{ rel: string; srv: string }>(
    c.writerDirectConn(c.primaryScope, f.database),
    'SELECT ft.ftrelid::regclass::text AS rel, s.srvname AS srv FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver',
  );
  const want = f.fleet.tables.flatMap((t) =>
    partitions(f.fleet, t).map(
      ([suffix, , shard]) => `${t.name}_${suffix}@${serverName(f.fleet.shards[shard]!)}`,
    ),
  );
  const have = servers.map((s) => `${s.rel}@${s.srv}`);
  const wrong = want.filter((w) => !have.includes(w));
  const extra = have.filter((h) => !want.includes(h));
  return {
    id: 'move-cutover',
    ok: owners.generation === generation && wrong.length === 0 && extra.length === 0,
    detail: `catalog generation ${owners.generation} (expected ${generation}); coordinator partitions: ${have.length} of ${want.length} as the new ownership says${wrong.length ? `, missing ${wrong.join(', ')}` : ''}${extra.length ? `, unexpected ${extra.join(', ')}` : ''}`,
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

/**
 * Boots the fleet once, runs the drills in the order given (names may repeat), reports, stops everything
 * (unless `keep`: then every cluster is left running).
 */
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
    await f.shutdown({ keep: opts.keep ?? false, keepFiles: failed });
  }
  return f.report(results, opts.spec ?? fleet.name, ownership, opts.keep ?? false);
}
