/**
 * Hostile documents through the real CLI entry, in process: every one exits 2 with structured issues
 * in every format, in bounded time, and none reaches the internal-error path (exit 70).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import type { CheckReport } from '../../src/cli/commands/check.js';
import { EXIT, memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { SPEC_ISSUE_CODES } from '../../src/spec/issues.js';
import { SPEC_LIMITS } from '../../src/spec/limits.js';
import { EXAMPLES } from '../helpers/examples.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtopo-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Generous: the caps promise about 2 s for the worst input on an idle machine; tests share the CPU. */
const BOUND_MS = 8000;

const ODD_SCALARS = [
  '.nan',
  '.inf',
  '-.inf',
  '0x1F',
  '0o17',
  '0b101',
  '~',
  'null',
  '1e400',
  '-0',
  '12:30:00',
  'yes',
  'on',
  '2001-12-14t21:59:43.10-05:00',
  '"\\u0000"',
  '"\\ud800"',
  "'",
  '"',
  '&',
  '*',
  '%YAML 1.1',
  '? x',
  '|-',
  '>',
  '@',
  '`',
  '!',
  '{',
  ']',
  '"\\x"',
  `"${'\\t'.repeat(50)}"`,
  '9'.repeat(400),
  '-'.repeat(3),
];
const TAGS = [
  '!!binary',
  '!!set',
  '!!omap',
  '!!pairs',
  '!!timestamp',
  '!!float',
  '!!int',
  '!!map',
  '!!seq',
  '!!str',
  '!custom',
  '!<tag:yaml.org,2002:str>',
  '!!python/object:os.system',
  '!<!>',
  '!e!x',
];

const scalar = fc.oneof(
  fc.constantFrom(...ODD_SCALARS),
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
);

/** A YAML fragment usable as a value in flow context. */
const value: fc.Arbitrary<string> = fc.oneof(
  scalar,
  fc.tuple(fc.constantFrom(...TAGS), scalar).map(([t, s]) => `${t} ${s}`),
  // Depth: flow lists or maps, up to far beyond the cap.
  fc
    .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
    .map(([n, map]) => (map ? `${'{a: '.repeat(n)}1${'}'.repeat(n)}` : `${'['.repeat(n)}${']'.repeat(n)}`)),
  // Size: one long string, up to past the cap.
  fc
    .integer({ min: 1, max: SPEC_LIMITS.maxBytes + 1000 })
    .map((n) => JSON.stringify('x'.repeat(n))),
  // A huge key.
  fc
    .integer({ min: 100, max: 200_000 })
    .map((n) => `{${'k'.repeat(n)}: 1}`),
  // Many keys.
  fc
    .integer({ min: 1, max: 20_000 })
    .map((n) => `{${Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join(', ')}}`),
  // Alias bombs: width^levels nodes once expanded.
  fc
    .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 9 }))
    .map(([width, levels]) => {
      const anchors = [`&l0 [${Array(width).fill('1').join(', ')}]`];
      for (let l = 1; l < levels; l++)
        anchors.push(
          `&l${l} [${Array(width)
            .fill(`*l${l - 1}`)
            .join(', ')}]`,
        );
      return `[${anchors.join(', ')}]`;
    }),
  // Aliases to nothing, to themselves, merge keys.
  fc.constantFrom('*nowhere', '&a [*a]', '{<<: *nowhere}', '[&m {a: 1}, {<<: *m, <<: *m}]', '&x &y 1'),
);

/** A whole hostile document, in block or flow style, at the root or beside a valid spec. */
const document: fc.Arbitrary<string> = fc.oneof(
  value.map((v) => `${v}\n`),
  value.map((v) => `${readFileSync(EXAMPLES.singleRegion, 'utf8')}\nx-hostile: ${v}\n`),
  value.map((v) => `name: orders\nprimaryRegion: us-east-1\nregions:\n  - ${v}\n`),
  // Block-style nesting by indentation.
  fc
    .integer({ min: 1, max: 400 })
    .map((n) => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`),
  // Several documents, directives, stray bytes.
  fc
    .tuple(value, value)
    .map(([a, b]) => `--- ${a}\n--- ${b}\n`),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;

describe('hostile documents through `pgtopo check`', () => {
  test('exit 2 with structured issues, in bounded time, in every format', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(document, fc.constantFrom(...FORMATS), async (text, format) => {
        const file = join(dir, `fuzz-${n++}.yaml`);
        writeFileSync(file, text);
        const io = memoryIo();
        const started = performance.now();
        const code = await main(['check', file, '--format', format], io);
        const elapsed = performance.now() - started;
        expect(code).toBe(EXIT.invalid);
        expect(elapsed).toBeLessThan(BOUND_MS);
        const out = io.stdout.join('\n');
        if (format === 'json') {
          const report = JSON.parse(out) as CheckReport;
          expect(report.issues.length).toBeGreaterThan(0);
          expect(report.issues.length).toBeLessThanOrEqual(SPEC_LIMITS.maxIssues + 1);
          for (const i of report.issues) expect(SPEC_ISSUE_CODES).toContain(i.code);
        } else if (format === 'sarif') {
          expect(
            (JSON.parse(out) as { runs: { results: unknown[] }[] }).runs[0]!.results.length,
          ).toBeGreaterThan(0);
        } else if (format === 'junit') {
          expect(out).toContain('<failure');
        } else {
          expect(io.stderr.join('\n')).toMatch(/\[[a-z_]+\]/);
        }
      }),
      { numRuns: 120 },
    );
  }, 600_000);
});
