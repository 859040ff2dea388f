import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SPEC_LIMITS, type SpecLimits } from '../spec/limits.js';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Value = string | boolean | (string | boolean)[] | undefined;

export interface ParsedArgs {
  readonly values: Readonly<Record<string, Value>>;
  readonly positionals: readonly string[];
}

/** node:util parseArgs, with its errors turned into UsageError. */
export function parse(args: readonly string[], options: Options): ParsedArgs {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A string option's value. */
export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean flag's value. */
export function flag(a: ParsedArgs, name: string): boolean {
  return a.values[name] === true;
}

/** Checks an option against its allowed values. */
export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Options of every command that reads a spec: `--max-bytes` raises the input size cap. */
export const SPEC_INPUT_OPTIONS = { 'max-bytes': { type: 'string' } } as const satisfies Options;

/** Usage lines for SPEC_INPUT_OPTIONS. */
export const SPEC_INPUT_USAGE = [
  'A spec argument of `-` reads the spec from standard input.',
  `--max-bytes <n>  largest spec accepted, in bytes (default ${SPEC_LIMITS.maxBytes})`,
];

/** The input limits the command line asks for. */
export function specLimits(a: ParsedArgs): SpecLimits {
  const v = str(a, 'max-bytes');
  if (v === undefined) return {};
  if (!/^[1-9]\d{0,12}$/.test(v)) {
    throw new UsageError(`--max-bytes must be a positive whole number of bytes; got ${JSON.stringify(v)}`);
  }
  return { maxBytes: Number(v) };
}
