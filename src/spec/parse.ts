/**
 * Parsing a spec: text (YAML or JSON) or a TypeScript object, through one path.
 * Every problem is collected; nothing throws on bad input. Input size, nesting
 * depth and the number of issues reported are capped (see limits.ts), so any
 * input up to the size cap is answered quickly and in bounded memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  Composer,
  type CST,
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  YAMLParseError,
} from 'yaml';
import { crossReferenceIssues } from './crossref.js';
import { capIssues, type PathSegment, type SourceLocation, type SpecIssue } from './issues.js';
import { knownKeysAt } from './json-schema.js';
import { entriesOf, SPEC_LIMITS, type SpecLimits } from './limits.js';
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

/** The name a spec read from standard input (`-`) is reported under. */
export const STDIN_NAME = '<stdin>';

/**
 * Schema and cross-reference checks of an already-parsed value (a TS object, or decoded YAML/JSON).
 * Cross-references are judged even when the schema fails, wherever the values they compare passed it.
 */
export function parseSpec(input: unknown, locate?: Locator): ParseResult {
  const finish = (issues: readonly SpecIssue[]): ParseResult => {
    const capped = capIssues(issues, SPEC_LIMITS.maxIssues);
    return { ok: false, issues: locate ? capped.map((i) => withLocation(i, locate)) : capped, locate };
  };
  const deep = tooDeep(input, SPEC_LIMITS.maxDepth);
  if (deep) return finish([deep]);
  const parsed = TopologySpec.safeParse(input);
  if (!parsed.success) {
    const schema = fromZodIssues(parsed.error.issues, input, knownKeysAt);
    return finish([...schema, ...crossReferenceIssues(input, schema)]);
  }
  const cross = crossReferenceIssues(parsed.data);
  if (cross.length > 0) return finish(cross);
  return { ok: true, spec: parsed.data, issues: [], locate };
}

/** Parses YAML or JSON text (JSON is read by the YAML 1.2 parser, so positions work for both). */
export function parseSpecText(text: string, file = '<input>', limits: SpecLimits = {}): ParseResult {
  return parseDecoded(decodeSpecText(text, file, limits));
}

/** A decoded document (any kind: a topology or a fleet) with its locator, or why it could not be read. */
export type Decoded =
  | { readonly ok: true; readonly value: unknown; readonly locate: Locator }
  | { readonly ok: false; readonly issues: readonly SpecIssue[] };

/** Schema and cross-reference checks of a decoded topology document. */
export function parseDecoded(doc: Decoded): ParseResult {
  return doc.ok ? parseSpec(doc.value, doc.locate) : doc;
}

/** Decodes YAML or JSON text within the limits (size, entries, depth, aliases, duplicate keys). */
export function decodeSpecText(text: string, file = '<input>', limits: SpecLimits = {}): Decoded {
  const maxBytes = limits.maxBytes ?? SPEC_LIMITS.maxBytes;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return failure(tooLarge(`${bytes} bytes`, maxBytes, file));
  const maxEntries = Math.floor(maxBytes / SPEC_LIMITS.bytesPerEntry);
  const entries = entriesOf(text);
  if (entries > maxEntries) {
    return failure(
      tooLarge(
        `${entries} lines or list/map entries`,
        maxBytes,
        file,
        `and at most ${maxEntries} lines or entries (1 per ${SPEC_LIMITS.bytesPerEntry} bytes of the cap)`,
      ),
    );
  }
  const lineCounter = new LineCounter();
  const position = (offset: number): SourceLocation => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const syntax = (found: string, offset: number): SpecIssue => ({
    code: 'syntax',
    path: [],
    found,
    expected: 'well-formed YAML or JSON',
    location: position(offset),
  });
  // The concrete syntax tree is built without recursion; its depth is checked before the
  // (recursive) composition into a document, so no nesting can exhaust the stack.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const deepAt = collectionDeeperThan(tokens, SPEC_LIMITS.maxDepth);
  if (deepAt !== undefined) {
    return failure({ ...nestingTooDeep([], SPEC_LIMITS.maxDepth), location: position(deepAt) });
  }
  const doc = singleDocument(tokens, text.length);
  const errors = [
    ...doc.errors.map((e) => syntax(e.message.split('\n')[0] ?? 'a syntax error', e.pos[0])),
    ...duplicateKeys(doc.contents).map(({ key, offset }) =>
      syntax(`key ${JSON.stringify(key)} given twice in one map`, offset),
    ),
  ];
  if (errors.length > 0) return failure(...capIssues(errors, SPEC_LIMITS.maxIssues));
  const locate = locator(doc.contents as Node | null, position);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Unresolved aliases and alias bombs surface only when the document is converted; so does
    // nesting that only aliases make deep.
    if (e instanceof RangeError) {
      return failure({ ...nestingTooDeep([], SPEC_LIMITS.maxDepth), location: position(0) });
    }
    return failure(syntax((e as Error).message, 0));
  }
  return { ok: true, value, locate };
}

/**
 * Reads and parses a spec file; `-` reads standard input. A missing, unreadable or oversized file is an
 * issue, not an exception, and no more than the size cap (plus one byte) is ever read.
 */
export function parseSpecFile(path: string, limits: SpecLimits = {}): ParseResult {
  return parseDecoded(decodeSpecFile(path, limits));
}

/** Reads and decodes a document file (`-`: standard input) within the limits, without judging its kind. */
export function decodeSpecFile(path: string, limits: SpecLimits = {}): Decoded {
  const maxBytes = limits.maxBytes ?? SPEC_LIMITS.maxBytes;
  const name = path === '-' ? STDIN_NAME : path;
  const read = readCapped(path, maxBytes);
  if ('issue' in read) return failure(read.issue);
  if (read.bytes > maxBytes) return failure(tooLarge(`more than ${maxBytes} bytes`, maxBytes, name));
  return decodeSpecText(read.text, name, { maxBytes });
}

function failure(...issues: SpecIssue[]): { ok: false; issues: readonly SpecIssue[] } {
  return { ok: false, issues };
}

function tooLarge(found: string, maxBytes: number, file: string, also = ''): SpecIssue {
  return {
    code: 'input_too_large',
    path: [],
    found: `${file}: ${found}`,
    expected: `a spec of at most ${maxBytes} bytes${also ? ` ${also}` : ''}`,
    hint: 'raise the limit with --max-bytes <n> if the spec really is this large',
  };
}

function nestingTooDeep(path: readonly PathSegment[], max: number): SpecIssue {
  return {
    code: 'nesting_too_deep',
    path,
    found: `maps and lists nested more than ${max} levels deep`,
    expected: `at most ${max} levels (a spec needs 8)`,
  };
}

function readCapped(path: string, maxBytes: number): { text: string; bytes: number } | { issue: SpecIssue } {
  let fd: number | undefined;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
    if (path !== '-') {
      const st = fstatSync(fd);
      if (st.isFile() && st.size > maxBytes) return { issue: tooLarge(`${st.size} bytes`, maxBytes, path) };
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    while (bytes <= maxBytes) {
      const chunk = Buffer.alloc(Math.min(1 << 16, maxBytes + 1 - bytes));
      const n = readRetrying(fd, chunk);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      bytes += n;
    }
    return { text: Buffer.concat(chunks).toString('utf8'), bytes };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    const what = path === '-' ? 'standard input' : path;
    return {
      issue: {
        code: 'syntax',
        path: [],
        found: `cannot read ${what} (${reason})`,
        expected: 'a readable YAML or JSON file',
      },
    };
  } finally {
    if (fd !== undefined && path !== '-') closeSync(fd);
  }
}

/** `readSync`, waiting while a non-blocking standard input has nothing yet. */
function readRetrying(fd: number, buffer: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/**
 * The first document of a token stream; a second one is an error (as in `yaml`'s parseDocument).
 * Keys are not checked for uniqueness here: `yaml` compares each key with every earlier one
 * (quadratic in a map's size); duplicateKeys does it in linear time.
 */
function singleDocument(tokens: readonly CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(tokens, true, length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError(
          [d.range[0], d.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; a spec is one document',
        ),
      );
      break;
    }
  }
  return doc!;
}

/** Keys given more than once in a map, anywhere in the document (nesting is already bounded). */
function duplicateKeys(root: unknown): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          if (seen.has(key)) out.push({ key, offset: pair.key.range?.[0] ?? 0 });
          seen.add(key);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Offset of the first map or list nested deeper than `max`, walking the syntax tree without recursion. */
function collectionDeeperThan(tokens: readonly CST.Token[], max: number): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    if (t.type === 'document') {
      if (t.value) stack.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > max) return t.offset;
      for (const item of t.items) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * A value nested deeper than `max` (or holding a reference to itself): the issue, else undefined.
 * Iterative, so a hostile TypeScript object cannot exhaust the stack either.
 */
function tooDeep(input: unknown, max: number): SpecIssue | undefined {
  const stack: [unknown, PathSegment[]][] = [[input, []]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= max) return nestingTooDeep(path, max);
    // Object.entries skips an array's holes; its keys are strings, so arrays map them back to indices.
    const isList = Array.isArray(value);
    for (const [k, v] of Object.entries(value)) stack.push([v, [...path, isList ? Number(k) : k]]);
  }
  return undefined;
}

function withLocation(issue: SpecIssue, locate: Locator): SpecIssue {
  const location = locate(issue.path);
  return location ? { ...issue, location } : issue;
}

/**
 * Locates spec paths in a document: the key itself for map entries (so an unknown key points at the
 * key), the deepest existing node for a missing one. Each map's keys are indexed once, on first use,
 * so locating many issues in a map with many keys stays linear.
 */
function locator(root: Node | null, position: (offset: number) => SourceLocation): Locator {
  const index = new WeakMap<object, Map<string, { key: Node; value: unknown }>>();
  const entriesOf = (map: { items: { key: unknown; value: unknown }[] }) => {
    let m = index.get(map);
    if (!m) {
      m = new Map();
      for (const p of map.items) {
        if (isScalar(p.key) && !m.has(String(p.key.value)))
          m.set(String(p.key.value), { key: p.key, value: p.value });
      }
      index.set(map, m);
    }
    return m;
  };
  return (path) => {
    let node: unknown = root;
    let offset = root?.range?.[0];
    for (const seg of path) {
      if (isMap(node)) {
        const pair = entriesOf(node).get(String(seg));
        if (!pair) break;
        offset = pair.key.range?.[0] ?? offset;
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
    return offset === undefined ? undefined : position(offset);
  };
}
