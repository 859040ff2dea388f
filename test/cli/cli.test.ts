import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { CheckReport } from '../../src/cli/commands/check.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { EXAMPLE_NAMES, EXAMPLES } from '../helpers/examples.js';

const BIN = fileURLToPath(new URL('../../bin/pgtopo.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../spec/fixtures/', import.meta.url));

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join(''), err: io.stderr.join('') };
}

describe('pgtopo (bin)', () => {
  test('--help works from the installed bin and lists the commands', () => {
    const out = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: pgtopo <command>');
    expect(out).toMatch(/^\s+check\s/m);
    expect(out).toMatch(/^\s+schema\s/m);
  });

  test('--version prints the package version', () => {
    const out = execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).trim();
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('an invalid spec exits 2 with located issues on stderr and no stack trace', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', `${FIXTURES}many-problems.yaml`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('many-problems.yaml:8:5: regions[0].memebrs [unknown_key]');
    expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    expect(r.stdout).toBe('');
  });

  test('text output has no colour codes when not on a terminal', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', EXAMPLES.singleRegion], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toContain('\u001b[');
  });
});

describe('pgtopo check', () => {
  test.each(EXAMPLE_NAMES)('example %s is valid (exit 0)', async (name) => {
    const r = await run('check', EXAMPLES[name]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  test('--format json is a stable document with coded issues and paths', async () => {
    const r = await run('check', `${FIXTURES}many-problems.yaml`, '--format', 'json');
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as CheckReport;
    expect(report).toMatchObject({ version: 1, valid: false });
    expect(report.issues.map((i) => `${i.code} ${i.pathText}`)).toContain('unknown_key regions[0].memebrs');
    expect(report.issues.find((i) => i.pathText === 'durability.rpo')).toMatchObject({
      code: 'invalid_value',
      location: { line: 14, column: 15 },
      hint: 'did you mean "zero-in-region"?',
    });
  });

  test('--format json of a valid spec summarises the topology', async () => {
    const r = await run('check', EXAMPLES.threeRegionStretched, '--format', 'json');
    expect(JSON.parse(r.out)).toMatchObject({
      valid: true,
      summary: { name: 'ledger', regions: 3, members: 7, etcdQuorums: 1, etcdMembers: 3 },
    });
  });

  test.each([
    [['check'], 64],
    [['check', 'a.yaml', 'b.yaml'], 64],
    [['check', EXAMPLES.singleRegion, '--format', 'xml'], 64],
    [['check', EXAMPLES.singleRegion, '--bogus'], 64],
    [['frobnicate'], 64],
    [[], 64],
  ])('usage errors exit 64: %j', async (argv, code) => {
    expect((await run(...argv)).code).toBe(code);
  });
});

describe('pgtopo schema', () => {
  test('prints the JSON Schema', async () => {
    const r = await run('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['name', 'regions']),
    });
  });
});

describe('pgtopo rehearse (command line only: nothing boots)', () => {
  test('an alert drill without --alerts is a usage error that names the option', async () => {
    const r = await run('rehearse', EXAMPLES.twoRegionStandby, '--drills', 'kill-primary,lag-spike');
    expect(r.code).toBe(64);
    expect(r.err).toContain('--alerts');
  });
  test('--help lists every drill and the alert drills', async () => {
    const r = await run('rehearse', '--help');
    expect(r.code).toBe(0);
    for (const d of [
      'cdc-failover',
      'subscription-failover',
      'upgrade',
      'lag-spike',
      'packet-loss',
      'shard-failover',
      'shard-move',
    ]) {
      expect(r.out).toContain(d);
    }
  });
});
