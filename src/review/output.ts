/**
 * Writes the review artefacts so that a failure never leaves a half-written
 * output directory: every file goes to a fresh sibling temp directory first,
 * which then replaces the output directory with renames.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Files `pgtopo review` writes. An existing output directory may hold only these. */
export const REVIEW_FILES = ['review.md', 'topology.svg', 'topology.mmd'] as const;
export type ReviewFile = (typeof REVIEW_FILES)[number];

/** The output directory holds something `review` would not have written: refuse to replace it. */
export class OutputDirError extends Error {}

function suffix(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Replaces `outDir` with a directory holding exactly `files`. `outDir` must not
 * exist, or be a directory holding only review files (a previous run).
 */
export function writeReviewDir(outDir: string, files: Readonly<Record<ReviewFile, string>>): string[] {
  const out = resolve(outDir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new OutputDirError(`${outDir} exists and is not a directory`);
    const foreign = readdirSync(out).filter((f) => !(REVIEW_FILES as readonly string[]).includes(f));
    if (foreign.length > 0) {
      throw new OutputDirError(
        `${outDir} holds files review did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}): choose a new or previous review directory`,
      );
    }
  }
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(out)}.tmp-${suffix()}`);
  mkdirSync(tmp);
  try {
    for (const name of REVIEW_FILES) writeFileSync(join(tmp, name), files[name]);
    if (existsSync(out)) {
      const old = join(parent, `.${basename(out)}.old-${suffix()}`);
      renameSync(out, old);
      try {
        renameSync(tmp, out);
      } catch (e) {
        renameSync(old, out);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, out);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return REVIEW_FILES.map((f) => join(outDir, f));
}
