/** Input limits of the parser: size, entries, depth, issue count, duplicate keys, suggestion cost. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tryResolve } from '../../src/model/load.js';
import { formatPath } from '../../src/spec/issues.js';
import { SPEC_LIMITS } from '../../src/spec/limits.js';
import { parseSpecText } from '../../src/spec/parse.js';
import { closest, editDistance } from '../../src/spec/suggest.js';
import { baseSpec } from '../helpers/spec.js';

const codes = (r: ReturnType<typeof parseSpecText>) => (r.ok ? [] : r.issues.map((i) => i.code));
const base = JSON.stringify(baseSpec());

describe('nesting depth', () => {
  const deep = SPEC_LIMITS.maxDepth + 1;
  test.each([
    ['flow lists', `name: ${'['.repeat(1000)}${']'.repeat(1000)}\n`],
    ['flow maps', `name: ${'{a: '.repeat(1000)}1${'}'.repeat(1000)}\n`],
    ['JSON', `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['block maps', Array.from({ length: deep }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n'],
    ['block lists', Array.from({ length: deep }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n') + ' 1\n'],
  ])('%s nested too deep: one located nesting_too_deep issue', (_, text) => {
    const r = parseSpecText(text, 'deep.yaml');
    expect(codes(r)).toEqual(['nesting_too_deep']);
    expect(r.ok ? undefined : r.issues[0]!.location?.file).toBe('deep.yaml');
  });

  test('exactly the limit is accepted as far as depth goes', () => {
    // The root map is level 1; `x` holds maxDepth - 1 more levels of lists.
    const text = `x: ${'['.repeat(SPEC_LIMITS.maxDepth - 1)}${']'.repeat(SPEC_LIMITS.maxDepth - 1)}\n`;
    expect(codes(parseSpecText(text))).not.toContain('nesting_too_deep');
    const over = `x: ${'['.repeat(SPEC_LIMITS.maxDepth)}${']'.repeat(SPEC_LIMITS.maxDepth)}\n`;
    expect(codes(parseSpecText(over))).toEqual(['nesting_too_deep']);
  });

  test('nesting made deep only by aliases is caught after conversion', () => {
    const half = Math.ceil(SPEC_LIMITS.maxDepth / 2) + 1;
    const text = `a: &a ${'['.repeat(half)}1${']'.repeat(half)}\nb: ${'['.repeat(half)}*a${']'.repeat(half)}\n`;
    expect(codes(parseSpecText(text))).toEqual(['nesting_too_deep']);
  });

  test('a TypeScript object that contains itself is an issue, not a stack overflow', () => {
    const spec: Record<string, unknown> = { ...baseSpec() };
    spec.self = spec;
    const r = tryResolve(spec);
    expect(r.ok ? [] : r.issues.map((i) => i.code)).toEqual(['nesting_too_deep']);
  });
});

describe('input size', () => {
  test('text over the byte cap: input_too_large with a hint to raise it; a raised cap reads it', () => {
    const text = `${base.slice(0, -1)}, "pad": "${'x'.repeat(SPEC_LIMITS.maxBytes)}"}`;
    const r = parseSpecText(text, 'big.json');
    expect(codes(r)).toEqual(['input_too_large']);
    expect(r.ok ? '' : r.issues[0]!.hint).toContain('--max-bytes');
    expect(codes(parseSpecText(text, 'big.json', { maxBytes: 2 * SPEC_LIMITS.maxBytes }))).toEqual([
      'unknown_key',
    ]);
  });

  test('dense text under the byte cap but over the entry cap: input_too_large', () => {
    const entries = SPEC_LIMITS.maxBytes / SPEC_LIMITS.bytesPerEntry + 1;
    const text = `[${'1,'.repeat(entries)}1]`;
    expect(text.length).toBeLessThan(SPEC_LIMITS.maxBytes);
    expect(codes(parseSpecText(text))).toEqual(['input_too_large']);
  });

  test('the largest spec the schema allows fits the caps', () => {
    const regions = Array.from({ length: 64 }, (_, r) => {
      const name = `us-east-${r}`;
      const members = Array.from(
        { length: 64 },
        (__, m) =>
          `      - { name: m-${r}-${m}, az: ${name}a, instanceType: r6i.xlarge, volume: { sizeGiB: 200 } }`,
      );
      return [
        `  - name: ${name}`,
        `    cidr: 10.${r}.0.0/16`,
        `    azs: [${name}a, ${name}b, ${name}c]`,
        '    members:',
        ...members,
      ].join('\n');
    });
    const text = `name: big\nprimaryRegion: us-east-0\nregions:\n${regions.join('\n')}\n`;
    expect(codes(parseSpecText(text))).not.toContain('input_too_large');
  });
});

describe('issue count', () => {
  test('20,000 unknown keys: the first issues in full, the rest counted in one issue', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"key${i}": 1`).join(', ');
    const r = parseSpecText(`${base.slice(0, -1)}, ${keys}}`, 'keys.json');
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues).toHaveLength(SPEC_LIMITS.maxIssues + 1);
    expect(issues.slice(0, -1).every((i) => i.code === 'unknown_key' && i.location)).toBe(true);
    const last = issues.at(-1)!;
    expect(last.code).toBe('issues_truncated');
    expect(last.found).toMatch(new RegExp(`^${20_000 - SPEC_LIMITS.maxIssues} more`));
  });
});

describe('huge keys', () => {
  test('an unknown key of 100,000 characters is reported shortened, without a suggestion', () => {
    const r = parseSpecText(`${base.slice(0, -1)}, "${'k'.repeat(100_000)}": 1}`);
    const issue = r.ok ? undefined : r.issues[0];
    expect(issue?.code).toBe('unknown_key');
    expect(issue?.found.length).toBeLessThan(100);
    expect(issue?.hint).toBeUndefined();
  });
});

describe('duplicate keys', () => {
  test('each repeat is a located syntax issue, at any depth', () => {
    const r = parseSpecText('name: a\nregions:\n  - name: x\n    name: y\nname: b\n', 'dup.yaml');
    expect(r.ok ? [] : r.issues.map((i) => `${i.code} ${i.location?.line}:${i.location?.column}`)).toEqual([
      'syntax 4:5',
      'syntax 5:1',
    ]);
  });
});

/** The suggestion as first written: the closest candidate by full edit distance, within a third of the word. */
function referenceClosest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

describe('did-you-mean', () => {
  test('agrees with the full search on words up to the longest known name', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', '-'), maxLength: 20 });
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 12 }), (w, candidates) => {
        expect(closest(w, candidates)).toBe(referenceClosest(w, candidates));
      }),
      { numRuns: 2000 },
    );
  });

  test('a huge word gets no suggestion and costs no quadratic search', () => {
    expect(closest('x'.repeat(100_000), ['name', 'regions'])).toBeUndefined();
  });

  test('a misspelt key still gets its hint', () => {
    const r = parseSpecText(`${base.slice(0, -1)}, "primaryregion": "us-east-1"}`);
    expect(r.ok ? [] : r.issues.map((i) => `${formatPath(i.path)} ${i.hint}`)).toContain(
      'primaryregion did you mean "primaryRegion"?',
    );
  });
});
