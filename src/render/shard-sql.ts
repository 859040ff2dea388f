/**
 * SQL shared by the fleet renderers: literals, the routing function and each strategy's column types.
 * The routing function is PostgreSQL's own hash partitioning (see model/fleet-hash.ts), written in SQL
 * with the type's extended hash function, HASH_PARTITION_SEED and hash_combine64's constant.
 */
import { HASH_COMBINE_CONSTANT, HASH_PARTITION_SEED } from '../model/fleet-hash.js';
import type { ShardKeyType } from '../spec/fleet.js';

/** The schema every pgtopo fleet object lives in, on the catalog and the coordinator. */
export const CATALOG_SCHEMA = 'pgtopo_catalog';

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL literal of a key or bound value of a type. */
export function sqlValue(v: number | bigint | string, type: ShardKeyType): string {
  if (type === 'int4' || type === 'int8') return String(BigInt(v));
  return `${sqlString(String(v))}::${type}`;
}

/** PostgreSQL's extended hash function of each shard key type (all SQL-callable). */
export const EXTENDED_HASH: Readonly<Record<ShardKeyType, string>> = {
  int4: 'hashint4extended',
  int8: 'hashint8extended',
  text: 'hashtextextended',
  uuid: 'uuid_hash_extended',
};

/** Signed 64-bit views of the constants, as SQL bigint literals. */
const signed = (v: bigint) => BigInt.asIntN(64, v).toString();

/**
 * `pgtopo_catalog.slot_of(key, slots)` for every key type: the hash partition PostgreSQL puts `key` in for
 * modulus `slots` (NULL keys in 0, as PostgreSQL does). Computed in numeric, so any modulus is exact.
 */
export function routingFunctionSql(): string {
  const two64 = (1n << 64n).toString();
  return Object.entries(EXTENDED_HASH)
    .map(
      ([type, fn]) =>
        `CREATE OR REPLACE FUNCTION ${CATALOG_SCHEMA}.slot_of(key ${type}, slots integer) RETURNS integer\n` +
        `  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n` +
        `    SELECT CASE WHEN key IS NULL THEN 0 ELSE\n` +
        `      (((${fn}(key, ${signed(HASH_PARTITION_SEED)})::numeric + ${signed(HASH_COMBINE_CONSTANT)}::numeric\n` +
        `         + ${two64}::numeric * 2) % ${two64}::numeric) % slots)::integer END\n` +
        `  $$;`,
    )
    .join('\n');
}
