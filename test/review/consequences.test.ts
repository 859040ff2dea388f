/**
 * Every spec field has a known consequence, and `pgtopo diff` names and gates each change by it:
 * the misses that once passed as "0 change(s)" now stop a pipeline, named by their spec field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/diff.js';
import { EXIT, memoryIo } from '../../src/cli/io.js';
import { topologyFrom } from '../../src/model/load.js';
import { CONSEQUENCES, type Consequence, FIELD_RULES } from '../../src/review/consequences.js';
import { diffTopologies } from '../../src/review/diff.js';
import { specLeafFields } from '../../src/spec/json-schema.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { base, edit, type Spec } from './specs.js';

const diff = (a: Spec, b: Spec) =>
  diffTopologies(topologyFrom(a as TopologySpecInput), topologyFrom(b as TopologySpecInput));

const dir = mkdtempSync(join(tmpdir(), 'pgtopo-consequences-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the classification table', () => {
  test('has one row for every leaf field of the schema, and none for a field that does not exist', () => {
    expect(Object.keys(FIELD_RULES).sort()).toEqual(specLeafFields().sort());
  });

  test('every row is a known class with a reason, or defers to the model comparison', () => {
    for (const [field, rule] of Object.entries(FIELD_RULES)) {
      if (rule === 'reported' || typeof rule === 'function') continue;
      expect(CONSEQUENCES, field).toContain(rule[0]);
      expect(rule[1].length, field).toBeGreaterThan(10);
    }
  });
});

describe("the table's replacement claims, read from a real offline plan", () => {
  type Change = { address: string; change: { actions: string[]; replace_paths?: string[][] } };
  const plan = JSON.parse(
    readFileSync(new URL('./fixtures/replacement/plan.json', import.meta.url), 'utf8'),
  ) as { resource_changes: Change[] };
  const action = (address: string) => {
    const c = plan.resource_changes.find((x) => x.address === address)!.change;
    return {
      replaced: c.actions.includes('delete') && c.actions.includes('create'),
      paths: (c.replace_paths ?? []).map((x) => x.join('.')),
    };
  };
  const rule = (field: string, from?: unknown, to?: unknown) => {
    const r = FIELD_RULES[field]!;
    return typeof r === 'function' ? r(from, to) : r;
  };

  test.each<[string, string, string, Consequence, unknown?, unknown?]>([
    ['aws_vpc.region', 'cidr_block', 'regions[].cidr', 'stateful-replacement'],
    ['aws_instance.node', 'private_ip', 'regions[].cidr', 'stateful-replacement'],
    ['aws_subnet.a', 'cidr_block', 'regions[].azs', 'stateful-replacement', ['a', 'b'], ['b', 'a']],
    ['aws_instance.node', 'associate_public_ip_address', 'hosts.associatePublicIp', 'stateful-replacement'],
    ['aws_s3_bucket.archive', 'bucket', 'archive.bucket', 'stateful-replacement'],
    ['aws_lb.nlb', 'internal', 'endpoints.internal', 'procedure'],
    ['aws_route53_zone.zone', 'name', 'endpoints.dnsZone', 'procedure'],
  ])(
    '%s: %s forces replacement, so %s is not in-place',
    (address, attribute, field, consequence, from, to) => {
      expect(action(address)).toMatchObject({ replaced: true, paths: expect.arrayContaining([attribute]) });
      expect(rule(field, from, to)).toEqual([consequence, expect.any(String)]);
    },
  );

  test('Object Lock governance -> compliance plans as an in-place update: irreversible by S3, not by the plan', () => {
    expect(action('aws_s3_bucket_object_lock_configuration.archive').replaced).toBe(false);
    expect(rule('archive.objectLock', 'governance', 'compliance')).toEqual([
      'irreversible',
      expect.any(String),
    ]);
  });
});

describe('pgtopo diff classifies each change by its spec field', () => {
  test.each<[string, (s: Spec) => void, string, Consequence]>([
    [
      "a region's CIDR",
      (s) => (s.regions[1].cidr = '10.30.0.0/16'),
      'regions[1].cidr',
      'stateful-replacement',
    ],
    [
      'an archive bucket name',
      (s) => (s.archive.bucket = { 'us-east-1': 'orders-wal-use1', 'us-west-2': 'orders-wal-usw2-new' }),
      'archive.bucket',
      'stateful-replacement',
    ],
    [
      'Object Lock governance -> compliance',
      (s) => (s.archive.objectLock = 'compliance'),
      'archive.objectLock',
      'irreversible',
    ],
    [
      'a PostgreSQL major version (with the release that ships it)',
      (s) => {
        s.postgres = { ...s.postgres, version: 15 };
        s.hosts = { ...s.hosts, os: 'debian-12' };
      },
      'postgres.version',
      'procedure',
    ],
    [
      'another node release',
      (s) => {
        s.postgres = { ...s.postgres, version: 15 };
        s.hosts = { ...s.hosts, os: 'debian-12' };
      },
      'hosts.os',
      'procedure',
    ],
    ['reordered AZs', (s) => s.regions[0].azs.reverse(), 'regions[0].azs', 'stateful-replacement'],
    ['an AZ added at the end', (s) => s.regions[1].azs.push('us-west-2d'), 'regions[1].azs', 'in-place'],
    ['Patroni ttl', (s) => (s.failover = { ...s.failover, ttl: 40 }), 'failover.ttl', 'procedure'],
    [
      'a PgBouncer pool size',
      (s) => (s.endpoints = { ...s.endpoints, pgbouncer: { defaultPoolSize: 40 } }),
      'endpoints.pgbouncer.defaultPoolSize',
      'rolling-replacement',
    ],
    [
      'a client CIDR',
      (s) => (s.security = { allowedCidrs: ['10.0.0.0/8', '192.168.0.0/16'] }),
      'security.allowedCidrs',
      'in-place',
    ],
  ])('%s: %s is %s', (_, change, path, consequence) => {
    const d = diff(base(), edit(change));
    const hit = d.changes.find((c) => c.path === path);
    expect(hit, JSON.stringify(d.changes.map((c) => c.path))).toMatchObject({
      kind: 'field-changed',
      consequence,
    });
  });

  test('the four misses each exit 1, named by the spec field, never by a model name', async () => {
    const cases: [string, (s: Spec) => void, string][] = [
      ['cidr', (s) => (s.regions[0].cidr = '10.11.0.0/16'), 'regions[0].cidr'],
      [
        'bucket',
        (s) => (s.archive.bucket = { 'us-east-1': 'orders-wal-a', 'us-west-2': 'orders-wal-b' }),
        'archive.bucket',
      ],
      ['lock', (s) => (s.archive.objectLock = 'compliance'), 'archive.objectLock'],
      [
        'major',
        (s) => {
          s.postgres = { ...s.postgres, version: 15 };
          s.hosts = { ...s.hosts, os: 'debian-12' };
        },
        'postgres.version',
      ],
    ];
    const bucketed = (s: Spec) =>
      (s.archive.bucket = { 'us-east-1': 'orders-wal-a', 'us-west-2': 'orders-wal-c' });
    for (const [name, change, path] of cases) {
      const oldSpec = name === 'bucket' ? edit(bucketed) : base();
      const oldFile = join(dir, `${name}-old.json`);
      const newFile = join(dir, `${name}-new.json`);
      writeFileSync(oldFile, JSON.stringify(oldSpec));
      writeFileSync(newFile, JSON.stringify(edit(change)));
      const io = memoryIo();
      expect(await command.run([oldFile, newFile], io), name).toBe(EXIT.findings);
      const text = io.stdout.join('\n');
      expect(text, name).toMatch(
        new RegExp(`^\\s+field-changed\\s+${path.replace(/[.[\]]/g, '\\$&')}: `, 'm'),
      );
      expect(text, name).not.toContain('bucketNames');
      expect(text, name).not.toContain(' 0 change(s)');
    }
  });

  test('removing a member shifts no other member into a field change', () => {
    const d = diff(
      base(),
      edit((s) => s.regions[0].members.splice(0, 1)),
    );
    expect(d.changes.filter((c) => c.kind === 'field-changed')).toEqual([]);
  });

  test('key order in a map is no change', () => {
    const params = (s: Spec, p: Record<string, unknown>) => (s.postgres = { ...s.postgres, parameters: p });
    const d = diff(
      edit((s) => params(s, { work_mem: '8MB', jit: 'off' })),
      edit((s) => params(s, { jit: 'off', work_mem: '8MB' })),
    );
    expect(d.changes).toEqual([]);
  });
});
