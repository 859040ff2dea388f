/**
 * The routing tier against the real hashicorp/aws 5.100.0: `terraform validate` of the routing stack and
 * one shard stack of a 2-shard fleet with a declared move (pgtopo/testing's toPassTerraformValidate, offline with the local
 * plugin mirror), and an offline `terraform plan -var offline_plan=true` of the routing stack (placeholder
 * credentials and outputs: no AWS account). One synthesis, one init per stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FleetSynthResult, synthesizeFleet } from '../../src/aws/fleet.js';
import { resolveFleet } from '../../src/model/fleet.js';
import { type PgtopoMatchers, pgtopoMatchers } from '../../src/testing/index.js';
import { PLUGIN_MIRROR, tempDir, terraform, terraformEnv } from '../aws/helpers.js';
import { fleetVariant } from './helpers.js';

declare module 'vitest' {
  interface Assertion<T> extends PgtopoMatchers<T> {}
}
expect.extend(pgtopoMatchers);

const tmp = tempDir('fleet-terraform');
afterAll(() => tmp.cleanup());
const pluginDir = existsSync(PLUGIN_MIRROR) ? PLUGIN_MIRROR : undefined;

let r: FleetSynthResult;
beforeAll(() => {
  // Two shards, slot 0 moving from shard 0 to shard 1: coordinator paths and a shard-to-shard path.
  const fleet = fleetVariant((s) => {
    s.shards = 2;
    s.strategy.assignments = [
      { shard: 1, slots: 0 },
      { shard: 0, slots: '1-31' },
      { shard: 1, slots: '32-63' },
    ];
    s.moves = [{ slots: 0, from: 0, to: 1 }];
  });
  r = synthesizeFleet(resolveFleet(fleet), join(tmp.dir, 'out'));
}, 120_000);

describe('terraform: the routing tier of a 2-shard fleet with a declared move', () => {
  test('the routing stack and a shard region stack pass terraform validate', async () => {
    const shard = r.clusters[0]!.stacks.find((s) => s.id === 'shop-s00-us-east-1')!;
    await expect({ stacks: [r.routing.stacks[0]!, shard] }).toPassTerraformValidate(
      pluginDir ? { pluginDir } : {},
    );
  }, 600_000);

  test('the routing stack plans offline: exactly the synthesized resources, all created', async () => {
    const s = r.routing.stacks[0]!;
    const env = terraformEnv(tmp.dir);
    await terraform(s.dir, ['init', '-input=false', '-no-color'], env);
    const plan = await terraform(
      s.dir,
      ['plan', '-input=false', '-lock=false', '-no-color', '-refresh=false', '-var', 'offline_plan=true'],
      env,
    );
    const json = JSON.parse(readFileSync(s.file, 'utf8')) as { resource: Record<string, object> };
    const count = Object.values(json.resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
    // 3 peerings (coordinator to each shard, shard 1 to shard 0) + 3 accepters + 18 routes (3 route
    // tables each side) + 3 ingress rules + 3 zone associations.
    expect(count).toBe(30);
    expect(plan.stdout).toContain(`Plan: ${count} to add, 0 to change, 0 to destroy.`);
  }, 600_000);
});
