/**
 * Example 1 boots from its local render with real daemons, as `postgres`:
 * the etcd quorum, Patroni (initdb, post-bootstrap script, a streaming
 * replica over TLS), pgBackRest on a posix repository (check and the
 * scheduled backup script), PgBouncer (admin console, auth_query over TLS),
 * postgres_exporter and HAProxy following the leader. Loopback 127.0.20.100+.
 */
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NODE_METRICS, PORTS } from '../../src/model/constants.js';
import {
  archiveStanza,
  bootableHosts,
  etcdHost,
  haproxyHost,
  layout,
  localAddressMap,
  renderMetricsPublisher,
  servicesOf,
  UNITS,
} from '../../src/render/index.js';
import { exampleWith } from '../helpers/examples.js';
import {
  type Daemon,
  etcdctlArgs,
  fakeSecrets,
  ids,
  issueCert,
  makeBaseDir,
  makeCa,
  materialize,
  plantSecrets,
  ROOT_BUILD_TIMEOUT_MS,
  RUN_AS,
  removeDir,
  run,
  serviceEnv,
  startService,
  useReleaseRoot,
  waitFor,
} from './helpers.js';

// Quorum commit (Patroni 4): the rehearsal covers synchronous_mode on with the same example.
const t = exampleWith('singleRegion', (s) => {
  s.durability = { rpo: 'zero-in-region', synchronousMode: 'quorum' };
});
const scope = t.clusters[0]!.scope;
const [leader, replica] = [t.members[0]!.name, t.members[1]!.name];
const daemons: Daemon[] = [];
let base = '';
let map: ReturnType<typeof localAddressMap>;

const service = (host: string, unit: string) => servicesOf(t, host, map).find((s) => s.unit === unit)!;
const start = (host: string, unit: string) => {
  const d = startService(service(host, unit), `${host}/${unit}`);
  daemons.push(d);
  return d;
};
const f = (host: string) => layout(map.paths(host), t);
const APP_PASSWORD = 'app-password-for-the-boot-test';

const restUrl = (host: string) => `https://${map.memberAddress(host)}:${PORTS.patroniRest}`;

async function patroniRole(host: string, path: string): Promise<boolean> {
  const r = await run('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    f(host).tlsCa,
    `${restUrl(host)}${path}`,
  ]);
  return r.stdout === '200';
}

/** SQL as the superuser over the leader's local socket (peer authentication as the postgres account). */
async function superuser(sql: string): Promise<string> {
  const r = await run('psql', ['-h', f(leader).pgSocketDir, '-U', 'postgres', '-XAt', '-F', ' ', '-c', sql], {
    as: RUN_AS,
  });
  return r.stdout.trim();
}

async function psql(conninfo: string, sql: string, password = APP_PASSWORD): Promise<string> {
  const r = await run('psql', [conninfo, '-XAt', '-F', ' ', '-c', sql], {
    env: { ...process.env, PGPASSWORD: password },
  });
  return r.stdout.trim();
}

/**
 * The servers HAProxy holds UP, per listener, from its stats page (CSV); undefined while any server's
 * check has yet to decide (`INI`, or on its way: `UP 1/2`, `DOWN 1/2`).
 */
async function haproxyUpServers(hap: string): Promise<Record<string, string[]> | undefined> {
  const [head, ...rows] = (await run('curl', ['-sf', `http://${hap}:${PORTS.haproxyStats}/;csv`])).stdout
    .trim()
    .split('\n');
  const columns = head!.replace(/^# /, '').split(',');
  const at = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
  const up: Record<string, string[]> = {};
  for (const row of rows.map((r) => r.split(','))) {
    const [listener, server] = [at(row, 'pxname'), at(row, 'svname')];
    if (listener === 'stats' || server === 'FRONTEND' || server === 'BACKEND') continue;
    const status = at(row, 'status');
    if ((status !== 'UP' && status !== 'DOWN') || at(row, 'check_status').includes('INI')) return undefined;
    if (status === 'UP') (up[listener] ??= []).push(server);
  }
  return up;
}

beforeAll(async () => {
  await useReleaseRoot(t.release.name);
  base = makeBaseDir('boot');
  map = localAddressMap(t, { baseDir: base, subnet: '127.0.20', hostOffset: 100 });
  const ca = await makeCa(base);
  const fakes = fakeSecrets('boot');
  for (const h of [...bootableHosts(t), haproxyHost(scope)]) {
    materialize(t, h, map);
    await issueCert(t, h, map, ca);
    await plantSecrets(t, h, map, fakes);
  }
  const names = t.etcd[0]!.members.map((e) => e.name);
  for (const n of names) start(etcdHost(t, n), UNITS.etcd);
  await waitFor(
    'etcd quorum',
    async () => {
      // etcdctl prints health to stderr; it exits non-zero until every endpoint is healthy.
      const r = await run('etcdctl', [...etcdctlArgs(t, names, map), 'endpoint', 'health'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      return (r.stdout + r.stderr).includes('is healthy');
    },
    30_000,
  );
}, ROOT_BUILD_TIMEOUT_MS);

afterAll(async () => {
  // Reverse start order: clients before servers, Patroni (which stops PostgreSQL) before etcd.
  for (const d of [...daemons].reverse()) await d.stop();
  if (base) removeDir(base);
}, 120_000);

describe('example 1 boots from its local render', () => {
  test('Patroni bootstraps the leader; the post-bootstrap script creates the roles and the stanza', async () => {
    const p = start(leader, UNITS.patroni);
    await waitFor('leader', () => patroniRole(leader, '/primary'), 60_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${p.output()}`);
    });
    await superuser(`CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
    expect((await superuser('SELECT rolname FROM pg_roles ORDER BY 1')).split('\n')).toEqual(
      expect.arrayContaining(['pgbouncer_auth', 'pgtopo_monitor', 'replicator', 'rewinder']),
    );
    const settings = await superuser(
      "SELECT name, setting FROM pg_settings WHERE name IN ('data_checksums', 'ssl', 'archive_mode', 'max_wal_senders', 'password_encryption') ORDER BY 1",
    );
    expect(settings.split('\n')).toEqual([
      'archive_mode on',
      'data_checksums on',
      `max_wal_senders ${t.members.length - 1 + 4}`,
      'password_encryption scram-sha-256',
      'ssl on',
    ]);
  }, 90_000);

  test('a replica clones over TLS as the replication role and streams (quorum commit counts it)', async () => {
    const p = start(replica, UNITS.patroni);
    await waitFor('replica', () => patroniRole(replica, '/replica'), 60_000);
    const sync = await waitFor(
      'synchronous standby',
      async () =>
        (
          await superuser(
            'SELECT usename, ssl, sync_state FROM pg_stat_replication JOIN pg_stat_ssl USING (pid)',
          )
        ).match(/replicator t quorum/)?.[0],
      30_000,
    ).catch(async (e) => {
      throw new Error(
        `${(e as Error).message}\n${await superuser('SELECT * FROM pg_stat_replication')}\n${p.output()}`,
      );
    });
    expect(sync).toBe('replicator t quorum');
    // Patroni runs the rendered quorum mode: ANY 1 over every eligible standby, and /config says so.
    expect(await superuser('SHOW synchronous_standby_names')).toBe(`ANY 1 ("${replica}")`);
    const config = await run('curl', ['-sf', '--cacert', f(leader).tlsCa, `${restUrl(leader)}/config`]);
    expect(JSON.parse(config.stdout)).toMatchObject({
      synchronous_mode: 'quorum',
      synchronous_node_count: 1,
    });
  }, 90_000);

  test('the metrics publisher reports lag and archive failures as EMF (stub aws on the AWS variant, a file locally)', async () => {
    const published = (dir: string) =>
      readFileSync(join(dir, 'payloads'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { timestamp: number; message: string }[]);
    for (const host of [leader, replica]) {
      // The AWS variant of the same node's script, run against the local daemons with a stub `aws`
      // that records its arguments and payloads and knows the stream only after create-log-stream.
      const stub = join(base, `stub-aws-${host}`);
      mkdirSync(stub, { recursive: true });
      writeFileSync(
        join(stub, 'aws'),
        `#!/bin/bash
printf '%s\\n' "$*" >> ${stub}/calls
for a; do case $a in file://*) cat "\${a#file://}" >> ${stub}/payloads; echo >> ${stub}/payloads;; esac; done
if [ "$2" = create-log-stream ]; then touch ${stub}/stream; fi
if [ "$2" = put-log-events ] && [ ! -e ${stub}/stream ]; then echo 'An error occurred (ResourceNotFoundException)' >&2; exit 254; fi
exit 0
`,
        { mode: 0o755 },
      );
      const script = join(stub, 'publish.sh');
      writeFileSync(script, renderMetricsPublisher(t, host, { ...map, target: 'aws' }), { mode: 0o755 });
      const owner = ids(RUN_AS);
      chownSync(stub, owner.uid, owner.gid);
      const env = { ...process.env, PATH: `${stub}:${process.env.PATH}` };
      for (let i = 0; i < 2; i++) await run(script, [], { as: RUN_AS, env });
      const calls = readFileSync(join(stub, 'calls'), 'utf8').trim().split('\n');
      expect(calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
        'logs put-log-events',
        'logs create-log-stream',
        'logs put-log-events',
        'logs put-log-events',
      ]);
      expect(calls[1]).toContain(
        `--log-group-name ${NODE_METRICS.logGroup(t.name)} --log-stream-name ${host}`,
      );
      const events = published(stub).slice(1);
      expect(events).toHaveLength(2);
      for (const [event] of events) {
        const doc = JSON.parse(event!.message);
        expect(doc._aws.Timestamp).toBe(event!.timestamp);
        expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe(NODE_METRICS.namespace);
        expect(doc.Cluster).toBe(scope);
        expect(doc[NODE_METRICS.archiveFailures]).toBe(0);
        const lag = doc[NODE_METRICS.replicaLagBytes];
        expect(typeof lag).toBe('number');
        if (host === leader) expect(lag).toBe(0);
        else expect(lag).toBeGreaterThanOrEqual(0);
      }
      expect(readFileSync(f(host).metricsArchiveState, 'utf8')).toBe('0\n');
      // The local render's own script: the same document into a file, no AWS call (no stub on PATH).
      await run(f(host).metricsScript, [], { as: RUN_AS });
      const [line] = readFileSync(f(host).metricsLocalOutput, 'utf8').trim().split('\n');
      expect(JSON.parse(line!)[NODE_METRICS.replicaLagBytes]).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  test('pgBackRest checks the archive and the scheduled backup script takes a full backup', async () => {
    const env = { PATH: process.env.PATH, ...serviceEnv(service(leader, UNITS.patroni)) };
    await run('pgbackrest', [`--stanza=${archiveStanza(t, leader)}`, 'check'], {
      as: RUN_AS,
      env,
      timeoutMs: 60_000,
    });
    const backup = await run(f(leader).backupScript, [], { as: RUN_AS, timeoutMs: 90_000 });
    expect(backup.stdout).not.toContain('not the leader');
    const info = JSON.parse(
      (
        await run('pgbackrest', [`--stanza=${archiveStanza(t, leader)}`, '--output=json', 'info'], {
          as: RUN_AS,
          env,
        })
      ).stdout,
    );
    expect(info[0].status.message).toBe('ok');
    expect(info[0].cipher).toBe('aes-256-cbc');
    expect(info[0].backup.map((b: { type: string }) => b.type)).toEqual(['full']);
    // On the replica the same script declines.
    expect((await run(f(replica).backupScript, [], { as: RUN_AS })).stdout).toContain('not the leader');
  }, 120_000);

  test('PgBouncer answers SHOW VERSION on its admin console and authenticates clients with auth_query over TLS', async () => {
    start(leader, UNITS.pgbouncer);
    const version = await waitFor(
      'pgbouncer admin console',
      async () =>
        (
          await run(
            'psql',
            [
              '-h',
              f(leader).pgbouncerSocketDir,
              '-p',
              String(PORTS.pgbouncer),
              '-U',
              RUN_AS,
              '-XAtc',
              'SHOW VERSION',
              'pgbouncer',
            ],
            {
              as: RUN_AS,
            },
          )
        ).stdout,
      15_000,
    );
    expect(version).toMatch(/^PgBouncer 1\.\d+/);
    const addr = map.memberAddress(leader);
    const row = await psql(
      `host=${addr} port=${PORTS.pgbouncer} user=app dbname=postgres sslmode=verify-full sslrootcert=${f(leader).tlsCa}`,
      'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(row).toBe('app t');
    await expect(
      psql(
        `host=${addr} port=${PORTS.pgbouncer} user=app dbname=postgres sslmode=require`,
        'SELECT 1',
        'wrong-password',
      ),
    ).rejects.toThrow(/SASL authentication failed|password authentication failed/);
  }, 60_000);

  test('postgres_exporter reports pg_up 1 through peer authentication', async () => {
    start(leader, UNITS.postgresExporter);
    const up = await waitFor(
      'pg_up',
      async () =>
        (
          await run('curl', ['-s', `http://${map.memberAddress(leader)}:${PORTS.postgresExporter}/metrics`])
        ).stdout
          .split('\n')
          .find((l) => l.startsWith('pg_up')),
      20_000,
    );
    expect(up).toBe(`pg_up{cluster="${scope}",member="${leader}",region="${t.primaryRegion}"} 1`);
  }, 30_000);

  test('HAProxy routes the writer to the leader and the reader to the replica', async () => {
    start(haproxyHost(scope), UNITS.haproxy);
    const hap = map.haproxyBind(scope);
    const tls = `sslmode=verify-full sslrootcert=${f(leader).tlsCa}`;
    const ask = (port: number) =>
      psql(
        `host=${hap} port=${port} user=app dbname=postgres ${tls}`,
        'SELECT host(inet_server_addr()), pg_is_in_recovery()',
      );
    // HAProxy 2.6 starts every server UP until `fall` checks fail, and `on-marked-down
    // shutdown-sessions` then cuts what went to it: one right answer is not yet a settled route.
    // Wait until its stats show every check decided and only the leader (writer) and the replica
    // (reader) up.
    const up = await waitFor(
      'HAProxy checks decided',
      async () => {
        const servers = await haproxyUpServers(hap);
        return servers?.writer?.join() === leader && servers.reader?.join() === replica ? servers : undefined;
      },
      20_000,
    );
    expect(up).toMatchObject({ writer: [leader], reader: [replica] });
    const settled = (port: number, want: string) =>
      waitFor(`${port} -> ${want}`, async () => ((await ask(port)) === want ? want : undefined), 20_000);
    expect(await settled(PORTS.writer, `${map.memberAddress(leader)} f`)).toBeTruthy();
    expect(await settled(PORTS.reader, `${map.memberAddress(replica)} t`)).toBeTruthy();
    // Settled: every new connection now lands on the right role.
    for (let i = 0; i < 5; i++) {
      expect(await ask(PORTS.writer)).toBe(`${map.memberAddress(leader)} f`);
      expect(await ask(PORTS.reader)).toBe(`${map.memberAddress(replica)} t`);
    }
    const pooled = () =>
      psql(
        `host=${hap} port=${PORTS.writerPooled} user=app dbname=postgres sslmode=require`,
        'SELECT pg_is_in_recovery()',
      );
    expect(
      await waitFor('pooled writer', async () => ((await pooled()) === 'f' ? 'f' : undefined), 20_000),
    ).toBe('f');
  }, 60_000);
});
