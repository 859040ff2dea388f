/**
 * Ownership arithmetic shared by the model, the fleet rules and the renderers (no schema imports: the
 * rules load it on every `pgtopo check`).
 */
import type { ShardKeyType } from '../spec/fleet.js';
import type { Ownership } from './fleet.js';

export { defaultSlotOwner } from '../spec/fleet-kind.js';

/**
 * A growth plan from the current hash ownership to `to` shards with the fewest slot moves: each shard keeps
 * up to its new fair share (its lowest slots), the rest, and any unowned slot, go to the shards short of
 * theirs (new shards first in index order). Moving from N to 2N balanced shards moves exactly half the slots.
 */
export function growthPlan(
  ownership: Ownership & { kind: 'hash' },
  from: number,
  to: number,
): { readonly owner: readonly number[]; readonly moved: readonly number[] } {
  const slots = ownership.slots;
  const share = (i: number) => Math.floor(slots / to) + (i < slots % to ? 1 : 0);
  const owner: number[] = Array.from({ length: slots }, () => -1);
  const kept = Array.from({ length: to }, () => 0);
  const free: number[] = [];
  ownership.owners.forEach((claimants, slot) => {
    const current = claimants.length === 1 ? claimants[0]! : -1;
    if (current >= 0 && current < from && kept[current]! < share(current)) {
      owner[slot] = current;
      kept[current]!++;
    } else free.push(slot);
  });
  const moved: number[] = [];
  let next = 0;
  for (const slot of free) {
    while (next < to && kept[next]! >= share(next)) next++;
    if (next >= to) break;
    owner[slot] = next;
    kept[next]!++;
    moved.push(slot);
  }
  return { owner, moved };
}

/** Where a key type's values are compared as integers (range bounds are numbers) or as strings. */
export function integerKey(type: ShardKeyType): boolean {
  return type === 'int4' || type === 'int8';
}

/** Slot numbers as compact ranges: [0,1,2,5] -> "0-2, 5". */
export function slotList(slots: readonly number[], max = 8): string {
  const parts: string[] = [];
  for (let i = 0; i < slots.length; ) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    parts.push(i === j ? `${slots[i]}` : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return parts.length > max
    ? `${parts.slice(0, max).join(', ')}, ... (${parts.length} runs)`
    : parts.join(', ');
}
