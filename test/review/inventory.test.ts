import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  InventoryError,
  readInventory,
  renderInventory,
  stackInventory,
} from '../../src/review/inventory.js';
import { statefulReason } from '../../src/review/stateful.js';

const doc = {
  provider: { aws: [{ region: 'us-east-1' }] },
  resource: {
    aws_instance: {
      member_a: { instance_type: 'r6i.large', tags: { Name: 'use1-a', 'pgtopo:member': 'use1-a' } },
      etcd_1: { instance_type: 't3.small', tags: { Name: 'orders-etcd-1', 'pgtopo:etcd': 'orders-etcd-1' } },
    },
    aws_ebs_volume: {
      data_a: {
        availability_zone: 'us-east-1a',
        tags: { Name: 'use1-a-data' },
        lifecycle: { prevent_destroy: true },
      },
    },
    aws_s3_bucket: { archive: { bucket: 'orders-pgtopo-wal-us-east-1' } },
    aws_security_group: { sg: { name_prefix: 'x' }, sg2: { count: 3 } },
  },
  data: { aws_partition: { p: {} } },
};

describe('stackInventory', () => {
  test('counts resources by type (honouring count) and flags stateful ones', () => {
    const inv = stackInventory('orders-us-east-1', doc);
    expect(inv.region).toBe('us-east-1');
    expect(inv.total).toBe(8);
    expect(inv.byType).toEqual([
      { type: 'aws_ebs_volume', count: 1, stateful: 1 },
      { type: 'aws_instance', count: 2, stateful: 1 },
      { type: 'aws_s3_bucket', count: 1, stateful: 1 },
      { type: 'aws_security_group', count: 4, stateful: 0 },
    ]);
    expect(inv.stateful.map((s) => [s.address, s.label, s.protected])).toEqual([
      ['aws_ebs_volume.data_a', 'use1-a-data', true],
      ['aws_instance.etcd_1', 'orders-etcd-1', false],
      ['aws_s3_bucket.archive', 'orders-pgtopo-wal-us-east-1', false],
    ]);
  });

  test.each([
    ['aws_ebs_volume', {}, true],
    ['aws_s3_bucket', {}, true],
    ['aws_kms_key', {}, true],
    ['aws_instance', { tags: { 'pgtopo:etcd': 'e1' } }, true],
    ['aws_instance', { ebs_block_device: [{ device_name: '/dev/sdf' }] }, true],
    ['aws_instance', { tags: { 'pgtopo:member': 'm1' } }, false],
    ['aws_instance', {}, false],
    ['aws_security_group', {}, false],
    ['aws_s3_bucket_versioning', {}, false],
  ])('%s %j holds data: %s', (type, values, holds) => {
    expect(statefulReason(type, values) !== undefined).toBe(holds);
  });

  test('renders a type-by-stack table with stateful types marked', () => {
    const text = renderInventory([
      stackInventory('orders-us-east-1', doc),
      stackInventory('orders-global', { resource: { aws_route53_zone: { z: {} } } }),
    ]);
    expect(text).toContain('2 stacks, 9 resources, 3 stateful resources');
    expect(text).toContain(
      '| Stack | Region | Resources | `aws_ebs_volume` **S** | `aws_instance` **S** | `aws_s3_bucket` **S** |',
    );
    expect(text).toContain('| orders-us-east-1 | us-east-1 | 8 | 1 | 1 | 1 |');
    expect(text).toContain('| orders-global | – | 1 | 0 | 0 | 0 |');
    expect(text).toContain('| Resource type | orders-us-east-1 | orders-global |');
    expect(text).toContain('| `aws_ebs_volume` **S** | 1 | – |');
    expect(text).toContain('| `aws_route53_zone` | – | 1 |');
    expect(text).toMatch(
      /\| orders-us-east-1 \| `aws_instance\.etcd_1` \| orders-etcd-1 \| EC2 instance of an etcd member[^|]*\| \*\*no\*\* \|/,
    );
  });
});

describe('readInventory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgtopo-inv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('reads every stack of a cdktf output directory in name order', () => {
    for (const s of ['b-stack', 'a-stack']) {
      mkdirSync(join(dir, 'out', 'stacks', s), { recursive: true });
      writeFileSync(join(dir, 'out', 'stacks', s, 'cdk.tf.json'), JSON.stringify(doc));
    }
    expect(readInventory(join(dir, 'out')).map((s) => s.stack)).toEqual(['a-stack', 'b-stack']);
    expect(readInventory(join(dir, 'out', 'stacks')).map((s) => s.stack)).toEqual(['a-stack', 'b-stack']);
  });

  test.each([
    ['a missing directory', 'missing'],
    ['a directory without stacks', 'empty'],
  ])('rejects %s', (_name, sub) => {
    mkdirSync(join(dir, 'empty'), { recursive: true });
    expect(() => readInventory(join(dir, sub))).toThrow(InventoryError);
  });

  test('rejects a stack that is not JSON', () => {
    mkdirSync(join(dir, 'bad', 'stacks', 's'), { recursive: true });
    writeFileSync(join(dir, 'bad', 'stacks', 's', 'cdk.tf.json'), '{nope');
    expect(() => readInventory(join(dir, 'bad'))).toThrow(/cdk\.tf\.json: not JSON/);
  });
});
