import type { CliIo } from './io.js';

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage text shown by `pgtopo <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
