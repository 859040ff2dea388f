/** Deterministic names stay inside AWS limits, and match the renderer's names where both use them. */
import { describe, expect, test } from 'vitest';
import { archiveBucketName, pgtopoAddressMap } from '../../src/aws/index.js';
import { rolePrefix } from '../../src/aws/names.js';
import { topologyFrom } from '../../src/model/load.js';
import { example } from '../helpers/examples.js';

const named = (name: string, region: string) =>
  topologyFrom({
    name,
    primaryRegion: region,
    regions: [
      {
        name: region,
        cidr: '10.10.0.0/16',
        azs: ['a', 'b', 'c'].map((z) => `${region}${z}`),
        members: [
          { name: 'm1', az: `${region}a` },
          { name: 'member-with-a-rather-long-name-1234567', az: `${region}b` },
        ],
      },
    ],
  });

describe('names', () => {
  test.each([
    ['orders', 'us-east-1', 'pgtopo-orders-archive-us-east-1'],
    ['a'.repeat(40), 'ap-southeast-2', undefined],
    ['x'.repeat(30), 'us-gov-west-1', undefined],
  ])('archive bucket of %s in %s fits S3 (<= 63, valid characters)', (name, region, exact) => {
    const bucket = archiveBucketName(named(name, region), region);
    expect(bucket.length).toBeLessThanOrEqual(63);
    expect(bucket).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    if (exact) expect(bucket).toBe(exact);
    // The renderer writes the same bucket into pgbackrest.conf.
    const loc = pgtopoAddressMap(named(name, region)).repository(region);
    expect(loc).toMatchObject({ kind: 's3', bucket });
  });

  test('distinct long names stay distinct after shortening', () => {
    const a = archiveBucketName(named(`${'a'.repeat(39)}b`, 'ap-southeast-2'), 'ap-southeast-2');
    const b = archiveBucketName(named(`${'a'.repeat(39)}c`, 'ap-southeast-2'), 'ap-southeast-2');
    expect(a).not.toBe(b);
  });

  test.each([
    ['orders', 'use1-a'],
    ['a'.repeat(40), 'member-with-a-rather-long-name-1234567'],
  ])('IAM role prefix of %s/%s fits 38 characters', (name, member) => {
    expect(rolePrefix(example('singleRegion'), member).length).toBeLessThanOrEqual(38);
    expect(rolePrefix(named(name, 'us-east-1'), member).length).toBeLessThanOrEqual(38);
  });
});
