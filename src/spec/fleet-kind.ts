/** Whether a decoded document declares itself a fleet (`kind: fleet`). No imports: `check` reads it first. */
export function isFleetDocument(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'fleet';
}
