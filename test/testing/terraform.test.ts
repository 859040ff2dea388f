/**
 * pgtopo/testing's toPassTerraformValidate: real `terraform init -backend=false` + `validate` of the
 * synthesized stacks, offline with a plugin directory (the option or PGTOPO_TERRAFORM_PLUGIN_DIR)
 * and with a plain init (providers as the Terraform CLI configuration says: here the local mirror,
 * on a user's machine the registry); an invalid stack fails naming the stack and the diagnostic;
 * what it cannot judge throws.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { synthesize } from '../../src/aws/index.js';
import {
  MatcherInputError,
  type MatcherResult,
  type PgtopoMatchers,
  PLUGIN_DIR_ENV,
  pgtopoMatchers,
} from '../../src/testing/index.js';
import { stackDirs } from '../../src/testing/terraform.js';
import { PLUGIN_MIRROR, tempDir, terraformEnv } from '../aws/helpers.js';
import { EXAMPLES } from '../helpers/examples.js';

declare module 'vitest' {
  interface Assertion<T> extends PgtopoMatchers<T> {}
}
expect.extend(pgtopoMatchers);

const tmp = tempDir('validate-matcher');
afterAll(() => tmp.cleanup());
/** The offline plugin directory when this machine has one; otherwise the plain-init cases cover it. */
const pluginDir = existsSync(PLUGIN_MIRROR) ? PLUGIN_MIRROR : undefined;

const saved: Record<string, string | undefined> = {};
/** Runs `fn` with environment variables set (undefined: removed), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(vars)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}
/** The Terraform CLI configuration of the terraform tests: the local mirror when present, else the registry. */
const plainInitEnv = () => {
  const env = terraformEnv(tmp.dir);
  return { TF_CLI_CONFIG_FILE: env.TF_CLI_CONFIG_FILE, [PLUGIN_DIR_ENV]: undefined };
};

async function verdict(received: unknown, ...args: unknown[]): Promise<{ pass: boolean; text: string }> {
  const m = pgtopoMatchers.toPassTerraformValidate as (
    this: { isNot: boolean },
    r: unknown,
    ...a: unknown[]
  ) => Promise<MatcherResult>;
  const r = await m.call({ isNot: false }, received, ...args);
  return { pass: r.pass, text: r.message() };
}

let result: ReturnType<typeof synthesize>;
let broken: string;
beforeAll(() => {
  result = synthesize(EXAMPLES.singleRegion, join(tmp.dir, 'out'), { now: new Date('2026-01-01T00:00:00Z') });
  // A stack with an argument hashicorp/aws does not have, and one missing a required argument.
  broken = join(tmp.dir, 'broken');
  mkdirSync(broken);
  writeFileSync(
    join(broken, 'cdk.tf.json'),
    JSON.stringify({
      terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } },
      provider: { aws: [{ region: 'us-east-1' }] },
      resource: {
        aws_s3_bucket: { archive: { bucket: 'pgtopo-broken', no_such_argument: true } },
        aws_kms_alias: { key: { name: 'alias/pgtopo-broken' } },
      },
    }),
  );
});

describe('toPassTerraformValidate', () => {
  test.skipIf(!pluginDir)(
    'every stack of a synthesize() result passes, offline from the plugin directory (option or env)',
    async () => {
      await expect(result).toPassTerraformValidate({ pluginDir });
      // A stack directory, the plugin directory from the environment (no CLI configuration).
      const global = result.stacks.find((s) => s.id === 'orders-global')!;
      await withEnv({ [PLUGIN_DIR_ENV]: pluginDir, TF_CLI_CONFIG_FILE: undefined }, async () => {
        const v = await verdict(global.dir);
        expect(v.pass).toBe(true);
        expect(v.text).toContain('expected orders-global to pass terraform validate');
      });
    },
    120_000,
  );

  test('a plain init (no plugin directory, as on a user machine): an invalid stack fails, naming the stack and each diagnostic; .not passes', async () => {
    await withEnv(plainInitEnv(), async () => {
      await expect(broken).not.toPassTerraformValidate();
      const v = await verdict(join(broken, 'cdk.tf.json'));
      expect(v.pass).toBe(false);
      expect(v.text).toContain('broken/cdk.tf.json:');
      expect(v.text).toContain('1 of 1 stack(s) invalid');
      expect(v.text).toMatch(
        /error: Extraneous JSON object property \(cdk\.tf\.json:\d+\).*no_such_argument/,
      );
      expect(v.text).toMatch(/error: Missing required argument .*target_key_id/);
    });
  }, 120_000);

  test('what it validates: each stack of a result, of a cdktf output directory, a stack directory or file', () => {
    const ids = (r: unknown) => (stackDirs(r) as { id: string }[]).map((s) => s.id);
    expect(ids(result)).toEqual(['orders-us-east-1', 'orders-global']);
    expect(ids(join(tmp.dir, 'out'))).toEqual(['orders-global', 'orders-us-east-1']);
    const global = result.stacks.find((s) => s.id === 'orders-global')!;
    expect(stackDirs(global.dir)).toEqual([{ id: global.dir, dir: global.dir }]);
    expect(stackDirs(global.file)).toEqual([{ id: global.file, dir: global.dir }]);
  });

  test.each([
    ['a path with no stack', () => [join(tmp.dir, 'nowhere')], /does not exist/],
    ['a directory without cdk.tf.json', () => [tmp.dir], /holds no cdk\.tf\.json/],
    ['neither a result nor a path', () => [42], /received number/],
    ['no terraform', () => [broken, { terraform: join(tmp.dir, 'no-terraform') }], /terraform not found/],
    [
      'a plugin directory that is not there',
      () => [broken, { pluginDir: join(tmp.dir, 'none') }],
      /plugin directory .* does not exist/,
    ],
  ])('%s throws MatcherInputError (a failure would pass under .not)', async (_, args, message) => {
    const [received, options] = args() as [unknown, object?];
    await expect(expect(received).not.toPassTerraformValidate(options)).rejects.toThrow(MatcherInputError);
    await expect(verdict(received, options)).rejects.toThrow(message);
  });
});
