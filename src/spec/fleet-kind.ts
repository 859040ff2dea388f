/**
 * The fleet helpers that need no schema: `pgtopo check` and the fleet rules load them without building the
 * fleet's zod schema, so checking an ordinary cluster spec starts as fast as before fleets existed.
 */

/** `3`, `0-15`: one slot or an inclusive range of slots. */
export const SLOT_RANGE = /^(\d{1,5})(-(\d{1,5}))?$/;

/** `'0-15'` -> [0, 15]; `7` -> [7, 7]. */
export function slotRange(slots: number | string): [number, number] {
  if (typeof slots === 'number') return [slots, slots];
  const m = SLOT_RANGE.exec(slots)!;
  const from = Number(m[1]);
  return [from, m[3] === undefined ? from : Number(m[3])];
}

/** Whether a decoded document declares itself a fleet (`kind: fleet`). */
export function isFleetDocument(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'fleet';
}

/** The default hash assignment: contiguous, equal blocks of slots in shard order. */
export function defaultSlotOwner(slot: number, slots: number, shards: number): number {
  return Math.floor((slot * shards) / slots);
}

/** Slot -> every shard that claims it under a hash strategy (the default blocks without assignments). */
export function slotClaims(
  slots: number,
  shards: number,
  assignments?: readonly { readonly shard: number; readonly slots: number | string }[],
): number[][] {
  const claims: number[][] = Array.from({ length: slots }, () => []);
  if (assignments === undefined) {
    for (let s = 0; s < slots; s++) claims[s]!.push(defaultSlotOwner(s, slots, shards));
  } else {
    for (const a of assignments) {
      const [from, to] = slotRange(a.slots);
      for (let s = from; s <= Math.min(to, slots - 1); s++) claims[s]!.push(a.shard);
    }
  }
  return claims;
}

/** Orders two keys or bounds: integers numerically, anything else byte-wise (PostgreSQL's C collation). */
export function compareBound(
  a: number | bigint | string,
  b: number | bigint | string,
  integer: boolean,
): number {
  if (integer) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}
