/**
 * The rehearsal runs the move plan users run: `renderMovePlan` (render/shard-move.ts) renders the steps from
 * the fleet before and after the move, and `runMovePlan` runs them in order against the booted clusters, as
 * a person with psql would:
 * - a step without `expect` is a psql script (the fleet's `psql`, which sets `router_password` from the
 *   environment: the subscription's password is never in a file or a command line);
 * - a step with `expect` is one query on a session to that cluster's writer (opened before the flip's lock,
 *   so the checks under the lock cost a query each, not a connection): a check, a poll bounded in time as
 *   the plan says, or a value kept as a psql variable for later steps (`bindVariables`);
 * - the `flip` session's steps (lock, then re-point and catalog, COMMIT) run on one coordinator session.
 * A failure before the flip commits runs the plan's `abort` steps (the session's end rolls the flip back);
 * when the answer to the commit is lost, the plan's `committed` step decides (no answer: nothing is undone,
 * the error says what to run). After the commit, a failed clean-up is reported, not thrown: ownership
 * moved, only litter is left.
 */
import type pg from 'pg';
import type { Fleet, Ownership } from '../model/fleet.js';
import {
  bindVariables,
  digestRows,
  forwardSteps,
  type MovePlan,
  type MoveStep,
  type MoveTarget,
} from '../render/shard-move.js';
import type { Progress } from './cluster.js';
import { client, destroy } from './load.js';
import { round } from './measure.js';
import type { Rehearsal } from './rehearse.js';
import { waitFor } from './wait.js';

/** The ownership after moving one hash slot to shard `to`. */
export function movedOwnership(o: Ownership, slot: number, to: number): Ownership & { kind: 'hash' } {
  if (o.kind !== 'hash') throw new RangeError('only a hash-sharded fleet moves slots');
  if (slot < 0 || slot >= o.slots) throw new RangeError(`slot ${slot} is not in 0..${o.slots - 1}`);
  return { ...o, owners: o.owners.map((c, s) => (s === slot ? [to] : c)) };
}

/** The slot's single owner, or a clear error. */
export function slotOwner(o: Ownership, slot: number): number {
  if (o.kind !== 'hash') throw new RangeError('only a hash-sharded fleet moves slots');
  const c = o.owners[slot];
  if (c?.length !== 1) throw new RangeError(`slot ${slot} has ${c?.length ?? 0} owners; a move needs one`);
  return c[0]!;
}

export interface MoveOutcome {
  /** Rows of the moving keys the targets held at the flip (the plan's verify steps). */
  readonly rows: number;
  /** First subscription created -> every initial copy done. */
  readonly copySeconds: number;
  /** Lock granted -> every target caught up and shown to hold the same rows. */
  readonly catchUpSeconds: number;
  /** Lock requested -> COMMIT returned: how long writes through the coordinator waited at most. */
  readonly lockSeconds: number;
  /** ms epoch, client clock: lock requested, and the flip committed. */
  readonly lockRequestedAt: number;
  readonly committedAt: number;
  /** How many of the plan's steps ran. */
  readonly steps: number;
  /** The clean-up after COMMIT failed (the move itself took effect). */
  readonly cleanupError?: string;
}

/** What the runner needs of a database session: a simple query (no parameters) and its rows. */
export interface MoveSession {
  query(sql: string): Promise<{ readonly rows: readonly unknown[] }>;
}

export interface MoveContext {
  /** The fleet as deployed (before the move): its shard names place the plan's steps. */
  readonly fleet: Fleet;
  readonly shards: readonly Rehearsal[];
  readonly coordinator: Rehearsal;
  /** Applies a psql script (a plan step) on a booted cluster's writer, in the fleet database. */
  readonly psql: (r: Rehearsal, name: string, text: string) => Promise<void>;
  readonly progress: Progress;
  /**
   * Opens a session on a cluster's writer in the fleet database, and ends one without waiting (an unended
   * flip session rolls back). Default: straight to PostgreSQL as the superuser.
   */
  readonly sessions?: {
    readonly open: (r: Rehearsal) => Promise<MoveSession>;
    readonly end: (c: MoveSession) => void;
  };
}

/** A session on a cluster's writer, straight to PostgreSQL, in the fleet database. */
async function session(r: Rehearsal, db: string): Promise<pg.Client> {
  const c = client(r.cluster.writerDirectConn(r.cluster.primaryScope, db), {
    connectMs: 3000,
    queryMs: 60_000,
    app: 'pgtopo-fleet-move',
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    destroy(c);
    throw e;
  }
  return c;
}

const where = (o: MoveTarget) => (o.role === 'shard' ? o.shard : o.role);

/** Runs a move plan's forward steps on the rehearsed clusters (see the module comment). */
export async function runMovePlan(ctx: MoveContext, plan: MovePlan): Promise<MoveOutcome> {
  const db = ctx.fleet.router.database;
  const open = ctx.sessions?.open ?? ((r: Rehearsal) => session(r, db));
  const end = ctx.sessions?.end ?? ((c: MoveSession) => destroy(c as pg.Client));
  const g = plan.generation.to;
  const cluster = (o: MoveTarget): Rehearsal => {
    if (o.role !== 'shard') return ctx.coordinator;
    const i = ctx.fleet.shards.findIndex((s) => s.name === o.shard);
    const r = ctx.shards[i];
    if (!r) throw new RangeError(`the move plan names shard ${o.shard}, which the rehearsal did not boot`);
    return r;
  };
  const forward = forwardSteps(plan);
  const commitAt = forward.findIndex((s) => s.phase === 'flip-commit');
  if (commitAt < 0 || forward[commitAt]!.session !== 'flip')
    throw new RangeError('the move plan has no flip-commit on the flip session');
  const vars: Record<string, string> = {};
  const sessions = new Map<Rehearsal, MoveSession>();
  let flip: MoveSession | undefined;
  const endFlip = () => {
    if (flip) end(flip);
    flip = undefined;
  };
  const sessionOn = async (r: Rehearsal) => {
    let c = sessions.get(r);
    if (!c) {
      c = await open(r);
      sessions.set(r, c);
    }
    return c;
  };
  const label = (s: MoveStep) => `step ${plan.steps.indexOf(s) + 1} [${s.phase}] on ${where(s.on)}`;
  /** One answer of a query step: the first column of its one row. */
  const ask = async (s: MoveStep): Promise<unknown> => {
    const c = await sessionOn(cluster(s.on));
    const res = await c.query(bindVariables(s.sql, vars));
    const row = res.rows[0] as Record<string, unknown> | undefined;
    return row ? Object.values(row)[0] : undefined;
  };
  const run = async (s: MoveStep): Promise<void> => {
    const e = s.expect;
    if (!e) {
      const n = String(plan.steps.indexOf(s) + 1).padStart(2, '0');
      return ctx.psql(cluster(s.on), `move-g${g}-${n}-${s.phase}`, s.sql);
    }
    if (e.kind === 'value') {
      const v = await ask(s);
      if (v === undefined || v === null) throw new Error(`${label(s)}: no value for ${e.variable}`);
      vars[e.variable] = String(v);
    } else if (e.kind === 'check') {
      const v = await ask(s);
      if (v !== true) throw new Error(`${label(s)}: ${s.note}: answered ${String(v)}`);
    } else {
      await waitFor(`${label(s)}: ${s.note}`, async () => (await ask(s)) === true, {
        timeoutMs: e.timeoutSeconds * 1000,
        intervalMs: e.intervalMs,
      });
    }
  };

  const t: Partial<
    Record<'copyFrom' | 'copyTo' | 'lockRequested' | 'locked' | 'verified' | 'committed', number>
  > = {};
  let commitSent = false;
  let ran = 0;
  let cleanupError: string | undefined;
  try {
    // Up to the flip's COMMIT: any failure aborts the move (ownership unchanged).
    try {
      for (const [i, s] of forward.slice(0, commitAt + 1).entries()) {
        if (s.phase === 'subscribe') t.copyFrom ??= Date.now();
        if (s.phase === 'flip-lock' && s.session === 'flip') {
          // Every session the steps under the lock need, opened before it.
          for (const x of forward.slice(i + 1, commitAt)) if (x.expect) await sessionOn(cluster(x.on));
          flip = await open(cluster(s.on));
          ctx.progress(`move g${g}: ${label(s)}: ${s.note}`);
          t.lockRequested = Date.now();
          await flip.query(s.sql);
          t.locked = Date.now();
        } else if (s.session === 'flip') {
          if (!flip) throw new Error(`${label(s)}: no open flip session`);
          t.verified = Date.now();
          commitSent = true;
          await flip.query(s.sql);
          t.committed = Date.now();
          ctx.progress(`move g${g}: committed generation ${g}; cleaning up`);
        } else {
          await run(s);
          if (s.phase === 'synced') t.copyTo = Date.now();
        }
        ran++;
      }
    } catch (e) {
      endFlip();
      // The COMMIT's answer was lost: the plan's committed step asks whether it happened.
      const probe = plan.steps.find((s) => s.phase === 'committed');
      let tookEffect: unknown = false;
      if (commitSent && probe) {
        const c = sessions.get(ctx.coordinator);
        if (c) end(c);
        sessions.delete(ctx.coordinator);
        tookEffect = await ask(probe).catch(() => undefined);
      }
      if (tookEffect !== true && tookEffect !== false) {
        // Unknown: aborting could drop the rows the coordinator now routes to. Leave it to the operator.
        throw new Error(
          `${(e as Error).message}; whether the flip committed is unknown: run the plan's committed step, then the clean-up (true) or abort (false)`,
        );
      }
      if (!tookEffect) {
        await abort(ctx, plan, cluster, endFlip);
        throw e;
      }
      t.committed = Date.now();
      cleanupError = `the answer to flip-commit was lost (${(e as Error).message}); it took effect`;
      ctx.progress(`move g${g}: ${cleanupError}; cleaning up`);
      ran++;
    }
    // After the COMMIT: ownership moved; a failed step leaves litter, never a wrong owner; the rest still run.
    for (const s of forward.slice(commitAt + 1)) {
      try {
        await run(s);
        ran++;
      } catch (e) {
        cleanupError ??= `${label(s)}: ${(e as Error).message}`;
      }
    }
  } finally {
    endFlip();
    for (const c of sessions.values()) end(c);
  }
  return {
    ...(cleanupError ? { cleanupError } : {}),
    rows: plan.steps
      .filter((s) => s.phase === 'verify' && s.expect?.kind === 'value')
      .reduce((n, s) => n + digestRows(vars[(s.expect as { variable: string }).variable] ?? ''), 0),
    copySeconds: round(((t.copyTo ?? 0) - (t.copyFrom ?? 0)) / 1000),
    catchUpSeconds: round(((t.verified ?? 0) - (t.locked ?? 0)) / 1000, 3),
    lockSeconds: round((t.committed! - t.lockRequested!) / 1000, 3),
    lockRequestedAt: t.lockRequested!,
    committedAt: t.committed!,
    steps: ran,
  };
}

/** The plan's abort steps, each tried once (a step whose object was never made fails harmlessly). */
async function abort(
  ctx: MoveContext,
  plan: MovePlan,
  cluster: (o: MoveTarget) => Rehearsal,
  endFlip: () => void,
): Promise<void> {
  for (const [i, s] of plan.steps.entries()) {
    if (s.phase !== 'abort') continue;
    if (s.session === 'flip') {
      endFlip();
      continue;
    }
    await ctx
      .psql(cluster(s.on), `move-g${plan.generation.to}-abort-${i + 1}`, s.sql)
      .catch((e: Error) => ctx.progress(`move abort step ${i + 1} on ${where(s.on)}: ${e.message}`));
  }
}
