/**
 * A block-style YAML 1.1 writer for the JSON-like documents pgtopo renders
 * (Patroni configuration, cloud-config), read by PyYAML in Patroni and
 * cloud-init.
 *
 * Why not the `yaml` package's stringify: it builds a document tree and
 * measures every scalar for folding, which made YAML three quarters of the
 * rendering of a host and a tenth of a whole synthesis. This writer does one
 * pass and chooses, per string, the first form that reads back as the same
 * string under YAML 1.1:
 *   1. plain, when the text cannot be taken for another type or for syntax
 *      (`on`, `0755`, `1:20`, `2026-01-01`, `- x`, `a: b` and `a #b` are quoted);
 *   2. a literal block (`|`, `|-` or `|+`) for multi-line text without
 *      characters a block cannot hold;
 *   3. a double-quoted string with escapes, for everything else.
 * Round trips through the `yaml` package (YAML 1.1 mode) and through PyYAML
 * are tested on generated values and on every rendered document.
 */

type Scalar = string | number | boolean | null | undefined;

const INDENT = '  ';

/** YAML 1.1 text of `value` (a map, list or scalar of JSON-like values), ending in a newline. */
export function toYaml11(value: unknown): string {
  const out: string[] = [];
  if (isMap(value) && Object.keys(definedEntries(value)).length > 0) writeMap(out, value, '');
  else if (Array.isArray(value) && value.length > 0) writeSeq(out, value, '');
  else out.push(inline(value, INDENT));
  return `${out.join('\n')}\n`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A map's entries without undefined values (as JSON and the `yaml` package leave them out). */
function definedEntries(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

/** Whether a value is written on its own lines below its key or dash (a non-empty map or list). */
function isBlock(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.values(v).some((x) => x !== undefined);
  return false;
}

function writeMap(out: string[], m: Record<string, unknown>, indent: string, firstPrefix?: string): void {
  let first = true;
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    const lead = first && firstPrefix !== undefined ? firstPrefix : indent;
    first = false;
    const key = `${lead}${stringScalar(k, indent, true)}:`;
    if (isBlock(v)) {
      out.push(key);
      if (Array.isArray(v)) writeSeq(out, v, indent + INDENT);
      else writeMap(out, v as Record<string, unknown>, indent + INDENT);
    } else {
      out.push(`${key} ${inline(v, indent + INDENT)}`);
    }
  }
}

function writeSeq(out: string[], s: readonly unknown[], indent: string, firstPrefix?: string): void {
  s.forEach((v, i) => {
    const dash = `${i === 0 && firstPrefix !== undefined ? firstPrefix : indent}- `;
    const inner = indent + INDENT;
    if (isMap(v) && isBlock(v)) writeMap(out, v, inner, dash);
    else if (Array.isArray(v) && v.length > 0) writeSeq(out, v, inner, dash);
    else out.push(`${dash}${inline(v, inner)}`);
  });
}

/** A scalar, an empty map or an empty list after `key: ` or `- ` (block scalars continue at `indent`). */
function inline(v: unknown, indent: string): string {
  if (Array.isArray(v)) return '[]';
  if (isMap(v)) return '{}';
  return scalar(v as Scalar, indent);
}

function scalar(v: Scalar, indent: string): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return number(v);
  if (typeof v === 'string') return stringScalar(v, indent, false);
  throw new TypeError(`cannot write a ${typeof v} as YAML`);
}

/** A number as YAML 1.1 reads it back: floats need a `.` before an exponent (`1.0e-07`). */
function number(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  const s = String(n);
  return s.includes('e') && !s.includes('.') ? s.replace('e', '.0e') : s;
}

/**
 * Plain scalars that a YAML 1.1 reader resolves to something other than a string: the union of
 * PyYAML's resolvers and the `yaml` package's 1.1 schema (which also takes `y`, `n`, `E5` or `.`),
 * one alternative per line:
 * - null, booleans, the merge key `<<` and the value key `=`;
 * - integers: binary, hexadecimal, octal and decimal, sexagesimal (`1:20`);
 * - floats, also without digits before the dot or the exponent (`.5`, `E5`), and sexagesimal ones;
 * - infinities and NaN; timestamps, from the date on.
 */
const IMPLICIT = new RegExp(
  [
    '^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|<<|=)$',
    '^[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)$',
    '^[-+]?(?:[0-9][0-9_]*)?\\.[0-9_]*(?:[eE][-+]?[0-9]+)?$',
    '^[-+]?(?:[0-9][0-9_]*)?[eE][-+]?[0-9]+$',
    '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*$',
    '^[-+]?\\.(?:inf|Inf|INF|nan|NaN|NAN)$',
    '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \\t]|$)',
  ].join('|'),
);
/** Printable ASCII, not starting with an indicator or a blank (a plain scalar holds no escapes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const PLAIN_SHAPE = /^[^-?:,[\]{}#&*!|>'"%@` \x00-\x1f\x7f-\uffff][\x20-\x7e]*$/;
/** Sequences that end or comment a plain scalar, and edges a plain scalar would lose. */
const PLAIN_BREAKERS = /: |:$| #| $|^(?:---|\.\.\.)/;

function isPlain(s: string): boolean {
  return PLAIN_SHAPE.test(s) && !PLAIN_BREAKERS.test(s) && !IMPLICIT.test(s);
}

/**
 * What keeps a multi-line string out of a literal block: controls other than tab and newline
 * (carriage returns included) and what PyYAML reads as line breaks or rejects; a line made only of
 * blanks (it would count as indentation); UTF-16 surrogates without their other half. Separate
 * patterns: V8 scans a single character class or a leading literal much faster than an alternation.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
const BLANK_LINE = /\n[ \t]+(?:\n|$)/;
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isLiteral(s: string): boolean {
  // Multi-line, and the first line starts with content (the block's indentation is found from it).
  return (
    s.includes('\n') &&
    s[0] !== ' ' &&
    s[0] !== '\t' &&
    s[0] !== '\n' &&
    !UNPRINTABLE.test(s) &&
    !BLANK_LINE.test(s) &&
    !(SURROGATE.test(s) && LONE_SURROGATE.test(s))
  );
}

function stringScalar(s: string, indent: string, isKey: boolean): string {
  if (isPlain(s)) return s;
  if (!isKey && isLiteral(s)) return literal(s, indent);
  return doubleQuoted(s);
}

/** `|` keeps the one final newline, `|-` strips a missing one, `|+` keeps several. */
function literal(s: string, indent: string): string {
  let trailing = 0;
  while (s[s.length - 1 - trailing] === '\n') trailing++;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  // Every line that has content gets the indentation; empty lines stay empty.
  const body = (trailing > 0 ? s.slice(0, -1) : s).replace(/\n(?=[^\n])/g, `\n${indent}`);
  return `|${chomp}\n${indent}${body}`;
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' };

const TO_ESCAPE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /["\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function doubleQuoted(s: string): string {
  return `"${s.replace(TO_ESCAPE, (c) => {
    const e = ESCAPES[c];
    if (e) return e;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  })}"`;
}
