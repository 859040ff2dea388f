/** `pgtopo synth`: exit codes and output, through the command object. */
import { writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/synth.js';
import { memoryIo } from '../../src/cli/io.js';
import { EXAMPLES } from '../helpers/examples.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('synth-command');
afterAll(() => tmp.cleanup());

test('synthesizes every stack and prints where each went', async () => {
  const io = memoryIo();
  const code = await command.run([EXAMPLES.twoRegionStandby, '--out', `${tmp.dir}/ok`], io);
  expect(code).toBe(0);
  expect(io.stdout.map((l) => l.split(' ')[1])).toEqual([
    'orders-us-east-1:',
    'orders-us-west-2:',
    'orders-global:',
  ]);
  expect(io.stdout[0]).toContain(`${tmp.dir}/ok/stacks/orders-us-east-1/cdk.tf.json`);
});

test.each([
  ['policy errors', 1, 'dcs: { mode: per-region, membersPerRegion: 2 }', /PGT-ETCD-001/],
  ['an invalid spec', 2, 'postgres: { version: 9 }', /postgres.version/],
])('%s: exit %i', async (_name, code, line, pattern) => {
  const file = `${tmp.dir}/${code}.yaml`;
  writeFileSync(
    file,
    `name: orders\nprimaryRegion: us-east-1\n${line}\nregions:\n  - name: us-east-1\n    cidr: 10.10.0.0/16\n    azs: [us-east-1a, us-east-1b, us-east-1c]\n    members:\n      - { name: m1, az: us-east-1a }\n      - { name: m2, az: us-east-1b }\n`,
  );
  const io = memoryIo();
  expect(await command.run([file, '--out', `${tmp.dir}/out-${code}`], io)).toBe(code);
  expect(io.stderr.join('\n')).toMatch(pattern);
});
