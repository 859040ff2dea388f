/**
 * The typed client helper for applications that route themselves: the shard of a key under a fleet's
 * ownership, computed exactly as the catalog's `shard_for` and the coordinator's partitions do.
 */
import type { ShardKeyType } from '../spec/fleet.js';
import { compareBound } from '../spec/fleet-kind.js';
import type { Bound, Fleet, Ownership } from './fleet.js';
import { type ShardKey, shardSlot } from './fleet-hash.js';

/** Orders two range keys as PostgreSQL does for the fleet: integers numerically, text byte-wise (C collation). */
export function compareKeys(a: ShardKey | Bound, b: ShardKey | Bound, type: ShardKeyType): number {
  return compareBound(a, b, type === 'int4' || type === 'int8');
}

/** The shard index owning `key` under an ownership map, or undefined (an unowned slot, an unlisted tenant). */
export function ownerOf(ownership: Ownership, type: ShardKeyType, key: ShardKey): number | undefined {
  if (ownership.kind === 'hash') {
    const claimants = ownership.owners[shardSlot(type, key, ownership.slots)]!;
    return claimants.length === 1 ? claimants[0] : undefined;
  }
  if (ownership.kind === 'range') {
    return ownership.ranges.find(
      (r) =>
        (r.from === undefined || compareKeys(key, r.from, type) >= 0) &&
        (r.to === undefined || compareKeys(key, r.to, type) < 0),
    )?.shard;
  }
  return ownership.tenants.find((t) => t.tenant === String(key))?.shard ?? ownership.defaultShard;
}

/** A router for one fleet: `route(key)` is the name of the shard cluster that owns the key. */
export function fleetRouter(f: Fleet): {
  readonly keyType: ShardKeyType;
  route(key: ShardKey): string | undefined;
} {
  const keyType = f.tables[0]!.keyType;
  return {
    keyType,
    route: (key) => {
      const i = ownerOf(f.ownership, keyType, key);
      return i === undefined ? undefined : f.shards[i]?.name;
    },
  };
}
