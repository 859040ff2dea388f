import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tryLoad, tryResolve } from '../../src/model/load.js';
import { formatPath } from '../../src/spec/issues.js';
import { variant } from '../helpers/spec.js';

/** Issues after schema, cross-reference and model checks, as `code path`. */
function problems(edit: (s: Record<string, any>) => void): string[] {
  const r = tryResolve(variant(edit));
  return r.ok ? [] : r.issues.map((i) => `${i.code} ${formatPath(i.path)}`);
}

const standby = (name = 'us-west-2', cidr = '10.20.0.0/16') => ({
  name,
  cidr,
  azs: [`${name}a`, `${name}b`],
  members: [
    { name: `${name}-m1`, az: `${name}a` },
    { name: `${name}-m2`, az: `${name}b` },
  ],
});

describe('cross-reference checks', () => {
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['valid base spec', () => {}, []],
    [
      'duplicate member names across regions',
      (s) => {
        s.regions.push(standby());
        s.regions[1].members[0].name = 'use1-a';
      },
      ['duplicate_name regions[1].members[0].name'],
    ],
    [
      'duplicate region names',
      (s) => s.regions.push(standby('us-east-1', '10.20.0.0/16')),
      ['duplicate_name regions[1].name'],
    ],
    [
      'duplicate AZ in a region',
      (s) => s.regions[0].azs.push('us-east-1a'),
      ['duplicate_name regions[0].azs[3]'],
    ],
    [
      'member AZ not in its region',
      (s) => (s.regions[0].members[2].az = 'us-east-1d'),
      ['unknown_az regions[0].members[2].az'],
    ],
    [
      'AZ of another region',
      (s) => (s.regions[0].azs[2] = 'us-west-2c'),
      ['az_region_mismatch regions[0].azs[2]', 'unknown_az regions[0].members[2].az'],
    ],
    [
      'replicateFrom an unknown member',
      (s) => (s.regions[0].members[2].replicateFrom = 'use1-x'),
      ['unknown_member regions[0].members[2].replicateFrom'],
    ],
    [
      'overlapping region CIDRs',
      (s) => s.regions.push(standby('us-west-2', '10.10.128.0/17')),
      ['cidr_overlap regions[1].cidr'],
    ],
    ['adjacent region CIDRs do not overlap', (s) => s.regions.push(standby('us-west-2', '10.11.0.0/16')), []],
    [
      'primary region not among the regions',
      (s) => (s.primaryRegion = 'us-east-2'),
      ['primary_region_missing primaryRegion'],
    ],
    [
      'archive copy to the primary region',
      (s) => (s.archive = { copyTo: 'us-east-1' }),
      ['inconsistent archive.copyTo'],
    ],
    [
      'stretched DCS naming an unknown region',
      (s) => (s.dcs = { mode: 'stretched', regions: ['us-east-1', 'eu-west-9'] }),
      ['unknown_region dcs.regions[1]'],
    ],
    [
      'rpo zero-in-region with synchronous mode off',
      (s) => (s.durability = { rpo: 'zero-in-region', synchronousMode: 'off' }),
      ['inconsistent durability.synchronousMode'],
    ],
    ['one AMI id for a single-region spec', (s) => (s.hosts = { imageId: 'ami-0123456789abcdef0' }), []],
    [
      'one AMI id for two regions (AMI ids are regional)',
      (s) => {
        s.regions.push(standby());
        s.hosts = { imageId: 'ami-0123456789abcdef0' };
      },
      ['inconsistent hosts.imageId'],
    ],
    [
      'an AMI id per region',
      (s) => {
        s.regions.push(standby());
        s.hosts = { imageId: { 'us-east-1': 'ami-0123456789abcdef0', 'us-west-2': 'ami-0fedcba9876543210' } };
      },
      [],
    ],
    [
      'AMI map missing a region, naming an unknown one, repeating an id',
      (s) => {
        s.regions.push(standby());
        s.hosts = {
          imageId: { 'us-east-1': 'ami-0123456789abcdef0', 'us-west-1': 'ami-0123456789abcdef0' },
        };
      },
      [
        'inconsistent hosts.imageId',
        'unknown_region hosts.imageId.us-west-1',
        'inconsistent hosts.imageId.us-west-1',
      ],
    ],
    ['an archive bucket name for a single-region spec', (s) => (s.archive = { bucket: 'acme-pg-wal' }), []],
    [
      'one archive bucket name for three regions',
      (s) => {
        s.regions.push(standby());
        s.regions.push(standby('eu-west-1', '10.30.0.0/16'));
        s.archive = { bucket: 'acme-pg-wal' };
      },
      ['inconsistent archive.bucket'],
    ],
    [
      'two regions sharing a bucket name',
      (s) => {
        s.regions.push(standby());
        s.archive = { bucket: { 'us-east-1': 'acme-pg-wal', 'us-west-2': 'acme-pg-wal' } };
      },
      ['inconsistent archive.bucket.us-west-2'],
    ],
    [
      'an alarm topic in the single region',
      (s) => (s.observability = { alarms: { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms' } }),
      [],
    ],
    [
      'an alarm topic in another region (alarms notify only their own region)',
      (s) => (s.observability = { alarms: { snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms' } }),
      ['inconsistent observability.alarms.snsTopicArn'],
    ],
    [
      'one alarm topic for two regions',
      (s) => {
        s.regions.push(standby());
        s.observability = { alarms: { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms' } };
      },
      ['inconsistent observability.alarms.snsTopicArn'],
    ],
    [
      'alarm topics per region, one of them in the wrong region',
      (s) => {
        s.regions.push(standby());
        s.observability = {
          alarms: {
            snsTopicArn: {
              'us-east-1': 'arn:aws:sns:us-east-1:123456789012:alarms',
              'us-west-2': 'arn:aws:sns:us-east-1:123456789012:alarms',
            },
          },
        };
      },
      ['inconsistent observability.alarms.snsTopicArn.us-west-2'],
    ],
    [
      'alarm topics per region',
      (s) => {
        s.regions.push(standby());
        s.observability = {
          alarms: {
            snsTopicArn: {
              'us-east-1': 'arn:aws:sns:us-east-1:123456789012:alarms',
              'us-west-2': 'arn:aws:sns:us-west-2:123456789012:alarms',
            },
          },
        };
      },
      [],
    ],
    [
      'more co-located etcd members than PostgreSQL members',
      (s) => (s.dcs = { mode: 'per-region', membersPerRegion: 5, placement: 'co-located' }),
      ['inconsistent dcs.membersPerRegion'],
    ],
  ])('%s', (_, edit, expected) => {
    expect(problems(edit).sort()).toEqual([...expected].sort());
  });

  test.each([
    ['10.10.0.0/16', []],
    ['10.10.0.0/23', []],
    ['10.10.0.0/24', ['cidr_too_small regions[0].cidr']],
    ['10.10.0.0/28', ['cidr_too_small regions[0].cidr']],
  ])('region CIDR %s for three AZs (subnets of /26 or larger)', (cidr, expected) => {
    expect(problems((s) => (s.regions[0].cidr = cidr))).toEqual(expected);
  });

  test('cross-reference and model issues from a file carry line and column', () => {
    const r = tryLoad(fileURLToPath(new URL('./fixtures/crossref-problems.yaml', import.meta.url)));
    expect(r.ok).toBe(false);
    const got = r.ok
      ? []
      : r.issues.map((i) => `${i.code} ${formatPath(i.path)} ${i.location?.line}:${i.location?.column}`);
    expect(got).toEqual(['unknown_az regions[0].members[1].az 9:25']);
  });
});

describe('schema and cross-reference issues together', () => {
  // Each case has a schema error elsewhere in the spec; the cross-reference is still judged.
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    [
      'unknown primary region beside a misspelt enum value',
      (s) => {
        s.primaryRegion = 'us-east-2';
        s.durability = { rpo: 'zero-in-regoin' };
      },
      ['invalid_value durability.rpo', 'primary_region_missing primaryRegion'],
    ],
    [
      'duplicate member beside an unknown key on that member',
      (s) => {
        s.regions[0].members[1].name = 'use1-a';
        s.regions[0].members[1].replicatefrom = 'use1-a';
      },
      ['unknown_key regions[0].members[1].replicatefrom', 'duplicate_name regions[0].members[1].name'],
    ],
    [
      'AZ not in the region beside a bad instance type in another member',
      (s) => {
        s.regions[0].members[0].az = 'us-east-1d';
        s.regions[0].members[2].instanceType = 'huge';
      },
      ['invalid_format regions[0].members[2].instanceType', 'unknown_az regions[0].members[0].az'],
    ],
    [
      'all three at once, with a wrong type at the top',
      (s) => {
        s.primaryRegion = 'us-east-2';
        s.regions[0].members[1].name = 'use1-a';
        s.regions[0].members[2].az = 'us-east-1d';
        s.failover = 'fast';
      },
      [
        'invalid_type failover',
        'primary_region_missing primaryRegion',
        'duplicate_name regions[0].members[1].name',
        'unknown_az regions[0].members[2].az',
      ],
    ],
  ])('%s', (_, edit, expected) => {
    expect(problems(edit).sort()).toEqual([...expected].sort());
  });

  // A cross-reference is not judged from a value the schema rejected: no second issue for one mistake.
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    [
      'a malformed region name does not make the primary region "missing"',
      (s) => (s.regions[0].name = 'US-EAST-1'),
      ['invalid_format regions[0].name'],
    ],
    [
      "a malformed AZ list does not make members' AZs unknown",
      (s) => (s.regions[0].azs[2] = 'east'),
      ['invalid_format regions[0].azs[2]'],
    ],
    [
      'a member without a name does not hide other duplicates, and adds none',
      (s) => {
        delete s.regions[0].members[0].name;
        s.regions[0].members[2].name = 'use1-b';
      },
      ['invalid_type regions[0].members[0].name', 'duplicate_name regions[0].members[2].name'],
    ],
    [
      'regions that are not a list judge nothing against them',
      (s) => (s.regions = 'us-east-1'),
      ['invalid_type regions'],
    ],
  ])('%s', (_, edit, expected) => {
    expect(problems(edit).sort()).toEqual([...expected].sort());
  });
});
