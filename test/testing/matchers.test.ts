/**
 * pgtopo/testing: each matcher passes and fails on the cases it is about, with a message that names
 * the rule ids / failure / resource involved, and behaves under `.not`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { synthesize } from '../../src/aws/index.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import {
  MatcherInputError,
  type MatcherResult,
  type PgtopoMatchers,
  pgtopoMatchers,
  subsetMismatch,
} from '../../src/testing/index.js';
import { tempDir } from '../aws/helpers.js';
import { EXAMPLES } from '../helpers/examples.js';

declare module 'vitest' {
  interface Assertion<T> extends PgtopoMatchers<T> {}
}
expect.extend(pgtopoMatchers);

const spec = (change: (s: TopologySpecInput) => void = () => {}): TopologySpecInput => {
  const s = parse(readFileSync(EXAMPLES.singleRegion, 'utf8')) as TopologySpecInput;
  change(s);
  return s;
};
const twoEtcd = () => spec((s) => (s.dcs = { ...s.dcs, mode: 'per-region', membersPerRegion: 2 }));

/** Calls a matcher directly, as jest and vitest do, to read its verdict and message. */
function verdict(
  name: keyof typeof pgtopoMatchers,
  received: unknown,
  ...args: unknown[]
): { pass: boolean; text: string } {
  const m = pgtopoMatchers[name] as (this: { isNot: boolean }, r: unknown, ...a: unknown[]) => MatcherResult;
  const r = m.call({ isNot: false }, received, ...args);
  return { pass: r.pass, text: r.message() };
}

describe('toPassPolicy', () => {
  test('passes a bundled example, by path and as an object', () => {
    expect(EXAMPLES.singleRegion).toPassPolicy();
    expect(spec()).toPassPolicy();
  });

  test('fails an unsafe spec, naming every unwaived error rule', () => {
    expect(twoEtcd()).not.toPassPolicy();
    const v = verdict('toPassPolicy', twoEtcd());
    expect(v.pass).toBe(false);
    expect(v.text).toContain('PGT-ETCD-001');
    expect(v.text).toContain('PGT-ETCD-002');
  });

  test('an invalid spec or no spec throws (a failure would pass under .not), naming the issue code and path', () => {
    const invalid = spec((s) => (s.postgres = { version: 9 } as never));
    expect(() => expect(invalid).not.toPassPolicy()).toThrow(MatcherInputError);
    expect(() => verdict('toPassPolicy', invalid)).toThrow(/postgres\.version \[too_small\]/);
    expect(() => expect(invalid).not.toHaveFinding('PGT-ETCD-001')).toThrow(
      /postgres\.version \[too_small\]/,
    );
    expect(() => verdict('toPassPolicy', 42)).toThrow(/received number/);
  });
});

describe('toHaveFinding', () => {
  test.each([
    ['PGT-ETCD-001', {}, true],
    ['PGT-ETCD-001', { severity: 'error' }, true],
    ['PGT-ETCD-001', { severity: 'warning' }, false],
    ['PGT-ETCD-001', { waived: true }, false],
    ['PGT-ETCD-001', { waived: false }, true],
    ['PGT-NET-001', {}, false],
  ] as const)('%s %j on two etcd members per region: %s', (rule, query, pass) => {
    const v = verdict('toHaveFinding', twoEtcd(), rule, query);
    expect(v.pass).toBe(pass);
    if (!pass) expect(v.text).toContain('PGT-ETCD-002');
  });

  test('a clean spec has none, and says so', () => {
    expect(spec()).not.toHaveFinding('PGT-ETCD-001');
    expect(verdict('toHaveFinding', spec(), 'PGT-ETCD-001').text).toContain('its findings: none');
  });
});

describe('toRecoverFrom', () => {
  test.each([
    // Example 1 predicts 20/25/42.5 s for a member and 20/25/45.5 s for an AZ, RPO 0.
    ['use1-a', { withinSeconds: 42.5 }, true],
    ['use1-a', { withinSeconds: 42 }, false],
    ['us-east-1b', { withinSeconds: 45.5 }, true],
    ['us-east-1b', { withinSeconds: 45 }, false],
    ['us-east-1', { withinSeconds: 3600, rpo: 'any' }, false],
  ] as const)('example 1 loses %s, expecting %j: %s', (failure, expectation, pass) => {
    expect(verdict('toRecoverFrom', EXAMPLES.singleRegion, failure, expectation).pass).toBe(pass);
  });

  test('RPO: an asynchronous spec recovers, but not with RPO zero', () => {
    const async = spec((s) => (s.durability = { rpo: 'async' }));
    expect(async).toRecoverFrom('use1-a', { withinSeconds: 60, rpo: 'any' });
    const v = verdict('toRecoverFrom', async, 'use1-a', { withinSeconds: 60 });
    expect(v.pass).toBe(false);
    expect(v.text).toMatch(/allowed zero/);
  });

  test('an unknown failure throws, listing the known ones', () => {
    expect(() => expect(EXAMPLES.singleRegion).not.toRecoverFrom('use1-z', { withinSeconds: 60 })).toThrow(
      'known: use1-a, use1-b, use1-c, us-east-1a',
    );
  });
});

describe('toSynthesizeResource', () => {
  const tmp = tempDir('testing');
  afterAll(() => tmp.cleanup());
  let result: ReturnType<typeof synthesize>;
  beforeAll(() => {
    result = synthesize(EXAMPLES.singleRegion, `${tmp.dir}/out`);
  });

  test('matches a deep subset, over a synthesize() result, a stack JSON object or a cdk.tf.json path', () => {
    const props = { versioning_configuration: { status: 'Enabled' } };
    expect(result).toSynthesizeResource('aws_s3_bucket_versioning', props);
    const file = result.stacks[0]!.file;
    expect(file).toSynthesizeResource('aws_s3_bucket_versioning', props);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toSynthesizeResource('aws_instance', {
      instance_type: 'r6i.xlarge',
      tags: { Name: expect.any(String) },
    });
  });

  test('fails naming the first difference of each resource of the type, or that there is none', () => {
    const v = verdict('toSynthesizeResource', result, 'aws_s3_bucket_versioning', {
      versioning_configuration: { status: 'Suspended' },
    });
    expect(v.pass).toBe(false);
    expect(v.text).toContain('versioning_configuration.status: found "Enabled", expected "Suspended"');
    expect(verdict('toSynthesizeResource', result, 'aws_db_instance').text).toContain(
      'no resource of type aws_db_instance',
    );
    expect(result).not.toSynthesizeResource('aws_db_instance');
    expect(() => expect('/nonexistent/cdk.tf.json').not.toSynthesizeResource('aws_instance')).toThrow(
      /cannot read Terraform JSON from \/nonexistent/,
    );
  });
});

describe('subsetMismatch', () => {
  test.each([
    [{ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] } }, undefined],
    [{ a: 1 }, { a: 2 }, 'a: found 1, expected 2'],
    [{ a: [1, 2] }, { a: [1] }, 'a: found [1,2], expected an array of 1'],
    [{ a: 'x' }, { a: { b: 1 } }, 'a: found "x", expected an object'],
    [{ a: { b: null } }, { a: { b: null } }, undefined],
    [{}, { a: undefined }, undefined],
  ])('%j ⊇ %j: %s', (actual, expected, mismatch) => {
    expect(subsetMismatch(actual, expected)).toBe(mismatch);
  });
});
