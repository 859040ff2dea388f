import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { formatPath, type SpecIssue } from '../../src/spec/issues.js';
import { parseSpec, parseSpecFile, parseSpecText } from '../../src/spec/parse.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { EXAMPLE_NAMES, EXAMPLES } from '../helpers/examples.js';
import { baseSpec, variant } from '../helpers/spec.js';

const issuesOf = (input: unknown): readonly SpecIssue[] => parseSpec(input).issues;
const codesAt = (input: unknown) => issuesOf(input).map((i) => `${i.code} ${formatPath(i.path)}`);

describe('valid specs', () => {
  test.each(EXAMPLE_NAMES)('example %s parses without issues', (name) => {
    const r = parseSpecFile(EXAMPLES[name]);
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test('a TS object typed as the input type goes through the same parse, with defaults applied', () => {
    const spec: TopologySpecInput = baseSpec();
    const r = parseSpec(spec);
    if (!r.ok) throw new Error('expected a valid spec');
    // The PostgreSQL major follows the node release: the model resolves it (17 on the default debian-13).
    expect(r.spec.postgres.version).toBeUndefined();
    expect(r.spec.hosts.os).toBe('debian-13');
    expect(r.spec.failover.profile).toBe('balanced');
    expect(r.spec.dcs).toMatchObject({ mode: 'per-region', membersPerRegion: 3, placement: 'dedicated' });
    expect(r.spec.regions[0]!.members[0]).toMatchObject({
      instanceType: 'r6i.large',
      volume: { sizeGiB: 100, type: 'gp3' },
      tags: { nosync: false, nofailover: false },
    });
    expect(r.spec.security.secrets.superuser).toBe('generate');
  });
});

describe('schema boundaries', () => {
  test.each([
    [12, ['too_small postgres.version']],
    [13, ['not_in_release postgres.version']],
    [15, ['not_in_release postgres.version']],
    [17, []],
    [18, ['too_big postgres.version']],
    [15.5, ['invalid_type postgres.version']],
  ])('postgres.version %s on the default release', (version, expected) => {
    expect(codesAt(variant((s) => (s.postgres = { version })))).toEqual(expected);
  });

  test.each([
    [undefined, []],
    [{ mode: 'self-managed' }, []],
    [{ mode: 'aws-private-ca' }, []],
    [{ mode: 'aws-private-ca', certificateValidityHours: 24 }, []],
    [{ mode: 'aws-private-ca', certificateValidityHours: 168 }, []],
    // Short-lived mode issues nothing valid longer than 7 days; less than a day renews too often.
    [
      { mode: 'aws-private-ca', certificateValidityHours: 169 },
      ['too_big security.ca.certificateValidityHours'],
    ],
    [
      { mode: 'aws-private-ca', certificateValidityHours: 23 },
      ['too_small security.ca.certificateValidityHours'],
    ],
    [
      { mode: 'aws-private-ca', certificateValidityHours: 72.5 },
      ['invalid_type security.ca.certificateValidityHours'],
    ],
    [
      { mode: 'self-managed', certificateValidityHours: 72 },
      ['unknown_key security.ca.certificateValidityHours'],
    ],
    [{ mode: 'acm' }, ['invalid_union security.ca.mode']],
  ])('security.ca %j', (ca, expected) => {
    expect(codesAt(variant((s) => (s.security = { ...s.security, ...(ca ? { ca } : {}) })))).toEqual(
      expected,
    );
  });

  test.each([
    ['debian-13', undefined, []],
    ['debian-12', undefined, []],
    ['debian-12', 15, []],
    ['debian-12', 17, ['not_in_release postgres.version']],
    ['debian-11', undefined, ['invalid_value hosts.os']],
  ] as const)('hosts.os %s with postgres.version %s', (os, version, expected) => {
    expect(
      codesAt(
        variant((s) => {
          s.hosts = { os: os as 'debian-12' };
          if (version !== undefined) s.postgres = { version };
        }),
      ),
    ).toEqual(expected);
  });

  test.each([
    ['debian-13', []],
    ['debian-12', ['not_in_release durability.synchronousMode']],
  ] as const)('synchronousMode quorum on %s', (os, expected) => {
    expect(
      codesAt(
        variant((s) => {
          s.hosts = { os };
          s.durability = { rpo: 'zero-in-region', synchronousMode: 'quorum' };
        }),
      ),
    ).toEqual(expected);
  });

  test.each([
    ['a', ['invalid_format name']],
    ['ab', []],
    ['Orders', ['invalid_format name']],
    ['orders-', ['invalid_format name']],
    ['x'.repeat(40), []],
    ['x'.repeat(41), ['invalid_format name']],
  ])('cluster name %j', (name, expected) => {
    expect(codesAt(variant((s) => (s.name = name)))).toEqual(expected);
  });

  test.each([
    ['10.10.0.0/16', []],
    ['10.10.0.0/33', ['custom regions[0].cidr']],
    ['10.300.0.0/16', ['custom regions[0].cidr']],
    ['10.10.0.0', ['invalid_format regions[0].cidr']],
  ])('region cidr %j', (cidr, expected) => {
    expect(codesAt(variant((s) => (s.regions[0].cidr = cidr)))).toEqual(expected);
  });

  test.each([
    [{ sizeGiB: 19 }, ['too_small regions[0].members[0].volume.sizeGiB']],
    [{ sizeGiB: 20 }, []],
    [{ type: 'gp2' }, ['invalid_value regions[0].members[0].volume.type']],
    [{ type: 'io2', iops: 16000 }, []],
    [{ type: 'io2' }, ['inconsistent regions[0].members[0].volume.iops']],
  ])('data volume %j', (volume, expected) => {
    expect(codesAt(variant((s) => (s.regions[0].members[0].volume = volume)))).toEqual(expected);
  });

  test.each([
    [{ failoverPriority: -1 }, ['too_small regions[0].members[0].tags.failoverPriority']],
    [{ failoverPriority: 0 }, []],
    [{ failoverPriority: 1001 }, ['too_big regions[0].members[0].tags.failoverPriority']],
    [{ nosync: 'yes' }, ['invalid_type regions[0].members[0].tags.nosync']],
  ])('member tags %j', (tags, expected) => {
    expect(codesAt(variant((s) => (s.regions[0].members[0].tags = tags)))).toEqual(expected);
  });

  test('a required field that is missing names its path', () => {
    const issues = issuesOf(variant((s) => delete s.primaryRegion));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'invalid_type',
      path: ['primaryRegion'],
      found: 'nothing (required)',
    });
  });

  test('secrets accept references only, never values', () => {
    expect(codesAt(variant((s) => (s.security = { secrets: { superuser: 'hunter2-password' } })))).toEqual([
      'invalid_format security.secrets.superuser',
    ]);
    expect(
      codesAt(
        variant(
          (s) =>
            (s.security = {
              secrets: {
                superuser: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/superuser-AbCdEf',
              },
            }),
        ),
      ),
    ).toEqual([]);
  });
});

describe('unknown keys and did-you-mean', () => {
  test.each([
    [(s: Record<string, any>) => (s.regions[0].memebrs = []), 'regions[0].memebrs', 'members'],
    [(s: Record<string, any>) => (s.primaryRegoin = 'x'), 'primaryRegoin', 'primaryRegion'],
    [
      (s: Record<string, any>) => (s.regions[0].members[0].replicatefrom = 'use1-b'),
      'regions[0].members[0].replicatefrom',
      'replicateFrom',
    ],
    [
      (s: Record<string, any>) => (s.dcs = { mode: 'stretched', membersPerRegion: 3 }),
      'dcs.membersPerRegion',
      undefined,
    ],
  ])('%#: unknown key at %s', (edit, path, suggestion) => {
    const issue = issuesOf(variant(edit)).find((i) => i.code === 'unknown_key');
    expect(issue && formatPath(issue.path)).toBe(path);
    if (suggestion) expect(issue?.hint).toContain(JSON.stringify(suggestion));
    else expect(issue?.hint).toBeUndefined();
  });

  test('a misspelt enum value gets a suggestion', () => {
    const [issue] = issuesOf(variant((s) => (s.durability = { rpo: 'zero-in-regoin' })));
    expect(issue).toMatchObject({ code: 'invalid_value', path: ['durability', 'rpo'] });
    expect(issue!.hint).toContain('"zero-in-region"');
  });

  test('the discriminated dcs union only offers keys of the chosen mode', () => {
    const [issue] = issuesOf(variant((s) => (s.dcs = { mode: 'stretched', membersPerRegion: 3 })));
    expect(issue!.expected).toContain('interRegionRttMs');
    expect(issue!.expected).not.toContain('membersPerRegion');
  });
});

describe('every problem is reported, with file positions', () => {
  const text = readFileSync(new URL('./fixtures/many-problems.yaml', import.meta.url), 'utf8');

  test('YAML: every issue, each with a code, path and line/column', () => {
    const r = parseSpecText(text, 'many-problems.yaml');
    expect(r.ok).toBe(false);
    const got = r.issues.map(
      (i) => `${i.code} ${formatPath(i.path)} ${i.location?.line}:${i.location?.column}`,
    );
    expect(got.sort()).toEqual(
      [
        'invalid_value durability.rpo 14:15',
        'unknown_key regions[0].memebrs 8:5',
        'invalid_type regions[0].members 4:5',
        'invalid_format regions[1].members[0].name 13:11',
      ].sort(),
    );
  });

  test('JSON: same parse, positions too', () => {
    const json = JSON.stringify(
      variant((s) => (s.regions[0].members[1].az = 42)),
      null,
      2,
    );
    const [issue] = parseSpecText(json, 'spec.json').issues;
    expect(issue).toMatchObject({ code: 'invalid_type', path: ['regions', 0, 'members', 1, 'az'] });
    const line = json.split('\n').findIndex((l) => l.includes('"az": 42')) + 1;
    expect(issue!.location).toMatchObject({ file: 'spec.json', line });
  });

  test('syntax errors are issues with a position, not exceptions', () => {
    const r = parseSpecText('name: [unclosed\n', 'broken.yaml');
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ code: 'syntax', location: { file: 'broken.yaml' } });
  });

  test('a missing file is an issue', () => {
    expect(parseSpecFile('/nonexistent/spec.yaml').issues[0]).toMatchObject({ code: 'syntax', path: [] });
  });
});
