/**
 * The monitoring renderers: metric names exist in the node release's own packages, every alert carries its
 * routing labels and a runbook that exists, thresholds come from the model, and `pgtopo render --monitoring`
 * writes the bundle (and refuses a bad command line).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { command } from '../../src/cli/commands/render.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import { PORTS } from '../../src/model/constants.js';
import { tryResolve } from '../../src/model/load.js';
import { cachedRoot } from '../../src/rehearsal/release-root.js';
import { alertsOf, lagBoundBytes, noLeaderBoundSeconds, slotCapBytes } from '../../src/render/alerts.js';
import {
  awsAddressMap,
  dataMountOf,
  etcdSettings,
  hostPackages,
  layout,
  localAddressMap,
  renderMonitoring,
  renderPgbouncer,
  renderPgbouncerHba,
  runsPgbouncerExporter,
  scrapeJobs,
  servicesOf,
  UNITS,
} from '../../src/render/index.js';
import { METRICS } from '../../src/render/prometheus.js';
import { buildReview } from '../../src/review/report.js';
import { EXAMPLE_NAMES, EXAMPLES, example, exampleOn } from '../helpers/examples.js';
import { variant } from '../helpers/spec.js';

const out = mkdtempSync(join(tmpdir(), 'pgtopo-monitoring-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const used = (t: ReturnType<typeof example>) => {
  const files = renderMonitoring(t, awsAddressMap(t));
  const text = files
    .filter((f) => f.rel.endsWith('.rules.yml') || f.rel.startsWith('dashboards/'))
    .map((f) => f.content)
    .join('\n');
  return [...new Set(text.match(/\b(patroni|pg|node)_[a-z_]+\b/g) ?? [])];
};

describe.each(['debian-13', 'debian-12'] as const)('metric names are those %s exposes', (release) => {
  const root = cachedRoot(release);
  test.skipIf(!root)(
    'every patroni_/pg_/node_ name an alert or panel reads is in the installed exporters',
    () => {
      const api = readFileSync(join(root!.dir, 'usr/lib/python3/dist-packages/patroni/api.py'), 'utf8');
      const strings = (bin: string) =>
        execFileSync('strings', [join(root!.dir, bin)], { maxBuffer: 256 * 1024 * 1024 }).toString();
      const pgExporter = strings('usr/bin/prometheus-postgres-exporter');
      const nodeExporter = strings('usr/bin/prometheus-node-exporter');
      for (const name of EXAMPLE_NAMES) {
        for (const metric of used(exampleOn(name, release))) {
          // Patroni 3 has no quorum commit: the sync alert counts quorum standbys as 0 there.
          if (metric === METRICS.quorumStandby && !root!.release.features.quorumCommit) continue;
          if (metric.startsWith('patroni_')) expect(api, metric).toContain(`"${metric}`);
          else if (metric.startsWith('node_')) {
            // node_exporter builds names from namespace, subsystem and name: filesystem + avail_bytes.
            const [, sub, rest] = /^node_([a-z]+)_(.+)$/.exec(metric)!;
            expect(nodeExporter, metric).toContain(sub);
            expect(nodeExporter, metric).toContain(rest);
          } else {
            // postgres_exporter: pg_<collector>_<column> (pg_stat_archiver + last_archive_age, ...).
            const parts = Object.values(METRICS).includes(metric as never) ? metric : '';
            expect(parts, `${metric} is one of METRICS`).toBe(metric);
            const column = metric.replace(/^pg_(stat_archiver|replication_slot)_/, '');
            expect(pgExporter, metric).toContain(column);
          }
        }
      }
    },
  );
});

describe.each(EXAMPLE_NAMES)('%s', (name) => {
  const t = example(name);
  const mount = dataMountOf(t, awsAddressMap(t));
  const files = renderMonitoring(t, awsAddressMap(t));
  const rules = parseYaml(files.find((f) => f.rel.endsWith('.rules.yml'))!.content) as {
    groups: {
      rules: { alert: string; labels: Record<string, string>; annotations: Record<string, string> }[];
    }[];
  };

  test('every rule routes on severity and topology, and links a runbook that is rendered', () => {
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(0);
    for (const r of all) {
      expect(['page', 'ticket']).toContain(r.labels.severity);
      expect(r.labels.topology).toBe(t.name);
      expect(r.annotations.runbook_url).toBe(`runbooks/${r.alert}.md`);
      expect(files.some((f) => f.rel === r.annotations.runbook_url)).toBe(true);
    }
  });

  test("the issue's alerts are all there", () => {
    const names = new Set(alertsOf(t, mount).map((a) => a.name));
    for (const n of [
      'PgtopoNoWritableLeader',
      'PgtopoNoWritableLeaderProlonged',
      'PgtopoMultipleLeaders',
      'PgtopoReplicaLagAboveBound',
      'PgtopoWalArchivingFailing',
      'PgtopoWalArchiveStale',
      'PgtopoSlotWalRetentionNearCap',
      'PgtopoEtcdQuorumAtRisk',
      'PgtopoEtcdNoLeader',
      'PgtopoEtcdLeaderChanges',
      'PgtopoEtcdSlowFsync',
      'PgtopoDataDiskFilling',
      'PgtopoDataDiskAlmostFull',
    ])
      expect(names, n).toContain(n);
    expect(names.has('PgtopoPgbouncerClientsWaiting')).toBe(t.endpoints.pooler === 'pgbouncer');
    expect(names.has('PgtopoSyncStandbyMissing')).toBe(t.durability.rpo === 'zero-in-region');
    expect(names.has('PgtopoNoStandbyLeader')).toBe(t.clusters.some((c) => c.role === 'standby'));
  });

  test('thresholds come from the model', () => {
    const lag = alertsOf(t, mount).find((a) => a.name === 'PgtopoReplicaLagAboveBound')!;
    expect(lag.expr.endsWith(`> ${lagBoundBytes(t)}`)).toBe(true);
    const slot = alertsOf(t, mount).find((a) => a.name === 'PgtopoSlotWalRetentionNearCap')!;
    expect(slot.expr).toContain(`< ${Math.floor(slotCapBytes(t)! * 0.2)}`);
    expect(alertsOf(t, mount).find((a) => a.name === 'PgtopoDataDiskFilling')!.expr).toContain(
      `mountpoint="${mount}"`,
    );
  });

  test('one dashboard per cluster', () => {
    for (const c of t.clusters) {
      const d = JSON.parse(files.find((f) => f.rel === `dashboards/${c.scope}.json`)!.content);
      expect(d.panels.length).toBeGreaterThan(4);
      for (const p of d.panels)
        for (const target of p.targets) expect(target.expr).toContain(`cluster="${c.scope}"`);
    }
  });
});

const topo = (edit: (s: Record<string, any>) => void) => {
  const r = tryResolve(variant(edit));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.topology;
};

describe('thresholds follow the spec', () => {
  test.each([
    ['rpo async: the reader bound alone', 'async', 4 * 1024 * 1024, 4 * 1024 * 1024],
    ['rpo bounded: maximum_lag_on_failover below the reader bound', 'bounded', 4 * 1024 * 1024, 1024 * 1024],
    ['rpo bounded: a tighter reader bound wins', 'bounded', 65536, 65536],
  ] as const)('%s', (_n, rpo, readerMaxLagBytes, bound) => {
    const t = topo((s) => {
      s.failover = { profile: 'balanced' };
      s.durability = { rpo };
      s.endpoints = { ...s.endpoints, readerMaxLagBytes };
    });
    expect(lagBoundBytes(t)).toBe(bound);
    expect(alertsOf(t, '/var/lib/pgtopo').find((a) => a.name === 'PgtopoReplicaLagAboveBound')?.expr).toMatch(
      new RegExp(`> ${bound}$`),
    );
  });

  // The writer outage fires after one loop_wait, well inside a failover, and is a ticket; the page comes only
  // once no leader is back within what an automatic failover takes. A standby cluster has only the latter.
  test.each([
    ['conservative', { profile: 'conservative' }, 10],
    ['balanced', { profile: 'balanced' }, 5],
    ['fast', { profile: 'fast' }, 2],
    ['custom timers', { profile: 'balanced', ttl: 25, loopWait: 3, retryTimeout: 5 }, 3],
  ] as const)('no-leader alerts, %s: for loop_wait, then ttl + 2 x loop_wait', (_n, failover, loopWait) => {
    const t = topo((s) => {
      s.failover = failover;
    });
    expect(t.failover.timers.loopWait).toBe(loopWait);
    const bound = t.failover.timers.ttl + 2 * loopWait;
    expect(noLeaderBoundSeconds(t)).toBe(bound);
    const by = new Map(alertsOf(t, '/var/lib/pgtopo').map((a) => [a.name, a]));
    const outage = by.get('PgtopoNoWritableLeader')!;
    const prolonged = by.get('PgtopoNoWritableLeaderProlonged')!;
    expect([outage.forSeconds, outage.severity]).toEqual([loopWait, 'ticket']);
    expect([prolonged.forSeconds, prolonged.severity]).toEqual([bound, 'page']);
    expect(prolonged.expr).toBe(outage.expr);
    // promtool runs the cases (test/observability/promtool.test.ts): the same failover gap fires the outage
    // and not the page.
    const gap = (a: typeof outage) => a.cases.find((c) => c.title?.startsWith('a failover'))!;
    expect(gap(outage).fires).toHaveLength(1);
    expect(gap(prolonged).fires).toEqual([]);
    expect(gap(prolonged).series).toEqual(gap(outage).series);
  });

  test('an unbounded max_slot_wal_keep_size has no slot alert', () => {
    const t = topo((s) => (s.postgres = { parameters: { max_slot_wal_keep_size: -1 } }));
    expect(slotCapBytes(t)).toBeUndefined();
    expect(alertsOf(t, '/var/lib/pgtopo').map((a) => a.name)).not.toContain('PgtopoSlotWalRetentionNearCap');
  });

  test('no exporters: only the Patroni-based alerts and only the patroni job', () => {
    const t = topo((s) => (s.observability = { exporters: { postgres: false, node: false } }));
    const names = alertsOf(t, '/var/lib/pgtopo').map((a) => a.name);
    expect(names.some((n) => /Archive|Slot|Disk/.test(n))).toBe(false);
    const prom = renderMonitoring(t, awsAddressMap(t)).find((f) => f.rel === 'prometheus.yml')!.content;
    expect(prom).toContain(`job_name: pgtopo-${t.name}-patroni`);
    expect(prom).not.toContain('-postgres');
  });

  test('runbookBaseUrl prefixes every runbook link', () => {
    const t = topo(
      (s) => (s.observability = { prometheus: { runbookBaseUrl: 'https://wiki.example.com/pg/' } }),
    );
    const rules = renderMonitoring(t, awsAddressMap(t)).find((f) => f.rel.endsWith('.rules.yml'))!.content;
    expect(rules).toContain('runbook_url: https://wiki.example.com/pg/PgtopoNoWritableLeader.md');
  });
});

describe('PgBouncer exporter and etcd metrics, per release', () => {
  const jobs = (t: ReturnType<typeof example>) =>
    [
      ...renderMonitoring(t, awsAddressMap(t))
        .find((f) => f.rel === 'prometheus.yml')!
        .content.matchAll(/job_name: (\S+)/g),
    ].map((m) => m[1]);

  test.each([
    ['debian-13', true],
    ['debian-12', false],
  ] as const)('%s: PgBouncer exporter %s', (release, runs) => {
    const t = exampleOn('singleRegion', release);
    const x = t.release.pgbouncerExporter;
    expect(x !== undefined).toBe(runs);
    expect(runsPgbouncerExporter(t)).toBe(runs);
    expect(hostPackages(t, t.members[0]!.name).includes('prometheus-pgbouncer-exporter')).toBe(runs);
    expect(
      servicesOf(t, t.members[0]!.name, awsAddressMap(t)).some((s) => s.unit === UNITS.pgbouncerExporter),
    ).toBe(runs);
    expect(jobs(t).includes(`pgtopo-${t.name}-pgbouncer`)).toBe(runs);
    const alert = alertsOf(t, '/var/lib/pgtopo').find((a) => a.name === 'PgtopoPgbouncerClientsWaiting');
    expect(alert !== undefined).toBe(runs);
    // The alert reads the release's own metric name, from the release table.
    if (x) expect(alert!.expr.startsWith(`${x.metrics.waitingClients}{`)).toBe(true);
  });

  test.each([
    ['pooler none', { pooler: 'none' }, {}],
    ['exporter off', {}, { pgbouncer: false }],
  ])('%s: no PgBouncer exporter, job or alert', (_n, endpoints, exporters) => {
    const t = topo((s) => {
      s.endpoints = { ...s.endpoints, ...endpoints };
      s.observability = { exporters };
    });
    expect(runsPgbouncerExporter(t)).toBe(false);
    expect(alertsOf(t, '/var/lib/pgtopo').map((a) => a.name)).not.toContain('PgtopoPgbouncerClientsWaiting');
    expect(scrapeJobs(t).map((j) => j.kind)).not.toContain('pgbouncer');
  });

  test('the exporter logs in to the admin console by peer as a stats user known to the auth file', () => {
    const t = exampleOn('singleRegion', 'debian-13');
    const map = awsAddressMap(t);
    const m = t.members[0]!.name;
    const user = map.accounts.exporter.user;
    expect(renderPgbouncer(t, m, map)).toMatch(new RegExp(`^stats_users = .*\\b${user}\\b`, 'm'));
    const hba = renderPgbouncerHba(t, m, map);
    expect(hba).toContain(`local pgbouncer ${user} peer`);
    expect(hba).toContain(`host all ${user} 0.0.0.0/0 reject`);
    // Its account is not PgBouncer's: the socket directory must let it through.
    const socketDir = layout(map.paths(m), t).pgbouncerSocketDir;
    const dir = servicesOf(t, m, map)
      .flatMap((s) => s.directories)
      .find((d) => d.path === socketDir)!;
    expect(dir.mode & 0o005).toBe(0o005);
    const svc = servicesOf(t, m, map).find((s) => s.unit === UNITS.pgbouncerExporter)!;
    expect(svc.account.user).toBe(user);
    expect(svc.exec.join(' ')).toContain(`user=${user} host=`);
  });

  test.each(EXAMPLE_NAMES)(
    '%s: etcd is scraped on its metrics listener, every etcd member a target',
    (name) => {
      const t = example(name);
      const settings = t.etcd
        .flatMap((q) => q.members)
        .map((e) => etcdSettings(t, e.name, localAddressMap(t, { baseDir: '/tmp/x' })));
      for (const s of settings)
        expect(s.ETCD_LISTEN_METRICS_URLS).toMatch(new RegExp(`^http://[0-9.]+:${PORTS.etcdMetrics}$`));
      const targets = renderMonitoring(t, awsAddressMap(t)).find(
        (f) => f.rel === `targets/${t.name}-etcd.json`,
      )!;
      const groups = JSON.parse(targets.content) as { targets: string[]; labels: Record<string, string> }[];
      expect(groups.map((g) => g.labels.etcd).sort()).toEqual(
        t.etcd.flatMap((q) => q.members.map((e) => e.name)).sort(),
      );
      for (const g of groups) expect(g.targets[0]).toMatch(new RegExp(`:${PORTS.etcdMetrics}$`));
      expect(jobs(t)).toContain(`pgtopo-${t.name}-etcd`);
    },
  );
});

describe('pgtopo render --monitoring', () => {
  test('writes the bundle under monitoring/', async () => {
    const dir = join(out, 'a');
    const io = memoryIo();
    expect(await command.run([EXAMPLES.twoRegionStandby, '--monitoring', '--out', dir], io)).toBe(EXIT.ok);
    for (const f of [
      'prometheus.yml',
      'prometheus-file-sd.yml',
      'rules/orders.rules.yml',
      'rules/orders.test.yml',
      'runbooks/PgtopoNoWritableLeader.md',
      'dashboards/orders-us-east-1.json',
      'dashboards/orders-us-west-2.json',
    ])
      expect(existsSync(join(dir, 'monitoring', f)), f).toBe(true);
  });

  test.each([
    ['both --member and --monitoring', ['--member', 'use1-a', '--monitoring']],
    ['neither', []],
  ])('%s is a usage error', async (_n, extra) => {
    await expect(
      command.run([EXAMPLES.singleRegion, ...extra, '--out', join(out, 'b')], memoryIo()),
    ).rejects.toBeInstanceOf(UsageError);
  });
});

test('the review lists every alert with its threshold and runbook', async () => {
  const t = example('twoRegionStandby');
  const { markdown } = await buildReview({ topology: t });
  const section = markdown.split('## Alerts')[1]!.split('\n## ')[0]!;
  for (const a of alertsOf(t, dataMountOf(t, awsAddressMap(t)))) {
    expect(section).toContain(a.name);
    expect(section).toContain(`(runbooks/${a.name}.md)`);
  }
  expect(section).toContain('sg-0a1b2c3d4e5f60718 (us-east-1)');
});
