import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FleetSynthResult, synthesizeFleet } from '../../src/aws/fleet.js';
import { fleetReviewMarkdown } from '../../src/cli/fleet.js';
import { resolveFleet } from '../../src/model/fleet.js';
import { coordinatorSql } from '../../src/render/shard-coordinator.js';
import { fleetVariant, westStandby } from './helpers.js';

type Json = {
  resource?: Record<string, Record<string, Record<string, any>>>;
  provider?: Record<string, Record<string, any>[]>;
  output?: Record<string, any>;
};
const dir = mkdtempSync(join(tmpdir(), 'pgt-fleetrouting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A reference to a local's attribute, as the synthesized JSON writes it. */
const local = (path: string) => `\${local.${path}}`;
const read = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;
const resources = (j: Json, type: string): Record<string, any>[] =>
  Object.entries(j.resource?.[type] ?? {}).map(([id, r]) => ({ id, ...r }));
/** The text of every synthesized file of a fleet (for the no-secret check). */
const everyFile = (r: FleetSynthResult) =>
  [...r.clusters.flatMap((c) => c.stacks), ...r.routing.stacks].map((s) => readFileSync(s.file, 'utf8'));

/** Moves the template (every shard) to us-west-2: the catalog in us-east-1 then peers across regions. */
function westShards(s: Record<string, any>) {
  s.shards = 2;
  s.template.primaryRegion = 'us-west-2';
  const r = s.template.regions[0];
  r.name = 'us-west-2';
  r.azs = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
  r.members = r.members.map((m: any, i: number) => ({ ...m, az: r.azs[i] }));
}

describe('the routing tier of a 2-shard fleet (catalog coordinates, all in us-east-1)', () => {
  let r: FleetSynthResult;
  let routing: Json;
  beforeAll(() => {
    r = synthesizeFleet(resolveFleet(fleetVariant((s) => (s.shards = 2))), join(dir, 'same'));
    expect(r.routing.stacks.map((s) => s.id)).toEqual(['shop-routing-us-east-1']);
    routing = read(r.routing.stacks[0]!.file);
  }, 120_000);

  test('each shard VPC gets its own CIDR, as the model numbers it', () => {
    const cidrs = r.clusters.map((c) => {
      const region = read(c.stacks.find((s) => s.id.endsWith('us-east-1'))!.file);
      return `${c.name} ${resources(region, 'aws_vpc').map((v) => v.cidr_block)}`;
    });
    expect(cidrs).toEqual(['shop-s00 10.10.0.0/16', 'shop-s01 10.11.0.0/16', 'shop-catalog 10.9.0.0/16']);
  });

  test('one peering per shard, from the coordinator VPC to the shard VPC, accepted on the shard side', () => {
    const peerings = resources(routing, 'aws_vpc_peering_connection');
    expect(peerings.map((p) => [p.vpc_id, p.peer_vpc_id, p.peer_region, p.auto_accept])).toEqual([
      [local('shop-catalog-us-east-1.vpc_id'), local('shop-s00-us-east-1.vpc_id'), 'us-east-1', false],
      [local('shop-catalog-us-east-1.vpc_id'), local('shop-s01-us-east-1.vpc_id'), 'us-east-1', false],
    ]);
    const accepters = resources(routing, 'aws_vpc_peering_connection_accepter');
    expect(accepters).toHaveLength(2);
    expect(accepters.every((a) => a.auto_accept === true)).toBe(true);
  });

  test('routes for exactly the peer CIDR in every private route table of both VPCs', () => {
    const routes = resources(routing, 'aws_route').map(
      (x) =>
        `${x.route_table_id.replace(/^\$\{local\.|\.private_route_table_ids\[\d\]\}$/g, '')} -> ${x.destination_cidr_block}`,
    );
    const count = (s: string) => routes.filter((x) => x === s).length;
    // Three AZs, one private route table each.
    expect(count('shop-catalog-us-east-1 -> 10.10.0.0/16')).toBe(3);
    expect(count('shop-catalog-us-east-1 -> 10.11.0.0/16')).toBe(3);
    expect(count('shop-s00-us-east-1 -> 10.9.0.0/16')).toBe(3);
    expect(count('shop-s01-us-east-1 -> 10.9.0.0/16')).toBe(3);
    expect(routes).toHaveLength(12);
    expect(resources(routing, 'aws_route').every((x) => x.vpc_peering_connection_id)).toBe(true);
  });

  test('load balancer ingress: the writer port postgres_fdw dials, from the coordinator CIDR only', () => {
    const rules = resources(routing, 'aws_vpc_security_group_ingress_rule');
    expect(
      rules.map((x) => [x.security_group_id, x.ip_protocol, x.from_port, x.to_port, x.cidr_ipv4]),
    ).toEqual([
      [
        local('shop-s00-us-east-1.endpoint_security_group_ids.shop-s00-us-east-1'),
        'tcp',
        5432,
        5432,
        '10.9.0.0/16',
      ],
      [
        local('shop-s01-us-east-1.endpoint_security_group_ids.shop-s01-us-east-1'),
        'tcp',
        5432,
        5432,
        '10.9.0.0/16',
      ],
    ]);
    // The port is the one the coordinator's postgres_fdw servers name.
    const f = resolveFleet(fleetVariant((s) => (s.shards = 2)));
    if (!f.ok) throw new Error('fleet');
    expect(coordinatorSql(f.fleet)).toContain(`port '${rules[0]!.from_port}'`);
    expect(JSON.stringify(routing)).not.toContain('0.0.0.0/0');
    expect(resources(routing, 'aws_security_group_rule')).toEqual([]);
  });

  test("each shard's private zone is associated with the coordinator VPC; the shard keeps its zone's other VPCs apart", () => {
    const assoc = resources(routing, 'aws_route53_zone_association');
    expect(assoc.map((a) => [a.zone_id, a.vpc_id, a.vpc_region])).toEqual([
      [local('shop-s00-global.zone_id'), local('shop-catalog-us-east-1.vpc_id'), 'us-east-1'],
      [local('shop-s01-global.zone_id'), local('shop-catalog-us-east-1.vpc_id'), 'us-east-1'],
    ]);
    const shardGlobal = read(r.clusters[0]!.stacks.find((s) => s.id === 'shop-s00-global')!.file);
    const zone = resources(shardGlobal, 'aws_route53_zone')[0]!;
    expect(zone.lifecycle).toEqual({ ignore_changes: ['vpc'] });
    expect(zone.vpc).toHaveLength(1);
    expect(shardGlobal.output?.zone_id).toBeDefined();
    const shardRegion = read(r.clusters[0]!.stacks.find((s) => s.id === 'shop-s00-us-east-1')!.file);
    expect(Object.keys(shardRegion.output?.endpoint_security_group_ids?.value ?? {})).toEqual([
      'shop-s00-us-east-1',
    ]);
  });

  test('no secret value in any synthesized file', () => {
    for (const text of everyFile(r)) {
      expect(text).not.toMatch(/"password"\s*:/i);
      expect(text).not.toMatch(/secret_string"\s*:/);
    }
  });
});

describe('the routing tier across regions (shards in us-west-2, the catalog in us-east-1)', () => {
  test('peer_region and the accepter, the shard-side routes, ingress and zone association use the shard region', () => {
    const r = synthesizeFleet(resolveFleet(fleetVariant(westShards)), join(dir, 'cross'));
    const j = read(r.routing.stacks[0]!.file);
    expect(r.routing.stacks.map((s) => s.id)).toEqual(['shop-routing-us-east-1']);
    expect(j.provider?.aws?.map((p) => p.alias ?? p.region)).toEqual(['us-east-1', 'us-west-2']);
    const peerings = resources(j, 'aws_vpc_peering_connection');
    expect(peerings.map((p) => [p.provider, p.peer_region])).toEqual([
      ['aws', 'us-west-2'],
      ['aws', 'us-west-2'],
    ]);
    expect(resources(j, 'aws_vpc_peering_connection_accepter').map((a) => a.provider)).toEqual([
      'aws.us-west-2',
      'aws.us-west-2',
    ]);
    const shardRoutes = resources(j, 'aws_route').filter((x) => x.destination_cidr_block === '10.9.0.0/16');
    expect(shardRoutes).toHaveLength(6);
    expect(shardRoutes.every((x) => x.provider === 'aws.us-west-2')).toBe(true);
    expect(resources(j, 'aws_vpc_security_group_ingress_rule').map((x) => x.provider)).toEqual([
      'aws.us-west-2',
      'aws.us-west-2',
    ]);
    expect(resources(j, 'aws_route53_zone_association').map((a) => [a.provider, a.vpc_region])).toEqual([
      ['aws.us-west-2', 'us-east-1'],
      ['aws.us-west-2', 'us-east-1'],
    ]);
  }, 120_000);
});

describe('a shard whose clients are exactly the coordinator CIDR', () => {
  test('gets no second writer-port rule (its own stack has it; AWS refuses a duplicate rule)', () => {
    const r = synthesizeFleet(
      resolveFleet(
        fleetVariant((s) => {
          s.shards = 2;
          s.template.security.allowedCidrs = ['10.9.0.0/16'];
        }),
      ),
      join(dir, 'exact'),
    );
    expect(resources(read(r.routing.stacks[0]!.file), 'aws_vpc_security_group_ingress_rule')).toEqual([]);
    const shard = read(r.clusters[0]!.stacks.find((s) => s.id === 'shop-s00-us-east-1')!.file);
    const writer = resources(shard, 'aws_vpc_security_group_ingress_rule').filter(
      (x) =>
        x.cidr_ipv4 === '10.9.0.0/16' && x.from_port === 5432 && /endpoints-.*_sg_/.test(x.security_group_id),
    );
    expect(writer).toHaveLength(1);
  }, 120_000);
});

describe('the fleet review lists the routing tier network', () => {
  test('one row per peering: routing VPC, shard VPC, the writer port from the routing CIDR', () => {
    const r = resolveFleet(fleetVariant((s) => (s.shards = 2)));
    if (!r.ok) throw new Error('fleet');
    const { markdown } = fleetReviewMarkdown(r, 'fleet.yaml');
    expect(markdown).toContain('## Routing tier network');
    expect(markdown).toContain(
      '| coordinator shop-catalog | us-east-1 | 10.9.0.0/16 | shop-s01 | us-east-1 | 10.11.0.0/16 | tcp/5432 from 10.9.0.0/16 |',
    );
  });
});

describe('remote state', () => {
  test("the routing stack reads each cluster's outputs from the key that cluster's stack writes", () => {
    const r = synthesizeFleet(resolveFleet(fleetVariant((s) => (s.shards = 2))), join(dir, 's3'), {
      state: { bucket: 'pgtopo-state-test', prefix: 'teams/shop' },
    });
    const routing = JSON.parse(readFileSync(r.routing.stacks[0]!.file, 'utf8')) as Record<string, any>;
    expect(routing.terraform.backend.s3.key).toBe('teams/shop/shop-routing-us-east-1.tfstate');
    const reads = routing.data.terraform_remote_state as Record<string, { config: Record<string, unknown> }>;
    const written = r.clusters.flatMap((c) =>
      c.stacks.map((s) => JSON.parse(readFileSync(s.file, 'utf8')).terraform.backend.s3),
    );
    const read = Object.values(reads).map((x) => x.config);
    expect(read).toHaveLength(5);
    for (const config of read) {
      const origin = written.find((w) => w.key === config.key);
      expect(origin).toBeDefined();
      expect([config.bucket, config.region]).toEqual([origin.bucket, origin.region]);
    }
  }, 120_000);
});

describe('a separate coordinator in two regions, beside the catalog', () => {
  test('a routing stack per region; every routing VPC peers with each shard writer VPC, once', () => {
    const r = synthesizeFleet(
      resolveFleet(
        fleetVariant((s) => {
          s.shards = 2;
          s.coordinator = structuredClone(s.catalog);
          s.coordinator.name = 'shop-coord';
          s.coordinator.regions[0].cidr = '10.30.0.0/16';
          s.coordinator.regions[0].members = s.coordinator.regions[0].members.map((m: any) => ({
            ...m,
            name: `co-${m.name}`,
          }));
          s.coordinator.regions.push(westStandby('10.31.0.0/16', 'co-w'));
        }),
      ),
      join(dir, 'coord'),
    );
    expect(r.routing.stacks.map((s) => s.id)).toEqual(['shop-routing-us-east-1', 'shop-routing-us-west-2']);
    const [east, west] = r.routing.stacks.map((s) => read(s.file));
    const pairs = (j: Json) =>
      resources(j, 'aws_vpc_peering_connection')
        .map((p) => `${p.vpc_id} ${p.peer_vpc_id} ${p.peer_region}`)
        .sort();
    expect(pairs(east!)).toEqual([
      `${local('shop-catalog-us-east-1.vpc_id')} ${local('shop-s00-us-east-1.vpc_id')} us-east-1`,
      `${local('shop-catalog-us-east-1.vpc_id')} ${local('shop-s01-us-east-1.vpc_id')} us-east-1`,
      `${local('shop-coord-us-east-1.vpc_id')} ${local('shop-s00-us-east-1.vpc_id')} us-east-1`,
      `${local('shop-coord-us-east-1.vpc_id')} ${local('shop-s01-us-east-1.vpc_id')} us-east-1`,
    ]);
    expect(pairs(west!)).toEqual([
      `${local('shop-coord-us-west-2.vpc_id')} ${local('shop-s00-us-east-1.vpc_id')} us-east-1`,
      `${local('shop-coord-us-west-2.vpc_id')} ${local('shop-s01-us-east-1.vpc_id')} us-east-1`,
    ]);
    expect(
      resources(west!, 'aws_vpc_security_group_ingress_rule').map((x) => [
        x.provider,
        x.from_port,
        x.cidr_ipv4,
      ]),
    ).toEqual([
      ['aws.us-east-1', 5432, '10.31.0.0/16'],
      ['aws.us-east-1', 5432, '10.31.0.0/16'],
    ]);
    // The west coordinator VPC: three route tables (three AZs), each with one route to each shard.
    const westRoutes = resources(west!, 'aws_route').filter((x) => x.provider === 'aws');
    expect(westRoutes.map((x) => x.destination_cidr_block).sort()).toEqual([
      ...Array(3).fill('10.10.0.0/16'),
      ...Array(3).fill('10.11.0.0/16'),
    ]);
  }, 120_000);
});

/** Slot 5 moves 0 -> 1, slots 16-19 move 1 -> 3 and slot 48 moves 3 -> 1 (a move each way between 1 and 3). */
function withMoves(s: Record<string, any>) {
  s.strategy.assignments = [
    { shard: 0, slots: '0-4' },
    { shard: 1, slots: 5 },
    { shard: 0, slots: '6-15' },
    { shard: 3, slots: '16-19' },
    { shard: 1, slots: '20-31' },
    { shard: 2, slots: '32-47' },
    { shard: 1, slots: 48 },
    { shard: 3, slots: '49-63' },
  ];
  s.moves = [
    { slots: 5, from: 0, to: 1 },
    { slots: '16-19', from: 1, to: 3 },
    { slots: 48, from: 3, to: 1 },
  ];
}

describe('declared moves: the target shard reaches the source shard writer', () => {
  test('one peering per pair of shards (shared by a move each way), ingress and zone association per direction', () => {
    const r = synthesizeFleet(resolveFleet(fleetVariant(withMoves)), join(dir, 'moves'));
    expect(r.routing.stacks.map((s) => s.id)).toEqual(['shop-routing-us-east-1']);
    const j = read(r.routing.stacks[0]!.file);
    const peerings = resources(j, 'aws_vpc_peering_connection').map((p) => p.tags.Name);
    expect(peerings.filter((n: string) => !n.startsWith('shop-catalog')).sort()).toEqual([
      'shop-s01<->shop-s00',
      'shop-s03<->shop-s01',
    ]);
    // The four coordinator peerings stay.
    expect(peerings.filter((n: string) => n.startsWith('shop-catalog'))).toHaveLength(4);
    const ingress = resources(j, 'aws_vpc_security_group_ingress_rule')
      .filter((x) => x.cidr_ipv4 !== '10.9.0.0/16')
      .map(
        (x) =>
          `${x.cidr_ipv4} -> ${x.security_group_id.replace(/^.*\./, '').replace(/\}$/, '')}:${x.from_port}`,
      )
      .sort();
    expect(ingress).toEqual([
      '10.11.0.0/16 -> shop-s00-us-east-1:5432',
      '10.11.0.0/16 -> shop-s03-us-east-1:5432',
      '10.13.0.0/16 -> shop-s01-us-east-1:5432',
    ]);
    const zones = resources(j, 'aws_route53_zone_association')
      .map((a) => `${a.zone_id} ${a.vpc_id}`)
      .filter((x) => !x.includes('shop-catalog'))
      .sort();
    expect(zones).toEqual([
      `${local('shop-s00-global.zone_id')} ${local('shop-s01-us-east-1.vpc_id')}`,
      `${local('shop-s01-global.zone_id')} ${local('shop-s03-us-east-1.vpc_id')}`,
      `${local('shop-s03-global.zone_id')} ${local('shop-s01-us-east-1.vpc_id')}`,
    ]);
    // Routes of the shared peering: each side's route tables to exactly the other's CIDR, once.
    const routes = resources(j, 'aws_route')
      .filter((x) => x.vpc_peering_connection_id.includes('shop-s03-to-shop-s01'))
      .map(
        (x) =>
          `${x.route_table_id.replace(/^\$\{local\.|\.private_route_table_ids\[\d\]\}$/g, '')} ${x.destination_cidr_block}`,
      );
    expect(routes.sort()).toEqual([
      ...Array(3).fill('shop-s01-us-east-1 10.13.0.0/16'),
      ...Array(3).fill('shop-s03-us-east-1 10.11.0.0/16'),
    ]);
  }, 120_000);
});
