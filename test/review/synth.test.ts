/**
 * The review against the real AWS layer: the inventory of a synthesized example,
 * the review command's own synthesis, and a real offline plan of a synthesized stack.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { synthesize } from '../../src/aws/index.js';
import { command } from '../../src/cli/commands/review.js';
import { memoryIo } from '../../src/cli/io.js';
import { readInventory, type StackInventory } from '../../src/review/inventory.js';
import { parsePlan } from '../../src/review/plan.js';
import { buildReview } from '../../src/review/report.js';
import { EXAMPLES, example } from '../helpers/examples.js';

const dir = mkdtempSync(join(tmpdir(), 'pgtopo-review-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inventory of example 2, synthesized', () => {
  const t = example('twoRegionStandby');
  let stacks: StackInventory[];
  beforeAll(() => {
    synthesize(EXAMPLES.twoRegionStandby, join(dir, 'out'));
    stacks = readInventory(join(dir, 'out'));
  });

  test('one stack per region plus the global stack', () => {
    expect(stacks.map((s) => s.stack).sort()).toEqual([
      'orders-global',
      'orders-us-east-1',
      'orders-us-west-2',
    ]);
    for (const r of t.regions)
      expect(stacks.find((s) => s.stack === `orders-${r.name}`)!.region).toBe(r.name);
  });

  test.each(['us-east-1', 'us-west-2'])(
    '%s: data volumes, etcd instances and the bucket are flagged stateful',
    (region) => {
      const s = stacks.find((x) => x.stack === `orders-${region}`)!;
      const of = (type: string) => s.stateful.filter((r) => r.type === type);
      const members = t.members.filter((m) => m.region === region);
      const etcd = t.etcd.flatMap((q) => q.members).filter((e) => e.region === region && !e.colocatedWith);
      expect(
        of('aws_ebs_volume')
          .map((r) => r.label)
          .sort(),
      ).toEqual(members.map((m) => `${m.name}-data`).sort());
      expect(of('aws_ebs_volume').every((r) => r.protected)).toBe(true);
      // etcd members keep their data on the root volume: their instances hold data; PostgreSQL instances do not.
      expect(
        of('aws_instance')
          .map((r) => r.label)
          .sort(),
      ).toEqual(etcd.map((e) => e.name).sort());
      expect(s.byType.find((b) => b.type === 'aws_instance')!.count).toBe(members.length + etcd.length);
      expect(of('aws_s3_bucket')).toHaveLength(1);
      expect(of('aws_kms_key').length).toBeGreaterThanOrEqual(1);
    },
  );

  test('the review command synthesizes by itself and reports the same inventory', async () => {
    const out = join(dir, 'review');
    const io = memoryIo();
    expect(await command.run([EXAMPLES.twoRegionStandby, '--out', out], io)).toBe(0);
    const md = readFileSync(join(out, 'review.md'), 'utf8');
    const total = stacks.reduce((n, s) => n + s.total, 0);
    const held = stacks.reduce((n, s) => n + s.stateful.length, 0);
    expect(md).toContain(`3 stacks, ${total} resources, ${held} stateful resources`);
    expect(md).toMatch(/\| ✅ \| AWS \| 3 stacks, \d+ resources, \d+ stateful \|/);
    expect(io.stdout.join('\n')).toContain(`aws:      3 stack(s), ${total} resource(s)`);
  });
});

describe('a real offline plan of the synthesized us-east-1 stack (fixtures/synth-two-region)', () => {
  const file = new URL('./fixtures/synth-two-region/plan-us-east-1.json.gz', import.meta.url);
  const plan = () =>
    parsePlan(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')), 'plan-us-east-1.json');

  test('a first deploy only creates; the data volumes are among the creates, nothing stateful is lost', () => {
    const p = plan();
    expect(p.region).toBe('us-east-1');
    expect(p.counts.create).toBeGreaterThan(100);
    expect(p.counts).toMatchObject({ update: 0, replace: 0, destroy: 0 });
    expect(p.statefulLosses).toEqual([]);
    const volumes = p.changes.filter((c) => c.type === 'aws_ebs_volume');
    expect(volumes.map((c) => c.label).sort()).toEqual(['use1-a-data', 'use1-b-data', 'use1-c-data']);
  });

  test('drives the plan section: creates summarized by type, no callout', async () => {
    const r = await buildReview({ topology: example('twoRegionStandby'), plans: [plan()] });
    expect(r.markdown).not.toContain('[!CAUTION]');
    expect(r.markdown).toMatch(
      /\| ✅ \| Plan \| \d+ create, 0 update, 0 replace, 0 destroy; no stateful resource lost \|/,
    );
    expect(r.markdown).toMatch(/^Creates: .*3 `aws_ebs_volume`/m);
  });
});
