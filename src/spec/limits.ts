/**
 * The limits every spec input is held to, whatever its source (file, standard input, TS object).
 * One place: the parser enforces them, the CLI's `--max-bytes` raises the first, the README lists them.
 */
export const SPEC_LIMITS = {
  /** Largest spec text read, in bytes (1 MiB; a 64-region, 4096-member spec is about 400 KiB). `--max-bytes` raises it. */
  maxBytes: 1024 * 1024,
  /**
   * Bytes of the size cap per line or list/map entry (newlines, commas, opening brackets): parsing time
   * grows with entries, not bytes, so dense text is held to 1 entry per 32 bytes of the cap (32768 at
   * 1 MiB; the 64-region, 4096-member spec has 25000). Raising `--max-bytes` raises it in proportion.
   */
  bytesPerEntry: 32,
  /** Deepest nesting of maps and lists (the schema itself is 8 deep). */
  maxDepth: 32,
  /** Issues reported in full; the rest are counted in one `issues_truncated` issue. */
  maxIssues: 100,
} as const;

export interface SpecLimits {
  /** @default SPEC_LIMITS.maxBytes */
  readonly maxBytes?: number;
}

/** Lines and list/map entries of `text` as the entry cap counts them: newlines, commas, `[` and `{`. */
export function entriesOf(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 44 || c === 91 || c === 123) n++;
  }
  return n;
}
