// The user project's own tests of its topology, in vitest, with pgtopo/testing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from 'pgtopo/aws';
import { type PgtopoMatchers, pgtopoMatchers, pgtopoSerializer } from 'pgtopo/testing';
import { afterAll, describe, expect, test } from 'vitest';

declare module 'vitest' {
  interface Assertion<T> extends PgtopoMatchers<T> {}
}
expect.extend(pgtopoMatchers);
expect.addSnapshotSerializer(pgtopoSerializer);

const SPEC = 'topology.yaml';

describe('orders topology', () => {
  test('passes policy', () => {
    expect(SPEC).toPassPolicy();
    expect(SPEC).not.toHaveFinding('PGT-ETCD-001');
  });

  test('losing any one AZ: writes resume automatically within 50 s, no acknowledged write lost', () => {
    for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
      expect(SPEC).toRecoverFrom(az, { withinSeconds: 50, rpo: 'zero' });
    }
    expect(SPEC).not.toRecoverFrom('us-east-1', { withinSeconds: 3600, rpo: 'any' });
  });

  const out = mkdtempSync(join(tmpdir(), 'user-project-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const synth = () => synthesize(SPEC, out, { now: new Date('2026-01-01T00:00:00Z') });

  test('synthesizes encrypted data volumes and a versioned WAL archive', () => {
    const result = synth();
    expect(result).toSynthesizeResource('aws_ebs_volume', { encrypted: true });
    expect(result).toSynthesizeResource('aws_s3_bucket_versioning', {
      versioning_configuration: { status: 'Enabled' },
    });
  });

  // terraform init + validate of every stack with the real AWS provider: offline from the plugin
  // directory in PGTOPO_TERRAFORM_PLUGIN_DIR when set, otherwise a plain `terraform init`.
  test('the synthesized stacks pass terraform validate', async () => {
    await expect(synth()).toPassTerraformValidate();
  }, 600_000);

  test('the global stack, as reviewed (snapshot without the cdktf/cdktn version stamp)', async () => {
    const { readFile } = await import('node:fs/promises');
    const global = synth().stacks.find((s) => s.id === 'orders-global')!;
    expect(JSON.parse(await readFile(global.file, 'utf8'))).toMatchSnapshot();
  });
});
