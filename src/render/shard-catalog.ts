/**
 * The fleet catalog as data: shards, and slot / range / tenant ownership per generation, with one row
 * naming the current generation. A cutover writes a new generation and moves the pointer in one
 * transaction; a rollback moves the pointer back. A constraint trigger refuses a pointer to a generation
 * that does not own every slot (hash) or that leaves a shard's range open (range) exactly once.
 */
import type { Fleet, Ownership } from '../model/fleet.js';
import type { ShardKeyType } from '../spec/fleet.js';
import { routingFunctionSql, CATALOG_SCHEMA as S, sqlString } from './shard-sql.js';

/** The key type of a fleet's sharded tables (colocation and PGT-SHD-004 keep one per fleet in practice). */
export function fleetKeyType(f: Fleet): ShardKeyType {
  return f.tables[0]!.keyType;
}

/** The column type range bounds are stored as in the catalog. */
function boundType(t: ShardKeyType): string {
  return t === 'int4' || t === 'int8' ? 'bigint' : 'text';
}

/** The catalog's tables, views, routing functions and coverage trigger (idempotent: IF NOT EXISTS). */
export function catalogSchemaSql(f: Fleet): string {
  const keyType = fleetKeyType(f);
  const o = f.ownership;
  const slots = o.kind === 'hash' ? o.slots : 0;
  const lines = [
    `-- pgtopo fleet ${f.name}: the routing catalog (${o.kind}). Ownership is data, versioned by generation.`,
    `CREATE SCHEMA IF NOT EXISTS ${S};`,
    `CREATE TABLE IF NOT EXISTS ${S}.fleet (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), name text NOT NULL, strategy text NOT NULL, slots integer NOT NULL, key_type text NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS ${S}.shard (name text PRIMARY KEY, index integer NOT NULL UNIQUE, cluster text NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS ${S}.generation (generation bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), note text NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS ${S}.current_generation (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), generation bigint NOT NULL REFERENCES ${S}.generation);`,
    `CREATE TABLE IF NOT EXISTS ${S}.slot_owner (generation bigint NOT NULL REFERENCES ${S}.generation, slot integer NOT NULL CHECK (slot >= 0 AND slot < ${Math.max(slots, 1)}), shard text NOT NULL REFERENCES ${S}.shard, PRIMARY KEY (generation, slot));`,
    `CREATE TABLE IF NOT EXISTS ${S}.range_owner (generation bigint NOT NULL REFERENCES ${S}.generation, shard text NOT NULL REFERENCES ${S}.shard, lower_bound ${boundType(keyType)}, upper_bound ${boundType(keyType)}, PRIMARY KEY (generation, shard));`,
    `CREATE TABLE IF NOT EXISTS ${S}.tenant_owner (generation bigint NOT NULL REFERENCES ${S}.generation, tenant text NOT NULL, shard text NOT NULL REFERENCES ${S}.shard, PRIMARY KEY (generation, tenant));`,
    `CREATE OR REPLACE VIEW ${S}.current_slot_owner AS SELECT o.slot, o.shard FROM ${S}.slot_owner o JOIN ${S}.current_generation c USING (generation);`,
    `CREATE OR REPLACE VIEW ${S}.current_range_owner AS SELECT o.shard, o.lower_bound, o.upper_bound FROM ${S}.range_owner o JOIN ${S}.current_generation c USING (generation);`,
    `CREATE OR REPLACE VIEW ${S}.current_tenant_owner AS SELECT o.tenant, o.shard FROM ${S}.tenant_owner o JOIN ${S}.current_generation c USING (generation);`,
    routingFunctionSql(),
    // The shard of a key under the current generation.
    `CREATE OR REPLACE FUNCTION ${S}.shard_for(key ${keyType}) RETURNS text LANGUAGE sql STABLE AS $$`,
    o.kind === 'hash'
      ? `  SELECT shard FROM ${S}.current_slot_owner WHERE slot = ${S}.slot_of(key, (SELECT slots FROM ${S}.fleet))`
      : o.kind === 'range'
        ? `  SELECT shard FROM ${S}.current_range_owner WHERE (lower_bound IS NULL OR key${cast(keyType)} >= lower_bound${collate(keyType)}) AND (upper_bound IS NULL OR key${cast(keyType)} < upper_bound${collate(keyType)})`
        : `  SELECT coalesce((SELECT shard FROM ${S}.current_tenant_owner WHERE tenant = key::text), ${defaultShard(f)})`,
    '$$;',
    // Coverage: the generation the pointer moves to owns every slot exactly once (PK: at most once).
    `CREATE OR REPLACE FUNCTION ${S}.check_coverage() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'DECLARE s text; n integer; m integer;',
    'BEGIN',
    `  SELECT strategy, slots INTO s, m FROM ${S}.fleet;`,
    `  IF s = 'hash' THEN`,
    `    SELECT count(*) INTO n FROM ${S}.slot_owner WHERE generation = NEW.generation;`,
    `    IF n <> m THEN RAISE EXCEPTION 'generation % owns % of % slots', NEW.generation, n, m USING ERRCODE = 'check_violation'; END IF;`,
    `  ELSIF s = 'range' THEN`,
    `    SELECT count(*) INTO n FROM ${S}.range_owner WHERE generation = NEW.generation AND lower_bound IS NULL;`,
    `    SELECT count(*) INTO m FROM ${S}.range_owner WHERE generation = NEW.generation AND upper_bound IS NULL;`,
    `    IF n <> 1 OR m <> 1 THEN RAISE EXCEPTION 'generation % does not cover the key space once', NEW.generation USING ERRCODE = 'check_violation'; END IF;`,
    `    IF EXISTS (SELECT 1 FROM ${S}.range_owner a WHERE a.generation = NEW.generation AND a.upper_bound IS NOT NULL`,
    `        AND NOT EXISTS (SELECT 1 FROM ${S}.range_owner b WHERE b.generation = NEW.generation AND b.lower_bound = a.upper_bound)) THEN`,
    `      RAISE EXCEPTION 'generation % leaves a gap between ranges', NEW.generation USING ERRCODE = 'check_violation';`,
    '    END IF;',
    '  END IF;',
    '  RETURN NULL;',
    'END $$;',
    `DROP TRIGGER IF EXISTS check_coverage ON ${S}.current_generation;`,
    `CREATE CONSTRAINT TRIGGER check_coverage AFTER INSERT OR UPDATE ON ${S}.current_generation DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${S}.check_coverage();`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Text bounds compare byte-wise (the C collation), as the coordinator's partition key and the TS router do. */
function collate(t: ShardKeyType): string {
  return t === 'int4' || t === 'int8' ? '' : ' COLLATE "C"';
}

function cast(t: ShardKeyType): string {
  return t === 'int4' || t === 'int8' ? '::bigint' : '::text';
}

function defaultShard(f: Fleet): string {
  const o = f.ownership;
  return o.kind === 'directory' && o.defaultShard !== undefined
    ? sqlString(f.shards[o.defaultShard]!.name)
    : 'NULL::text';
}

/** Rows of one generation of an ownership map. */
export function ownershipRowsSql(f: Fleet, ownership: Ownership, generation: number): string[] {
  const name = (i: number) => sqlString(f.shards[i]!.name);
  const keyType = fleetKeyType(f);
  if (ownership.kind === 'hash') {
    const rows = ownership.owners.flatMap((c, slot) =>
      c.map((shard) => `(${generation}, ${slot}, ${name(shard)})`),
    );
    return [`INSERT INTO ${S}.slot_owner (generation, slot, shard) VALUES\n  ${rows.join(',\n  ')};`];
  }
  if (ownership.kind === 'range') {
    const bound = (b: number | string | undefined) =>
      b === undefined ? 'NULL' : keyType === 'int4' || keyType === 'int8' ? String(b) : sqlString(String(b));
    const rows = ownership.ranges.map(
      (r) => `(${generation}, ${name(r.shard)}, ${bound(r.from)}, ${bound(r.to)})`,
    );
    return [
      `INSERT INTO ${S}.range_owner (generation, shard, lower_bound, upper_bound) VALUES\n  ${rows.join(',\n  ')};`,
    ];
  }
  if (ownership.tenants.length === 0) return [];
  const rows = ownership.tenants.map((t) => `(${generation}, ${sqlString(t.tenant)}, ${name(t.shard)})`);
  return [`INSERT INTO ${S}.tenant_owner (generation, tenant, shard) VALUES\n  ${rows.join(',\n  ')};`];
}

/** Generation 1, in one transaction: the fleet row, the shards, the spec's ownership, the pointer. */
export function catalogSeedSql(f: Fleet): string {
  const o = f.ownership;
  return [
    'BEGIN;',
    `INSERT INTO ${S}.fleet (name, strategy, slots, key_type) VALUES (${sqlString(f.name)}, ${sqlString(o.kind)}, ${o.kind === 'hash' ? o.slots : 0}, ${sqlString(fleetKeyType(f))});`,
    `INSERT INTO ${S}.shard (name, index, cluster) VALUES\n  ${f.shards.map((s) => `(${sqlString(s.name)}, ${s.index}, ${sqlString(s.topology.clusters[0]!.scope)})`).join(',\n  ')};`,
    `INSERT INTO ${S}.generation (generation, note) VALUES (1, ${sqlString(`initial ownership of fleet ${f.name}`)});`,
    ...ownershipRowsSql(f, o, 1),
    `INSERT INTO ${S}.current_generation (generation) VALUES (1);`,
    'COMMIT;',
    '',
  ].join('\n');
}

/**
 * A cutover to a new ownership map as one transaction: the new generation's rows, then the pointer. The
 * coverage trigger runs at COMMIT: an incomplete map rolls the whole transaction back.
 */
export function cutoverSql(f: Fleet, ownership: Ownership, generation: number, note: string): string {
  return ['BEGIN;', ...cutoverStatements(f, ownership, generation, note), 'COMMIT;', ''].join('\n');
}

/**
 * The statements of a cutover without its BEGIN and COMMIT, for a caller that runs them in a transaction of
 * its own (a slot move re-points the coordinator's partitions in the same one).
 */
export function cutoverStatements(
  f: Fleet,
  ownership: Ownership,
  generation: number,
  note: string,
): string[] {
  return [
    `INSERT INTO ${S}.generation (generation, note) VALUES (${generation}, ${sqlString(note)});`,
    ...ownershipRowsSql(f, ownership, generation),
    `UPDATE ${S}.current_generation SET generation = ${generation};`,
  ];
}

/** A rollback: the pointer back to an earlier generation (its rows are kept), one statement. */
export function rollbackSql(generation: number): string {
  return `UPDATE ${S}.current_generation SET generation = ${generation};\n`;
}
