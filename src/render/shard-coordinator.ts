/**
 * The PostgreSQL-native routing tier, from the fleet's one ownership map:
 * - on the coordinator, each sharded table is a partitioned table (hash over the slots, range over the
 *   bounds, or list over the tenants) whose partitions are postgres_fdw foreign tables on the owning shard,
 *   each reading the same partition there (`orders_p5` -> shard's `orders_p5`), so a slot is one unit to
 *   read, move and re-point;
 * - on each shard, the same table partitioned the same way, holding only the partitions the shard owns,
 *   so a row routed to the wrong shard is refused by the shard itself ("no partition ... found for row").
 *
 * The router role's password is never written here: the USER MAPPINGs and the role read the psql variable
 * `router_password`, which the apply step fills from the secret the spec names (`router.passwordSecret`).
 */
import type { Fleet, Shard } from '../model/fleet.js';
import { shardWriterEndpoint } from '../model/fleet-network.js';
import type { ShardedTableSpec, ShardKeyType } from '../spec/fleet.js';
import { sqlString, sqlValue } from './shard-sql.js';

/** The role the coordinator connects to the shards as. */
export const ROUTER_ROLE = 'pgtopo_router';
/** The psql variable the apply step sets from the secret (`psql -v router_password=...`). */
export const ROUTER_PASSWORD_VARIABLE = 'router_password';

/** Where the coordinator reaches a shard's writer. */
export interface ShardEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The AWS endpoint of a shard: its writable cluster's writer DNS name on the writer port. */
export function awsShardEndpoint(s: Shard): ShardEndpoint {
  const { host, port } = shardWriterEndpoint(s.topology);
  return { host, port };
}

/** The postgres_fdw server name of a shard. */
export function serverName(s: Shard): string {
  return s.name.replace(/-/g, '_');
}

function columnsSql(t: ShardedTableSpec): string[] {
  return t.columns.map((c) => `${c.name} ${c.type}`);
}

/** `PARTITION BY ...` of a table for the fleet's strategy (text range keys compare byte-wise, COLLATE "C"). */
function partitionBy(f: Fleet, t: ShardedTableSpec): string {
  const o = f.ownership;
  if (o.kind === 'hash') return `PARTITION BY HASH (${t.key})`;
  if (o.kind === 'range') return `PARTITION BY RANGE (${t.key}${textKey(t.keyType) ? ' COLLATE "C"' : ''})`;
  return `PARTITION BY LIST (${t.key})`;
}

function textKey(type: ShardKeyType): boolean {
  return type === 'text' || type === 'uuid';
}

/** One partition per slot, range or shard's tenant list: `[suffix, FOR VALUES ..., owning shard index]`. */
export function partitions(f: Fleet, t: ShardedTableSpec): [string, string, number][] {
  const o = f.ownership;
  if (o.kind === 'hash') {
    return o.owners.flatMap((c, slot) =>
      c.length === 1
        ? [
            [slotSuffix(slot), `FOR VALUES WITH (MODULUS ${o.slots}, REMAINDER ${slot})`, c[0]!] as [
              string,
              string,
              number,
            ],
          ]
        : [],
    );
  }
  if (o.kind === 'range') {
    const b = (v: number | string | undefined, none: string) =>
      v === undefined ? none : sqlValue(v, t.keyType);
    return o.ranges.map((r) => [
      `r${r.shard}`,
      `FOR VALUES FROM (${b(r.from, 'MINVALUE')}) TO (${b(r.to, 'MAXVALUE')})`,
      r.shard,
    ]);
  }
  const out: [string, string, number][] = [];
  f.shards.forEach((s) => {
    const mine = o.tenants.filter((x) => x.shard === s.index);
    if (mine.length > 0) {
      out.push([
        `t${s.index}`,
        `FOR VALUES IN (${mine.map((x) => sqlValue(x.tenant, t.keyType)).join(', ')})`,
        s.index,
      ]);
    }
  });
  if (o.defaultShard !== undefined) out.push(['default', 'DEFAULT', o.defaultShard]);
  return out;
}

/** The coordinator's DDL: postgres_fdw, one server and user mapping per shard, the partitioned tables. */
export function coordinatorSql(
  f: Fleet,
  endpoint: (s: Shard) => ShardEndpoint = awsShardEndpoint,
  opts: {
    readonly sslmode?: 'verify-full' | 'disable';
    /**
     * Roles that get a user mapping to each shard (a role without one cannot read or write the foreign
     * partitions). Default: the role applying the script (`CURRENT_USER`).
     */
    readonly mappedRoles?: readonly string[];
    /** CA file each shard's certificate is verified against (verify-full). Default: libpq's own default. */
    readonly sslrootcert?: (s: Shard) => string | undefined;
  } = {},
): string {
  const sslmode = opts.sslmode ?? 'verify-full';
  const lines = [
    `-- pgtopo fleet ${f.name}: coordinator (postgres_fdw). Apply with psql -v ${ROUTER_PASSWORD_VARIABLE}=<the value of secret ${f.router.passwordSecret}>.`,
    'CREATE EXTENSION IF NOT EXISTS postgres_fdw;',
  ];
  for (const s of f.shards) lines.push(...shardServerSql(f, s, endpoint(s), { ...opts, sslmode }));
  for (const t of f.tables) {
    // No primary key on the coordinator: foreign partitions carry no index; each shard enforces its keys.
    lines.push(`CREATE TABLE IF NOT EXISTS ${t.name} (${columnsSql(t).join(', ')}) ${partitionBy(f, t)};`);
    for (const p of partitions(f, t)) lines.push(foreignPartitionSql(f, t, p));
  }
  return `${lines.join('\n')}\n`;
}

/** The coordinator's postgres_fdw server of one shard and the user mappings to it. */
export function shardServerSql(
  f: Fleet,
  s: Shard,
  e: ShardEndpoint,
  opts: {
    readonly sslmode?: 'verify-full' | 'disable';
    readonly mappedRoles?: readonly string[];
    readonly sslrootcert?: (s: Shard) => string | undefined;
  } = {},
): string[] {
  const sslmode = opts.sslmode ?? 'verify-full';
  const root = sslmode === 'verify-full' ? opts.sslrootcert?.(s) : undefined;
  return [
    `CREATE SERVER IF NOT EXISTS ${serverName(s)} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${sqlString(e.host)}, port ${sqlString(String(e.port))}, dbname ${sqlString(f.router.database)}, sslmode ${sqlString(sslmode)}${root ? `, sslrootcert ${sqlString(root)}` : ''}, application_name ${sqlString(`pgtopo-router-${f.name}`)});`,
    ...(opts.mappedRoles ?? ['CURRENT_USER']).map(
      (role) =>
        `CREATE USER MAPPING IF NOT EXISTS FOR ${role} SERVER ${serverName(s)} OPTIONS (user ${sqlString(ROUTER_ROLE)}, password :'${ROUTER_PASSWORD_VARIABLE}');`,
    ),
  ];
}

/** One foreign partition on the coordinator: the same-named partition on its owning shard. */
export function foreignPartitionSql(
  f: Fleet,
  t: ShardedTableSpec,
  [suffix, bound, shard]: readonly [string, string, number],
): string {
  return `CREATE FOREIGN TABLE IF NOT EXISTS ${t.name}_${suffix} PARTITION OF ${t.name} ${bound} SERVER ${serverName(f.shards[shard]!)} OPTIONS (schema_name 'public', table_name ${sqlString(`${t.name}_${suffix}`)});`;
}

/** The suffix of a hash slot's partition of each table (`orders_p5`). */
function slotSuffix(slot: number): string {
  return `p${slot}`;
}

/** The partitions (one per sharded table) that hold a hash slot, as coordinator and shards name them. */
export function slotPartitions(f: Fleet, slot: number): string[] {
  return f.tables.map((t) => `${t.name}_${slotSuffix(slot)}`);
}

/** A shard's DDL: the router role, and each table holding only the partitions this shard owns. */
export function shardSql(f: Fleet, s: Shard): string {
  const lines = [
    `-- pgtopo fleet ${f.name}: shard ${s.name}. Apply with psql -v ${ROUTER_PASSWORD_VARIABLE}=<the value of secret ${f.router.passwordSecret}>.`,
    `SELECT format('CREATE ROLE ${ROUTER_ROLE} LOGIN PASSWORD %L', :'${ROUTER_PASSWORD_VARIABLE}') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROUTER_ROLE}') \\gexec`,
  ];
  for (const t of f.tables) {
    const keys = [
      `PRIMARY KEY (${t.primaryKey.join(', ')})`,
      ...t.unique.map((u) => `UNIQUE (${u.join(', ')})`),
    ];
    lines.push(
      `CREATE TABLE IF NOT EXISTS ${t.name} (${[...columnsSql(t), ...keys].join(', ')}) ${partitionBy(f, t)};`,
    );
    for (const [suffix, bound, shard] of partitions(f, t)) {
      if (shard !== s.index) continue;
      lines.push(
        `CREATE TABLE IF NOT EXISTS ${t.name}_${suffix} PARTITION OF ${t.name} ${bound};`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t.name}_${suffix} TO ${ROUTER_ROLE};`,
      );
    }
    lines.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t.name} TO ${ROUTER_ROLE};`);
  }
  return `${lines.join('\n')}\n`;
}
