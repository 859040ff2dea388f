/**
 * The SQL of a planned move, from the fleet's one move computation (model/fleet-moves.ts): the rows of the
 * moving slots, ranges or tenants are published on the source shard, copied by a subscription on the target
 * (logical replication's initial copy, then streaming), and ownership flips in the coordinator's partition
 * bounds and the catalog in one transaction, once the target has applied everything the source committed
 * before the coordinator's lock. Every step is a psql script run on one cluster; the runner (a person, or the
 * rehearsal's shard-move drill) runs them in order:
 *
 * 1. `check` (each source): wal_level is logical.
 * 2. `prepare` (each new shard: its tables; each target: partitions for what it receives; the coordinator:
 *    servers of new shards; each source: the router role may replicate).
 * 3. `publish` (each source), then `subscribe` (each target).
 * 4. `synced` (each target): poll until true (every initial copy done).
 * 5. `flip-lock` (coordinator, in the session that commits the flip): BEGIN, lock the sharded tables.
 * 6. `source-lsn` (each source): the WAL position after the lock, kept as the psql variable `lsn_<shard
 *    index>`; then `caught-up` (each source): poll until true, within `catchUpTimeoutSeconds` (the lock is held).
 * 6b. `verify` (each pair): the source's count and digest of the moving rows, kept as `rows_<from>_<to>`;
 *    then the target's, polled until it is the same (every moved row there, none doubled or changed).
 * 7. `flip-commit` (same coordinator session): re-point the partitions, write the catalog's new generation,
 *    COMMIT. With a catalog cluster apart from the coordinator, `catalog-cutover` follows on the catalog (its
 *    own transaction: `atomic` is false then).
 * 8. `cleanup` (targets, then sources): drop the subscriptions and publications, the moved rows at the
 *    source, the source's partitions it no longer owns.
 * If the answer to flip-commit is lost, `committed` (on the coordinator) tells whether it took effect: true,
 * go on with the clean-up; false, abort.
 * `abort` undoes 2-4 before the flip commits (nothing a client sees has changed); `rollback` points the
 * coordinator and the catalog back after the flip, valid until the first write reaches a target (after
 * that, declare the reverse move).
 *
 * A step's `expect` says what a runner does with its answer (a check, a poll bounded in time, a value kept
 * as a psql variable for later steps); steps of one `session` run in one open session. A runner that is not
 * psql binds the plan's variables with `bindVariables`.
 *
 * Secrets: the subscription's connection reads the router password from the psql variable
 * `router_password`, like the coordinator's user mappings; no value is written here.
 */
import type { Fleet, Shard } from '../model/fleet.js';
import type { FleetMove } from '../model/fleet-moves.js';
import { integerKey } from '../model/fleet-ownership.js';
import type { ShardedTableSpec } from '../spec/fleet.js';
import { compareBound } from '../spec/fleet-kind.js';
import { cutoverStatements } from './shard-catalog.js';
import {
  awsShardEndpoint,
  foreignPartitionSql,
  partitions,
  ROUTER_PASSWORD_VARIABLE,
  ROUTER_ROLE,
  type ShardEndpoint,
  serverName,
  shardServerSql,
  shardSql,
} from './shard-coordinator.js';
import { CATALOG_SCHEMA as S, sqlString, sqlValue } from './shard-sql.js';

export const MOVE_PHASES = [
  'check',
  'prepare',
  'publish',
  'subscribe',
  'synced',
  'flip-lock',
  'source-lsn',
  'caught-up',
  'verify',
  'flip-commit',
  'committed',
  'catalog-cutover',
  'cleanup',
  'abort',
  'rollback',
] as const;
export type MovePhase = (typeof MOVE_PHASES)[number];

/** Where a step runs: a shard (by name), the coordinator or the catalog cluster. */
export type MoveTarget =
  | { readonly role: 'shard'; readonly shard: string }
  | { readonly role: 'coordinator' }
  | { readonly role: 'catalog' };

/**
 * What a runner does with a step's answer (one row, one column). Without it, the step only has to succeed.
 * - `check`: the answer must be true, once;
 * - `poll`: run again every `intervalMs` until the answer is true; not true within `timeoutSeconds`: abort;
 * - `value`: keep the answer as the psql variable `variable`, read by later steps (`:'variable'`).
 */
export type MoveExpect =
  | { readonly kind: 'check' }
  | { readonly kind: 'poll'; readonly timeoutSeconds: number; readonly intervalMs: number }
  | { readonly kind: 'value'; readonly variable: string };

export interface MoveStep {
  readonly phase: MovePhase;
  readonly on: MoveTarget;
  /** A psql script (psql variables: `router_password`, and those earlier `value` steps keep). */
  readonly sql: string;
  /** What the step does, for a person reading the plan. */
  readonly note: string;
  readonly expect?: MoveExpect;
  /** Steps naming the same session run in one open session, in order (the flip's transaction). */
  readonly session?: 'flip';
}

export interface MovePlan {
  readonly moves: readonly FleetMove[];
  /** The catalog's generation before the move and the one the flip writes. */
  readonly generation: { readonly from: number; readonly to: number };
  /** True when the catalog and the coordinator are one cluster: the flip is one transaction. */
  readonly atomic: boolean;
  /** Forward steps in order (abort and rollback steps last, flagged by phase). */
  readonly steps: readonly MoveStep[];
}

export interface MovePlanOptions {
  /** The catalog's current generation (the flip writes the next). Default 1 (the seed). */
  readonly generation?: number;
  /** Where a shard's writer is reached (the subscription's source and new shards' fdw servers). Default: AWS. */
  readonly endpoint?: (s: Shard) => ShardEndpoint;
  readonly sslmode?: 'verify-full' | 'disable';
  /**
   * CA file the reader (a target shard's subscription, or the coordinator for a new shard's server) verifies
   * a shard's certificate with (verify-full). Default: libpq's own default.
   */
  readonly sslrootcert?: (shard: Shard, reader: MoveTarget) => string | undefined;
  /** Roles given a user mapping to new shards on the coordinator. Default: the role applying the plan. */
  readonly mappedRoles?: readonly string[];
  /** How long the initial copy may take before the move is abandoned, seconds. Default 3600. */
  readonly copyTimeoutSeconds?: number;
  /**
   * How long the targets may take to catch up and show the same rows while the lock holds writes, seconds.
   * Default 30.
   */
  readonly catchUpTimeoutSeconds?: number;
}

/**
 * A step's SQL with psql's `:'name'` variables replaced by their values as SQL literals, for a runner that
 * is not psql. Only the variables given are replaced; the router password is never one of them here (the
 * steps that read it need psql).
 */
export function bindVariables(sql: string, vars: Readonly<Record<string, string>>): string {
  return sql.replace(/:'([a-z_][a-z0-9_]*)'/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? sqlString(vars[name]!) : whole,
  );
}

/** The row count in a `verify` step's answer (`<rows>:<digest>` per table, space separated). */
export function digestRows(value: string): number {
  return value.split(' ').reduce((n, part) => n + Number(part.split(':')[0]), 0);
}

/** Phases a forward run skips: they are for failures (abort, a lost COMMIT answer) and for going back. */
const FAILURE_PHASES: ReadonlySet<MovePhase> = new Set(['abort', 'rollback', 'committed']);

/** The steps a move runs when nothing fails, in order (the plan's own order, without abort, rollback, committed). */
export function forwardSteps(plan: MovePlan): MoveStep[] {
  return plan.steps.filter((s) => !FAILURE_PHASES.has(s.phase));
}

/** The publication and subscription (and slot) of one (source, target) pair of a plan. */
export function moveObjectName(from: number, to: number, generation: number): string {
  return `pgtopo_move_g${generation}_${from}_${to}`.slice(0, 63);
}

/** The row predicate of a move's unit over a table (range and tenant moves; slots move whole partitions). */
function predicate(t: ShardedTableSpec, m: FleetMove): string {
  if (m.kind === 'tenant') return `${t.key} = ${sqlValue(m.tenant, t.keyType)}`;
  if (m.kind === 'slots') return 'true';
  const c = integerKey(t.keyType) ? t.key : `${t.key} COLLATE "C"`;
  const parts = [
    ...(m.lower !== undefined ? [`${c} >= ${sqlValue(m.lower, t.keyType)}`] : []),
    ...(m.upper !== undefined ? [`${c} < ${sqlValue(m.upper, t.keyType)}`] : []),
  ];
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}

const sql = (lines: readonly string[]) => `${lines.join('\n')}\n`;

/**
 * The plan of `moves` (from `fleetMoves(from, to)`) taking the fleet deployed as `from` to `to`. Moves are
 * grouped per (source, target) pair: one publication, subscription and slot each.
 */
export function renderMovePlan(
  from: Fleet,
  to: Fleet,
  moves: readonly FleetMove[],
  opts: MovePlanOptions = {},
): MovePlan {
  const endpoint = opts.endpoint ?? awsShardEndpoint;
  const sslmode = opts.sslmode ?? 'verify-full';
  const g0 = opts.generation ?? 1;
  const g1 = g0 + 1;
  const shard = (i: number) => to.shards[i] ?? from.shards[i]!;
  const on = (i: number): MoveTarget => ({ role: 'shard', shard: shard(i).name });
  const coordinator: MoveTarget = { role: 'coordinator' };
  const atomic = from.coordinator.name === from.catalog.name && to.coordinator.name === to.catalog.name;
  const pairs = [...new Map(moves.map((m) => [`${m.from}>${m.to}`, [m.from, m.to] as const])).values()];
  const sources = [...new Set(moves.map((m) => m.from))];
  const targets = [...new Set(moves.map((m) => m.to))];
  const newShards = to.shards.filter((s) => s.index >= from.shards.length);
  const name = (a: number, b: number) => moveObjectName(a, b, g1);
  const rangeLike = to.ownership.kind !== 'hash';
  const copyTimeout = opts.copyTimeoutSeconds ?? 3600;
  const catchUpTimeout = opts.catchUpTimeoutSeconds ?? 30;
  const steps: MoveStep[] = [];
  const add = (
    phase: MovePhase,
    target: MoveTarget,
    lines: readonly string[],
    note: string,
    extra: Pick<MoveStep, 'expect' | 'session'> = {},
  ) => steps.push({ phase, on: target, sql: sql(lines), note, ...extra });
  const poll = (timeoutSeconds: number, intervalMs: number): Pick<MoveStep, 'expect'> => ({
    expect: { kind: 'poll', timeoutSeconds, intervalMs },
  });

  // What a pair's publication carries: the moving slots' partitions, or each table filtered to the moving keys.
  const publishedTables = (a: number, b: number): { table: string; where?: string }[] => {
    const mine = moves.filter((m) => m.from === a && m.to === b);
    return rangeLike
      ? to.tables.map((t) => ({ table: t.name, where: mine.map((m) => `(${predicate(t, m)})`).join(' OR ') }))
      : to.tables.flatMap((t) =>
          mine.flatMap((m) => (m.kind === 'slots' ? m.slots : [])).map((s) => ({ table: `${t.name}_p${s}` })),
        );
  };
  // The partitions (suffix, bounds) of a shard under a map, per table.
  const own = (f: Fleet, t: ShardedTableSpec, i: number) => partitions(f, t).filter((p) => p[2] === i);
  const movedSlots = (i: number, dir: 'from' | 'to') =>
    moves.flatMap((m) => (m.kind === 'slots' && m[dir] === i ? m.slots : []));

  for (const i of sources) {
    add(
      'check',
      on(i),
      [`SELECT current_setting('wal_level') = 'logical' AS ok;`],
      `${shard(i).name} can publish: wal_level is logical (a restart sets it)`,
      { expect: { kind: 'check' } },
    );
  }
  // Prepare: new shards get the fleet's tables; targets get what they receive.
  for (const s of newShards) {
    add('prepare', on(s.index), [shardSql(to, s).trimEnd()], `new shard ${s.name}: router role and tables`);
  }
  for (const i of targets.filter((i) => i < from.shards.length)) {
    const lines = to.tables.flatMap((t) =>
      rangeLike
        ? rebound(t, own(from, t, i), hull(from, to, t, i))
        : movedSlots(i, 'to').flatMap((slot) => {
            const p = partitions(to, t).find((x) => x[0] === `p${slot}`)!;
            return [
              `CREATE TABLE IF NOT EXISTS ${t.name}_${p[0]} PARTITION OF ${t.name} ${p[1]};`,
              `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t.name}_${p[0]} TO ${ROUTER_ROLE};`,
            ];
          }),
    );
    add('prepare', on(i), lines, `${shard(i).name} gets empty partitions for the rows it receives`);
  }
  if (newShards.length > 0) {
    add(
      'prepare',
      coordinator,
      newShards.flatMap((s) =>
        shardServerSql(to, s, endpoint(s), {
          sslmode,
          ...(opts.mappedRoles ? { mappedRoles: opts.mappedRoles } : {}),
          sslrootcert: (x) => opts.sslrootcert?.(x, coordinator),
        }),
      ),
      'the coordinator reaches the new shards (postgres_fdw servers and user mappings)',
    );
  }
  for (const i of sources) {
    add(
      'prepare',
      on(i),
      [`ALTER ROLE ${ROUTER_ROLE} REPLICATION;`],
      `the router role may stream from ${shard(i).name} for the move`,
    );
  }
  // Copy: one publication per pair on the source, one subscription on the target.
  for (const [a, b] of pairs) {
    const tables = publishedTables(a, b).map((p) => (p.where ? `${p.table} WHERE (${p.where})` : p.table));
    add(
      'publish',
      on(a),
      [
        `CREATE PUBLICATION ${name(a, b)} FOR TABLE ${tables.join(', ')}${rangeLike ? ' WITH (publish_via_partition_root = true)' : ''};`,
      ],
      `${shard(a).name} publishes the rows moving to ${shard(b).name}`,
    );
    const e = endpoint(shard(a));
    const root = sslmode === 'verify-full' ? opts.sslrootcert?.(shard(a), on(b)) : undefined;
    const conninfo = `host=${e.host} port=${e.port} dbname=${to.router.database} user=${ROUTER_ROLE} sslmode=${sslmode}${root ? ` sslrootcert=${root}` : ''} application_name=${name(a, b)} password=`;
    add(
      'subscribe',
      on(b),
      [
        `SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true, synchronous_commit = on)', ${sqlString(name(a, b))}, ${sqlString(conninfo)} || quote_literal(:'${ROUTER_PASSWORD_VARIABLE}'), ${sqlString(name(a, b))}) \\gexec`,
      ],
      // synchronous_commit on: the target flushes each applied transaction at once, so the flush position it
      // reports (caught-up) is current, not up to wal_writer_delay behind while the lock holds writes.
      `${shard(b).name} copies the rows from ${shard(a).name}, then streams their changes (each applied transaction flushed at once)`,
    );
  }
  for (const i of targets) {
    const mine = pairs.filter(([, b]) => b === i);
    // Every published table has its row here (none missing) and is ready ('r').
    const published = mine.reduce((n, [a, b]) => n + publishedTables(a, b).length, 0);
    add(
      'synced',
      on(i),
      [
        `SELECT count(*) FILTER (WHERE r.srsubstate <> 'r') = 0 AND count(*) = ${published} AS synced FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname IN (${mine
          .map(([a, b]) => sqlString(name(a, b)))
          .join(', ')});`,
      ],
      `poll until true (at most ${copyTimeout} s, else abort): every initial copy into ${shard(i).name} is done`,
      poll(copyTimeout, 500),
    );
  }
  // Flip: lock through the coordinator, wait for the targets, re-point, write the generation, commit.
  add(
    'flip-lock',
    coordinator,
    [
      'BEGIN;',
      `SET LOCAL lock_timeout = '10s';`,
      `LOCK TABLE ${to.tables.map((t) => t.name).join(', ')} IN ACCESS EXCLUSIVE MODE;`,
    ],
    'writes through the coordinator pause here (keep this session open until flip-commit)',
    { session: 'flip' },
  );
  for (const i of sources) {
    const lsn = `lsn_${i}`;
    add(
      'source-lsn',
      on(i),
      [`SELECT pg_current_wal_lsn() AS ${lsn};`],
      `${shard(i).name}'s WAL position after the lock: keep it as the psql variable ${lsn}`,
      { expect: { kind: 'value', variable: lsn } },
    );
    add(
      'caught-up',
      on(i),
      [
        `SELECT coalesce(bool_and(confirmed_flush_lsn >= :'${lsn}'::pg_lsn), false) AS caught_up FROM pg_replication_slots WHERE slot_name IN (${pairs
          .filter(([a]) => a === i)
          .map(([a, b]) => sqlString(name(a, b)))
          .join(', ')});`,
      ],
      `poll until true (at most ${catchUpTimeout} s while writes wait, else abort): every target applied what ${shard(i).name} committed before the lock`,
      poll(catchUpTimeout, 20),
    );
  }
  // Verify: the same rows on both sides of each pair (count and an order-free digest per table).
  for (const [a, b] of pairs) {
    const rows = `rows_${a}_${b}`;
    const digest = publishedTables(a, b)
      .map(
        (p) =>
          `(SELECT count(*) || ':' || coalesce(sum(hashtextextended(x::text, 0)::numeric), 0) FROM ${p.table} x${p.where ? ` WHERE ${p.where}` : ''})`,
      )
      .join(` || ' ' || `);
    add(
      'verify',
      on(a),
      [`SELECT ${digest} AS ${rows};`],
      `the rows moving from ${shard(a).name} (count:digest per table): keep them as the psql variable ${rows}`,
      { expect: { kind: 'value', variable: rows } },
    );
    add(
      'verify',
      on(b),
      [`SELECT ${digest} = :'${rows}' AS same;`],
      `poll until true (at most ${catchUpTimeout} s, else abort): ${shard(b).name} holds exactly the rows ${shard(a).name} holds`,
      poll(catchUpTimeout, 20),
    );
  }
  const repoint = (target: Fleet, source: Fleet) =>
    to.tables.flatMap((t) => {
      const changed = partitions(target, t).filter(
        (p) => !partitions(source, t).some((q) => q[0] === p[0] && q[1] === p[1] && q[2] === p[2]),
      );
      const gone = partitions(source, t).filter((q) => !partitions(target, t).some((p) => p[0] === q[0]));
      return [
        ...[...changed, ...gone]
          .filter((p) => partitions(source, t).some((q) => q[0] === p[0]))
          .map((p) => `DROP FOREIGN TABLE IF EXISTS ${t.name}_${p[0]};`),
        ...changed.map((p) => foreignPartitionSql(target, t, p)),
      ];
    });
  const catalog = (target: Fleet, generation: number, note: string) => [
    ...(newShards.length > 0
      ? [
          `INSERT INTO ${S}.shard (name, index, cluster) VALUES\n  ${newShards.map((s) => `(${sqlString(s.name)}, ${s.index}, ${sqlString(s.topology.clusters[0]!.scope)})`).join(',\n  ')}\n  ON CONFLICT (name) DO NOTHING;`,
        ]
      : []),
    ...cutoverStatements(target, target.ownership, generation, note),
  ];
  const note = `moves of fleet ${to.name}: ${moves.length} move(s) over ${pairs.length} shard pair(s)`;
  add(
    'flip-commit',
    coordinator,
    [...repoint(to, from), ...(atomic ? catalog(to, g1, note) : []), 'COMMIT;'],
    atomic
      ? 'the coordinator routes the moved rows to their targets and the catalog names generation ' +
          `${g1}, in one transaction (the catalog's coverage check runs at COMMIT)`
      : 'the coordinator routes the moved rows to their targets',
    { session: 'flip' },
  );
  // Whether the flip took effect: the catalog's generation (atomic), or the first re-pointed partition's server.
  const probe = to.tables.flatMap((t) =>
    partitions(to, t)
      .filter((p) => !partitions(from, t).some((q) => q[0] === p[0] && q[1] === p[1] && q[2] === p[2]))
      .map((p) => [`${t.name}_${p[0]}`, serverName(to.shards[p[2]]!)] as const),
  )[0];
  add(
    'committed',
    coordinator,
    [
      atomic || !probe
        ? `SELECT generation >= ${g1} AS committed FROM ${S}.current_generation;`
        : `SELECT EXISTS (SELECT 1 FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = to_regclass(${sqlString(probe[0])}) AND s.srvname = ${sqlString(probe[1])}) AS committed;`,
    ],
    'only when the answer to flip-commit was lost: true, it took effect (go on with the clean-up); false, abort',
  );
  if (!atomic) {
    add(
      'catalog-cutover',
      { role: 'catalog' },
      ['BEGIN;', ...catalog(to, g1, note), 'COMMIT;'],
      `the catalog names generation ${g1} (a second transaction: the catalog is not the coordinator)`,
    );
  }
  // A source's move slots that outlived their subscription (DROP SUBSCRIPTION drops its slot when it reaches
  // the source; one it could not reach, or a half-made subscription, leaves it holding WAL).
  const leftSlots = (i: number) =>
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN (${pairs
      .filter(([a]) => a === i)
      .map(([a, b]) => sqlString(name(a, b)))
      .join(', ')}) AND NOT active;`;
  // Cleanup: replication objects, then what the sources no longer own.
  for (const [a, b] of pairs) {
    add('cleanup', on(b), [`DROP SUBSCRIPTION IF EXISTS ${name(a, b)};`], `${shard(b).name} stops streaming`);
  }
  for (const i of sources) {
    const lines = [
      ...pairs.filter(([a]) => a === i).map(([a, b]) => `DROP PUBLICATION IF EXISTS ${name(a, b)};`),
      leftSlots(i),
      ...to.tables.flatMap((t) =>
        rangeLike
          ? [
              ...moves
                .filter((m) => m.from === i)
                .map((m) => `DELETE FROM ${t.name} WHERE ${predicate(t, m)};`),
              ...rebound(t, own(from, t, i), own(to, t, i)),
            ]
          : movedSlots(i, 'from').map((s) => `DROP TABLE IF EXISTS ${t.name}_p${s};`),
      ),
      `ALTER ROLE ${ROUTER_ROLE} NOREPLICATION;`,
    ];
    add('cleanup', on(i), lines, `${shard(i).name} drops the rows it no longer owns`);
  }
  if (rangeLike) {
    for (const i of targets.filter((i) => i < from.shards.length)) {
      const lines = to.tables.flatMap((t) => rebound(t, hull(from, to, t, i), own(to, t, i)));
      if (lines.length > 0)
        add('cleanup', on(i), lines, `${shard(i).name}'s partitions take their new bounds`);
    }
  }
  // Abort (before flip-commit) and rollback (after it, before any write on a target).
  add(
    'abort',
    coordinator,
    ['ROLLBACK;'],
    'end the flip session if it is open: nothing changed for clients',
    {
      session: 'flip',
    },
  );
  for (const [a, b] of pairs) {
    add('abort', on(b), [`DROP SUBSCRIPTION IF EXISTS ${name(a, b)};`], `${shard(b).name} stops copying`);
  }
  for (const i of targets.filter((i) => i < from.shards.length)) {
    const lines = to.tables.flatMap((t) =>
      rangeLike
        ? [
            ...moves.filter((m) => m.to === i).map((m) => `DELETE FROM ${t.name} WHERE ${predicate(t, m)};`),
            ...rebound(t, hull(from, to, t, i), own(from, t, i)),
          ]
        : movedSlots(i, 'to').map((s) => `DROP TABLE IF EXISTS ${t.name}_p${s};`),
    );
    add('abort', on(i), lines, `${shard(i).name} drops the copied rows`);
  }
  for (const i of sources) {
    add(
      'abort',
      on(i),
      [
        ...pairs.filter(([a]) => a === i).map(([a, b]) => `DROP PUBLICATION IF EXISTS ${name(a, b)};`),
        leftSlots(i),
        `ALTER ROLE ${ROUTER_ROLE} NOREPLICATION;`,
      ],
      `${shard(i).name} stops publishing`,
    );
  }
  add(
    'rollback',
    coordinator,
    [
      'BEGIN;',
      `LOCK TABLE ${to.tables.map((t) => t.name).join(', ')} IN ACCESS EXCLUSIVE MODE;`,
      ...repoint(from, to),
      ...(atomic ? [`UPDATE ${S}.current_generation SET generation = ${g0};`] : []),
      'COMMIT;',
    ],
    `route back to the sources${atomic ? ` and point the catalog back to generation ${g0}` : ''}: only before the first write reaches a target (then declare the reverse move)`,
  );
  if (!atomic) {
    add(
      'rollback',
      { role: 'catalog' },
      [`UPDATE ${S}.current_generation SET generation = ${g0};`],
      `the catalog points back to generation ${g0}`,
    );
  }
  return { moves, generation: { from: g0, to: g1 }, atomic, steps };
}

type Partition = readonly [string, string, number];

/** A shard's partitions for `t` covering both its old and new keys (range: the hull; list: the union). */
function hull(from: Fleet, to: Fleet, t: ShardedTableSpec, i: number): Partition[] {
  const o = from.ownership;
  const n = to.ownership;
  if (o.kind === 'range' && n.kind === 'range') {
    const a = o.ranges.find((r) => r.shard === i);
    const b = n.ranges.find((r) => r.shard === i);
    if (!a || !b) return partitions(to, t).filter((p) => p[2] === i);
    const integer = integerKey(t.keyType);
    const lower =
      a.from === undefined || b.from === undefined ? undefined : extremeBound(a.from, b.from, integer, -1);
    const upper = a.to === undefined || b.to === undefined ? undefined : extremeBound(a.to, b.to, integer, 1);
    const v = (x: number | string | undefined, none: string) =>
      x === undefined ? none : sqlValue(x, t.keyType);
    return [[`r${i}`, `FOR VALUES FROM (${v(lower, 'MINVALUE')}) TO (${v(upper, 'MAXVALUE')})`, i]];
  }
  if (o.kind === 'directory' && n.kind === 'directory') {
    const tenants = [
      ...new Set([...o.tenants, ...n.tenants].filter((x) => x.shard === i).map((x) => x.tenant)),
    ];
    const own = partitions(to, t).filter((p) => p[2] === i && p[0] === 'default');
    return [
      ...(tenants.length > 0
        ? [
            [
              `t${i}`,
              `FOR VALUES IN (${tenants.map((x) => sqlValue(x, t.keyType)).join(', ')})`,
              i,
            ] as Partition,
          ]
        : []),
      ...own,
    ];
  }
  return [];
}

/** The lower (dir -1) or the higher (dir 1) of two bounds. */
function extremeBound(
  a: number | string,
  b: number | string,
  integer: boolean,
  dir: -1 | 1,
): number | string {
  return compareBound(a, b, integer) <= 0 === (dir === -1) ? a : b;
}

/** Re-bounds a shard's partitions of `t` from `was` to `now` (detach, re-attach; create or drop as needed). */
function rebound(t: ShardedTableSpec, was: readonly Partition[], now: readonly Partition[]): string[] {
  const lines: string[] = [];
  for (const p of now) {
    const old = was.find((q) => q[0] === p[0]);
    if (old && old[1] === p[1]) continue;
    if (old) {
      lines.push(
        `ALTER TABLE ${t.name} DETACH PARTITION ${t.name}_${p[0]};`,
        `ALTER TABLE ${t.name} ATTACH PARTITION ${t.name}_${p[0]} ${p[1]};`,
      );
    } else {
      lines.push(
        `CREATE TABLE IF NOT EXISTS ${t.name}_${p[0]} PARTITION OF ${t.name} ${p[1]};`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t.name}_${p[0]} TO ${ROUTER_ROLE};`,
      );
    }
  }
  for (const q of was.filter((q) => !now.some((p) => p[0] === q[0])))
    lines.push(`DROP TABLE IF EXISTS ${t.name}_${q[0]};`);
  return lines;
}

/** The whole plan as one annotated text (each step's phase, cluster and note as SQL comments). */
export function movePlanText(plan: MovePlan): string {
  const where = (o: MoveTarget) => (o.role === 'shard' ? `shard ${o.shard}` : o.role);
  return plan.steps
    .map((s, i) => `-- ${i + 1}. [${s.phase}] on ${where(s.on)}: ${s.note}\n${s.sql}`)
    .join('\n');
}
