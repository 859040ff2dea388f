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
