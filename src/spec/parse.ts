/**
 * Parsing a spec: text (YAML or JSON) or a TypeScript object, through one path.
 * Every problem is collected; nothing throws on bad input.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { crossReferenceIssues } from './crossref.js';
import type { PathSegment, SourceLocation, SpecIssue } from './issues.js';
import { knownKeysAt } from './json-schema.js';
import { type ParsedSpec, TopologySpec } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

/** Maps a spec path to a line and column in the source file. */
export type Locator = (path: readonly PathSegment[]) => SourceLocation | undefined;

export type ParseResult =
  | {
      readonly ok: true;
      readonly spec: ParsedSpec;
      readonly issues: readonly SpecIssue[];
      readonly locate?: Locator;
    }
  | { readonly ok: false; readonly issues: readonly SpecIssue[]; readonly locate?: Locator };

/** Schema and cross-reference checks of an already-parsed value (a TS object, or decoded YAML/JSON). */
export function parseSpec(input: unknown, locate?: Locator): ParseResult {
  const parsed = TopologySpec.safeParse(input);
  const attach = (issues: SpecIssue[]) => (locate ? issues.map((i) => withLocation(i, locate)) : issues);
  if (!parsed.success) {
    return { ok: false, issues: attach(fromZodIssues(parsed.error.issues, input, knownKeysAt)), locate };
  }
  const cross = crossReferenceIssues(parsed.data);
  if (cross.length > 0) return { ok: false, issues: attach(cross), locate };
  return { ok: true, spec: parsed.data, issues: [], locate };
}

/** Parses YAML or JSON text (JSON is read by the YAML 1.2 parser, so positions work for both). */
export function parseSpecText(text: string, file = '<input>'): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number): SourceLocation => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        code: 'syntax' as const,
        path: [],
        found: e.message.split('\n')[0] ?? 'a syntax error',
        expected: 'well-formed YAML or JSON',
        location: position(e.pos[0]),
      })),
    };
  }
  const locate: Locator = (path) => {
    const offset = offsetOf(doc.contents as Node | null, path);
    return offset === undefined ? undefined : position(offset);
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Unresolved aliases and alias bombs surface only when the document is converted.
    return {
      ok: false,
      issues: [
        {
          code: 'syntax',
          path: [],
          found: (e as Error).message,
          expected: 'well-formed YAML or JSON',
          location: position(0),
        },
      ],
    };
  }
  return parseSpec(value, locate);
}

/** Reads and parses a spec file. A missing or unreadable file is an issue, not an exception. */
export function parseSpecFile(path: string): ParseResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      ok: false,
      issues: [
        {
          code: 'syntax',
          path: [],
          found: `cannot read ${path} (${reason})`,
          expected: 'a readable YAML or JSON file',
        },
      ],
    };
  }
  return parseSpecText(text, path);
}

function withLocation(issue: SpecIssue, locate: Locator): SpecIssue {
  const location = locate(issue.path);
  return location ? { ...issue, location } : issue;
}

/**
 * Offset of the deepest node along `path` that exists: the key itself for map
 * entries (so an unknown key points at the key), the parent for a missing one.
 */
function offsetOf(root: Node | null, path: readonly PathSegment[]): number | undefined {
  let node: unknown = root;
  let offset = (root as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && typeof seg === 'number') {
      const item = (node as { items: unknown[] }).items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
