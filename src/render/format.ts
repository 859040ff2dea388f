/** Small, deterministic writers for the file formats the daemons read. */
import { toYaml11 } from './yaml.js';

/**
 * YAML for PyYAML readers (Patroni, cloud-init): YAML 1.1 quoting, so that
 * strings such as `on`, `off` or `yes` stay strings; no line folding.
 */
export function yaml11(value: unknown, header: readonly string[] = [], docHeader?: string): string {
  const body = toYaml11(value);
  return [...(docHeader ? [docHeader] : []), ...header.map((h) => `# ${h}`), body].join('\n');
}

type IniValue = string | number | boolean;

/** INI with `[section]` headers, `key=value` lines (pgBackRest style) or `key = value` (PgBouncer style). */
export function iniFile(
  header: readonly string[],
  sections: readonly (readonly [string, readonly (readonly [string, IniValue])[]])[],
  separator: '=' | ' = ' = '=',
): string {
  const out = header.map((h) => `# ${h}`);
  for (const [name, entries] of sections) {
    out.push('', `[${name}]`);
    for (const [k, v] of entries) out.push(`${k}${separator}${String(v)}`);
  }
  return `${out.join('\n')}\n`;
}

/** An environment file (systemd EnvironmentFile, also parsed by the rehearsal). Values must not need quoting. */
export function envFile(header: readonly string[], env: Readonly<Record<string, string | number>>): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [k, v] of Object.entries(env)) {
    const s = String(v);
    if (!/^[A-Za-z0-9_./:,=@%+?&-]*$/.test(s))
      throw new Error(`environment value of ${k} needs quoting: ${s}`);
    lines.push(`${k}=${s}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses an environment file as systemd does for the unquoted `KEY=value` lines envFile writes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const eq = l.indexOf('=');
    if (eq > 0) env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return env;
}

/** Octal mode as cloud-init and `install -m` write it: `0640`. */
export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Quotes a word for a POSIX shell. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
