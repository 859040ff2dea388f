import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/review.js';
import { memoryIo, UsageError } from '../../src/cli/io.js';
import { EXAMPLES } from '../helpers/examples.js';

const PLAN = new URL('./fixtures/handwritten/plan.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pgtopo-review-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pgtopo review', () => {
  test('writes review.md, topology.svg and topology.mmd, with the plan called out', async () => {
    const out = join(dir, 'two-region');
    const io = memoryIo();
    const code = await command.run(
      [EXAMPLES.twoRegionStandby, '--out', out, '--plan', PLAN, '--no-synth'],
      io,
    );
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['review.md', 'topology.mmd', 'topology.svg']);
    const md = readFileSync(join(out, 'review.md'), 'utf8');
    expect(md).toContain('> [!CAUTION]');
    expect(md).toContain('[topology.svg](topology.svg)');
    expect(md).toContain('Left out (`--no-synth`).');
    expect(XMLValidator.validate(readFileSync(join(out, 'topology.svg'), 'utf8'))).toBe(true);
    expect(readFileSync(join(out, 'topology.mmd'), 'utf8').startsWith('flowchart TB\n')).toBe(true);
    const stdout = io.stdout.join('\n');
    expect(stdout).toContain(`wrote ${join(out, 'review.md')}`);
    expect(stdout).toContain('plan:     2 stateful resource(s) replaced or destroyed');
  });

  test('reads the inventory from an existing cdktf output directory', async () => {
    const synth = join(dir, 'synth');
    mkdirSync(join(synth, 'stacks', 'orders-us-east-1'), { recursive: true });
    writeFileSync(
      join(synth, 'stacks', 'orders-us-east-1', 'cdk.tf.json'),
      JSON.stringify({
        provider: { aws: [{ region: 'us-east-1' }] },
        resource: { aws_ebs_volume: { v: {} } },
      }),
    );
    const out = join(dir, 'with-synth');
    expect(await command.run([EXAMPLES.singleRegion, '--out', out, '--synth-dir', synth], memoryIo())).toBe(
      0,
    );
    const md = readFileSync(join(out, 'review.md'), 'utf8');
    expect(md).toContain('1 stack, 1 resource, 1 stateful resource');
  });

  test('an invalid spec exits 2 and writes nothing', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', primaryRegion: 'us-east-1', regions: [] }));
    const out = join(dir, 'never');
    const io = memoryIo();
    expect(await command.run([bad, '--out', out, '--no-synth'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('regions');
    expect(existsSync(out)).toBe(false);
  });

  test.each([
    ['a missing plan file', join(dir, 'missing.json'), /cannot read \(ENOENT\)/],
    ['a plan that is not JSON', 'not-json', /not JSON/],
    ['a state instead of a plan', 'state', /a state, not a plan/],
  ])('%s exits 2 and writes nothing', async (_name, which, message) => {
    let file = which;
    if (which === 'not-json') writeFileSync((file = join(dir, 'p.json')), '{');
    if (which === 'state')
      writeFileSync((file = join(dir, 's.json')), JSON.stringify({ format_version: '1.0', values: {} }));
    const out = join(dir, `never-${_name.length}`);
    const io = memoryIo();
    expect(await command.run([EXAMPLES.singleRegion, '--out', out, '--plan', file, '--no-synth'], io)).toBe(
      2,
    );
    expect(io.stderr.join('\n')).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  test('refuses to replace a directory holding other files', async () => {
    const out = join(dir, 'project');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(
      command.run([EXAMPLES.singleRegion, '--out', out, '--no-synth'], memoryIo()),
    ).rejects.toBeInstanceOf(UsageError);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  test.each([
    [[]],
    [[EXAMPLES.singleRegion]],
    [[EXAMPLES.singleRegion, '--out', '/tmp/x', '--no-synth', '--synth-dir', '/tmp/y']],
    [[EXAMPLES.singleRegion, EXAMPLES.twoRegionStandby, '--out', '/tmp/x']],
    [[EXAMPLES.singleRegion, '--out', '/tmp/x', '--bogus']],
  ])('bad command line %j is a usage error', async (args) => {
    await expect(command.run(args, memoryIo())).rejects.toBeInstanceOf(UsageError);
  });
});
