/** Output streams and colour, injectable for tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Colour only when writing to a terminal (and NO_COLOR is unset). */
  readonly color: boolean;
}

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

/** Collects output in memory: for tests. */
export function memoryIo(color = false): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), color };
}

const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(io: CliIo, style: Style, text: string): string {
  return io.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, findings: 1, invalid: 2, usage: 64, internal: 70 } as const;

/** A problem with the command line itself (not the spec). */
export class UsageError extends Error {}
