/**
 * Spec problems as data. Printing is a separate concern (see cli/).
 */

export type PathSegment = string | number;

/** Stable issue codes. Tests and users match on these, never on prose. */
export const SPEC_ISSUE_CODES = [
  'syntax',
  'invalid_type',
  'invalid_value',
  'invalid_format',
  'too_small',
  'too_big',
  'unknown_key',
  'invalid_union',
  'custom',
  'duplicate_name',
  'unknown_az',
  'unknown_member',
  'unknown_region',
  'cidr_overlap',
  'cidr_too_small',
  'primary_region_missing',
  'az_region_mismatch',
  'inconsistent',
  'not_in_release',
  'input_too_large',
  'nesting_too_deep',
  'issues_truncated',
  'unknown_reference',
] as const;
export type SpecIssueCode = (typeof SPEC_ISSUE_CODES)[number];

export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface SpecIssue {
  readonly code: SpecIssueCode;
  /** Path segments into the spec, e.g. ['regions', 1, 'members', 0, 'az']. */
  readonly path: readonly PathSegment[];
  /** What the spec holds at `path` (a short rendering), or `undefined` when missing. */
  readonly found: string;
  /** What would be accepted. */
  readonly expected: string;
  /** Optional hint, e.g. a did-you-mean suggestion. */
  readonly hint?: string;
  readonly location?: SourceLocation;
}

/** `['regions', 1, 'members', 0, 'az']` -> `regions[1].members[0].az`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** A short, single-line rendering of a found value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The value at `path` in `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Thrown by the library entry points when a spec is invalid; carries every issue. */
export class SpecError extends Error {
  readonly issues: readonly SpecIssue[];
  constructor(issues: readonly SpecIssue[]) {
    super(
      `invalid topology spec (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'SpecError';
    this.issues = issues;
  }
}

/** One line: `file:line:col regions[1].members[0].az [unknown_az] found "x", expected y (hint)`. */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.location
    ? `${issue.location.file}:${issue.location.line}:${issue.location.column} `
    : '';
  const hint = issue.hint ? ` (${issue.hint})` : '';
  return `${where}${formatPath(issue.path)} [${issue.code}] found ${issue.found}, expected ${issue.expected}${hint}`;
}

/**
 * At most `max` issues, in order; the rest are counted in one final `issues_truncated` issue, so every
 * output format says how many were left out.
 */
export function capIssues(issues: readonly SpecIssue[], max: number): readonly SpecIssue[] {
  if (issues.length <= max) return issues;
  const rest = issues.length - max;
  return [
    ...issues.slice(0, max),
    {
      code: 'issues_truncated',
      path: [],
      found: `${rest} more issue(s) not shown (${issues.length} in all)`,
      expected: `at most ${max} issues per run: fix the issues shown and run again`,
    },
  ];
}

/** Adds one issue: its code, path, what was found, what is expected, and an optional hint. */
export type AddIssue = (
  code: SpecIssueCode,
  path: PathSegment[],
  found: string,
  expected: string,
  hint?: string,
) => void;

/** A list of issues and the `add` that appends to it (the cluster and fleet cross-reference checks share it). */
export function issueCollector(): { readonly issues: SpecIssue[]; readonly add: AddIssue } {
  const issues: SpecIssue[] = [];
  return {
    issues,
    add: (code, path, found, expected, hint) =>
      issues.push({ code, path, found, expected, ...(hint ? { hint } : {}) }),
  };
}

/** Indices and values of repeated values; undefined (not judged) is never a repeat. */
export function firstDuplicates<T>(values: readonly (T | undefined)[]): [number, T][] {
  const seen = new Set<T>();
  const dups: [number, T][] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    if (seen.has(v)) dups.push([i, v]);
    seen.add(v);
  });
  return dups;
}
