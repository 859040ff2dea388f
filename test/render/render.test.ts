/**
 * Renderer unit tests: what each file promises (timers, tags, pg_hba, standby
 * clusters, repositories, listeners), the address maps, and one deterministic
 * snapshot per rendered file of example 2.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { FAILOVER_PRESETS, HEALTH_PATHS } from '../../src/model/constants.js';
import { topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { ensureReleaseRoot } from '../../src/rehearsal/release-root.js';
import {
  awsAddressMap,
  bootableHosts,
  certificateSubjects,
  etcdSettings,
  haproxyHost,
  localAddressMap,
  pgHba,
  type RenderedFile,
  renderEtcdNode,
  renderHaproxy,
  renderHost,
  renderMember,
  renderPatroni,
  renderPgbackrest,
  renderPgbouncer,
  renderUserData,
  replicationCapacity,
  repositoriesOf,
  SENDER_HEADROOM,
  SLOT_HEADROOM,
  UnknownNodeError,
} from '../../src/render/index.js';
import { RELEASE_NAMES } from '../../src/spec/releases.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { EXAMPLE_NAMES, example, exampleOn } from '../helpers/examples.js';
import { baseSpec, variant } from '../helpers/spec.js';
import { ROOT_BUILD_TIMEOUT_MS } from './helpers.js';

type Doc = any;

const ex2 = () => example('twoRegionStandby');
const aws = (t: Topology) => awsAddressMap(t);
const local = (t: Topology) => localAddressMap(t, { baseDir: '/tmp/pgt-unit', subnet: '127.0.20' });
const patroni = (t: Topology, m: string, map = aws(t)): Doc => parse(renderPatroni(t, m, map));
const spec = (edit: (s: Record<string, any>) => void) => topologyFrom(variant(edit) as TopologySpecInput);

/** `[section] key=value` INI as a map of maps. */
function ini(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(l);
    if (s) {
      section = s[1]!;
      out[section] = {};
      continue;
    }
    const eq = l.indexOf('=');
    out[section]![l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

describe('patroni.yml: failover timers and synchronous settings', () => {
  test.each([
    ['conservative', {}],
    ['balanced', {}],
    ['fast', {}],
    ['fast', { ttl: 12, loopWait: 3, retryTimeout: 4, maximumLagOnFailover: 65536 }],
  ] as [
    'conservative' | 'balanced' | 'fast',
    { ttl?: number; loopWait?: number; retryTimeout?: number; maximumLagOnFailover?: number },
  ][])('profile %s %o', (profile, overrides) => {
    const t = spec((s) => {
      s.failover = { profile, ...overrides };
    });
    const dcs = patroni(t, 'use1-a').bootstrap.dcs;
    const preset = FAILOVER_PRESETS[profile].timers;
    // A profile is raised to the floor of the release's Patroni (4.0.7 runs ttl >= 20); set values stay.
    const floor = t.release.patroniTimerFloor!;
    expect(dcs).toMatchObject({
      ttl: overrides.ttl ?? Math.max(preset.ttl, floor.ttl),
      loop_wait: overrides.loopWait ?? Math.max(preset.loopWait, floor.loopWait),
      retry_timeout: overrides.retryTimeout ?? Math.max(preset.retryTimeout, floor.retryTimeout),
      maximum_lag_on_failover: overrides.maximumLagOnFailover ?? preset.maximumLagOnFailover,
    });
    expect(dcs).toMatchObject({
      ttl: t.failover.timers.ttl,
      loop_wait: t.failover.timers.loopWait,
      retry_timeout: t.failover.timers.retryTimeout,
    });
  });

  test.each([
    ['zero-in-region', undefined, 1, { synchronous_mode: true, synchronous_mode_strict: false }],
    ['zero-in-region', 'strict', 2, { synchronous_mode: true, synchronous_mode_strict: true }],
    ['bounded', undefined, 1, { synchronous_mode: false, synchronous_mode_strict: false }],
    ['async', 'off', 1, { synchronous_mode: false, synchronous_mode_strict: false }],
    ['zero-in-region', 'quorum', 1, { synchronous_mode: 'quorum', synchronous_mode_strict: false }],
    ['zero-in-region', 'quorum', 2, { synchronous_mode: 'quorum', synchronous_mode_strict: false }],
  ] as const)('rpo %s, mode %s, %i sync node(s)', (rpo, synchronousMode, count, expected) => {
    const t = spec((s) => {
      s.durability = { rpo, synchronousNodeCount: count, ...(synchronousMode ? { synchronousMode } : {}) };
    });
    expect(patroni(t, 'use1-b').bootstrap.dcs).toMatchObject({ ...expected, synchronous_node_count: count });
  });

  test.each([
    ['bounded', undefined, FAILOVER_PRESETS.balanced.timers.maximumLagOnFailover],
    ['async', undefined, Number.MAX_SAFE_INTEGER],
    ['async', 4096, 4096],
  ] as const)('rpo %s with maximumLagOnFailover %s renders maximum_lag_on_failover %s', (rpo, set, lag) => {
    const t = spec((s) => {
      s.durability = { rpo };
      if (set !== undefined) s.failover = { maximumLagOnFailover: set };
    });
    expect(patroni(t, 'use1-b').bootstrap.dcs.maximum_lag_on_failover).toBe(lag);
    // The reader pool keeps the profile's bound when failover has none.
    expect(t.endpoints.readerMaxLagBytes).toBe(
      Math.min(lag, FAILOVER_PRESETS.balanced.timers.maximumLagOnFailover),
    );
  });

  test('a standby cluster never runs synchronous mode; the primary cluster does (example 2)', () => {
    expect(patroni(ex2(), 'use1-a').bootstrap.dcs.synchronous_mode).toBe(true);
    expect(patroni(ex2(), 'usw2-a').bootstrap.dcs.synchronous_mode).toBe(false);
  });
});

describe('patroni.yml: tags, delays, standby cluster, capacity', () => {
  test.each([
    ['use1-a', { nofailover: false, nosync: false }],
    ['use1-c', { nofailover: false, nosync: true }],
    ['usw2-a', { nofailover: false, nosync: false }],
    ['usw2-c', { nofailover: true, nosync: true, replicatefrom: 'usw2-a' }],
  ])('example 2 %s tags', (member, tags) => {
    expect(patroni(ex2(), member).tags).toEqual(tags);
  });

  test.each([
    [0, { nofailover: true, nosync: false }],
    [1, { nofailover: false, nosync: false, failover_priority: 1 }],
    [1000, { nofailover: false, nosync: false, failover_priority: 1000 }],
  ])('failoverPriority %i', (failoverPriority, tags) => {
    const t = spec((s) => {
      s.regions[0].members[1].tags = { failoverPriority };
    });
    expect(patroni(t, 'use1-b').tags).toEqual(tags);
  });

  test.each([
    [undefined, undefined],
    [0, '0s'],
    [3600, '3600s'],
  ])('recoveryMinApplyDelay %s -> recovery_conf %s', (delay, expected) => {
    const t = spec((s) => {
      if (delay !== undefined) s.regions[0].members[2].recoveryMinApplyDelay = delay;
    });
    expect(patroni(t, 'use1-c').postgresql.recovery_conf.recovery_min_apply_delay).toBe(expected);
    expect(patroni(t, 'use1-a').postgresql.recovery_conf.recovery_min_apply_delay).toBeUndefined();
  });

  test("a standby cluster follows the primary cluster's writer endpoint through its own slot", () => {
    const t = ex2();
    const standby = patroni(t, 'usw2-a').bootstrap.dcs.standby_cluster;
    const slots = patroni(t, 'use1-a').bootstrap.dcs.slots;
    expect(standby).toMatchObject({
      host: t.endpoints.names['orders-us-east-1']!.writer,
      port: 5432,
      restore_command: '/usr/bin/pgbackrest --stanza=orders-us-east-1 archive-get %f "%p"',
    });
    expect(slots).toEqual({ [standby.primary_slot_name]: { type: 'physical' } });
    expect(patroni(t, 'use1-a').bootstrap.dcs.standby_cluster).toBeUndefined();
    // Locally the writer endpoint is the primary cluster's HAProxy address.
    const map = local(t);
    expect(patroni(t, 'usw2-a', map).bootstrap.dcs.standby_cluster.host).toBe(
      map.haproxyBind('orders-us-east-1'),
    );
  });

  test.each([
    ['one region, 3 members', (s: Record<string, any>) => s, 2],
    [
      'one region, 5 members',
      (s: Record<string, any>) => {
        s.regions[0].members.push({ name: 'use1-d', az: 'us-east-1a' }, { name: 'use1-e', az: 'us-east-1b' });
      },
      4,
    ],
  ])('max_wal_senders / max_replication_slots: %s', (_name, edit, streams) => {
    const t = spec((s) => {
      edit(s);
    });
    const p = patroni(t, 'use1-a').bootstrap.dcs.postgresql.parameters;
    expect(p.max_wal_senders).toBe(streams + SENDER_HEADROOM);
    expect(p.max_replication_slots).toBe(streams + SLOT_HEADROOM);
  });

  test('example 2: the standby cluster gets the same capacity as the cluster it streams from', () => {
    const t = ex2();
    // Primary: 2 replicas + 1 standby cluster + 2 logical slots (its CDC feed and the subscriber's).
    expect(replicationCapacity(t).maxWalSenders).toBe(5 + SENDER_HEADROOM);
    for (const m of t.members) {
      expect(patroni(t, m.name).bootstrap.dcs.postgresql.parameters.max_wal_senders).toBe(
        5 + SENDER_HEADROOM,
      );
    }
  });

  test('managed parameters: pgBackRest archiving, rewind support, checksums; user parameters kept', () => {
    const t = spec((s) => {
      s.postgres = { parameters: { work_mem: '64MB', log_connections: true, archive_mode: 'off' } };
    });
    const p = patroni(t, 'use1-a');
    expect(p.bootstrap.dcs.postgresql.parameters).toMatchObject({
      work_mem: '64MB',
      log_connections: 'on',
      wal_level: 'replica',
      hot_standby: 'on',
      wal_log_hints: 'on',
    });
    expect(p.postgresql.parameters).toMatchObject({
      archive_mode: 'on',
      archive_command: '/usr/bin/pgbackrest --stanza=orders-us-east-1 archive-push "%p"',
      ssl: 'on',
    });
    expect(p.bootstrap.dcs.postgresql.use_pg_rewind).toBe(true);
    expect(p.bootstrap.initdb).toContain('data-checksums');
    expect(p.postgresql.recovery_conf.restore_command).toContain('archive-get');
  });
});

describe('pg_hba', () => {
  test.each(EXAMPLE_NAMES)(
    '%s: every network line is hostssl with scram-sha-256; only peer is local',
    (name) => {
      const t = example(name);
      for (const m of t.members) {
        for (const map of [aws(t), local(t)]) {
          const doc = patroni(t, m.name, map);
          expect(doc.postgresql.pg_hba).toEqual(doc.bootstrap.pg_hba);
          for (const line of doc.postgresql.pg_hba as string[]) {
            const f = line.split(/\s+/);
            if (f[0] === 'local') {
              expect(['peer', 'scram-sha-256']).toContain(f[3]);
            } else {
              expect(f[0]).toBe('hostssl');
              expect(f.at(-1)).toBe('scram-sha-256');
            }
          }
        }
      }
    },
  );

  test("replication is limited to the cluster's subnets plus the standby clusters that follow it", () => {
    const t = ex2();
    const replication = (m: string) =>
      pgHba(t, m, aws(t))
        .filter((l) => l.split(/\s+/)[1] === 'replication')
        .map((l) => l.split(/\s+/)[3]);
    const subnets = (region: string) =>
      t.regions.find((r) => r.name === region)!.subnets.map((s) => s.privateCidr);
    expect(replication('use1-a')).toEqual([...subnets('us-east-1'), ...subnets('us-west-2')]);
    expect(replication('usw2-a')).toEqual(subnets('us-west-2'));
    expect(pgHba(t, 'use1-a', aws(t)).some((l) => l.includes('0.0.0.0/0'))).toBe(false);
  });

  test('locally, replication comes from the members loopback addresses and 127.0.0.1', () => {
    const t = example('singleRegion');
    const map = local(t);
    const nets = pgHba(t, 'use1-a', map)
      .filter((l) => l.split(/\s+/)[1] === 'replication')
      .map((l) => l.split(/\s+/)[3]);
    expect(nets).toEqual([...t.members.map((m) => `${map.memberAddress(m.name)}/32`), '127.0.0.1/32']);
  });
});

describe('etcd settings', () => {
  test.each([
    ['per-region', (s: Record<string, any>) => s, 100, 1000],
    [
      'per-region, custom heartbeat',
      (s: Record<string, any>) => {
        s.dcs = { mode: 'per-region', heartbeatIntervalMs: 250 };
      },
      250,
      2500,
    ],
    [
      'stretched, 150 ms RTT',
      (s: Record<string, any>) => {
        s.dcs = {
          mode: 'stretched',
          members: 3,
          interRegionRttMs: 150,
          regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
        };
        s.regions.push(
          {
            name: 'us-west-2',
            cidr: '10.20.0.0/16',
            azs: ['us-west-2a'],
            members: [{ name: 'usw2-a', az: 'us-west-2a' }],
          },
          {
            name: 'eu-west-1',
            cidr: '10.30.0.0/16',
            azs: ['eu-west-1a'],
            members: [{ name: 'euw1-a', az: 'eu-west-1a' }],
          },
        );
      },
      150,
      1500,
    ],
  ])('%s: heartbeat %i ms, election %i ms', (_n, edit, heartbeat, election) => {
    const t = spec((s) => {
      edit(s);
    });
    for (const e of t.etcd.flatMap((q) => q.members)) {
      expect(etcdSettings(t, e.name, aws(t))).toMatchObject({
        ETCD_HEARTBEAT_INTERVAL: heartbeat,
        ETCD_ELECTION_TIMEOUT: election,
      });
    }
  });

  test('each member names its quorum, TLS for clients and peers, and its own data dir', () => {
    const t = ex2();
    const q = t.etcd[1]!;
    const s = etcdSettings(t, q.members[0]!.name, aws(t));
    expect(s.ETCD_INITIAL_CLUSTER).toBe(
      q.members.map((e) => `${e.name}=https://${e.privateIp}:2380`).join(','),
    );
    expect(s).toMatchObject({
      ETCD_INITIAL_CLUSTER_TOKEN: q.id,
      ETCD_LISTEN_CLIENT_URLS: `https://${q.members[0]!.privateIp}:2379`,
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_PEER_CLIENT_CERT_AUTH: 'true',
      ETCD_DATA_DIR: `/var/lib/pgtopo/etcd/${q.members[0]!.name}`,
    });
  });

  test("Patroni's etcd3 hosts are exactly its quorum, over TLS", () => {
    const t = ex2();
    const doc = patroni(t, 'usw2-b');
    expect(doc.etcd3.hosts).toEqual(t.etcd[1]!.members.map((e) => `${e.privateIp}:2379`));
    expect(doc.etcd3).toMatchObject({ protocol: 'https', cacert: '/etc/pgtopo/tls/ca.crt' });
  });
});

describe('haproxy.cfg', () => {
  test.each(['conservative', 'balanced', 'fast'] as const)('%s profile timers on every server', (profile) => {
    const t = spec((s) => {
      s.failover = { profile };
    });
    const h = FAILOVER_PRESETS[profile].haproxy;
    const cfg = renderHaproxy(t, 'orders-us-east-1', aws(t));
    expect(cfg).toContain(
      `default-server inter ${h.interMs}ms fastinter ${h.fastInterMs}ms downinter ${h.downInterMs}ms rise ${h.rise} fall ${h.fall} on-marked-down shutdown-sessions`,
    );
  });

  test('no connection retries, and sessions on a server marked down are cut', () => {
    // A stream waiting to retry a server that shutdown-sessions then cuts kept its client connection open
    // with no timer on HAProxy 3.0 (the rehearsal's subscription-failover caught a subscriber hung there).
    const t = ex2();
    const cfg = renderHaproxy(t, 'orders-us-east-1', aws(t));
    const defaults = cfg.split('defaults\n')[1]!.split('\n\n')[0]!;
    expect(defaults).toMatch(/^ {4}retries 0$/m);
    expect(defaults).toContain('on-marked-down shutdown-sessions');
  });

  test('writer checks /primary, reader /replica?lag=<readerMaxLagBytes>, pooled listeners go to PgBouncer', () => {
    const t = ex2();
    const cfg = renderHaproxy(t, 'orders-us-east-1', aws(t));
    const listen = (name: string) => cfg.split(`listen ${name}\n`)[1]!.split('\n\n')[0]!;
    expect(listen('writer')).toContain(`http-check send meth GET uri ${HEALTH_PATHS.writer}`);
    expect(listen('reader')).toContain(
      `http-check send meth GET uri ${HEALTH_PATHS.reader(t.endpoints.readerMaxLagBytes)}`,
    );
    expect(listen('writer_pooled')).toContain(':6432 check port 8008 check-ssl verify required');
    expect(listen('writer')).toContain('server use1-a 10.10.0.10:5432 check port 8008');
    expect(listen('stats')).toContain('stats enable');
  });

  test.each([
    [
      'pooler none: no pooled listeners',
      (s: Record<string, any>) => (s.endpoints = { pooler: 'none' }),
      false,
      true,
    ],
    [
      'tcp checks: no HTTP check',
      (s: Record<string, any>) => (s.endpoints = { healthCheckProtocol: 'tcp' }),
      true,
      false,
    ],
  ])('%s', (_n, edit, pooled, http) => {
    const t = spec((s) => {
      edit(s);
    });
    const cfg = renderHaproxy(t, 'orders-us-east-1', aws(t));
    expect(cfg.includes('listen writer_pooled')).toBe(pooled);
    expect(cfg.includes('option httpchk')).toBe(http);
  });
});

describe('pgbouncer.ini and pgbackrest.conf', () => {
  test('PgBouncer: auth_query with an auth_user, no user list in the config, TLS both ways, pool from the spec', () => {
    const t = ex2();
    const c = ini(renderPgbouncer(t, 'use1-a', aws(t)));
    expect(c.pgbouncer).toMatchObject({
      auth_type: 'hba',
      auth_user: 'pgbouncer_auth',
      auth_query: 'SELECT usename, passwd FROM pgbouncer.get_auth($1)',
      auth_file: '/etc/pgtopo/secrets/pgbouncer/userlist.txt',
      client_tls_sslmode: 'require',
      server_tls_sslmode: 'verify-full',
      pool_mode: t.endpoints.pgbouncer.poolMode,
      default_pool_size: String(t.endpoints.pgbouncer.defaultPoolSize),
      max_client_conn: String(t.endpoints.pgbouncer.maxClientConn),
    });
    expect(c.databases).toEqual({ '*': 'host=10.10.0.10 port=5432' });
  });

  test.each([
    ['use1-a', 'storage', [['us-east-1', '/orders-us-east-1']], 'orders-us-east-1'],
    [
      'use1-a',
      'pgbackrest',
      [
        ['us-east-1', '/orders-us-east-1'],
        ['us-west-2', '/orders-us-east-1'],
      ],
      'orders-us-east-1',
    ],
    ['usw2-b', 'storage', [['us-west-2', '/orders-us-east-1']], 'orders-us-east-1'],
    ['usw2-b', 'pgbackrest', [['us-west-2', '/orders-us-east-1']], 'orders-us-east-1'],
  ] as const)('example 2 %s, copies by %s: repositories %j, stanza %s', (member, copies, repos, stanza) => {
    const t = ex2();
    const c = ini(renderPgbackrest(t, member, awsAddressMap(t, { archiveCopies: copies })));
    repos.forEach(([region, path], i) => {
      expect(c.global).toMatchObject({
        [`repo${i + 1}-type`]: 's3',
        [`repo${i + 1}-s3-region`]: region,
        [`repo${i + 1}-s3-bucket`]: `pgtopo-orders-archive-${region}`,
        [`repo${i + 1}-path`]: path,
        [`repo${i + 1}-cipher-type`]: 'aes-256-cbc',
        [`repo${i + 1}-retention-full-type`]: 'time',
        [`repo${i + 1}-retention-full`]: String(t.archive.retentionDays),
      });
    });
    expect(c.global![`repo${repos.length + 1}-type`]).toBeUndefined();
    expect(c.global).toMatchObject({ 'archive-async': 'y', 'spool-path': '/var/spool/pgtopo/pgbackrest' });
    expect(Object.keys(c.global!).some((k) => k.includes('cipher-pass'))).toBe(false);
    expect(Object.keys(c)).toEqual(['global', stanza]);
  });

  test('locally pgBackRest writes the copy itself: the standby cluster reads what repo2 of the primary writes', () => {
    const t = ex2();
    const map = local(t);
    const primary = ini(renderPgbackrest(t, 'use1-a', map)).global!;
    const standby = ini(renderPgbackrest(t, 'usw2-a', map)).global!;
    expect(primary['repo2-path']).toBe('/tmp/pgt-unit/repo/us-west-2/orders-us-east-1');
    expect(standby['repo1-path']).toBe(primary['repo2-path']);
    expect(standby['repo2-path']).toBeUndefined();
  });

  test('example 1 has one repository; locally it is a posix path', () => {
    const t = example('singleRegion');
    expect(repositoriesOf(t, 'use1-a').map((r) => r.index)).toEqual([1]);
    const c = ini(renderPgbackrest(t, 'use1-a', local(t)));
    expect(c.global).toMatchObject({
      'repo1-type': 'posix',
      'repo1-path': '/tmp/pgt-unit/repo/us-east-1/orders-us-east-1',
    });
  });

  test('archive disabled: no repository, archive_mode off', () => {
    const t = spec((s) => {
      s.archive = { enabled: false };
    });
    expect(repositoriesOf(t, 'use1-a')).toEqual([]);
    expect(patroni(t, 'use1-a').postgresql.parameters.archive_mode).toBe('off');
    expect(renderMember(t, 'use1-a', aws(t)).some((f) => f.path.includes('pgbackrest'))).toBe(false);
  });
});

describe('address maps', () => {
  test.each(EXAMPLE_NAMES)(
    '%s: local addresses are distinct loopback addresses; the two maps differ only there',
    (name) => {
      const t = example(name);
      const map = local(t);
      const hosts = [
        ...t.members.map((m) => map.memberAddress(m.name)),
        ...t.etcd
          .flatMap((q) => q.members)
          .filter((e) => !e.colocatedWith)
          .map((e) => map.etcdAddress(e.name)),
        ...t.clusters.map((c) => map.haproxyBind(c.scope)),
      ];
      expect(new Set(hosts).size).toBe(hosts.length);
      for (const a of hosts) expect(a).toMatch(/^127\.0\.20\.\d+$/);
      expect(map.etcdAddress(t.etcd[0]!.members[0]!.name)).toBe('127.0.20.1');
      expect(map.memberAddress(t.members[0]!.name)).toBe('127.0.20.10');
      // Same file set, same keys: only addresses and paths differ.
      for (const m of t.members) {
        const a = renderMember(t, m.name, aws(t)).map((f) => f.path.replace('/etc/pgtopo', 'ETC'));
        const l = renderMember(t, m.name, map).map((f) =>
          f.path.replace(`/tmp/pgt-unit/${m.name}/etc`, 'ETC'),
        );
        expect(l.filter((p) => p.startsWith('ETC'))).toEqual(a.filter((p) => p.startsWith('ETC')));
      }
    },
  );

  test('hostOffset shifts every address; too many hosts or a long base dir are refused', () => {
    const t = ex2();
    expect(
      localAddressMap(t, { baseDir: '/x', subnet: '127.0.20', hostOffset: 100 }).etcdAddress(
        t.etcd[0]!.members[0]!.name,
      ),
    ).toBe('127.0.20.101');
    expect(() => localAddressMap(t, { baseDir: '/x', subnet: '127.0.20', hostOffset: 240 })).toThrow(
      RangeError,
    );
    expect(() => localAddressMap(t, { baseDir: `/${'d'.repeat(80)}` })).toThrow(/too long/);
    expect(() => localAddressMap(t, { baseDir: '/x', subnet: '10.0.0' })).toThrow(/loopback/);
    expect(() => localAddressMap(t, { baseDir: 'relative' })).toThrow(/absolute/);
  });

  test('certificates name the host address, its endpoints and the loopback source locally', () => {
    const t = ex2();
    expect(certificateSubjects(t, 'use1-a', aws(t))).toEqual({
      commonName: 'use1-a',
      ips: ['10.10.0.10'],
      dnsNames: [
        'writer.us-east-1.orders.db.internal',
        'reader.us-east-1.orders.db.internal',
        'writer.orders.db.internal',
      ],
    });
    const map = local(t);
    expect(certificateSubjects(t, 'use1-a', map).ips).toEqual([
      map.memberAddress('use1-a'),
      map.haproxyBind('orders-us-east-1'),
      '127.0.0.1',
    ]);
  });

  test.each([
    ['renderMember', (t: Topology) => renderMember(t, 'use1-x', aws(t))],
    ['renderEtcdNode', (t: Topology) => renderEtcdNode(t, 'nope', aws(t))],
    ['renderHaproxy', (t: Topology) => renderHaproxy(t, 'orders-eu-west-1', aws(t))],
    ['renderUserData', (t: Topology) => renderUserData(t, 'use1', aws(t))],
  ])('%s rejects an unknown name', (_n, call) => {
    expect(() => call(ex2())).toThrow(UnknownNodeError);
  });
});

describe('spec switches', () => {
  test('security.tls false: plain host lines, no TLS files anywhere', () => {
    const t = spec((s) => {
      s.security = { tls: false };
    });
    const doc = patroni(t, 'use1-a');
    expect(doc.restapi.certfile).toBeUndefined();
    expect(doc.postgresql.parameters.ssl).toBeUndefined();
    expect(doc.postgresql.authentication.replication.sslmode).toBeUndefined();
    expect(
      pgHba(t, 'use1-a', aws(t))
        .filter((l) => !l.startsWith('local'))
        .every((l) => l.startsWith('host ')),
    ).toBe(true);
    expect(renderHaproxy(t, 'orders-us-east-1', aws(t))).not.toContain('check-ssl');
    expect(renderPgbouncer(t, 'use1-a', aws(t))).not.toContain('tls');
  });

  test.each([
    ['nat', true],
    ['none', false],
  ] as const)('hosts.egress %s: packages installed by cloud-init: %s', (egress, installs) => {
    const t = spec((s) => {
      s.hosts = { egress };
    });
    const doc = parse(renderUserData(t, 'use1-a', aws(t)));
    expect(doc.packages !== undefined).toBe(installs);
    expect(doc.runcmd).toEqual([['bash', '/etc/pgtopo/boot/pgtopo-boot.sh']]);
  });
});

describe.each(RELEASE_NAMES)('the Patroni of %s knows every key pgtopo renders', (release) => {
  let source = '';
  beforeAll(async () => {
    const root = await ensureReleaseRoot(release);
    source = (function read(dir: string): string {
      return readdirSync(dir)
        .map((n) => join(dir, n))
        .map((p) => (statSync(p).isDirectory() ? read(p) : p.endsWith('.py') ? readFileSync(p, 'utf8') : ''))
        .join('\n');
    })(join(root.dir, 'usr/lib/python3/dist-packages/patroni'));
  }, ROOT_BUILD_TIMEOUT_MS);
  // Values below these keys are PostgreSQL settings, slot names or free-form tags, not Patroni keys.
  const OPAQUE = new Set(['parameters', 'slots', 'tags', 'recovery_conf']);
  const keys = (v: unknown, out: Set<string>): Set<string> => {
    if (Array.isArray(v)) for (const x of v) keys(x, out);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(k);
        if (!OPAQUE.has(k)) keys(x, out);
      }
    }
    return out;
  };

  test.each(EXAMPLE_NAMES)('%s', (name) => {
    const t = exampleOn(name, release);
    const all = new Set<string>();
    for (const m of t.members) keys(patroni(t, m.name), all);
    const unknown = [...all].filter((k) => !source.includes(`'${k}'`) && !source.includes(`"${k}"`));
    // initdb options are passed to initdb, not read by Patroni.
    expect(unknown.filter((k) => !['encoding', 'locale', 'auth-local', 'auth-host'].includes(k))).toEqual([]);
  });
});

describe('determinism and snapshots (example 2, AWS map)', () => {
  test('rendering twice gives identical files', () => {
    const t = ex2();
    for (const h of bootableHosts(t)) expect(renderHost(t, h, aws(t))).toEqual(renderHost(t, h, aws(t)));
  });

  const t = ex2();
  const map = aws(t);
  const cases: [string, string][] = [
    ...bootableHosts(t).flatMap((h) => [
      ...renderHost(t, h, map).map((f: RenderedFile): [string, string] => [`${h}${f.path}`, f.content]),
      [`${h}/user-data.yaml`, renderUserData(t, h, map)] as [string, string],
    ]),
    ...t.clusters.map((c): [string, string] => [
      `${haproxyHost(c.scope)}/haproxy.cfg`,
      renderHaproxy(t, c.scope, map),
    ]),
  ];
  test.each(cases)('%s', async (path, content) => {
    await expect(content).toMatchFileSnapshot(`__snapshots__/two-region-standby/${path}`);
  });
});

describe('user parameters and the managed list', () => {
  test.each([
    [{ work_mem: '64MB' }, { work_mem: '64MB' }],
    // managed by pgtopo (PGT-PG-004 rejects them): never rendered from the spec
    [{ archive_command: '/bin/true', port: 6000 }, {}],
    // the spec may raise the replication capacity, never lower it below what the model needs
    [
      { max_wal_senders: 50, max_replication_slots: 40 },
      { max_wal_senders: 50, max_replication_slots: 40 },
    ],
  ] as const)('parameters %j render as %j', (parameters, expected) => {
    const t = topologyFrom({ ...baseSpec(), postgres: { parameters } });
    const rendered = parse(renderPatroni(t, 'use1-a', awsAddressMap(t)));
    const p = rendered.bootstrap.dcs.postgresql.parameters;
    expect(p).toMatchObject(expected);
    expect(rendered.postgresql.parameters.archive_command).not.toBe('/bin/true');
    expect(rendered.postgresql.parameters.port ?? p.port).not.toBe(6000);
  });

  test('a lower max_wal_senders in the spec does not shrink the rendered capacity', () => {
    const t = topologyFrom({ ...baseSpec(), postgres: { parameters: { max_wal_senders: 1 } } });
    const p = parse(renderPatroni(t, 'use1-a', awsAddressMap(t))).bootstrap.dcs.postgresql.parameters;
    expect(p.max_wal_senders).toBeGreaterThan(2);
  });
});
