/** Small Markdown helpers: tables and escaping that survive GitHub and GitLab rendering. */

/** Escapes text for a table cell: pipes, newlines and HTML-looking brackets. */
export function cell(text: string | number | boolean | undefined): string {
  if (text === undefined || text === '') return '–';
  return String(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** Inline code that may itself contain backticks. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text}${fence}`;
}

/** A Markdown table. Cells are escaped unless already `raw` (pre-formatted Markdown such as code spans). */
export function table(
  head: readonly string[],
  rows: readonly (readonly (string | number | boolean | undefined | Raw)[])[],
  align?: readonly ('l' | 'r' | 'c')[],
): string {
  const fmt = (v: string | number | boolean | undefined | Raw) =>
    v instanceof Raw ? (v.text === '' ? '–' : v.text) : cell(v);
  const sep = head.map((_, i) => {
    const a = align?.[i] ?? 'l';
    return a === 'r' ? '---:' : a === 'c' ? ':---:' : '---';
  });
  return [
    `| ${head.join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`),
  ].join('\n');
}

/** Pre-formatted Markdown for a table cell (pipes still escaped). */
export class Raw {
  constructor(readonly text: string) {}
}

export function raw(text: string): Raw {
  return new Raw(text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>'));
}

/** `1 member`, `3 members`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Seconds as `45 s`, `2 min 5 s`, `1 h 30 min`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '∞';
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
