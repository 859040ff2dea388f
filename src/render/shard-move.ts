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
 * 6. `source-lsn` (each source): the WAL position after the lock; then `caught-up` (each source, with
 *    `-v lsn=<that position>`): poll until true.
 * 7. `flip-commit` (same coordinator session): re-point the partitions, write the catalog's new generation,
 *    COMMIT. With a catalog cluster apart from the coordinator, `catalog-cutover` follows on the catalog (its
 *    own transaction: `atomic` is false then).
 * 8. `cleanup` (targets, then sources): drop the subscriptions and publications, the moved rows at the
 *    source, the source's partitions it no longer owns.
 * `abort` undoes 2-4 before the flip commits (nothing a client sees has changed); `rollback` points the
 * coordinator and the catalog back after the flip, valid until the first write reaches a target (after
 * that, declare the reverse move).
 *
 * Secrets: the subscription's connection reads the router password from the psql variable
 * `router_password`, like the coordinator's user mappings; no value is written here.
 */
import type { Fleet, Shard } from '../model/fleet.js';
import type { FleetMove } from '../model/fleet-moves.js';
import { integerKey } from '../model/fleet-ownership.js';
import type { ShardedTableSpec } from '../spec/fleet.js';
import { compareBound } from '../spec/fleet-kind.js';
import { ownershipRowsSql } from './shard-catalog.js';
import {
  awsShardEndpoint,
  foreignPartitionSql,
  partitions,
  ROUTER_PASSWORD_VARIABLE,
  ROUTER_ROLE,
  type ShardEndpoint,
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
  'flip-commit',
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

export interface MoveStep {
  readonly phase: MovePhase;
  readonly on: MoveTarget;
  /** A psql script (psql variables: `router_password`; `lsn` for caught-up). */
  readonly sql: string;
  /** What the step does, for a person reading the plan. */
  readonly note: string;
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
  const steps: MoveStep[] = [];
  const add = (phase: MovePhase, target: MoveTarget, lines: readonly string[], note: string) =>
    steps.push({ phase, on: target, sql: sql(lines), note });

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
      newShards.flatMap((s) => shardServerSql(to, s, endpoint(s), { sslmode })),
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
    const mine = moves.filter((m) => m.from === a && m.to === b);
    const tables = rangeLike
      ? to.tables.map((t) => `${t.name} WHERE (${mine.map((m) => `(${predicate(t, m)})`).join(' OR ')})`)
      : to.tables.flatMap((t) =>
          mine.flatMap((m) => (m.kind === 'slots' ? m.slots : [])).map((s) => `${t.name}_p${s}`),
        );
    add(
      'publish',
      on(a),
      [
        `CREATE PUBLICATION ${name(a, b)} FOR TABLE ${tables.join(', ')}${rangeLike ? ' WITH (publish_via_partition_root = true)' : ''};`,
      ],
      `${shard(a).name} publishes the rows moving to ${shard(b).name}`,
    );
    const e = endpoint(shard(a));
    const conninfo = `host=${e.host} port=${e.port} dbname=${to.router.database} user=${ROUTER_ROLE} sslmode=${sslmode} application_name=${name(a, b)} password=`;
    add(
      'subscribe',
      on(b),
      [
        `SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true)', ${sqlString(name(a, b))}, ${sqlString(conninfo)} || quote_literal(:'${ROUTER_PASSWORD_VARIABLE}'), ${sqlString(name(a, b))}) \\gexec`,
      ],
      `${shard(b).name} copies the rows from ${shard(a).name}, then streams their changes`,
    );
  }
  for (const i of targets) {
    add(
      'synced',
      on(i),
      [
        `SELECT count(*) = 0 AS synced FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname IN (${pairs
          .filter(([, b]) => b === i)
          .map(([a, b]) => sqlString(name(a, b)))
          .join(', ')}) AND r.srsubstate <> 'r';`,
      ],
      `poll until true: every initial copy into ${shard(i).name} is done`,
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
  );
  for (const i of sources) {
    add(
      'source-lsn',
      on(i),
      ['SELECT pg_current_wal_lsn() AS lsn;'],
      `${shard(i).name}'s WAL position after the lock`,
    );
    add(
      'caught-up',
      on(i),
      [
        `SELECT bool_and(confirmed_flush_lsn >= :'lsn'::pg_lsn) AS caught_up FROM pg_replication_slots WHERE slot_name IN (${pairs
          .filter(([a]) => a === i)
          .map(([a, b]) => sqlString(name(a, b)))
          .join(', ')});`,
      ],
      `poll with -v lsn=<source-lsn> until true: every target applied what ${shard(i).name} committed before the lock`,
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
    `INSERT INTO ${S}.generation (generation, note) VALUES (${generation}, ${sqlString(note)});`,
    ...ownershipRowsSql(target, target.ownership, generation),
    `UPDATE ${S}.current_generation SET generation = ${generation};`,
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
  );
  if (!atomic) {
    add(
      'catalog-cutover',
      { role: 'catalog' },
      ['BEGIN;', ...catalog(to, g1, note), 'COMMIT;'],
      `the catalog names generation ${g1} (a second transaction: the catalog is not the coordinator)`,
    );
  }
  // Cleanup: replication objects, then what the sources no longer own.
  for (const [a, b] of pairs) {
    add('cleanup', on(b), [`DROP SUBSCRIPTION IF EXISTS ${name(a, b)};`], `${shard(b).name} stops streaming`);
  }
  for (const i of sources) {
    const lines = [
      ...pairs.filter(([a]) => a === i).map(([a, b]) => `DROP PUBLICATION IF EXISTS ${name(a, b)};`),
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
  add('abort', coordinator, ['ROLLBACK;'], 'end the flip session if it is open: nothing changed for clients');
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
