/**
 * Issue 15, class 1: addresses are judged as address sets, never as strings. PGT-NET-001 over the union of
 * every allowed and admin range, against a reference computation; VPC CIDRs within AWS's limits; security
 * groups named under their own region.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tryResolve } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import {
  type Cidr,
  formatCidr,
  isWorldOpenIpv4,
  NON_PUBLIC_IPV4,
  parseCidr,
  publicIpv4Count,
  WORLD_OPEN_IPV4_ADDRESSES,
} from '../../src/spec/cidr.js';
import { variant } from '../helpers/spec.js';
import { hits, layout, specIssues, twoRegions } from './helpers.js';

const security = (allowedCidrs: string[], adminCidrs: string[] = []) =>
  layout((s) => (s.security = { allowedCidrs, adminCidrs }));

describe('PGT-NET-001 judges the union of allowed and admin ranges', () => {
  test.each([
    ['0.0.0.0/0', ['0.0.0.0/0'], [], ['security.allowedCidrs[0]']],
    ['0.0.0.0/00', ['0.0.0.0/00'], [], ['security.allowedCidrs[0]']],
    ['leading zeros 000.000.000.000/0', ['000.000.000.000/0'], [], ['security.allowedCidrs[0]']],
    ['host bits 1.2.3.4/0', ['10.0.0.0/8', '1.2.3.4/0'], [], ['security.allowedCidrs[1]']],
    ['one half of the internet', ['0.0.0.0/1'], [], ['security.allowedCidrs[0]']],
    [
      'two halves in one list',
      ['0.0.0.0/1', '128.0.0.0/1'],
      [],
      ['security.allowedCidrs[0]', 'security.allowedCidrs[1]'],
    ],
    ['a public /8 alone (the threshold)', ['3.0.0.0/8'], [], ['security.allowedCidrs[0]']],
    ['two public /9s together', ['3.0.0.0/9', '3.128.0.0/9'], [], ['security.allowedCidrs']],
    [
      '256 public /16s together',
      Array.from({ length: 256 }, (_, i) => `52.${i}.0.0/16`),
      [],
      ['security.allowedCidrs'],
    ],
    ['allowed and admin ranges together', ['3.0.0.0/9'], ['3.128.0.0/9'], ['security']],
    ['one public /9 (under the threshold)', ['3.0.0.0/9'], [], []],
    [
      'a /8 minus one /24 of public space',
      Array.from({ length: 255 }, (_, i) => `52.${i}.0.0/16`).concat([
        '52.255.0.0/17',
        '52.255.128.0/18',
        '52.255.192.0/19',
        '52.255.224.0/20',
        '52.255.240.0/21',
        '52.255.248.0/22',
        '52.255.252.0/23',
        '52.255.254.0/24',
      ]),
      [],
      [],
    ],
    ['overlapping public /9s count once', ['3.0.0.0/9', '3.0.0.0/9', '3.0.0.0/10'], [], []],
    [
      'all private space',
      ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'],
      ['127.0.0.0/8'],
      [],
    ],
    ['multicast and reserved space', ['224.0.0.0/3'], [], []],
    ['admin ranges alone', [], ['0.0.0.0/0'], ['security.adminCidrs[0]']],
  ])('%s', (_name, allowed, admin, paths) => {
    expect(hits(security(allowed, admin), 'PGT-NET-001')).toEqual(paths);
  });
});

describe('PGT-NET-001 judges the Prometheus source with the other lists', () => {
  const withPrometheus = (prom: string[], allowed: string[] = []) =>
    layout((s) => {
      s.security = { allowedCidrs: allowed };
      s.observability = { prometheus: { allowedCidrs: prom } };
    });
  test.each([
    ['0.0.0.0/0 alone', ['0.0.0.0/0'], [], ['observability.prometheus.allowedCidrs[0]']],
    ['leading zeros and host bits', ['000.1.2.3/0'], [], ['observability.prometheus.allowedCidrs[0]']],
    ['two public /9s', ['3.0.0.0/9', '3.128.0.0/9'], [], ['observability.prometheus.allowedCidrs']],
    // Together with a client list they cover a /8: reported at the first list that contributes.
    ['with a client range, together a /8', ['3.128.0.0/9'], ['3.0.0.0/9'], ['security.allowedCidrs']],
    ['a Prometheus VPC range', ['10.50.0.0/16'], [], []],
    ['one public /9 (under the threshold)', ['3.0.0.0/9'], [], []],
  ])('%s', (_name, prom, allowed, paths) => {
    expect(hits(withPrometheus(prom, allowed), 'PGT-NET-001')).toEqual(paths);
  });
});

// A reference computation over /24 blocks: every special-purpose block is /24-aligned, and the generated
// ranges are at most /24, so counting covered public /24s counts public addresses exactly.
const BLOCKS = 2 ** 24;
const nonPublicBlock = new Uint8Array(BLOCKS);
for (const text of NON_PUBLIC_IPV4) {
  const [addr, len] = text.split('/');
  const first = addr!.split('.').reduce((n, o) => n * 256 + Number(o), 0) / 256;
  nonPublicBlock.fill(1, first, first + 2 ** (24 - Number(len)));
}
const covered = new Uint8Array(BLOCKS);

function referencePublicCount(cidrs: readonly { octets: number[]; prefix: number }[]): number {
  covered.fill(0);
  for (const { octets, prefix } of cidrs) {
    const block = ((octets[0]! * 256 + octets[1]!) * 256 + octets[2]!) >>> 0;
    const span = 2 ** (24 - prefix);
    const first = Math.floor(block / span) * span;
    covered.fill(1, first, first + span);
  }
  let n = 0;
  for (let i = 0; i < BLOCKS; i++) if (covered[i] && !nonPublicBlock[i]) n++;
  return n * 256;
}

describe('the CIDR judgement agrees with a reference computation', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const range = fc.record({
    octets: fc.tuple(octet, octet, octet, octet).map((o) => [...o]),
    prefix: fc.integer({ min: 0, max: 24 }),
  });
  // Spellings the spec accepts for the same range: leading zeros, a two-digit prefix, host bits.
  const spelled = fc.tuple(range, fc.boolean(), fc.boolean()).map(([r, zeros, twoDigits]) => ({
    r,
    text: `${r.octets.map((o) => (zeros ? String(o).padStart(3, '0') : String(o))).join('.')}/${twoDigits ? String(r.prefix).padStart(2, '0') : r.prefix}`,
  }));
  // Few wide ranges and many narrow ones, so both sides of the threshold are reached.
  const wide = fc.record({ octets: range.map((r) => r.octets), prefix: fc.integer({ min: 0, max: 10 }) });
  const sets = fc.array(fc.oneof(range, wide), { minLength: 0, maxLength: 12 });

  test('publicIpv4Count and isWorldOpenIpv4 match the /24 bitmap', () => {
    fc.assert(
      fc.property(sets, (ranges) => {
        const cidrs: Cidr[] = ranges.map((r) => parseCidr(`${r.octets.join('.')}/${r.prefix}`));
        const reference = referencePublicCount(ranges);
        expect(Number(publicIpv4Count(cidrs))).toBe(reference);
        expect(isWorldOpenIpv4(cidrs)).toBe(BigInt(reference) >= WORLD_OPEN_IPV4_ADDRESSES);
      }),
      { numRuns: 30 },
    );
  });

  test('PGT-NET-001 fires exactly when the reference says the union is world-open', () => {
    fc.assert(
      fc.property(
        fc.array(spelled, { maxLength: 8 }),
        fc.array(spelled, { maxLength: 4 }),
        (allowed, admin) => {
          const t = security(
            allowed.map((a) => a.text),
            admin.map((a) => a.text),
          );
          const reference = referencePublicCount([...allowed, ...admin].map((a) => a.r));
          expect(hits(t, 'PGT-NET-001').length > 0).toBe(BigInt(reference) >= WORLD_OPEN_IPV4_ADDRESSES);
          // The model keeps the canonical spelling: what AWS and pg_hba receive.
          expect(t.security.allowedCidrs).toEqual(allowed.map((a) => formatCidr(parseCidr(a.text))));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("VPC CIDRs fit AWS's limits (/16 to /28)", () => {
  test.each([
    ['10.0.0.0/16', []],
    ['10.0.0.0/15', ['too_big regions[0].cidr']],
    ['10.0.0.0/8', ['too_big regions[0].cidr']],
    ['10.0.0.0/29', ['too_small regions[0].cidr']],
  ])('%s', (cidr, issues) => {
    expect(specIssues((s) => (s.regions[0].cidr = cidr))).toEqual(issues);
  });
});

// Both lists of security groups follow one rule: the clients' and the Prometheus servers'.
const GROUP_LISTS = [
  {
    field: 'security.allowedSecurityGroupIds',
    set: (s: Record<string, any>, v: unknown) => (s.security = { allowedSecurityGroupIds: v }),
    get: (t: Topology) => t.security.allowedSecurityGroupIds,
  },
  {
    field: 'observability.prometheus.allowedSecurityGroupIds',
    set: (s: Record<string, any>, v: unknown) =>
      (s.observability = { prometheus: { allowedSecurityGroupIds: v } }),
    get: (t: Topology) => t.observability.prometheus.allowedSecurityGroupIds,
  },
] as const;

describe.each(GROUP_LISTS)(
  'security groups are named under their own region: $field',
  ({ field, set, get }) => {
    const groups = (value: unknown, regions = 2) =>
      specIssues((s) => {
        if (regions > 1) twoRegions(s);
        set(s, value);
      });
    test.each([
      ['a list in a single-region spec', ['sg-0123456789abcdef0'], 1, []],
      ['a list in a two-region spec', ['sg-0123456789abcdef0'], 2, [`inconsistent ${field}`]],
      ['an empty list in a two-region spec', [], 2, []],
      ['a map with one region left out', { 'us-east-1': ['sg-0123456789abcdef0'] }, 2, []],
      [
        'a map naming each region',
        { 'us-east-1': ['sg-0123456789abcdef0'], 'us-west-2': ['sg-0123456789abcdef1'] },
        2,
        [],
      ],
      [
        'one group under two regions',
        { 'us-east-1': ['sg-0123456789abcdef0'], 'us-west-2': ['sg-0123456789abcdef0'] },
        2,
        [`inconsistent ${field}.us-west-2[0]`],
      ],
      [
        'an unknown region',
        { 'eu-west-9': ['sg-0123456789abcdef0'] },
        2,
        [`unknown_region ${field}.eu-west-9`],
      ],
    ])('%s', (_name, value, regions, issues) => {
      expect(groups(value, regions)).toEqual(issues);
    });

    test('each region gets only its own groups', () => {
      const r = tryResolve(
        variant((s) => {
          twoRegions(s);
          set(s, { 'us-west-2': ['sg-0123456789abcdef1'] });
        }),
      );
      expect(r.ok && get(r.topology)).toEqual({
        'us-west-2': ['sg-0123456789abcdef1'],
      });
    });
  },
);
