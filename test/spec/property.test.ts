import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tryResolve } from '../../src/model/load.js';
import { SPEC_ISSUE_CODES } from '../../src/spec/issues.js';
import { parseSpecText } from '../../src/spec/parse.js';
import { example } from '../helpers/examples.js';

/** Every result is either a resolved topology or a non-empty list of well-formed issues. */
function expectWellFormed(r: ReturnType<typeof tryResolve>): void {
  if (r.ok) {
    expect(r.topology.members.length).toBeGreaterThan(0);
    return;
  }
  expect(r.issues.length).toBeGreaterThan(0);
  for (const i of r.issues) {
    expect(SPEC_ISSUE_CODES).toContain(i.code);
    expect(Array.isArray(i.path)).toBe(true);
    expect(typeof i.found).toBe('string');
    expect(typeof i.expected).toBe('string');
  }
}

/** Replaces the value at a random path of `root` (objects and arrays) with `value`, or deletes it. */
function mutate(root: unknown, picks: number[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node: unknown = copy;
  for (let depth = 0; depth < picks.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[picks[depth]! % keys.length]!;
    const child = (node as Record<string, unknown>)[key];
    const last = depth === picks.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      if (remove) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = value;
      break;
    }
    node = child;
  }
  return copy;
}

describe('the parser never throws', () => {
  test('arbitrary JSON values yield issues with paths', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectWellFormed(tryResolve(value));
      }),
      { numRuns: 400 },
    );
  });

  test('arbitrary objects with spec-like keys yield issues with paths', () => {
    const key = fc.constantFrom(
      'name',
      'primaryRegion',
      'regions',
      'dcs',
      'members',
      'az',
      'cidr',
      'mode',
      'x',
    );
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 }), (value) => {
        expectWellFormed(tryResolve(value));
      }),
      { numRuns: 300 },
    );
  });

  test.each(['singleRegion', 'twoRegionStandby', 'threeRegionStretched'] as const)(
    'mutations of example %s resolve or yield issues, never throw',
    (name) => {
      const valid = example(name).spec;
      fc.assert(
        fc.property(
          fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
          fc.jsonValue({ maxDepth: 2 }),
          fc.boolean(),
          (picks, value, remove) => {
            expectWellFormed(tryResolve(mutate(valid, picks, value, remove)));
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  test('arbitrary text yields a syntax issue or a parse result, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseSpecText(text, 'fuzz.yaml');
        if (!r.ok) expect(r.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
