/**
 * All-or-nothing output directories, for every command that writes one (`synth`, `render`, `review`): the
 * files are written to a staging directory beside the output first, and only a complete result moves
 * in: renamed as a whole to a new output directory, file by file into an existing one (what else is
 * there stays, such as `.terraform` of `terraform init`). A failure leaves the output as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The output path cannot be used: it is a file, or its parent cannot be created. */
export class OutputPathError extends Error {}

/**
 * Runs `fill(staging)` and moves what it wrote to `outdir`. Throws OutputPathError when `outdir`
 * cannot be an output directory, and whatever `fill` throws (the output then stays as it was).
 */
export function writeStaged<T>(outdir: string, fill: (staging: string) => T): T {
  const out = resolve(outdir);
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new OutputPathError(`${outdir} exists and is not a directory`);
  }
  const parent = dirname(out);
  let created: string | undefined;
  // Not mkdtemp: its 0700 would become the output directory's mode.
  const staging = join(parent, `.${basename(out)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    created = mkdirSync(parent, { recursive: true });
    mkdirSync(staging);
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw new OutputPathError(
      `cannot create ${staging} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    const result = fill(staging);
    if (existsSync(out)) moveFiles(staging, out);
    else renameSync(staging, out);
    return result;
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Moves every file below `from` to the same relative path below `to`, replacing what is there. */
function moveFiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) moveFiles(source, target);
    else renameSync(source, target);
  }
}
