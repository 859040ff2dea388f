import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { synthesizeFleet } from '../../src/aws/fleet.js';
import { SynthesisError } from '../../src/aws/synthesize.js';
import { resolveFleet } from '../../src/model/fleet.js';
import { fleetVariant } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pgt-fleetaws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a fleet on AWS: every cluster through the ordinary synthesis', () => {
  test('each shard and the catalog get their own stacks; names never collide across shards', () => {
    const out = join(dir, 'ok');
    const r = synthesizeFleet(resolveFleet(fleetVariant((s) => (s.shards = 2))), out);
    expect(r.clusters.map((c) => `${c.role} ${c.name}`)).toEqual([
      'shard shop-s00',
      'shard shop-s01',
      'catalog shop-catalog',
    ]);
    const buckets = new Map<string, string>();
    const zones = new Set<string>();
    for (const c of r.clusters) {
      for (const s of c.stacks) {
        expect(existsSync(s.file)).toBe(true);
        const json = JSON.parse(readFileSync(s.file, 'utf8')) as {
          resource?: Record<string, Record<string, any>>;
        };
        for (const b of Object.values(json.resource?.aws_s3_bucket ?? {})) {
          expect(buckets.get(b.bucket)).toBeUndefined();
          buckets.set(b.bucket, c.name);
        }
        for (const z of Object.values(json.resource?.aws_route53_zone ?? {}))
          zones.add(`${c.name} ${z.name}`);
      }
    }
    expect(buckets.size).toBeGreaterThanOrEqual(3);
    expect([...zones].filter((z) => z.startsWith('shop-s0')).map((z) => z.split(' ')[1])).toEqual(
      expect.arrayContaining(['shop-s00.shop.db.internal', 'shop-s01.shop.db.internal']),
    );
  }, 120_000);

  test('a fleet rule error stops synthesis and writes nothing', () => {
    const out = join(dir, 'bad');
    let error: unknown;
    try {
      synthesizeFleet(resolveFleet(fleetVariant((s) => (s.strategy.slots = 48))), out);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SynthesisError);
    expect((error as SynthesisError).findings.map((f) => f.ruleId)).toContain('PGT-SHD-001');
    expect(existsSync(out)).toBe(false);
  });
});
