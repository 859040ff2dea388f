/**
 * Remote state in S3: every stack's backend block (one key per stack, encrypted, S3 lock file), the
 * global stack reading the region stacks' outputs from the same bucket and keys, the option rules and
 * the `pgtopo synth` options. Terraform itself: terraform-remote-state.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { App } from 'cdktf';
import { afterAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_STATE_PREFIX,
  defaultBackend,
  PostgresTopology,
  StateOptionsError,
  stateOptionProblems,
  stateOptionsFrom,
  synthesize,
} from '../../src/aws/index.js';
import { command } from '../../src/cli/commands/synth.js';
import { memoryIo } from '../../src/cli/io.js';
import { EXAMPLES } from '../helpers/examples.js';
import { backendOf, type Json, remoteStates, synthExample, tempDir, tf } from './helpers.js';

const tmp = tempDir('remote-state');
afterAll(() => tmp.cleanup());

describe('synthesized JSON', () => {
  const ex = synthExample('twoRegionStandby', `${tmp.dir}/two`, {
    state: { bucket: 'acme-tfstate', prefix: 'teams/db' },
  });
  const ids = ['orders-us-east-1', 'orders-us-west-2', 'orders-global'];

  test.each(ids)('%s: an encrypted, locked S3 backend with its own key; no local state', (id) => {
    expect(backendOf(ex.stacks[id]!)).toEqual({
      s3: {
        bucket: 'acme-tfstate',
        key: `teams/db/${id}.tfstate`,
        region: 'us-east-1', // the spec's primary region, where no region is given
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(ex.text[id]).not.toMatch(/terraform\.[^"]*\.tfstate|"local"/);
  });

  test('the global stack reads each region stack from that stack own key, skipped in offline plans', () => {
    const reads = remoteStates(ex.stacks['orders-global']!);
    expect(Object.keys(reads).sort()).toEqual(['region-us-east-1-state', 'region-us-west-2-state']);
    for (const region of ['us-east-1', 'us-west-2']) {
      const read = reads[`region-${region}-state`]!;
      expect(read.backend).toBe('s3');
      expect(read.config).toEqual({
        bucket: 'acme-tfstate',
        key: `teams/db/orders-${region}.tfstate`,
        region: 'us-east-1',
        encrypt: true,
      });
      expect(read.count).toBe(tf('var.offline_plan ? 0 : 1'));
    }
    // Region stacks read no other stack's state.
    expect(remoteStates(ex.stacks['orders-us-east-1']!)).toEqual({});
  });

  test('every key is distinct, and the default prefix and an explicit region are used as given', () => {
    const other = synthExample('threeRegionStretched', `${tmp.dir}/three`, {
      state: { bucket: 'acme-tfstate', region: 'eu-west-3' },
    });
    const s3 = Object.values(other.stacks).map((s) => backendOf(s).s3!);
    expect(s3.map((b) => b.key)).toEqual(
      ['ledger-eu-west-1', 'ledger-eu-central-1', 'ledger-eu-north-1', 'ledger-global'].map(
        (id) => `${DEFAULT_STATE_PREFIX}/${id}.tfstate`,
      ),
    );
    expect(new Set(s3.map((b) => b.region))).toEqual(new Set(['eu-west-3']));
    const reads = Object.values(remoteStates(other.stacks['ledger-global']!));
    expect(reads.map((r) => (r.config as Json).key).sort()).toEqual(
      s3
        .filter((b) => b.key !== 'pgtopo/ledger-global.tfstate')
        .map((b) => b.key)
        .sort(),
    );
    expect(new Set(reads.map((r) => (r.config as Json).region))).toEqual(new Set(['eu-west-3']));
  });

  test('without state options every stack keeps local state', () => {
    const local = synthExample('singleRegion', `${tmp.dir}/local`);
    expect(backendOf(local.stacks['orders-us-east-1']!)).toEqual({
      local: { path: '../../../terraform.orders-us-east-1.tfstate' },
    });
    expect(remoteStates(local.stacks['orders-global']!)['region-us-east-1-state']!.backend).toBe('local');
  });
});

describe('state options', () => {
  test.each([
    ['bucket', 'abc', true],
    ['bucket', 'ab', false],
    ['bucket', 'a'.repeat(63), true],
    ['bucket', 'a'.repeat(64), false],
    ['bucket', 'Acme-tfstate', false],
    ['bucket', 'acme.tfstate', false],
    ['bucket', '-acme', false],
    ['bucket', 'acme-', false],
    ['bucket', '', false],
    ['region', 'us-east-1', true],
    ['region', 'us-gov-west-1', true],
    ['region', 'us-east', false],
    ['region', 'US-EAST-1', false],
    ['prefix', 'pgtopo', true],
    ['prefix', 'teams/db/prod', true],
    ['prefix', '.config', true],
    ['prefix', '', false],
    ['prefix', '/pgtopo', false],
    ['prefix', 'pgtopo/', false],
    ['prefix', 'a//b', false],
    ['prefix', '..', false],
    ['prefix', 'a/../b', false],
    ['prefix', 'a/./b', false],
    ['prefix', 'a b', false],
  ] as const)('%s %j usable: %s', (option, value, ok) => {
    const o = { bucket: 'acme-tfstate', [option]: value };
    expect(stateOptionProblems(o).map((p) => p.option)).toEqual(ok ? [] : [option]);
  });

  test('every problem at once, with what was found and what is expected', () => {
    const e = (() => {
      try {
        stateOptionsFrom({ bucket: 'Bad_Bucket', region: 'moon-1', prefix: '/x' });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(StateOptionsError);
    const problems = (e as StateOptionsError).problems;
    expect(problems.map((p) => p.option)).toEqual(['bucket', 'region', 'prefix']);
    expect(problems[0]!.found).toBe('"Bad_Bucket"');
  });

  test('none given is local state; a region or prefix without a bucket is refused', () => {
    expect(stateOptionsFrom({})).toBeUndefined();
    expect(stateOptionsFrom({ bucket: 'acme-tfstate' })).toEqual({ bucket: 'acme-tfstate' });
    for (const loose of [{ region: 'us-east-1' }, { prefix: 'teams' }]) {
      expect(() => stateOptionsFrom(loose)).toThrow(StateOptionsError);
    }
  });

  test('the construct refuses state and backend together, and unusable state before writing anything', () => {
    expect(
      () =>
        new PostgresTopology(new App({ outdir: `${tmp.dir}/both` }), 'pgtopo', {
          spec: EXAMPLES.singleRegion,
          state: { bucket: 'acme-tfstate' },
          backend: defaultBackend,
        }),
    ).toThrow(/not both/);
    const out = `${tmp.dir}/refused`;
    expect(() => synthesize(EXAMPLES.singleRegion, out, { state: { bucket: 'x' } })).toThrow(
      StateOptionsError,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('pgtopo synth --state-*', () => {
  test('writes the S3 backend of every stack', async () => {
    const io = memoryIo();
    const out = `${tmp.dir}/cli`;
    const args = ['--out', out, '--state-bucket', 'acme-tfstate', '--state-region', 'eu-west-1'];
    expect(await command.run([EXAMPLES.singleRegion, ...args, '--state-prefix', 'db'], io)).toBe(0);
    const json = JSON.parse(readFileSync(`${out}/stacks/orders-global/cdk.tf.json`, 'utf8')) as Json;
    expect(backendOf(json).s3).toMatchObject({ key: 'db/orders-global.tfstate', region: 'eu-west-1' });
  });

  test.each([
    [['--state-bucket', 'Bad_Bucket'], /--state-bucket: found "Bad_Bucket"/],
    [['--state-region', 'us-east-1'], /--state-bucket: found none/],
    [['--state-bucket', 'acme-tfstate', '--state-prefix', 'a//b'], /--state-prefix: found "a\/\/b"/],
  ])('%j is a usage error naming the option', async (extra, message) => {
    const out = `${tmp.dir}/cli-bad`;
    await expect(command.run([EXAMPLES.singleRegion, '--out', out, ...extra], memoryIo())).rejects.toThrow(
      message,
    );
    expect(existsSync(out)).toBe(false);
  });
});
