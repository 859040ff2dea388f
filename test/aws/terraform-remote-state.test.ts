/**
 * Remote state in S3 against terraform 1.11 and hashicorp/aws 5.100.0, offline: every stack with the S3
 * backend passes `terraform init -backend=false` and `terraform validate`, which also checks the global
 * stack's `terraform_remote_state` reads against the S3 backend's settings.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { type Json, remoteStates, synthExample, tempDir, terraform, terraformEnv } from './helpers.js';

const tmp = tempDir('terraform-remote-state');
afterAll(() => tmp.cleanup());

test('init -backend=false and validate pass for every stack with the S3 backend; validate checks the remote-state reads', async () => {
  const ex = synthExample('twoRegionStandby', `${tmp.dir}/tf`, { state: { bucket: 'acme-tfstate' } });
  const env = terraformEnv(tmp.dir);
  for (const s of ex.result.stacks) {
    await terraform(s.dir, ['init', '-backend=false', '-input=false', '-no-color'], env);
    const { stdout } = await terraform(s.dir, ['validate', '-no-color'], env);
    expect(stdout).toContain('Success! The configuration is valid.');
  }
  // The control: a read with a setting the S3 backend does not know fails validate.
  const global = ex.result.stacks.find((s) => s.id === 'orders-global')!;
  const json = JSON.parse(ex.text['orders-global']!) as Json;
  const read = remoteStates(json)['region-us-east-1-state']!;
  (read.config as Json).use_lockfilez = true;
  writeFileSync(global.file, JSON.stringify(json));
  await expect(terraform(global.dir, ['validate', '-no-color'], env)).rejects.toThrow(/use_lockfilez/);
}, 600_000);
