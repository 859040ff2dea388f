/**
 * Every rule: at least one layout it rejects and one it accepts, asserted on rule id and spec path.
 * Layouts go through the real parser (spec variants); facts the schema or the model already rule out
 * are hand-built on a resolved topology.
 */
import { describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { RULES, ruleById } from '../../src/policy/index.js';
import { lowerOnStandby } from '../../src/policy/rules/hot-standby-parameters-match.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { EXAMPLE_NAMES, example } from '../helpers/examples.js';
import { logicalSpec } from '../logical/fixtures.js';
import { findings, handBuilt, hits, layout, threeRegions, twoRegions } from './helpers.js';

const ARN_EAST = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN_WEST = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Case = readonly [ruleId: string, what: string, build: () => Topology, paths: readonly string[]];

const REJECTS: readonly Case[] = [
  // etcd
  [
    'PGT-ETCD-001',
    'four etcd members',
    () => layout((s) => (s.dcs = { mode: 'per-region', membersPerRegion: 4 })),
    ['dcs.membersPerRegion'],
  ],
  [
    'PGT-ETCD-001',
    'one stretched member',
    () =>
      layout((s) => {
        threeRegions(s);
        s.dcs = { mode: 'stretched', members: 1 };
      }),
    ['dcs.members'],
  ],
  [
    'PGT-ETCD-002',
    'two AZs hold three etcd members',
    () =>
      layout((s) => {
        s.regions[0].azs = ['us-east-1a', 'us-east-1b'];
        s.regions[0].members[2].az = 'us-east-1a';
      }),
    ['regions[0].azs'],
  ],
  [
    'PGT-ETCD-002',
    'co-located on members in two AZs',
    () =>
      layout((s) => {
        s.dcs = { mode: 'per-region', placement: 'co-located' };
        s.regions[0].members[2].az = 'us-east-1a';
      }),
    ['dcs.placement'],
  ],
  [
    'PGT-ETCD-003',
    'stretched over exactly two regions',
    () =>
      layout((s) => {
        twoRegions(s);
        s.dcs = { mode: 'stretched' };
      }),
    ['dcs.regions'],
  ],
  [
    'PGT-ETCD-003',
    'one region holds half of a stretched quorum',
    () =>
      layout((s) => {
        threeRegions(s);
        s.dcs = { mode: 'stretched', members: 4 };
      }),
    ['dcs.members'],
  ],
  [
    'PGT-ETCD-004',
    'heartbeat far below the round trip',
    () =>
      layout((s) => {
        threeRegions(s);
        s.dcs = { mode: 'stretched', heartbeatIntervalMs: 20, electionTimeoutMs: 1000, interRegionRttMs: 80 };
      }),
    ['dcs.heartbeatIntervalMs (warning)'],
  ],
  [
    'PGT-ETCD-004',
    'election timeout below 5 heartbeats (etcd refuses to start)',
    () => layout((s) => (s.dcs = { mode: 'per-region', heartbeatIntervalMs: 100, electionTimeoutMs: 400 })),
    ['dcs.electionTimeoutMs'],
  ],
  [
    'PGT-ETCD-004',
    'an etcd election outlasts a retry_timeout the spec sets',
    () =>
      layout((s) => {
        s.dcs = { mode: 'per-region', heartbeatIntervalMs: 300, electionTimeoutMs: 3000 };
        s.failover = { retryTimeout: 5 };
      }),
    ['failover.retryTimeout'],
  ],
  [
    'PGT-ETCD-005',
    'client TLS off',
    () => layout((s) => (s.dcs = { mode: 'per-region', tls: { client: false, peer: true } })),
    ['dcs.tls.client'],
  ],
  [
    'PGT-ETCD-005',
    'peer TLS off',
    () => layout((s) => (s.dcs = { mode: 'per-region', tls: { client: true, peer: false } })),
    ['dcs.tls.peer'],
  ],
  // Patroni
  [
    'PGT-PAT-001',
    'loop_wait + 2 x retry_timeout > ttl',
    () => layout((s) => (s.failover = { ttl: 20, loopWait: 10, retryTimeout: 6 })),
    ['failover.ttl'],
  ],
  [
    'PGT-PAT-001',
    'retry_timeout below 3',
    () => layout((s) => (s.failover = { retryTimeout: 2 })),
    ['failover.retryTimeout'],
  ],
  [
    'PGT-PAT-001',
    'the fast profile (ttl 10) on Patroni 3.0.2 warns',
    () =>
      layout((s) => {
        s.failover = { profile: 'fast' };
        s.hosts = { os: 'debian-12' };
        s.postgres = { version: 15 };
      }),
    ['failover.profile (warning)'],
  ],
  [
    'PGT-PAT-001',
    'ttl 19 set on debian-13, whose Patroni raises it to 20',
    () => layout((s) => (s.failover = { ttl: 19, loopWait: 1, retryTimeout: 3 })),
    ['failover.ttl'],
  ],
  [
    'PGT-REL-001',
    'debian-12: Patroni 3.0.2 puts the leader key without a compare',
    () =>
      layout((s) => {
        s.hosts = { os: 'debian-12' };
        s.postgres = { version: 15 };
      }),
    ['hosts.os (warning)'],
  ],
  [
    'PGT-PAT-001',
    'loop_wait below 1 (hand-built)',
    () => handBuilt(layout(), (t) => (t.failover.timers.loopWait = 0)),
    ['failover.profile'],
  ],
  [
    'PGT-PAT-002',
    'one failover-eligible member',
    () =>
      layout((s) => {
        s.regions[0].members[1].tags = { nofailover: true };
        s.regions[0].members[2].tags = { nofailover: true };
      }),
    ['regions[0].members'],
  ],
  [
    'PGT-PAT-002',
    'two candidates in one AZ',
    () =>
      layout((s) => {
        s.regions[0].members[1].az = 'us-east-1a';
        s.regions[0].members[2].tags = { nofailover: true };
      }),
    ['regions[0].members'],
  ],
  [
    'PGT-PAT-003',
    'more synchronous standbys than candidates',
    () => layout((s) => (s.durability = { rpo: 'zero-in-region', synchronousNodeCount: 3 })),
    ['durability.synchronousNodeCount'],
  ],
  [
    'PGT-PAT-003',
    'strict with only count standbys',
    () =>
      layout(
        (s) => (s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict', synchronousNodeCount: 2 }),
      ),
    ['durability.synchronousMode'],
  ],
  [
    'PGT-PAT-004',
    'the picked sync standby may share the leader AZ',
    () =>
      layout((s) => {
        s.durability = { rpo: 'zero-in-region' };
        s.regions[0].members[1].az = 'us-east-1a';
      }),
    ['regions[0].members'],
  ],
  [
    'PGT-PAT-005',
    'a sync-eligible member in another region',
    () =>
      layout((s) => {
        threeRegions(s);
        s.regions[1].role = 'primary';
        s.dcs = { mode: 'stretched' };
        s.durability = { rpo: 'zero-in-region' };
      }),
    ['regions[1].members[0].tags', 'regions[1].members[1].tags', 'regions[1].members[2].tags'],
  ],
  [
    'PGT-PAT-006',
    'a replicateFrom cycle',
    () =>
      layout((s) => {
        s.regions[0].members[1].replicateFrom = 'use1-c';
        s.regions[0].members[2].replicateFrom = 'use1-b';
      }),
    ['regions[0].members[1].replicateFrom', 'regions[0].members[2].replicateFrom'],
  ],
  [
    'PGT-PAT-006',
    'an upstream in another region',
    () =>
      layout((s) => {
        twoRegions(s);
        s.regions[1].members[2].replicateFrom = 'use1-a';
      }),
    ['regions[1].members[2].replicateFrom'],
  ],
  [
    'PGT-PAT-006',
    'three hops deep',
    () =>
      layout((s) => {
        twoRegions(s);
        s.regions[1].members.push({ name: 'usw2-d', az: 'us-west-2a' });
        s.regions[1].members[1].replicateFrom = 'usw2-a';
        s.regions[1].members[2].replicateFrom = 'usw2-b';
        s.regions[1].members[3].replicateFrom = 'usw2-c';
      }),
    ['regions[1].members[3].replicateFrom'],
  ],
  [
    'PGT-PAT-007',
    'a cascading member without tags',
    () => layout((s) => (s.regions[0].members[2].replicateFrom = 'use1-b')),
    ['regions[0].members[2].tags'],
  ],
  [
    'PGT-PAT-007',
    'a delayed member that may be promoted',
    () =>
      layout((s) => {
        s.regions[0].members[2].recoveryMinApplyDelay = 3600;
        s.regions[0].members[2].tags = { nosync: true };
      }),
    ['regions[0].members[2].tags'],
  ],
  [
    'PGT-PAT-008',
    'rpo async',
    () => layout((s) => (s.durability = { rpo: 'async' })),
    ['durability.rpo (warning)'],
  ],
  [
    'PGT-PAT-009',
    'a standby region without its archive copy',
    () =>
      layout((s) => {
        twoRegions(s);
        s.archive = { copyTo: [] };
      }),
    ['archive.copyTo'],
  ],
  [
    'PGT-PAT-009',
    'a standby cluster following nothing, sharing a scope (hand-built)',
    () =>
      handBuilt(layout(twoRegions), (t) => {
        t.clusters[1].follows = undefined;
        t.clusters[1].scope = t.clusters[0].scope;
      }),
    ['regions[1]', 'regions[1].role'],
  ],
  [
    'PGT-PAT-010',
    'a second writable cluster under per-region DCS',
    () =>
      layout((s) => {
        twoRegions(s);
        s.regions[1].role = 'primary';
      }),
    ['regions[1].role'],
  ],
  [
    'PGT-PAT-010',
    'no writable cluster',
    () => layout((s) => (s.regions[0].role = 'standby')),
    ['regions[0].role'],
  ],
  [
    'PGT-PAT-011',
    'a smaller candidate instance and volume',
    () =>
      layout((s) => {
        s.regions[0].members[0].instanceType = 'r6i.xlarge';
        s.regions[0].members[1].instanceType = 'r6i.xlarge';
        s.regions[0].members[2].volume = { sizeGiB: 50 };
      }),
    ['regions[0].members[2].instanceType (warning)', 'regions[0].members[2].volume (warning)'],
  ],
  // PostgreSQL
  [
    'PGT-PG-001',
    'max_wal_senders below streams + headroom',
    () => layout((s) => (s.postgres = { parameters: { max_wal_senders: 3, max_replication_slots: 4 } })),
    ['postgres.parameters.max_wal_senders'],
  ],
  [
    'PGT-PG-001',
    'slots for five members',
    () =>
      layout((s) => {
        s.postgres = { parameters: { max_replication_slots: 5 } };
        s.regions[0].members.push({ name: 'use1-d', az: 'us-east-1a' }, { name: 'use1-e', az: 'us-east-1b' });
      }),
    ['postgres.parameters.max_replication_slots'],
  ],
  [
    'PGT-PG-003',
    'pg_rewind without checksums or wal_log_hints',
    () => layout((s) => (s.postgres = { dataChecksums: false, walLogHints: false })),
    ['postgres.usePgRewind'],
  ],
  [
    'PGT-PG-004',
    'managed parameters set by hand',
    () =>
      layout(
        (s) =>
          (s.postgres = {
            parameters: { archive_command: '/bin/true', port: 5433, ssl: 'off', work_mem: '64MB' },
          }),
      ),
    ['postgres.parameters.archive_command', 'postgres.parameters.port', 'postgres.parameters.ssl'],
  ],
  [
    'PGT-PG-005',
    'pool larger than max_connections',
    () => layout((s) => (s.postgres = { parameters: { max_connections: 50 } })),
    ['endpoints.pgbouncer.maxDbConnections'],
  ],
  [
    'PGT-PG-005',
    'an unlimited pool warns',
    () => layout((s) => (s.endpoints = { pgbouncer: { maxDbConnections: 0 } })),
    ['endpoints.pgbouncer.maxDbConnections (warning)'],
  ],
  [
    'PGT-PG-006',
    'fsync off',
    () => layout((s) => (s.postgres = { parameters: { fsync: 'off' } })),
    ['postgres.parameters.fsync'],
  ],
  [
    'PGT-PG-007',
    'a word for a memory size',
    () => layout((s) => (s.postgres = { parameters: { work_mem: 'lots' } })),
    ['postgres.parameters.work_mem'],
  ],
  [
    'PGT-EC2-005',
    'closed egress with the default image',
    () => layout((s) => (s.hosts = { egress: 'none' })),
    ['hosts.egress'],
  ],
  // network
  [
    'PGT-NET-001',
    '0.0.0.0/0 for clients and admins',
    () =>
      layout((s) => (s.security = { allowedCidrs: ['10.0.0.0/8', '0.0.0.0/0'], adminCidrs: ['0.0.0.0/0'] })),
    ['security.allowedCidrs[1]', 'security.adminCidrs[0]'],
  ],
  [
    'PGT-NET-002',
    'internet-facing load balancers',
    () => layout((s) => (s.endpoints = { internal: false })),
    ['endpoints.internal'],
  ],
  [
    'PGT-NET-003',
    'a single-AZ region',
    () =>
      layout((s) => {
        s.regions[0].azs = ['us-east-1a'];
        for (const m of s.regions[0].members) m.az = 'us-east-1a';
      }),
    ['regions[0].azs'],
  ],
  [
    'PGT-NET-003',
    'a member outside the balanced AZs (hand-built)',
    () => handBuilt(layout(), (t) => (t.regions[0].subnets = t.regions[0].subnets.slice(0, 2))),
    ['regions[0].azs'],
  ],
  [
    'PGT-NET-004',
    'plain TCP health checks',
    () => layout((s) => (s.endpoints = { healthCheckProtocol: 'tcp' })),
    ['endpoints.healthCheckProtocol'],
  ],
  [
    'PGT-NET-005',
    'overlapping region CIDRs (hand-built)',
    () => handBuilt(layout(twoRegions), (t) => (t.regions[1].cidr = '10.10.128.0/17')),
    ['regions[1].cidr'],
  ],
  [
    'PGT-NET-006',
    'an RTO target the failover cannot meet',
    () => layout((s) => (s.failover = { rtoTargetSeconds: 30 })),
    Array(6).fill('failover.rtoTargetSeconds'),
  ],
  // hosts
  [
    'PGT-EC2-001',
    'IMDSv1 and hop limit 2',
    () => layout((s) => (s.hosts = { requireImdsV2: false, imdsHopLimit: 2 })),
    ['hosts.requireImdsV2', 'hosts.imdsHopLimit'],
  ],
  [
    'PGT-EC2-002',
    'unencrypted volumes',
    () => layout((s) => (s.hosts = { ebsEncrypted: false })),
    ['hosts.ebsEncrypted'],
  ],
  [
    'PGT-EC2-002',
    'the AWS-managed key alias',
    () => layout((s) => (s.hosts = { ebsKmsKeyArn: 'alias/aws/ebs' })),
    ['hosts.ebsKmsKeyArn'],
  ],
  [
    'PGT-EC2-002',
    'one key for two regions',
    () =>
      layout((s) => {
        twoRegions(s);
        s.hosts = { ebsKmsKeyArn: ARN_EAST };
      }),
    ['hosts.ebsKmsKeyArn'],
  ],
  [
    'PGT-EC2-003',
    'public IPs',
    () => layout((s) => (s.hosts = { associatePublicIp: true })),
    ['hosts.associatePublicIp'],
  ],
  [
    'PGT-EC2-004',
    'a password in a parameter and a key in a waiver',
    () =>
      layout((s) => {
        s.postgres = { parameters: { 'app.dsn': 'postgres://app:hunter2@db/x' } };
        s.waivers = [
          { rule: 'PGT-PAT-008', reason: 'temporary access key AKIAABCDEFGHIJKLMNOP for the migration' },
        ];
      }),
    ['postgres.parameters.app.dsn', 'waivers[0].reason'],
  ],
  // archive
  [
    'PGT-ARC-001',
    'archiving off',
    () => layout((s) => (s.archive = { enabled: false })),
    ['archive.enabled'],
  ],
  [
    'PGT-ARC-001',
    'a cluster without a repository (hand-built)',
    () => handBuilt(layout(), (t) => (t.archive.prefixes = {})),
    ['regions[0]'],
  ],
  [
    'PGT-ARC-002',
    'SSE-S3 and no rotation',
    () => layout((s) => (s.archive = { sse: 'AES256', keyRotation: false })),
    ['archive.sse', 'archive.keyRotation'],
  ],
  [
    'PGT-ARC-003',
    'versioning off',
    () => layout((s) => (s.archive = { versioning: false })),
    ['archive.versioning'],
  ],
  [
    'PGT-ARC-004',
    'two regions, no copy',
    () =>
      layout((s) => {
        twoRegions(s);
        s.archive = { copyTo: [] };
      }),
    ['archive.copyTo', 'archive.copyTo'],
  ],
  [
    'PGT-ARC-005',
    'a source key from another region',
    () => layout((s) => (s.archive = { kmsKeyArn: ARN_WEST })),
    ['archive.kmsKeyArn'],
  ],
  [
    'PGT-ARC-006',
    'public access and plain HTTP allowed',
    () => layout((s) => (s.archive = { blockPublicAccess: false, tlsOnlyPolicy: false })),
    ['archive.blockPublicAccess', 'archive.tlsOnlyPolicy'],
  ],
  [
    'PGT-ARC-007',
    'expiry inside the window, Glacier inside the window',
    () =>
      layout(
        (s) =>
          (s.archive = {
            expireAfterDays: 20,
            tiers: [
              { afterDays: 7, storageClass: 'GLACIER' },
              { afterDays: 7, storageClass: 'GLACIER_IR' },
            ],
          }),
      ),
    ['archive.expireAfterDays', 'archive.tiers[0]'],
  ],
  [
    'PGT-ARC-008',
    'a lock shorter than the window, on the source and its copy',
    () =>
      layout((s) => {
        twoRegions(s);
        s.archive = { objectLock: 'governance', objectLockDays: 7 };
      }),
    ['archive.objectLockDays', 'archive.objectLockDays'],
  ],
  // IAM
  [
    'PGT-IAM-001',
    'a wildcard prefix and a prefix covering another cluster (hand-built)',
    () =>
      handBuilt(
        layout(twoRegions),
        (t) => (t.archive.prefixes = { 'orders-us-east-1': '*', 'orders-us-west-2': 'orders-us-west-2/' }),
      ),
    ['regions[0]'],
  ],
  [
    'PGT-IAM-001',
    'a prefix covering another cluster (hand-built)',
    () =>
      handBuilt(
        layout(twoRegions),
        (t) =>
          (t.archive.prefixes = {
            'orders-us-east-1': 'orders-us-/',
            'orders-us-west-2': 'orders-us-/west-2/',
          }),
      ),
    ['regions[0]'],
  ],
  [
    'PGT-IAM-001',
    'a wildcard secret (hand-built)',
    () =>
      handBuilt(
        layout(),
        (t) => (t.security.secrets.superuser = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:*'),
      ),
    ['security.secrets.superuser'],
  ],
  // waivers
  [
    'PGT-WVR-001',
    'a thin reason, an unknown rule, an expired date, a non-date',
    () =>
      layout(
        (s) =>
          (s.waivers = [
            { rule: 'PGT-PAT-008', reason: 'because' },
            { rule: 'PGT-FOO-001', reason: 'a long enough reason for the record' },
            { rule: 'PGT-PAT-008', reason: 'accepted until the migration ends', expires: '2026-01-31' },
            { rule: 'PGT-PAT-008', reason: 'accepted until the migration ends', expires: '2027-02-30' },
          ]),
      ),
    ['waivers[0].reason', 'waivers[1].rule', 'waivers[2].expires', 'waivers[3].expires'],
  ],
  // logical layer (boundary tables: test/logical/rules.test.ts)
  [
    'PGT-LOG-001',
    'wal_level replica with a publication',
    () => logical((s) => (s.postgres = { parameters: { wal_level: 'replica' } })),
    ['postgres.parameters.wal_level'],
  ],
  [
    'PGT-LOG-002',
    'a PostgreSQL-owned slot without failover = true',
    () => handBuilt(logical(), (t) => (t.logical[0].slots[0].failover = false)),
    ['logical.cdc[0].slot'],
  ],
  [
    'PGT-LOG-003',
    'a feed retaining more than a quarter of the volume',
    () => logical((s) => (s.logical.cdc[0].maxRetainedWalGiB = 26)),
    ['logical.cdc[0].maxRetainedWalGiB'],
  ],
  [
    'PGT-LOG-004',
    'a CDC feed without TLS',
    () => logical((s) => (s.security = { tls: false })),
    ['security.tls'],
  ],
  [
    'PGT-LOG-005',
    'a heartbeat table outside the publication',
    () => logical((s) => (s.logical.publications[0].tables = ['public.orders'])),
    ['logical.cdc[0].heartbeat.table'],
  ],
];

/** The base spec with the logical fixture (a CDC feed, a subscriber slot) passed through `edit`. */
function logical(edit: (s: Record<string, any>) => void = () => {}): Topology {
  const s = logicalSpec();
  edit(s);
  return topologyFrom(s as TopologySpecInput);
}

const ACCEPTS: readonly Case[] = [
  [
    'PGT-ETCD-001',
    'five etcd members',
    () => layout((s) => (s.dcs = { mode: 'per-region', membersPerRegion: 5 })),
    [],
  ],
  [
    'PGT-ETCD-002',
    'five members over three AZs',
    () => layout((s) => (s.dcs = { mode: 'per-region', membersPerRegion: 5 })),
    [],
  ],
  [
    'PGT-ETCD-003',
    'five stretched members over three regions',
    () =>
      layout((s) => {
        threeRegions(s);
        s.dcs = { mode: 'stretched', members: 5 };
      }),
    [],
  ],
  [
    'PGT-ETCD-004',
    'timings derived from a 200 ms round trip under the conservative profile',
    () =>
      layout((s) => {
        threeRegions(s);
        s.dcs = { mode: 'stretched', interRegionRttMs: 200 };
        s.failover = { profile: 'conservative' };
      }),
    [],
  ],
  [
    'PGT-PAT-001',
    'ttl exactly loop_wait + 2 x retry_timeout',
    () => layout((s) => (s.failover = { ttl: 20, loopWait: 10, retryTimeout: 5 })),
    [],
  ],
  [
    'PGT-PAT-001',
    'the fast profile on debian-13: derived at the floor Patroni 4 runs with (ttl 20)',
    () => layout((s) => (s.failover = { profile: 'fast' })),
    [],
  ],
  [
    'PGT-PAT-001',
    'ttl 20 set on debian-13, the floor itself',
    () => layout((s) => (s.failover = { ttl: 20, loopWait: 1, retryTimeout: 3 })),
    [],
  ],
  [
    'PGT-REL-001',
    'debian-13: Patroni 4.0.7 compares the leader key',
    () => layout((s) => (s.hosts = { os: 'debian-13' })),
    [],
  ],
  [
    'PGT-PAT-002',
    'two candidates in two AZs',
    () => layout((s) => (s.regions[0].members[2].tags = { nofailover: true })),
    [],
  ],
  [
    'PGT-PAT-003',
    'strict with count + 1 candidates in 2 AZs',
    () =>
      layout((s) => {
        s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict' };
      }),
    [],
  ],
  [
    'PGT-PAT-004',
    'the AZ-mate is nosync',
    () =>
      layout((s) => {
        s.durability = { rpo: 'zero-in-region' };
        s.regions[0].members.push({
          name: 'use1-d',
          az: 'us-east-1a',
          tags: { nosync: true, nofailover: true },
        });
      }),
    [],
  ],
  [
    'PGT-PAT-005',
    'cross-region sync explicitly allowed',
    () =>
      layout((s) => {
        threeRegions(s);
        s.regions[1].role = 'primary';
        s.dcs = { mode: 'stretched' };
        s.durability = { rpo: 'zero-in-region', allowCrossRegionSync: true };
      }),
    [],
  ],
  [
    'PGT-PAT-005',
    'asynchronous replication',
    () =>
      layout((s) => {
        threeRegions(s);
        s.regions[1].role = 'primary';
        s.dcs = { mode: 'stretched' };
      }),
    [],
  ],
  [
    'PGT-PAT-006',
    'depth 3 allowed by maxCascadeDepth',
    () =>
      layout((s) => {
        twoRegions(s);
        s.postgres = { maxCascadeDepth: 3 };
        s.regions[1].members.push({ name: 'usw2-d', az: 'us-west-2a' });
        s.regions[1].members[1].replicateFrom = 'usw2-a';
        s.regions[1].members[2].replicateFrom = 'usw2-b';
        s.regions[1].members[3].replicateFrom = 'usw2-c';
      }),
    [],
  ],
  [
    'PGT-PAT-007',
    'a delayed member with both tags',
    () =>
      layout((s) => {
        s.regions[0].members.push({
          name: 'use1-d',
          az: 'us-east-1a',
          recoveryMinApplyDelay: 3600,
          tags: { nosync: true, nofailover: true },
        });
      }),
    [],
  ],
  ['PGT-PAT-008', 'bounded', () => layout((s) => (s.durability = { rpo: 'bounded' })), []],
  [
    'PGT-PAT-010',
    'two primary regions joined by a stretched DCS',
    () =>
      layout((s) => {
        threeRegions(s);
        s.regions[1].role = 'primary';
        s.dcs = { mode: 'stretched' };
      }),
    [],
  ],
  [
    'PGT-PAT-011',
    'a larger replica is fine',
    () => layout((s) => (s.regions[0].members[2].instanceType = 'r6i.2xlarge')),
    ['regions[0].members[0].instanceType (warning)', 'regions[0].members[1].instanceType (warning)'],
  ],
  [
    'PGT-PG-001',
    'exactly streams + headroom',
    () => layout((s) => (s.postgres = { parameters: { max_wal_senders: 4, max_replication_slots: 4 } })),
    [],
  ],
  [
    'PGT-PG-003',
    'wal_log_hints alone',
    () => layout((s) => (s.postgres = { dataChecksums: false, walLogHints: true })),
    [],
  ],
  [
    'PGT-PG-004',
    'ordinary tuning parameters',
    () =>
      layout(
        (s) =>
          (s.postgres = {
            parameters: { work_mem: '64MB', shared_buffers: '4GB', log_min_duration_statement: 500 },
          }),
      ),
    [],
  ],
  [
    'PGT-PG-005',
    'max_db_connections equal to max_connections less the 3 superuser slots',
    () => layout((s) => (s.endpoints = { pgbouncer: { maxDbConnections: 97 } })),
    [],
  ],
  [
    'PGT-NET-001',
    'a private client range',
    () => layout((s) => (s.security = { allowedCidrs: ['10.0.0.0/8'], adminCidrs: ['10.99.0.0/16'] })),
    [],
  ],
  [
    'PGT-NET-003',
    'members in two of three AZs',
    () => layout((s) => (s.regions[0].members[2].az = 'us-east-1a')),
    [],
  ],
  ['PGT-NET-006', 'a 60 s target', () => layout((s) => (s.failover = { rtoTargetSeconds: 60 })), []],
  [
    'PGT-EC2-002',
    'a customer key in the only region',
    () => layout((s) => (s.hosts = { ebsKmsKeyArn: ARN_EAST })),
    [],
  ],
  [
    'PGT-EC2-004',
    'ARNs and ordinary strings',
    () =>
      layout(
        (s) =>
          (s.postgres = { parameters: { 'app.password_encryption_note': '', application_name: 'orders' } }),
      ),
    [],
  ],
  [
    'PGT-ARC-002',
    'no rotation flag on a supplied key',
    () => layout((s) => (s.archive = { keyRotation: false, kmsKeyArn: ARN_EAST })),
    [],
  ],
  ['PGT-ARC-004', 'one region needs no copy', () => layout(), []],
  [
    'PGT-ARC-005',
    'a source key in the primary region',
    () => layout((s) => (s.archive = { kmsKeyArn: ARN_EAST })),
    [],
  ],
  [
    'PGT-ARC-007',
    'expiry at the window, cold tiers after it',
    () =>
      layout(
        (s) =>
          (s.archive = {
            expireAfterDays: 22,
            tiers: [
              { afterDays: 7, storageClass: 'GLACIER_IR' },
              { afterDays: 22, storageClass: 'DEEP_ARCHIVE' },
            ],
          }),
      ),
    [],
  ],
  [
    'PGT-ARC-008',
    'compliance lock for the window on source and copy',
    () =>
      layout((s) => {
        twoRegions(s);
        s.archive = { objectLock: 'compliance', objectLockDays: 14 };
      }),
    [],
  ],
  [
    'PGT-WVR-001',
    'a justified waiver expiring today',
    () =>
      layout(
        (s) =>
          (s.waivers = [
            {
              rule: 'PGT-PAT-008',
              target: 'durability.rpo',
              reason: 'batch cluster, data is reloaded nightly',
              expires: '2026-06-15',
            },
          ]),
      ),
    [],
  ],
];

describe('rule metadata', () => {
  test('every rule the issue names exists with severity, rationale and fix', () => {
    const ids = [
      ...[1, 2, 3, 4, 5].map((n) => `PGT-ETCD-00${n}`),
      ...Array.from({ length: 11 }, (_, i) => `PGT-PAT-${String(i + 1).padStart(3, '0')}`),
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => `PGT-PG-00${n}`),
      ...[1, 2, 3, 4, 5, 6].map((n) => `PGT-NET-00${n}`),
      ...[1, 2, 3, 4, 5].map((n) => `PGT-EC2-00${n}`),
      'PGT-REL-001',
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `PGT-ARC-00${n}`),
      'PGT-IAM-001',
      'PGT-WVR-001',
      ...[1, 2, 3, 4, 5].map((n) => `PGT-LOG-00${n}`),
    ];
    // Fleet rules (PGT-SHD-*) are judged over a fleet, with their own cases in test/fleet/rules.test.ts.
    expect(RULES.filter((r) => r.group !== 'fleet').map((r) => r.id)).toEqual(ids);
    for (const r of RULES) {
      expect(r.severity).toMatch(/^(error|warning)$/);
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.rationale.length).toBeGreaterThan(80);
      expect(r.fix.length).toBeGreaterThan(10);
    }
    expect(ruleById('pgt-etcd-002')?.id).toBe('PGT-ETCD-002');
    expect(ruleById('PGT-NOPE-001')).toBeUndefined();
  });

  test('every rule has a rejecting and an accepting case below', () => {
    const rejected = new Set(REJECTS.map((c) => c[0]));
    const accepted = new Set([...ACCEPTS.map((c) => c[0])]);
    // The bundled examples are the accepting case of every rule (next describe block).
    expect(
      RULES.filter((r) => r.group !== 'fleet')
        .map((r) => r.id)
        .filter((id) => !rejected.has(id)),
    ).toEqual(['PGT-PG-002']);
    expect(accepted.size).toBeGreaterThan(25);
  });
});

describe('the bundled examples pass every rule', () => {
  test.each(EXAMPLE_NAMES)('%s: no findings', (name) => {
    expect(findings(example(name)).map((f) => `${f.ruleId} ${f.found}`)).toEqual([]);
  });
});

describe('rejects', () => {
  test.each(REJECTS)('%s rejects %s', (ruleId, _what, build, paths) => {
    expect(hits(build(), ruleId)).toEqual(paths);
  });
});

describe('accepts', () => {
  test.each(ACCEPTS)('%s accepts %s', (ruleId, _what, build, paths) => {
    expect(hits(build(), ruleId)).toEqual(paths);
  });
});

describe('PGT-PG-002 hot-standby parameters', () => {
  // The model holds one parameter set for every member, so no spec can make a standby lower today;
  // the comparison the rule runs per member is checked directly.
  test.each([
    [{ max_connections: 200 }, { max_connections: 100 }, ['max_connections']],
    [{ max_connections: 100 }, { max_connections: 100 }, []],
    [{ max_connections: 100 }, { max_connections: 200 }, []],
    [
      { max_worker_processes: 8, max_wal_senders: 10 },
      { max_worker_processes: 4, max_wal_senders: 5 },
      ['max_worker_processes', 'max_wal_senders'],
    ],
    [
      { max_locks_per_transaction: 128, max_prepared_transactions: 10 },
      { max_locks_per_transaction: 64, max_prepared_transactions: 0 },
      ['max_prepared_transactions', 'max_locks_per_transaction'],
    ],
  ] as const)('primary %j, standby %j -> %j', (primary, standby, lower) => {
    expect(lowerOnStandby(primary, standby)).toEqual(lower);
  });

  test('parameters set once apply to every member: no finding, whatever the values', () => {
    const t = layout((s) => {
      twoRegions(s);
      s.postgres = { parameters: { max_connections: 500, max_locks_per_transaction: 256 } };
    });
    expect(hits(t, 'PGT-PG-002')).toEqual([]);
  });
});

describe('finding details', () => {
  test('findings name the target and carry what was found, what is expected and the fix', () => {
    const [f] = findings(
      layout((s) => (s.regions[0].members[2].replicateFrom = 'use1-b')),
      'PGT-PAT-007',
    );
    expect(f).toMatchObject({
      ruleId: 'PGT-PAT-007',
      severity: 'error',
      target: 'use1-c',
      path: ['regions', 0, 'members', 2, 'tags'],
      fix: ruleById('PGT-PAT-007')!.fix,
    });
    expect(f!.found).toContain('no nosync and no nofailover');
  });

  test('PGT-EC2-004 never repeats the secret it found', () => {
    const t = layout((s) => (s.postgres = { parameters: { 'app.dsn': 'postgres://app:hunter2@db/x' } }));
    expect(JSON.stringify(findings(t, 'PGT-EC2-004'))).not.toContain('hunter2');
  });

  test('PGT-PG-004 says who manages the parameter', () => {
    const [f] = findings(
      layout((s) => (s.postgres = { parameters: { synchronous_standby_names: '*' } })),
      'PGT-PG-004',
    );
    expect(f!.expected).toContain('Patroni synchronous mode');
  });
});
