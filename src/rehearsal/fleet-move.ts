/**
 * A hash slot's move between two shards of a running fleet, as an operator runs it:
 *  1. the target shard gets the slot's partitions (the shard DDL of the new ownership, idempotent);
 *  2. the source publishes the slot's partitions and owns a failover slot; the target subscribes with
 *     `copy_data` (the logical layer's plans and psql scripts, `renderLogicalSql`), and the initial copy ends;
 *  3. cutover, one coordinator transaction: the partitioned tables locked (writes through the coordinator
 *     wait), the target shown to hold every row the source holds, the slot's partitions re-pointed to the
 *     target and the catalog's new generation made current; COMMIT releases the writes onto the new owner;
 *  4. clean-up: the subscription, the publication, the slot and the source's now stale partitions dropped.
 * A failure before COMMIT leaves ownership as it was, and drops what the move created on the target.
 */
import type pg from 'pg';
import type { Fleet, Ownership } from '../model/fleet.js';
import {
  generatedRoleSecretName,
  type LogicalPlan,
  type LogicalSecret,
  rolePasswordEnv,
} from '../model/logical.js';
import { renderLogicalSql } from '../render/logical-sql.js';
import { cutoverStatements } from '../render/shard-catalog.js';
import { shardSql, slotPartitions, slotRepointSql } from '../render/shard-coordinator.js';
import { CATALOG_SCHEMA } from '../render/shard-sql.js';
import type { Progress } from './cluster.js';
import { client, destroy } from './load.js';
import { applyGroups, type LogicalSecrets, type PlanBase, planWith } from './logical.js';
import { round } from './measure.js';
import type { Rehearsal } from './rehearse.js';
import { waitFor } from './wait.js';

/** The role a target shard's subscription logs in to the source shard as. */
export const MOVER_ROLE = 'pgtopo_mover';

/** Publication, subscription and slot name of a slot's move. */
export function moveName(slot: number): string {
  return `pgtopo_move_p${slot}`;
}

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

/**
 * The logical plans of a move, for the logical layer's renderer: on the source, the mover role, its read
 * grant, the publication of the slot's partitions and a failover slot (it survives a source failover); on
 * the target, the subscription that copies the rows and follows the changes.
 */
export function movePlans(
  f: Fleet,
  slot: number,
  o: {
    readonly sourceScope: string;
    readonly targetScope: string;
    readonly source: { readonly host: string; readonly port: number };
    readonly postgresMajor: number;
  },
): { readonly publisher: LogicalPlan; readonly subscriber: LogicalPlan } {
  const db = f.router.database;
  const name = moveName(slot);
  const secret: LogicalSecret = {
    source: 'generate',
    id: generatedRoleSecretName(f.name, MOVER_ROLE),
    env: rolePasswordEnv(MOVER_ROLE),
  };
  const tables = slotPartitions(f, slot).map((table) => ({ schema: 'public', table }));
  const base = (cluster: string): PlanBase => ({
    cluster,
    postgresMajor: o.postgresMajor,
    slotOwner: 'postgres-failover',
    parameters: {},
    synchronizedStandbySlots: {},
    hba: [],
  });
  return {
    publisher: planWith(base(o.sourceScope), {
      roles: [{ name: MOVER_ROLE, login: true, replication: true, password: secret, path: [] }],
      grants: [
        {
          role: MOVER_ROLE,
          database: db,
          schema: 'public',
          tablePrivileges: ['SELECT'],
          schemaPrivileges: ['USAGE'],
          path: [],
        },
      ],
      publications: [{ name, database: db, tables, declaredTables: tables.map((t) => t.table), path: [] }],
      slots: [
        {
          name,
          database: db,
          plugin: 'pgoutput',
          owner: 'postgres-failover',
          failover: true,
          usedBy: { kind: 'subscriber', name },
          path: [],
        },
      ],
    }),
    subscriber: planWith(base(o.targetScope), {
      subscriptions: [
        {
          name,
          database: db,
          publication: name,
          publisher: {
            kind: 'host',
            host: o.source.host,
            port: o.source.port,
            database: db,
            user: MOVER_ROLE,
            password: secret,
            slotFailover: true,
          },
          slot: name,
          copyData: true,
          failover: true,
          path: [],
        },
      ],
    }),
  };
}

export interface MoveOutcome {
  readonly slot: number;
  readonly from: string;
  readonly to: string;
  /** The fleet with the ownership after the move, and the catalog generation now current. */
  readonly fleet: Fleet;
  readonly generation: number;
  /** Rows of the slot the target held at cutover. */
  readonly rows: number;
  /** Subscription created -> every partition's initial copy done. */
  readonly copySeconds: number;
  /** Lock granted -> the target shown to hold every row of the source. */
  readonly catchUpSeconds: number;
  /** Lock requested -> COMMIT returned: how long writes through the coordinator waited at most. */
  readonly lockSeconds: number;
  /** ms epoch, client clock: lock requested, and cutover committed. */
  readonly lockRequestedAt: number;
  readonly committedAt: number;
  /** The clean-up after COMMIT failed (the move itself took effect). */
  readonly cleanupError?: string;
}

export interface MoveContext {
  readonly fleet: Fleet;
  /** Catalog generation current before the move. */
  readonly generation: number;
  readonly shards: readonly Rehearsal[];
  readonly coordinator: Rehearsal;
  readonly secrets: LogicalSecrets;
  /** The CA file `consumer`'s daemons verify `provider`'s certificates with (undefined without TLS). */
  readonly trust: (consumer: Rehearsal, provider: Rehearsal) => string | undefined;
  /** Applies a psql script (the fleet's DDL) on a booted cluster's writer, in the fleet database. */
  readonly psql: (r: Rehearsal, name: string, text: string) => Promise<void>;
  readonly progress: Progress;
}

/** `count(*)` and an order-free digest of a partition's rows. */
function digestSql(table: string): string {
  return `SELECT count(*)::bigint AS n, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text AS h FROM public.${table} x`;
}

async function digest(c: pg.Client, tables: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const t of tables) {
    const [row] = (await c.query<{ n: string; h: string }>(digestSql(t))).rows;
    parts.push(`${t}:${row!.n}:${row!.h}`);
  }
  return parts.join(' ');
}

/** A session on a cluster's writer, straight to PostgreSQL, in the fleet database. */
async function session(r: Rehearsal, db: string, app: string): Promise<pg.Client> {
  const c = client(r.cluster.writerDirectConn(r.cluster.primaryScope, db), {
    connectMs: 3000,
    queryMs: 60_000,
    app,
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

const rowsOf = (d: string) => d.split(' ').reduce((n, p) => n + Number(p.split(':')[1]), 0);

async function currentGeneration(r: Rehearsal, db: string): Promise<number> {
  const [row] = await r.cluster.sql<{ g: string }>(
    r.cluster.writerDirectConn(r.cluster.primaryScope, db),
    `SELECT generation::text AS g FROM ${CATALOG_SCHEMA}.current_generation`,
  );
  return Number(row!.g);
}

/** Moves one hash slot to shard `to` under the write load (see the module comment). */
export async function moveSlot(ctx: MoveContext, slot: number, to: number): Promise<MoveOutcome> {
  const f = ctx.fleet;
  const db = f.router.database;
  const from = slotOwner(f.ownership, slot);
  if (from === to) throw new RangeError(`slot ${slot} is already on ${f.shards[to]!.name}`);
  const next: Fleet = { ...f, ownership: movedOwnership(f.ownership, slot, to) };
  const source = ctx.shards[from]!;
  const target = ctx.shards[to]!;
  const name = moveName(slot);
  const partitions = slotPartitions(f, slot);
  const endpoint = source.cluster.endpoint(source.cluster.primaryScope);
  const plans = movePlans(f, slot, {
    sourceScope: source.cluster.primaryScope,
    targetScope: target.cluster.primaryScope,
    source: { host: endpoint.address, port: endpoint.directPort },
    postgresMajor: source.topology.postgres.version,
  });
  // The target's subscription verifies the source's certificate as production does, with the source's CA.
  const sourceCa = ctx.trust(target, source);
  const apply = (r: Rehearsal, side: 'publisher' | 'subscriber', plan: LogicalPlan) =>
    applyGroups(r.sup, {
      name: `${name}-${side}`,
      dir: r.layout.runDir,
      psql: `${r.layout.binPath[0] ?? '/usr/bin'}/psql`,
      conn: r.cluster.writerDirectConn(r.cluster.primaryScope),
      ...(r.topology.security.tls && r.layout.tls ? { caFile: r.layout.tls.caFile } : {}),
      env: ctx.secrets.env(plans.publisher),
      groups: renderLogicalSql(
        plan,
        sourceCa ? { sslmode: 'verify-full', sslrootcert: sourceCa } : { sslmode: 'disable' },
      ).filter((g) => g.side === side),
    });
  const onTarget = (sql: string) =>
    target.cluster.sql(target.cluster.writerDirectConn(target.cluster.primaryScope, db), sql, [], 30_000);
  const onSource = (sql: string) =>
    source.cluster.sql(source.cluster.writerDirectConn(source.cluster.primaryScope, db), sql, [], 30_000);
  const dropMove = async () => {
    await onTarget(`DROP SUBSCRIPTION IF EXISTS ${name}`);
    await onSource(`DROP PUBLICATION IF EXISTS ${name}`);
    await onSource(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${name}' AND NOT active`,
    );
  };

  ctx.progress(
    `move slot ${slot}: ${f.shards[from]!.name} -> ${f.shards[to]!.name}: partitions on the target`,
  );
  await ctx.psql(target, `move-${slot}-target`, shardSql(next, next.shards[to]!));
  let committed = false;
  let generation: number | undefined;
  try {
    await apply(source, 'publisher', plans.publisher);
    const subscribed = Date.now();
    await apply(target, 'subscriber', plans.subscriber);
    await waitFor(
      `the initial copy of slot ${slot} on ${target.topology.name}`,
      async () => {
        const rows = await onTarget(
          `SELECT count(*) FILTER (WHERE sr.srsubstate <> 'r')::int AS busy, count(*)::int AS n FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE s.subname = '${name}'`,
        );
        const r = rows[0] as { busy: number; n: number };
        return r.n === partitions.length && r.busy === 0;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    const copySeconds = round((Date.now() - subscribed) / 1000);
    ctx.progress(`move slot ${slot}: initial copy done in ${copySeconds} s; cutover`);

    // The cutover: one transaction on the coordinator, which is also the catalog.
    // Sessions opened before the lock: the catch-up checks under it cost a query each, not a connection.
    const sessions: pg.Client[] = [];
    const open = async (r: Rehearsal) => {
      const c = await session(r, db, 'pgtopo-fleet-move');
      sessions.push(c);
      return c;
    };
    try {
      const c = await open(ctx.coordinator);
      const sourceSession = await open(source);
      const targetSession = await open(target);
      generation = (await currentGeneration(ctx.coordinator, db)) + 1;
      await c.query('BEGIN');
      await c.query(`SET LOCAL lock_timeout = '10s'`);
      const lockRequestedAt = Date.now();
      await c.query(`LOCK TABLE ${f.tables.map((t) => t.name).join(', ')} IN ACCESS EXCLUSIVE MODE`);
      const lockedAt = Date.now();
      // Every write through the coordinator has committed or waits: the source's partitions are still.
      const want = await digest(sourceSession, partitions);
      await waitFor(
        `${target.topology.name} to hold every row of slot ${slot}`,
        async () => (await digest(targetSession, partitions)) === want,
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      const catchUpSeconds = round((Date.now() - lockedAt) / 1000, 3);
      for (const s of [
        ...slotRepointSql(next, slot),
        ...cutoverStatements(
          next,
          next.ownership,
          generation,
          `move slot ${slot} from ${f.shards[from]!.name} to ${f.shards[to]!.name}`,
        ),
      ])
        await c.query(s);
      await c.query('COMMIT');
      committed = true;
      const committedAt = Date.now();
      ctx.progress(`move slot ${slot}: committed generation ${generation}; cleaning up`);
      // Ownership moved: a failed clean-up leaves litter (a subscription, the stale rows on the source,
      // which no longer own the slot), never a wrong owner. It is reported, not thrown.
      let cleanupError: string | undefined;
      try {
        await dropMove();
        for (const p of partitions) await onSource(`DROP TABLE IF EXISTS public.${p}`);
      } catch (e) {
        cleanupError = (e as Error).message;
      }
      return {
        ...(cleanupError ? { cleanupError } : {}),
        slot,
        from: f.shards[from]!.name,
        to: f.shards[to]!.name,
        fleet: next,
        generation,
        rows: rowsOf(want),
        copySeconds,
        catchUpSeconds,
        lockSeconds: round((committedAt - lockRequestedAt) / 1000, 3),
        lockRequestedAt,
        committedAt,
      };
    } finally {
      // Without COMMIT, the coordinator session's end rolls the cutover back.
      for (const x of sessions) destroy(x);
    }
  } catch (e) {
    // A COMMIT whose answer was lost may still have happened: only the catalog knows. Undo only what
    // certainly did not take over (ownership unchanged): what the move created on the target.
    const current = committed
      ? generation
      : await currentGeneration(ctx.coordinator, db).catch(() => undefined);
    if (current !== undefined && current !== generation) {
      await dropMove().catch(() => undefined);
      for (const p of partitions) await onTarget(`DROP TABLE IF EXISTS public.${p}`).catch(() => undefined);
    }
    throw e;
  }
}
