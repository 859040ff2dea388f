/**
 * Writes the review artefacts so that a failure never leaves a half-written
 * output directory: staged beside it and moved in whole (util/staged-output.ts,
 * as `synth` and `render` do).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeStaged } from '../util/staged-output.js';

/** Files `pgtopo review` writes. An existing output directory may hold only these. */
export const REVIEW_FILES = ['review.md', 'topology.svg', 'topology.mmd'] as const;
export type ReviewFile = (typeof REVIEW_FILES)[number];

/** The output directory holds something `review` would not have written: refuse to replace it. */
export class OutputDirError extends Error {}

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
  // The directory holds review files only, so moving the new ones in replaces the previous review.
  writeStaged(out, (staging) => {
    for (const name of REVIEW_FILES) writeFileSync(join(staging, name), files[name]);
  });
  return REVIEW_FILES.map((f) => join(outDir, f));
}
