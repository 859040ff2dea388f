import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { resolveFleet } from '../../src/model/fleet.js';
import { routingPaths, shardCapacity, shardCidr } from '../../src/model/fleet-network.js';
import { overlaps, parseCidr } from '../../src/spec/cidr.js';
import { fleetOf, fleetProblems, fleetVariant, westStandby } from './helpers.js';

/** Every VPC CIDR of a resolved fleet, as `cluster region cidr`. */
function vpcs(edit: (s: Record<string, any>) => void): { cluster: string; region: string; cidr: string }[] {
  const r = resolveFleet(fleetVariant(edit));
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.code} ${i.path.join('.')}`).join('\n'));
  return r.clusters.flatMap((c) =>
    c.topology.regions.map((x) => ({ cluster: c.topology.name, region: x.name, cidr: x.cidr })),
  );
}

describe('a fleet numbers every shard its own VPC CIDRs', () => {
  test.each([
    ['10.10.0.0/16', 0, '10.10.0.0/16'],
    ['10.10.0.0/16', 3, '10.13.0.0/16'],
    ['10.255.0.0/16', 1, undefined],
    ['10.10.0.0/20', 17, '10.11.16.0/20'],
    ['172.16.0.0/16', 15, '172.31.0.0/16'],
    ['172.16.0.0/16', 16, undefined],
    ['192.168.0.0/20', 15, '192.168.240.0/20'],
    ['100.64.0.0/16', 63, '100.127.0.0/16'],
    ['8.8.0.0/16', 0, '8.8.0.0/16'],
    ['8.8.0.0/16', 1, undefined],
  ])('template %s, shard %i -> %s', (template, index, expected) => {
    expect(shardCidr(template, index)).toBe(expected);
  });

  test('the example: shards count up from the template, the catalog keeps its own', () => {
    expect(vpcs(() => {}).map((v) => `${v.cluster} ${v.cidr}`)).toEqual([
      'shop-s00 10.10.0.0/16',
      'shop-s01 10.11.0.0/16',
      'shop-s02 10.12.0.0/16',
      'shop-s03 10.13.0.0/16',
      'shop-catalog 10.9.0.0/16',
    ]);
  });

  test('the example grows to 246 shards (10.10.0.0/16 up to 10.255.0.0/16) and no further', () => {
    expect(shardCapacity('10.10.0.0/16')).toBe(246);
    expect(fleetProblems((s) => (s.shards = 247))).toEqual(['cidr_too_small template.regions[0].cidr']);
  });

  test('adding shards keeps every existing shard its CIDRs (growth renumbers nothing)', () => {
    const two = vpcs((s) => (s.shards = 2)).filter((v) => v.cluster.startsWith('shop-s'));
    const nine = vpcs((s) => (s.shards = 9)).filter((v) => v.cluster.startsWith('shop-s'));
    // Shard names widen with the count (s00 stays s00 up to 100 shards): compare by index.
    expect(nine.slice(0, 2).map((v) => v.cidr)).toEqual(two.map((v) => v.cidr));
  });

  test('every region of a multi-region template is numbered on its own', () => {
    const two = vpcs((s) => {
      s.shards = 3;
      s.template.regions.push(westStandby('10.128.0.0/16'));
    });
    expect(two.filter((v) => v.region === 'us-west-2').map((v) => `${v.cluster} ${v.cidr}`)).toEqual([
      'shop-s00 10.128.0.0/16',
      'shop-s01 10.129.0.0/16',
      'shop-s02 10.130.0.0/16',
    ]);
  });

  test.each([
    // 10.250/16 numbers 6 shards before leaving 10.0.0.0/8.
    [
      'a template too close to the end of its private block',
      (s: any) => {
        s.shards = 7;
        s.template.regions[0].cidr = '10.250.0.0/16';
      },
      'cidr_too_small template.regions[0].cidr',
    ],
    [
      'a template outside private space numbers only shard 0',
      (s: any) => {
        s.template.regions[0].cidr = '8.8.0.0/16';
        s.template.security.allowedCidrs = ['8.8.0.0/8'];
      },
      'cidr_too_small template.regions[0].cidr',
    ],
    [
      'a catalog CIDR inside the shards numbered range (shard 3 is 10.13.0.0/16)',
      (s: any) => (s.catalog.regions[0].cidr = '10.13.0.0/16'),
      'cidr_overlap catalog.regions[0].cidr',
    ],
    [
      "template regions one block apart: shard 1's first region is shard 0's second",
      (s: any) => {
        s.shards = 2;
        s.template.regions.push(westStandby('10.11.0.0/16'));
      },
      'cidr_overlap template.regions[1].cidr',
    ],
    [
      'a coordinator overlapping the catalog',
      (s: any) => {
        s.coordinator = { ...structuredClone(s.catalog), name: 'shop-router' };
        s.coordinator.regions[0].members = s.coordinator.regions[0].members.map((m: any) => ({
          ...m,
          name: `r-${m.name}`,
        }));
      },
      'cidr_overlap coordinator.regions[0].cidr',
    ],
  ])('%s: an issue with its code and path', (_, edit, expected) => {
    expect(fleetProblems(edit)).toContain(expected);
  });

  test("an address replaces one shard's numbered block in one region; the others keep theirs", () => {
    const cidrs = vpcs((s) => {
      s.addresses = [{ shard: 2, region: 'us-east-1', cidr: '10.99.0.0/16' }];
    }).map((v) => `${v.cluster} ${v.cidr}`);
    expect(cidrs.slice(0, 4)).toEqual([
      'shop-s00 10.10.0.0/16',
      'shop-s01 10.11.0.0/16',
      'shop-s02 10.99.0.0/16',
      'shop-s03 10.13.0.0/16',
    ]);
  });

  test('the last shards given addresses need no numbered block', () => {
    const edit = (s: any) => {
      s.shards = 7;
      s.template.regions[0].cidr = '10.250.0.0/16';
    };
    expect(fleetProblems(edit)).toEqual(['cidr_too_small template.regions[0].cidr']);
    expect(
      fleetProblems((s) => {
        edit(s);
        s.addresses = [{ shard: 6, region: 'us-east-1', cidr: '10.100.0.0/16' }];
      }),
    ).toEqual([]);
  });

  test.each([
    [
      'an address overlapping another shard',
      [{ shard: 2, region: 'us-east-1', cidr: '10.11.0.0/16' }],
      'cidr_overlap addresses[0].cidr',
    ],
    [
      'an address overlapping the catalog',
      [{ shard: 0, region: 'us-east-1', cidr: '10.9.0.0/16' }],
      'cidr_overlap catalog.regions[0].cidr',
    ],
    [
      'a shard the fleet does not have',
      [{ shard: 4, region: 'us-east-1', cidr: '10.99.0.0/16' }],
      'invalid_value addresses[0].shard',
    ],
    [
      'a region the template does not have',
      [{ shard: 1, region: 'us-west-2', cidr: '10.99.0.0/16' }],
      'unknown_region addresses[0].region',
    ],
    [
      'a shard and region given twice',
      [
        { shard: 1, region: 'us-east-1', cidr: '10.98.0.0/16' },
        { shard: 1, region: 'us-east-1', cidr: '10.99.0.0/16' },
      ],
      'duplicate_name addresses[1]',
    ],
    [
      'not a CIDR',
      [{ shard: 1, region: 'us-east-1', cidr: '10.99.0.0' }],
      'invalid_format addresses[0].cidr',
    ],
  ])('%s: an issue with its code and path', (_, addresses, expected) => {
    expect(fleetProblems((s) => (s.addresses = addresses))).toContain(expected);
  });

  test('the numbering issue says what was found and what is expected', () => {
    const r = resolveFleet(
      fleetVariant((s) => {
        s.shards = 7;
        s.template.regions[0].cidr = '10.250.0.0/16';
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({
      code: 'cidr_too_small',
      path: ['template', 'regions', 0, 'cidr'],
      found: expect.stringContaining('6 shard(s)'),
      expected: expect.stringContaining('7 consecutive /16 blocks'),
    });
  });

  test('property: for 2..64 shards no two VPCs of the fleet overlap, and shard i keeps its CIDR', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.constantFrom('10.64.0.0/16', '10.0.0.0/18', '172.16.0.0/20', '100.64.0.0/16'),
        (shards, template) => {
          const all = vpcs((s) => {
            s.shards = shards;
            s.template.regions[0].cidr = template;
            s.template.security.allowedCidrs = ['10.0.0.0/8', '172.16.0.0/12', '100.64.0.0/10'];
            s.catalog.regions[0].cidr = '192.168.0.0/16';
          });
          expect(all).toHaveLength(shards + 1);
          for (const [i, a] of all.entries())
            for (const b of all.slice(i + 1))
              expect(overlaps(parseCidr(a.cidr), parseCidr(b.cidr))).toBe(false);
          // Reference: shard i is the template plus i blocks of its size.
          const t = parseCidr(template);
          all.slice(0, shards).forEach((v, i) => {
            expect(parseCidr(v.cidr)).toEqual({ base: t.base + i * 2 ** (32 - t.prefix), prefix: t.prefix });
          });
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);

  test('capacity is the room left in the private block', () => {
    expect(shardCapacity('10.250.0.0/16')).toBe(6);
    expect(shardCapacity('10.0.0.0/16')).toBe(256);
    expect(shardCapacity('8.8.0.0/16')).toBe(1);
  });
});

describe('the routing tier network paths', () => {
  test('the coordinator (here the catalog) reaches each shard writer on the writer port', () => {
    const f = fleetOf((s) => (s.shards = 2));
    expect(routingPaths(f)).toEqual([
      {
        from: { cluster: 'shop-catalog', role: 'coordinator', region: 'us-east-1', cidr: '10.9.0.0/16' },
        to: {
          shard: 0,
          cluster: 'shop-s00',
          scope: 'shop-s00-us-east-1',
          region: 'us-east-1',
          cidr: '10.10.0.0/16',
        },
        port: 5432,
      },
      {
        from: { cluster: 'shop-catalog', role: 'coordinator', region: 'us-east-1', cidr: '10.9.0.0/16' },
        to: {
          shard: 1,
          cluster: 'shop-s01',
          scope: 'shop-s01-us-east-1',
          region: 'us-east-1',
          cidr: '10.11.0.0/16',
        },
        port: 5432,
      },
    ]);
  });

  test('each declared move adds one path from the target shard to the source shard writer, once per ordered pair', () => {
    const f = fleetOf((s) => {
      s.strategy.assignments = [
        { shard: 0, slots: '0-4' },
        { shard: 1, slots: '5-6' },
        { shard: 0, slots: '7-15' },
        { shard: 1, slots: '16-31' },
        { shard: 2, slots: '32-47' },
        { shard: 3, slots: '48-63' },
      ];
      s.moves = [
        { slots: 5, from: 0, to: 1 },
        { slots: 6, from: 0, to: 1 },
      ];
    });
    const moves = routingPaths(f).filter((p) => p.from.role === 'shard');
    expect(
      moves.map((p) => `${p.from.cluster} ${p.from.cidr} -> ${p.to.cluster} ${p.to.cidr}:${p.port}`),
    ).toEqual(['shop-s01 10.11.0.0/16 -> shop-s00 10.10.0.0/16:5432']);
  });
});
