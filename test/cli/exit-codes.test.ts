/**
 * The exit-code contract (0 passed, 1 policy errors, 2 invalid spec, 64 usage, 70 only for a bug) on
 * the paths a user or a pipeline takes: hostile specs in every format, standard input, output paths.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, test } from 'vitest';
import type { CheckReport } from '../../src/cli/commands/check.js';
import { EXIT, memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { SPEC_LIMITS } from '../../src/spec/limits.js';
import { EXAMPLES } from '../helpers/examples.js';

const BIN = fileURLToPath(new URL('../../bin/pgtopo.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pgtopo-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const HOSTILE = {
  deep: `name: ${'['.repeat(1000)}${']'.repeat(1000)}\n`,
  cycle: 'a: &a [*a]\n',
  bomb: 'a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n',
  tags: 'name: !!binary aGVsbG8=\nregions: !custom [1]\n',
  keys: `${Array.from({ length: 5000 }, (_, i) => `k${i}: ${i}`).join('\n')}\n`,
  notMap: '- just\n- a\n- list\n',
  empty: '',
  nul: 'name: "a\u0000b"\n',
  twoDocs: 'name: a\n---\nname: b\n',
} as const;

/** Parses each format's stdout; throws when it is not a well-formed document of its kind. */
const PARSE: Record<string, (out: string) => unknown> = {
  json: (out) => {
    const r = JSON.parse(out) as CheckReport;
    expect(r).toMatchObject({ valid: false, exitCode: 2 });
    expect(r.issues.length).toBeGreaterThan(0);
    return r;
  },
  sarif: (out) => {
    const r = JSON.parse(out) as { runs: { results: unknown[] }[] };
    expect(r.runs[0]!.results.length).toBeGreaterThan(0);
    return r;
  },
  junit: (out) => {
    const r = new XMLParser({ ignoreAttributes: false }).parse(out) as Record<string, unknown>;
    expect(out).toContain('<failure');
    return r;
  },
  text: () => undefined,
};

describe('malformed specs exit 2 in every format, with structured issues and no stack trace', () => {
  const cases = Object.entries(HOSTILE).flatMap(([name, text]) =>
    Object.keys(PARSE).map((format) => [name, format, text] as const),
  );
  test.each(cases)('%s, --format %s', async (name, format, text) => {
    const r = await run('check', file(`${name}.yaml`, text), '--format', format);
    expect(r.code).toBe(EXIT.invalid);
    if (format === 'text') expect(r.err).toMatch(/\[[a-z_]+\]/);
    else PARSE[format]!(r.out);
    expect(r.out + r.err).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
  });

  test.each(['render', 'review', 'diff'])('%s of a 1000-deep spec exits 2', async (cmd) => {
    const spec = file('deep-cmd.yaml', HOSTILE.deep);
    const args =
      cmd === 'diff'
        ? ['diff', spec, EXAMPLES.singleRegion]
        : [cmd, spec, '--out', join(dir, `${cmd}-out`), ...(cmd === 'render' ? ['--member', 'x'] : [])];
    const r = await run(...args);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.err).toContain('[nesting_too_deep]');
  });
});

describe('input size cap', () => {
  const big = () =>
    file(
      'big.yaml',
      `${readFileSync(EXAMPLES.singleRegion, 'utf8')}\n# ${'x'.repeat(SPEC_LIMITS.maxBytes)}\n`,
    );

  test('over the cap: exit 2 with input_too_large; --max-bytes raises it', async () => {
    const spec = big();
    const r = await run('check', spec, '--format', 'json');
    expect(r.code).toBe(EXIT.invalid);
    expect((JSON.parse(r.out) as CheckReport).issues.map((i) => i.code)).toEqual(['input_too_large']);
    expect((await run('check', spec, '--max-bytes', String(2 * SPEC_LIMITS.maxBytes))).code).toBe(EXIT.ok);
  });

  test.each(['0', '-1', 'lots', '1.5', ''])('--max-bytes %j is a usage error', async (v) => {
    expect((await run('check', EXAMPLES.singleRegion, '--max-bytes', v)).code).toBe(EXIT.usage);
  });
});

describe('standard input', () => {
  const bin = (args: string[], input: string) =>
    spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

  test('`check -` reads the spec from standard input', () => {
    const ok = bin(['check', '-'], readFileSync(EXAMPLES.singleRegion, 'utf8'));
    expect(ok.status).toBe(EXIT.ok);
    expect(ok.stdout).toContain('spec valid <stdin>');
    const bad = bin(['check', '-', '--format', 'json'], HOSTILE.deep);
    expect(bad.status).toBe(EXIT.invalid);
    expect((JSON.parse(bad.stdout) as CheckReport).issues[0]).toMatchObject({
      code: 'nesting_too_deep',
      location: { file: '<stdin>' },
    });
  });

  test('standard input over the cap is refused without reading it all', () => {
    const r = bin(['check', '-', '--max-bytes', '1000'], 'x'.repeat(5_000_000));
    expect(r.status).toBe(EXIT.invalid);
    expect(r.stderr).toContain('[input_too_large]');
  });

  test('diff reads one side from standard input, not both', async () => {
    const r = bin(['diff', EXAMPLES.singleRegion, '-'], readFileSync(EXAMPLES.singleRegion, 'utf8'));
    expect(r.status).toBe(EXIT.ok);
    expect((await run('diff', '-', '-')).code).toBe(EXIT.usage);
  });
});

describe('output paths', () => {
  test('render --out <an existing file>: exit 64, the file untouched', async () => {
    const target = file('not-a-dir', 'keep me\n');
    const r = await run('render', EXAMPLES.singleRegion, '--member', 'use1-a', '--out', target);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('not a directory');
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
  });

  test('render --out below an existing file: exit 64', async () => {
    const target = file('a-file', 'x');
    const r = await run('render', EXAMPLES.singleRegion, '--member', 'use1-a', '--out', join(target, 'sub'));
    expect(r.code).toBe(EXIT.usage);
  });

  test('review --out <an existing file>: exit 64, the file untouched', async () => {
    const target = file('review-file', 'keep\n');
    const r = await run('review', EXAMPLES.singleRegion, '--out', target, '--no-synth');
    expect(r.code).toBe(EXIT.usage);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });

  test('render stages: no staging directory is left beside the output', async () => {
    const parent = join(dir, 'staged');
    mkdirSync(parent);
    const r = await run('render', EXAMPLES.singleRegion, '--member', 'use1-a', '--out', join(parent, 'out'));
    expect(r.code).toBe(EXIT.ok);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
