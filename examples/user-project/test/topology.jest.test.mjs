// The user project's own tests of its topology, in jest (native ESM), with pgtopo/testing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { loadTopology, buildReview } from 'pgtopo';
import { synthesize } from 'pgtopo/aws';
import { pgtopoMatchers, pgtopoSerializer } from 'pgtopo/testing';

expect.extend(pgtopoMatchers);
expect.addSnapshotSerializer(pgtopoSerializer);

const SPEC = 'topology.yaml';

test('passes policy', () => {
  expect(SPEC).toPassPolicy();
  expect(SPEC).not.toHaveFinding('PGT-ETCD-001');
});

test('losing a member: automatic failover within 45 s, RPO zero', () => {
  expect(SPEC).toRecoverFrom('use1-a', { withinSeconds: 45, rpo: 'zero' });
});

test('the review (snapshot without the Graphviz layout or the Terraform version)', async () => {
  const review = await buildReview({ topology: loadTopology(SPEC), now: new Date('2026-01-01T00:00:00Z') });
  expect(review).toMatchSnapshot();
});

// terraform init + validate of every stack with the real AWS provider: offline from the plugin
// directory in PGTOPO_TERRAFORM_PLUGIN_DIR when set, otherwise a plain `terraform init`.
const out = mkdtempSync(join(tmpdir(), 'user-project-jest-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test('the synthesized stacks pass terraform validate', async () => {
  await expect(synthesize(SPEC, out)).toPassTerraformValidate();
}, 600_000);
