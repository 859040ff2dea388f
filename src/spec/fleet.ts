/**
 * The fleet spec: a second document kind (`kind: fleet`) that declares N shards built from one cluster
 * template, how keys map to shards, the sharded tables and the HA catalog (and coordinator) clusters.
 *
 * The template, the catalog and the coordinator are ordinary topology specs (the catalog and the
 * coordinator whole, the template without its `name`): each shard is resolved through the same parse and
 * model as any cluster, so every rule of a single cluster applies to each.
 */
import { z } from 'zod';
import { compareBound, SLOT_RANGE, slotClaims, slotRange } from './fleet-kind.js';
import {
  describeValue,
  firstDuplicates,
  issueCollector,
  type PathSegment,
  type SpecIssue,
} from './issues.js';
import { type JsonSchema, knownKeysAt, SCHEMA_ID, topologyJsonSchema } from './json-schema.js';
import { Ipv4Cidr, REGION } from './schema.js';
import { didYouMean } from './suggest.js';
import { fromZodIssues } from './zod-issues.js';

/** A fleet name: shard clusters are named `<fleet>-s<NN>`, so it is 8 characters shorter than a cluster's. */
const FLEET_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
/** A SQL identifier pgtopo writes unquoted: lowercase, at most 63 bytes. */
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const ident = (what: string) =>
  z.string().regex(IDENT, `a ${what}: a lowercase SQL identifier (letters, digits, '_'; at most 63)`);
/** A column type written into DDL: a type name with optional precision, e.g. `numeric(12,2)`, `timestamptz`. */
const COLUMN_TYPE = /^[a-z][a-z0-9_ ]{0,40}(\(\d{1,4}(, ?\d{1,4})?\))?(\[\])?$/;

/** Most shards a fleet declares. */
export const MAX_SHARDS = 256;
/** Most hash slots: slot ownership is one catalog row (and one coordinator partition) per slot. */
export const MAX_SLOTS = 4096;

/** Shard key types whose slot pgtopo computes (in TypeScript and in SQL, as PostgreSQL's hash partitioning does). */
export const SHARD_KEY_TYPES = ['int4', 'int8', 'text', 'uuid'] as const;
export type ShardKeyType = (typeof SHARD_KEY_TYPES)[number];

export const SlotAssignment = z
  .strictObject({
    shard: z.number().int().min(0).describe('Shard index (0 .. shards-1).'),
    slots: z
      .union([
        z.number().int().min(0),
        z.string().regex(SLOT_RANGE, 'a slot `n` or an inclusive range `from-to`'),
      ])
      .describe('A slot, or an inclusive slot range `from-to`.'),
  })
  .describe('Slots one shard owns.');

export const HashStrategy = z
  .strictObject({
    kind: z.literal('hash').describe('Hash sharding.'),
    slots: z
      .number()
      .int()
      .min(1)
      .max(MAX_SLOTS)
      .default(64)
      .describe(
        'Virtual slots (a power of two, PGT-SHD-001): slot = PostgreSQL hash-partition hash of the key mod slots. Default 64.',
      ),
    assignments: z
      .array(SlotAssignment)
      .optional()
      .describe('Which shard owns which slots. Default: contiguous, equal blocks in shard order.'),
  })
  .describe('Hash sharding over virtual slots (PostgreSQL hash partitioning, as PgDog and Citus use).');

const Bound = z.union([z.number().int(), z.string().min(1).max(200)]);

export const RangeStrategy = z
  .strictObject({
    kind: z.literal('range').describe('Range sharding.'),
    bounds: z
      .array(Bound)
      .describe(
        'The shards-1 split points, ascending: shard 0 owns keys below bounds[0], shard i owns [bounds[i-1], bounds[i]), the last shard everything from the last bound.',
      ),
  })
  .describe('Range sharding: ordered keys (time series, sequential ids).');

export const DirectoryStrategy = z
  .strictObject({
    kind: z.literal('directory').describe('Directory sharding.'),
    tenants: z
      .array(
        z.strictObject({
          tenant: z.string().min(1).max(200).describe('The tenant: a shard key value.'),
          shard: z.number().int().min(0).describe('The shard index that owns it.'),
        }),
      )
      .default([])
      .describe('Tenant (shard key value) to shard. Default: none yet.'),
    defaultShard: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Where a tenant not listed goes. Default: nowhere (writes for it are refused).'),
  })
  .describe('Directory sharding: the catalog maps each tenant to a shard (Vitess lookup vindexes).');

export const Strategy = z
  .discriminatedUnion('kind', [HashStrategy, RangeStrategy, DirectoryStrategy])
  .describe('How keys map to shards: hash over virtual slots, ranges, or a directory of tenants.');

export const ShardedTable = z
  .strictObject({
    name: ident('table name').describe('Table name (unquoted SQL identifier).'),
    key: ident('shard key column').describe('The shard key (distribution) column.'),
    keyType: z.enum(SHARD_KEY_TYPES).describe('Type of the shard key.'),
    columns: z
      .array(
        z.strictObject({
          name: ident('column name').describe('Column name.'),
          type: z
            .string()
            .regex(COLUMN_TYPE, 'a column type')
            .describe('Column type, e.g. int8, text, numeric(12,2).'),
        }),
      )
      .min(1)
      .max(200)
      .describe('Columns in order (the shard key among them, with its keyType).'),
    primaryKey: z
      .array(ident('column name'))
      .min(1)
      .describe('Primary key columns (must include the shard key).'),
    unique: z
      .array(z.array(ident('column name')).min(1))
      .default([])
      .describe('Unique constraints, each a column list (each must include the shard key). Default: none.'),
  })
  .describe('A sharded table: its rows are spread over the shards by its shard key.');

export const ColocationGroup = z
  .strictObject({
    name: ident('colocation group name').describe('Colocation group name.'),
    tables: z
      .array(ident('table name'))
      .min(2)
      .describe('Tables whose rows with equal keys live on one shard.'),
  })
  .describe('Tables joined on the shard key: they share key type and strategy, so equal keys share a shard.');

export const ROUTER_ENGINES = ['postgres-fdw', 'citus'] as const;

export const Router = z
  .strictObject({
    engine: z
      .enum(ROUTER_ENGINES)
      .default('postgres-fdw')
      .describe(
        'postgres-fdw: a coordinator of partitioned tables whose partitions are postgres_fdw foreign tables on the shards (core PostgreSQL). citus: Patroni-managed Citus groups (coordinator group 0). Default postgres-fdw.',
      ),
    database: ident('database name').default('app').describe('The sharded database. Default app.'),
    passwordSecret: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/, 'a secret name (Secrets Manager style)')
      .default('pgtopo/fleet/router')
      .describe(
        "Name of the secret holding the router role's password (USER MAPPINGs read it at apply time). Never the value. Default pgtopo/fleet/router.",
      ),
  })
  .describe('The routing tier. Default: postgres-fdw coordinator on database app.');

export const Move = z
  .strictObject({
    slots: z
      .union([
        z.number().int().min(0),
        z.string().regex(SLOT_RANGE, 'a slot `n` or an inclusive range `from-to`'),
      ])
      .optional()
      .describe('Hash fleets: the slot, or inclusive slot range `from-to`, that moves.'),
    range: z
      .strictObject({
        lower: Bound.optional().describe('Lowest key that moves (inclusive). Default: from the lowest key.'),
        upper: Bound.optional().describe('First key that stays (exclusive). Default: to the highest key.'),
      })
      .optional()
      .describe('Range fleets: the keys [lower, upper) that move.'),
    tenant: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Directory fleets: the tenant (shard key value) that moves.'),
    from: z
      .number()
      .int()
      .min(0)
      .max(MAX_SHARDS - 1)
      .describe('The shard index that owns it before the move.'),
    to: z
      .number()
      .int()
      .min(0)
      .max(MAX_SHARDS - 1)
      .describe('The shard index that owns it after the move.'),
  })
  .describe(
    'A planned move: rows of slots, a key range or a tenant copied from one shard to another over logical replication, then ownership flipped in one transaction. Exactly one of slots, range, tenant.',
  );

export type MoveSpec = z.output<typeof Move>;

export const ShardAddress = z
  .strictObject({
    shard: z
      .number()
      .int()
      .min(0)
      .max(MAX_SHARDS - 1)
      .describe('The shard index.'),
    region: z
      .string()
      .regex(REGION, 'an AWS region name such as us-east-1')
      .describe('A region of the template.'),
    cidr: Ipv4Cidr.describe("The shard's VPC CIDR in that region."),
  })
  .describe(
    "One shard's VPC CIDR in one region, instead of its numbered block (the template CIDR plus the shard index in blocks of its size): to adopt an existing VPC.",
  );

export const FleetSpec = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors. Ignored.'),
    kind: z.literal('fleet').describe('Marks a fleet document.'),
    name: z
      .string()
      .regex(FLEET_NAME, "a fleet name: 2-32 lowercase letters, digits or '-', starting with a letter")
      .describe('Fleet name; shard clusters are `<name>-s<NN>`.'),
    shards: z.number().int().min(1).max(MAX_SHARDS).describe(`Number of shards (1-${MAX_SHARDS}).`),
    template: z
      .record(z.string(), z.unknown())
      .describe('A topology spec without `name`: every shard is a full Patroni cluster built from it.'),
    strategy: Strategy,
    tables: z.array(ShardedTable).min(1).max(500).describe('The sharded tables.'),
    colocation: z.array(ColocationGroup).default([]).describe('Colocation groups. Default: none.'),
    catalog: z
      .record(z.string(), z.unknown())
      .describe(
        'The catalog cluster (a full topology spec): slot/range/tenant ownership lives there, versioned.',
      ),
    coordinator: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'The coordinator cluster (a full topology spec) of the routing tier. Default: the catalog cluster coordinates.',
      ),
    router: Router.prefault({}),
    addresses: z
      .array(ShardAddress)
      .max(MAX_SHARDS * 8)
      .default([])
      .describe(
        "Shard VPC CIDRs that replace numbered blocks. Shard i's VPC is otherwise the template region's CIDR plus i blocks of its size, so adding shards never renumbers one. Default: none.",
      ),
    moves: z
      .array(Move)
      .max(MAX_SLOTS)
      .default([])
      .describe(
        'The moves this document makes against the deployed fleet: `pgtopo diff` refuses a slot, range or tenant that changes owner without one. Default: none.',
      ),
  })
  .describe('A sharded fleet: many Patroni clusters as one dataset.');

export type FleetSpecInput = z.input<typeof FleetSpec>;
export type ParsedFleetSpec = z.output<typeof FleetSpec>;
export type ShardedTableSpec = z.output<typeof ShardedTable>;

/**
 * Schema and cross-reference issues of a fleet document (its own fields only: the embedded cluster specs
 * are judged by the topology parse, see model/fleet.ts).
 */
export function fleetIssues(
  input: unknown,
): { ok: true; spec: ParsedFleetSpec } | { ok: false; issues: readonly SpecIssue[] } {
  const parsed = FleetSpec.safeParse(input);
  if (!parsed.success)
    return { ok: false, issues: fromZodIssues(parsed.error.issues, input, fleetKnownKeys) };
  const cross = fleetCrossReferences(parsed.data);
  return cross.length > 0 ? { ok: false, issues: cross } : { ok: true, spec: parsed.data };
}

let fleetSchema: JsonSchema | undefined;

/** The fleet schema's id, beside the topology schema's (`schema/fleet.schema.json`). */
export const FLEET_SCHEMA_ID = SCHEMA_ID.replace(/pgtopo\.schema\.json$/, 'fleet.schema.json');

/** JSON Schema of the fleet document (input side: defaulted fields optional). */
export function fleetJsonSchema(): JsonSchema {
  if (fleetSchema) return fleetSchema;
  const own = z.toJSONSchema(FleetSpec, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  // The embedded cluster specs are the topology schema itself (the template without `name`), so editors
  // complete and check them too; the parse judges them through the topology parse (see model/fleet.ts).
  const { $schema: _s, $id: _i, title: _t, ...cluster } = topologyJsonSchema();
  const { name: _n, ...templateProperties } = cluster.properties ?? {};
  const template = {
    ...cluster,
    properties: templateProperties,
    required: ((cluster.required as string[] | undefined) ?? []).filter((k) => k !== 'name'),
  };
  const props = own.properties ?? {};
  const ref = (key: string, def: string) =>
    props[key] ? { [key]: { $ref: `#/$defs/${def}`, description: props[key].description } } : {};
  fleetSchema = {
    ...own,
    properties: {
      ...props,
      ...ref('template', 'template'),
      ...ref('catalog', 'cluster'),
      ...ref('coordinator', 'cluster'),
    },
    $defs: { cluster, template },
    $id: FLEET_SCHEMA_ID,
    title: 'pgtopo fleet spec',
  };
  return fleetSchema;
}

/** Keys the fleet schema knows at a path (for unknown-key did-you-mean). */
function fleetKnownKeys(path: readonly PathSegment[], value: unknown): string[] {
  return knownKeysAt(path, value, fleetJsonSchema());
}

function fleetCrossReferences(spec: ParsedFleetSpec): SpecIssue[] {
  const { issues, add } = issueCollector();
  const shardIndex = (path: PathSegment[], shard: number) => {
    if (shard >= spec.shards)
      add('invalid_value', path, describeValue(shard), `a shard index from 0 to ${spec.shards - 1}`);
  };
  if ('name' in spec.template) {
    add(
      'unknown_key',
      ['template', 'name'],
      'a cluster name in the template',
      'no name: shards are named <fleet>-s<NN>',
    );
  }

  const st = spec.strategy;
  if (st.kind === 'hash') {
    (st.assignments ?? []).forEach((a, i) => {
      shardIndex(['strategy', 'assignments', i, 'shard'], a.shard);
      const [from, to] = slotRange(a.slots);
      if (from > to || to >= st.slots) {
        add(
          'invalid_value',
          ['strategy', 'assignments', i, 'slots'],
          describeValue(a.slots),
          `slots from 0 to ${st.slots - 1}, ascending`,
        );
      }
    });
  } else if (st.kind === 'range') {
    if (st.bounds.length !== spec.shards - 1) {
      add(
        'inconsistent',
        ['strategy', 'bounds'],
        `${st.bounds.length} bound(s) for ${spec.shards} shard(s)`,
        `${spec.shards - 1} split point(s): one fewer than shards`,
      );
    }
    const numeric = spec.tables.some((t) => t.keyType === 'int4' || t.keyType === 'int8');
    st.bounds.forEach((b, i) => {
      if (numeric !== (typeof b === 'number')) {
        add(
          'invalid_type',
          ['strategy', 'bounds', i],
          describeValue(b),
          numeric ? 'an integer (the shard keys are integers)' : 'a string (the shard keys are text or uuid)',
        );
      }
    });
  } else {
    const integers = spec.tables.some((t) => t.keyType === 'int4' || t.keyType === 'int8');
    st.tenants.forEach((t, i) => {
      shardIndex(['strategy', 'tenants', i, 'shard'], t.shard);
      if (integers && !/^-?\d{1,19}$/.test(t.tenant)) {
        add(
          'invalid_value',
          ['strategy', 'tenants', i, 'tenant'],
          describeValue(t.tenant),
          'an integer tenant (the shard keys are integers)',
        );
      }
    });
    if (st.defaultShard !== undefined) shardIndex(['strategy', 'defaultShard'], st.defaultShard);
  }

  const tableNames = spec.tables.map((t) => t.name);
  for (const [i, name] of firstDuplicates(tableNames))
    add('duplicate_name', ['tables', i, 'name'], describeValue(name), 'a table name used once');
  spec.tables.forEach((t, i) => {
    const columns = t.columns.map((c) => c.name);
    const known = (path: PathSegment[], col: string) => {
      if (!columns.includes(col)) {
        add(
          'unknown_member',
          path,
          describeValue(col),
          `a column of ${t.name} (${columns.join(', ')})`,
          didYouMean(col, columns),
        );
      }
    };
    known(['tables', i, 'key'], t.key);
    const keyColumn = t.columns.find((c) => c.name === t.key);
    if (keyColumn && normalType(keyColumn.type) !== t.keyType) {
      add(
        'inconsistent',
        ['tables', i, 'columns', t.columns.indexOf(keyColumn), 'type'],
        describeValue(keyColumn.type),
        `${t.keyType} (the table's keyType)`,
      );
    }
    t.primaryKey.forEach((c, j) => {
      known(['tables', i, 'primaryKey', j], c);
    });
    t.unique.forEach((u, j) => {
      u.forEach((c, k) => {
        known(['tables', i, 'unique', j, k], c);
      });
    });
  });
  const grouped = new Map<string, string>();
  spec.colocation.forEach((g, i) => {
    g.tables.forEach((name, j) => {
      const path = ['colocation', i, 'tables', j];
      if (!tableNames.includes(name)) {
        add(
          'unknown_member',
          path,
          describeValue(name),
          `one of the fleet's tables (${tableNames.join(', ')})`,
          didYouMean(name, tableNames),
        );
      } else if (grouped.has(name)) {
        add(
          'duplicate_name',
          path,
          describeValue(name),
          `a table in one colocation group (already in ${grouped.get(name)})`,
        );
      } else grouped.set(name, g.name);
    });
  });
  moveReferences(spec, add);
  addressReferences(spec, add);
  return issues;
}

/** Each address names a shard of the fleet and a region of the template, once per (shard, region). */
function addressReferences(spec: ParsedFleetSpec, add: ReturnType<typeof issueCollector>['add']): void {
  const regions = Array.isArray(spec.template.regions)
    ? spec.template.regions.flatMap((r) => {
        const name = (r as { name?: unknown } | null)?.name;
        return typeof name === 'string' ? [name] : [];
      })
    : [];
  const seen = new Set<string>();
  spec.addresses.forEach((a, i) => {
    if (a.shard >= spec.shards) {
      add(
        'invalid_value',
        ['addresses', i, 'shard'],
        describeValue(a.shard),
        `a shard index from 0 to ${spec.shards - 1}`,
      );
    }
    if (!regions.includes(a.region)) {
      add(
        'unknown_region',
        ['addresses', i, 'region'],
        describeValue(a.region),
        `a region of the template (${regions.join(', ')})`,
        didYouMean(a.region, regions),
      );
    }
    const key = `${a.shard} ${a.region}`;
    if (seen.has(key)) {
      add(
        'duplicate_name',
        ['addresses', i],
        `shard ${a.shard} in ${a.region} again`,
        'one address per shard and region',
      );
    }
    seen.add(key);
  });
}

const MOVE_UNIT = { hash: 'slots', range: 'range', directory: 'tenant' } as const;

/**
 * Each declared move names exactly the unit its strategy moves (slots, a key range, a tenant), two different
 * shards, and a target that owns the unit in this document: a move declares where ownership ends up.
 */
function moveReferences(spec: ParsedFleetSpec, add: ReturnType<typeof issueCollector>['add']): void {
  const st = spec.strategy;
  const unit = MOVE_UNIT[st.kind];
  spec.moves.forEach((m, i) => {
    const at = (...rest: PathSegment[]) => ['moves', i, ...rest];
    const given = (['slots', 'range', 'tenant'] as const).filter((k) => m[k] !== undefined);
    for (const k of given.filter((k) => k !== unit)) {
      add(
        'inconsistent',
        at(k),
        `${k} in a ${st.kind} fleet`,
        `${unit}: the unit a ${st.kind} fleet moves`,
        `did you mean ${JSON.stringify(unit)}?`,
      );
    }
    if (!given.includes(unit)) {
      add('invalid_value', at(), `a move without ${unit}`, `${unit}: what moves in a ${st.kind} fleet`);
      return;
    }
    if (given.length > 1) return;
    if (m.from === m.to) {
      add('inconsistent', at('to'), `shard ${m.to}, the same as from`, 'another shard than from');
      return;
    }
    if (m.to >= spec.shards) {
      add('invalid_value', at('to'), describeValue(m.to), `a shard index from 0 to ${spec.shards - 1}`);
      return;
    }
    if (st.kind === 'hash' && m.slots !== undefined) {
      const [from, to] = slotRange(m.slots);
      if (from > to || to >= st.slots) {
        add(
          'invalid_value',
          at('slots'),
          describeValue(m.slots),
          `slots from 0 to ${st.slots - 1}, ascending`,
        );
        return;
      }
      const owners = hashOwners(spec);
      const elsewhere = [];
      for (let s = from; s <= to; s++) if (owners[s] !== m.to) elsewhere.push(s);
      if (elsewhere.length > 0) {
        add(
          'inconsistent',
          at('to'),
          `shard ${m.to}, but this document gives slot(s) ${elsewhere.slice(0, 8).join(', ')} to ${describeOwner(owners[elsewhere[0]!])}`,
          `the shard that owns the moved slots in strategy (a move declares where they end up)`,
        );
      }
    } else if (st.kind === 'directory' && m.tenant !== undefined) {
      const listed = st.tenants.find((t) => t.tenant === m.tenant);
      const owner = listed ? listed.shard : st.defaultShard;
      if (owner !== m.to) {
        add(
          listed ? 'inconsistent' : 'unknown_member',
          at('tenant'),
          `${JSON.stringify(m.tenant)} owned by ${describeOwner(owner)} in this document`,
          `a tenant that strategy.tenants gives to shard ${m.to}`,
          listed
            ? undefined
            : didYouMean(
                m.tenant,
                st.tenants.map((t) => t.tenant),
              ),
        );
      }
    } else if (st.kind === 'range' && m.range !== undefined) {
      const { lower, upper } = m.range;
      const numeric = spec.tables.some((t) => t.keyType === 'int4' || t.keyType === 'int8');
      let typed = true;
      for (const [k, b] of [
        ['lower', lower],
        ['upper', upper],
      ] as const) {
        if (b !== undefined && numeric !== (typeof b === 'number')) {
          add('invalid_type', at('range', k), describeValue(b), numeric ? 'an integer' : 'a string');
          typed = false;
        }
      }
      if (!typed || st.bounds.some((b) => numeric !== (typeof b === 'number'))) return;
      // [lower, upper) lies within the target's [lo, hi); undefined is -inf for lower bounds, +inf for upper ones.
      const lo = m.to > 0 ? st.bounds[m.to - 1] : undefined;
      const hi = m.to < spec.shards - 1 ? st.bounds[m.to] : undefined;
      const within =
        (lo === undefined || (lower !== undefined && compareBound(lower, lo, numeric) >= 0)) &&
        (hi === undefined || (upper !== undefined && compareBound(upper, hi, numeric) <= 0));
      const empty = lower !== undefined && upper !== undefined && compareBound(lower, upper, numeric) >= 0;
      if (!within || empty) {
        add(
          'inconsistent',
          at('range'),
          `[${lower ?? '-inf'}, ${upper ?? '+inf'})${empty ? ', an empty range' : `, outside shard ${m.to}'s range [${lo ?? '-inf'}, ${hi ?? '+inf'}) in strategy.bounds`}`,
          `a non-empty key range that strategy.bounds give to shard ${m.to}`,
        );
      }
    }
  });
}

function describeOwner(owner: number | undefined): string {
  return owner === undefined ? 'no shard' : `shard ${owner}`;
}

/** Slot -> its single owner under the spec's hash strategy (undefined where none or several claim it). */
function hashOwners(spec: ParsedFleetSpec): (number | undefined)[] {
  const st = spec.strategy;
  if (st.kind !== 'hash') return [];
  return slotClaims(st.slots, spec.shards, st.assignments).map((c) => (c.length === 1 ? c[0] : undefined));
}

/** The shard key type a column type names (aliases folded: integer -> int4, bigint -> int8). */
export function normalType(type: string): string {
  const t = type.trim().toLowerCase();
  const aliases: Record<string, string> = {
    integer: 'int4',
    int: 'int4',
    bigint: 'int8',
    'character varying': 'text',
  };
  return aliases[t] ?? t;
}
