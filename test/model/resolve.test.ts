import { describe, expect, test } from 'vitest';
import { FAILOVER_PRESETS } from '../../src/model/constants.js';
import { topologyFrom, tryResolve } from '../../src/model/load.js';
import { contains, parseCidr } from '../../src/spec/cidr.js';
import { example } from '../helpers/examples.js';
import { baseSpec, variant } from '../helpers/spec.js';

describe('example 1: single region', () => {
  const t = example('singleRegion');

  test('one writable cluster with its Patroni scope and its own etcd quorum', () => {
    expect(t.clusters).toEqual([
      {
        scope: 'orders-us-east-1',
        regions: ['us-east-1'],
        role: 'primary',
        members: ['use1-a', 'use1-b', 'use1-c'],
        quorum: 'orders-etcd-us-east-1',
      },
    ]);
    expect(t.etcd).toHaveLength(1);
    expect(t.etcd[0]!.members.map((m) => m.az)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(t.etcd[0]).toMatchObject({
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 1000,
      tls: { client: true, peer: true },
    });
  });

  test('every member and etcd node has a distinct fixed IP inside its AZ subnet', () => {
    const region = t.regions[0]!;
    const nodes = [
      ...t.members.map((m) => ({ az: m.az, ip: m.privateIp })),
      ...t.etcd[0]!.members.map((e) => ({ az: e.az, ip: e.privateIp })),
    ];
    expect(new Set(nodes.map((n) => n.ip)).size).toBe(nodes.length);
    for (const n of nodes) {
      const sub = region.subnets.find((s) => s.az === n.az)!;
      expect(contains(parseCidr(sub.privateCidr), parseCidr(`${n.ip}/32`))).toBe(true);
    }
  });

  test('zero-in-region turns synchronous mode on; every member is sync- and failover-eligible', () => {
    expect(t.durability).toMatchObject({
      rpo: 'zero-in-region',
      synchronousMode: 'on',
      synchronousNodeCount: 1,
    });
    expect(t.members.every((m) => m.syncEligible && m.failoverEligible && m.cascadeDepth === 0)).toBe(true);
  });

  test('failure domains: each member, each AZ, the region; no links with one region', () => {
    const kinds = t.failureDomains.map((d) => `${d.kind}:${d.id}`);
    expect(kinds).toEqual([
      'member:use1-a',
      'member:use1-b',
      'member:use1-c',
      'az:us-east-1a',
      'az:us-east-1b',
      'az:us-east-1c',
      'region:us-east-1',
    ]);
    const az = t.failureDomains.find((d) => d.id === 'us-east-1b')!;
    expect(az).toMatchObject({ members: ['use1-b'], etcdMembers: ['orders-etcd-us-east-1-2'] });
  });

  test('the topology is immutable', () => {
    expect(() => {
      (t.members[0] as { name: string }).name = 'x';
    }).toThrow(TypeError);
  });
});

describe('example 2: standby cluster with a cascading replica', () => {
  const t = example('twoRegionStandby');

  test('the standby cluster has its own scope and quorum and follows the primary cluster', () => {
    expect(t.clusters.map((c) => [c.scope, c.role, c.follows, c.quorum])).toEqual([
      ['orders-us-east-1', 'primary', undefined, 'orders-etcd-us-east-1'],
      ['orders-us-west-2', 'standby', 'orders-us-east-1', 'orders-etcd-us-west-2'],
    ]);
  });

  test('replication graph: sync candidates, async, cascade and standby-cluster edges', () => {
    expect(t.replication).toEqual([
      { kind: 'sync-candidate', from: 'leader:orders-us-east-1', to: 'use1-a' },
      { kind: 'sync-candidate', from: 'leader:orders-us-east-1', to: 'use1-b' },
      { kind: 'async', from: 'leader:orders-us-east-1', to: 'use1-c' },
      { kind: 'async', from: 'leader:orders-us-west-2', to: 'usw2-a' },
      { kind: 'async', from: 'leader:orders-us-west-2', to: 'usw2-b' },
      { kind: 'cascade', from: 'usw2-a', to: 'usw2-c' },
      { kind: 'standby-cluster', from: 'leader:orders-us-east-1', to: 'cluster:orders-us-west-2' },
    ]);
    expect(t.members.find((m) => m.name === 'usw2-c')).toMatchObject({
      cascadeDepth: 1,
      failoverEligible: false,
    });
  });

  test('archive copies default to the standby regions; prefixes per cluster', () => {
    expect(t.archive.copyTo).toEqual(['us-west-2']);
    expect(t.regions.map((r) => r.archiveCopy)).toEqual([false, true]);
    expect(t.archive.prefixes).toEqual({
      'orders-us-east-1': 'orders-us-east-1/',
      'orders-us-west-2': 'orders-us-west-2/',
    });
    expect(t.archive).toMatchObject({ objectLock: 'governance', objectLockDays: 14, expireAfterDays: 22 });
  });

  test('endpoint names per cluster and a global writer', () => {
    expect(t.endpoints.names['orders-us-west-2']).toEqual({
      writer: 'writer.us-west-2.orders.db.internal',
      reader: 'reader.us-west-2.orders.db.internal',
    });
    expect(t.endpoints.globalWriter).toBe('writer.orders.db.internal');
  });

  test('one inter-region link domain', () => {
    expect(t.failureDomains.filter((d) => d.kind === 'link')).toEqual([
      {
        kind: 'link',
        id: 'us-east-1<->us-west-2',
        members: [],
        etcdMembers: [],
        link: ['us-east-1', 'us-west-2'],
      },
    ]);
  });
});

describe('example 3: stretched etcd quorum', () => {
  const t = example('threeRegionStretched');

  test('one quorum, one member per region, timings sized for the inter-region round trip', () => {
    expect(t.etcd).toHaveLength(1);
    expect(t.etcd[0]!.members.map((m) => m.region)).toEqual(['eu-west-1', 'eu-central-1', 'eu-north-1']);
    expect(t.etcd[0]).toMatchObject({
      mode: 'stretched',
      interRegionRttMs: 30,
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 1000,
    });
    expect(new Set(t.clusters.map((c) => c.quorum))).toEqual(new Set(['ledger-etcd']));
  });

  test('three links between three regions', () => {
    expect(t.failureDomains.filter((d) => d.kind === 'link')).toHaveLength(3);
  });
});

describe('derived facts', () => {
  test.each([
    ['conservative', {}, FAILOVER_PRESETS.conservative.timers],
    ['balanced', {}, { ttl: 20, loopWait: 5, retryTimeout: 5, maximumLagOnFailover: 1048576 }],
    ['fast', { ttl: 12 }, { ttl: 12, loopWait: 2, retryTimeout: 4, maximumLagOnFailover: 1048576 }],
  ] as const)('profile %s with overrides %j', (profile, overrides, timers) => {
    const t = topologyFrom({ ...baseSpec(), failover: { profile, ...overrides } });
    expect(t.failover.timers).toEqual(timers);
  });

  test('conservative equals Patroni defaults', () => {
    expect(FAILOVER_PRESETS.conservative.timers).toEqual({
      ttl: 30,
      loopWait: 10,
      retryTimeout: 10,
      maximumLagOnFailover: 1048576,
    });
  });

  test('a stretched quorum over far regions gets heartbeat = round trip, election = 10x', () => {
    const t = topologyFrom({ ...baseSpec(), dcs: { mode: 'stretched', interRegionRttMs: 150 } });
    expect(t.etcd[0]).toMatchObject({ heartbeatIntervalMs: 150, electionTimeoutMs: 1500 });
  });

  test.each([
    [
      ['use1-b', undefined, undefined],
      [1, 0, 0],
    ],
    [
      ['use1-b', 'use1-c', undefined],
      [2, 1, 0],
    ],
    [
      ['use1-b', 'use1-c', 'use1-a'],
      [Infinity, Infinity, Infinity],
    ],
  ])('cascade depth with replicateFrom %j', (upstreams, depths) => {
    const spec = variant((s) => {
      upstreams.forEach((u, i) => {
        if (u) s.regions[0].members[i].replicateFrom = u;
      });
    });
    const r = tryResolve(spec);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.topology.members.map((m) => m.cascadeDepth)).toEqual(depths);
    expect(r.topology.members.map((m) => m.syncEligible)).toEqual(upstreams.map((u) => u === undefined));
  });

  test('co-located etcd members share their host member address', () => {
    const t = topologyFrom({ ...baseSpec(), dcs: { mode: 'per-region', placement: 'co-located' } });
    expect(t.etcd[0]!.members.map((e) => [e.colocatedWith, e.privateIp])).toEqual(
      t.members.map((m) => [m.name, m.privateIp]),
    );
    expect(t.failureDomains.find((d) => d.id === 'use1-a')!.etcdMembers).toEqual(['orders-etcd-us-east-1-1']);
  });

  test('a stretched DCS joins a second primary-role region into the primary cluster', () => {
    const spec = variant((s) => {
      s.dcs = { mode: 'stretched' };
      s.regions.push({
        name: 'us-east-2',
        role: 'primary',
        cidr: '10.11.0.0/16',
        azs: ['us-east-2a'],
        members: [{ name: 'use2-a', az: 'us-east-2a' }],
      });
    });
    const r = tryResolve(spec);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.topology.clusters).toHaveLength(1);
    expect(r.topology.clusters[0]).toMatchObject({
      regions: ['us-east-1', 'us-east-2'],
      members: ['use1-a', 'use1-b', 'use1-c', 'use2-a'],
    });
    expect(r.topology.members.find((m) => m.name === 'use2-a')!.syncEligible).toBe(true);
  });
});
