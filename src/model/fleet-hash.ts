/**
 * PostgreSQL's hash partitioning, reproduced: the slot of a shard key is the same number PostgreSQL
 * computes for `PARTITION BY HASH` (and checks with `satisfies_hash_partition`), so an application that
 * routes itself, the catalog's SQL routing function and the coordinator's hash partitions agree.
 *
 * PostgreSQL (src/backend/partitioning/partbounds.c, compute_partition_hash_value) hashes each key with
 * the type's extended hash function seeded with HASH_PARTITION_SEED, folds it into a 64-bit row hash with
 * hash_combine64 starting from 0, and takes the row hash modulo the modulus. The extended hash functions
 * are Bob Jenkins' lookup3 with a 64-bit seed (src/common/hashfn.c, hash_bytes_extended and
 * hash_bytes_uint32_extended), on a little-endian server (every AWS and Debian amd64/arm64 one):
 * - int4: hash_bytes_uint32_extended(value);
 * - int8: the low word XOR the high word (its complement for negative values), as a uint32;
 * - text: the UTF-8 bytes (deterministic collations: the default; nondeterministic ones hash a sort key
 *   and are not reproduced here);
 * - uuid: its 16 bytes.
 */
import type { ShardKeyType } from '../spec/fleet.js';

/** HASH_PARTITION_SEED (src/include/catalog/partition.h). */
export const HASH_PARTITION_SEED = 0x7a5b22367996dcfdn;
/** hash_combine64's constant (src/include/common/hashfn.h). */
export const HASH_COMBINE_CONSTANT = 0x49a0f4dd15e5a8e3n;

const U64 = (1n << 64n) - 1n;

function rot(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

type State = [number, number, number];

function mix(s: State): void {
  let [a, b, c] = s;
  a = (a - c) >>> 0;
  a = (a ^ rot(c, 4)) >>> 0;
  c = (c + b) >>> 0;
  b = (b - a) >>> 0;
  b = (b ^ rot(a, 6)) >>> 0;
  a = (a + c) >>> 0;
  c = (c - b) >>> 0;
  c = (c ^ rot(b, 8)) >>> 0;
  b = (b + a) >>> 0;
  a = (a - c) >>> 0;
  a = (a ^ rot(c, 16)) >>> 0;
  c = (c + b) >>> 0;
  b = (b - a) >>> 0;
  b = (b ^ rot(a, 19)) >>> 0;
  a = (a + c) >>> 0;
  c = (c - b) >>> 0;
  c = (c ^ rot(b, 4)) >>> 0;
  b = (b + a) >>> 0;
  s[0] = a;
  s[1] = b;
  s[2] = c;
}

function final(s: State): void {
  let [a, b, c] = s;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  s[0] = a;
  s[1] = b;
  s[2] = c;
}

function seeded(len: number, seed: bigint): State {
  const init = (0x9e3779b9 + len + 3923095) >>> 0;
  const s: State = [init, init, init];
  if (seed !== 0n) {
    s[0] = (s[0] + Number((seed >> 32n) & 0xffffffffn)) >>> 0;
    s[1] = (s[1] + Number(seed & 0xffffffffn)) >>> 0;
    mix(s);
  }
  return s;
}

function result(s: State): bigint {
  return (BigInt(s[1]) << 32n) | BigInt(s[2]);
}

/** hash_bytes_uint32_extended: the 64-bit hash of one 32-bit word. */
export function hashUint32Extended(k: number, seed: bigint): bigint {
  const s = seeded(4, seed);
  s[0] = (s[0] + (k >>> 0)) >>> 0;
  final(s);
  return result(s);
}

const word = (k: Uint8Array, i: number) =>
  (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24)) >>> 0;

/** hash_bytes_extended (little-endian): the 64-bit hash of a byte string. */
export function hashBytesExtended(k: Uint8Array, seed: bigint): bigint {
  let len = k.length;
  const s = seeded(len, seed);
  let i = 0;
  while (len >= 12) {
    s[0] = (s[0] + word(k, i)) >>> 0;
    s[1] = (s[1] + word(k, i + 4)) >>> 0;
    s[2] = (s[2] + word(k, i + 8)) >>> 0;
    mix(s);
    i += 12;
    len -= 12;
  }
  // The tail: bytes 8-10 go to c above its lowest byte, 4-7 to b, 0-3 to a.
  for (let j = len - 1; j >= 0; j--) {
    const byte = k[i + j]!;
    if (j >= 8) s[2] = (s[2] + ((byte << (8 * (j - 7))) >>> 0)) >>> 0;
    else if (j >= 4) s[1] = (s[1] + ((byte << (8 * (j - 4))) >>> 0)) >>> 0;
    else s[0] = (s[0] + ((byte << (8 * j)) >>> 0)) >>> 0;
  }
  final(s);
  return result(s);
}

/** A shard key value of a type: int4 a number, int8 a bigint (or a safe integer), text a string, uuid its text. */
export type ShardKey = number | bigint | string;

const UUID = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** The type's extended hash of a key with a seed, as PostgreSQL's `hash<type>extended(key, seed)` (unsigned). */
export function typeHashExtended(type: ShardKeyType, key: ShardKey, seed: bigint): bigint {
  switch (type) {
    case 'int4': {
      const v = Number(key);
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)
        throw new RangeError(`not an int4: ${key}`);
      return hashUint32Extended(v >>> 0, seed);
    }
    case 'int8': {
      const v = BigInt(key);
      if (v < -(1n << 63n) || v >= 1n << 63n) throw new RangeError(`not an int8: ${key}`);
      const u = BigInt.asUintN(64, v);
      const lo = Number(u & 0xffffffffn);
      const hi = Number(u >> 32n);
      return hashUint32Extended((v >= 0n ? lo ^ hi : lo ^ ~hi) >>> 0, seed);
    }
    case 'text':
      return hashBytesExtended(new TextEncoder().encode(String(key)), seed);
    case 'uuid': {
      const m = UUID.exec(String(key));
      if (!m) throw new RangeError(`not a uuid: ${key}`);
      return hashBytesExtended(Uint8Array.from(Buffer.from(m.slice(1).join(''), 'hex')), seed);
    }
  }
}

/** The row hash PostgreSQL's hash partitioning computes for a one-column key (unsigned 64-bit). */
export function partitionHash(type: ShardKeyType, key: ShardKey | null): bigint {
  if (key === null) return 0n;
  return (typeHashExtended(type, key, HASH_PARTITION_SEED) + HASH_COMBINE_CONSTANT) & U64;
}

/**
 * The slot of a shard key: the hash partition (remainder) PostgreSQL puts it in for modulus `slots`.
 * A NULL key hashes to 0 (slot 0), as in PostgreSQL.
 */
export function shardSlot(type: ShardKeyType, key: ShardKey | null, slots: number): number {
  return Number(partitionHash(type, key) % BigInt(slots));
}
