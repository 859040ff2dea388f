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
 * when the answer to the commit is lost, the plan's `committed` step decides. After the commit, a failed
 * clean-up is reported, not thrown: ownership moved, only litter is left.
 */
import type pg from 'pg';
import type { Fleet, Ownership } from '../model/fleet.js';
import {
  bindVariables,
  digestRows,
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

export interface MoveContext {
  /** The fleet as deployed (before the move): its shard names place the plan's steps. */
  readonly fleet: Fleet;
  readonly shards: readonly Rehearsal[];
  readonly coordinator: Rehearsal;
  /** Applies a psql script (a plan step) on a booted cluster's writer, in the fleet database. */
  readonly psql: (r: Rehearsal, name: string, text: string) => Promise<void>;
  readonly progress: Progress;
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
const FORWARD_ENDS = new Set(['abort', 'rollback', 'committed']);

/** Runs a move plan's forward steps on the rehearsed clusters (see the module comment). */
export async function runMovePlan(ctx: MoveContext, plan: MovePlan): Promise<MoveOutcome> {
  const db = ctx.fleet.router.database;
  const g = plan.generation.to;
  const cluster = (o: MoveTarget): Rehearsal => {
    if (o.role !== 'shard') return ctx.coordinator;
    const i = ctx.fleet.shards.findIndex((s) => s.name === o.shard);
    const r = ctx.shards[i];
    if (!r) throw new RangeError(`the move plan names shard ${o.shard}, which the rehearsal did not boot`);
    return r;
  };
  const forward = plan.steps.filter((s) => !FORWARD_ENDS.has(s.phase));
  const vars: Record<string, string> = {};
  const sessions = new Map<Rehearsal, pg.Client>();
  let flip: pg.Client | undefined;
  const sessionOn = async (r: Rehearsal) => {
    let c = sessions.get(r);
    if (!c) {
      c = await session(r, db);
      sessions.set(r, c);
    }
    return c;
  };
  const label = (s: MoveStep, i: number) => `step ${i + 1} [${s.phase}] on ${where(s.on)}`;
  /** One answer of a query step: the first column of its one row. */
  const ask = async (s: MoveStep): Promise<unknown> => {
    const c = await sessionOn(cluster(s.on));
    const res = await c.query(bindVariables(s.sql, vars));
    const row = res.rows[0] as Record<string, unknown> | undefined;
    return row ? Object.values(row)[0] : undefined;
  };
  const run = async (s: MoveStep, i: number): Promise<void> => {
    const e = s.expect;
    if (!e) return ctx.psql(cluster(s.on), `move-g${g}-${String(i + 1).padStart(2, '0')}-${s.phase}`, s.sql);
    if (e.kind === 'value') {
      const v = await ask(s);
      if (v === undefined || v === null) throw new Error(`${label(s, i)}: no value for ${e.variable}`);
      vars[e.variable] = String(v);
    } else if (e.kind === 'check') {
      const v = await ask(s);
      if (v !== true) throw new Error(`${label(s, i)}: ${s.note}: answered ${String(v)}`);
    } else {
      await waitFor(`${label(s, i)}: ${s.note}`, async () => (await ask(s)) === true, {
        timeoutMs: e.timeoutSeconds * 1000,
        intervalMs: e.intervalMs,
      });
    }
  };

  const t: Partial<
    Record<'copyFrom' | 'copyTo' | 'lockRequested' | 'locked' | 'verified' | 'committed', number>
  > = {};
  let commitSent = false;
  let committed = false;
  let ran = 0;
  let cleanupError: string | undefined;
  try {
    try {
      for (const [i, s] of forward.entries()) {
        if (committed) {
          // Ownership moved: a failed clean-up step leaves litter, never a wrong owner; the rest still run.
          try {
            await run(s, i);
          } catch (e) {
            cleanupError ??= `${label(s, i)}: ${(e as Error).message}`;
          }
          ran++;
          continue;
        }
        if (s.phase === 'subscribe') t.copyFrom ??= Date.now();
        if (s.session === 'flip') {
          if (s.phase === 'flip-lock') {
            // Every session the steps under the lock need, opened before it.
            const under = forward.slice(i + 1).filter((x) => x.expect && x.phase !== 'cleanup');
            for (const x of under) await sessionOn(cluster(x.on));
            flip = await session(cluster(s.on), db);
            ctx.progress(`move g${g}: ${label(s, i)}: ${s.note}`);
            t.lockRequested = Date.now();
            await flip.query(s.sql);
            t.locked = Date.now();
          } else {
            if (!flip) throw new Error(`${label(s, i)}: no open flip session`);
            t.verified = Date.now();
            commitSent = true;
            await flip.query(s.sql);
            t.committed = Date.now();
            committed = true;
            ctx.progress(`move g${g}: committed generation ${g}; cleaning up`);
          }
        } else {
          await run(s, i);
          if (s.phase === 'synced') t.copyTo = Date.now();
        }
        ran++;
      }
    } catch (e) {
      if (commitSent && !committed) {
        // The COMMIT's answer was lost: only the coordinator knows whether it happened.
        const probe = plan.steps.find((s) => s.phase === 'committed');
        destroy(flip);
        flip = undefined;
        sessions
          .get(ctx.coordinator)
          ?.end()
          .catch(() => undefined);
        sessions.delete(ctx.coordinator);
        if (probe && (await ask(probe).catch(() => undefined)) === true) {
          t.committed = Date.now();
          committed = true;
          cleanupError = `the answer to flip-commit was lost (${(e as Error).message}); it took effect; the clean-up did not run`;
        }
      }
      if (!committed) {
        await abort(ctx, plan, cluster, () => {
          destroy(flip);
          flip = undefined;
        });
        throw e;
      }
    }
  } finally {
    destroy(flip);
    for (const c of sessions.values()) destroy(c);
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
