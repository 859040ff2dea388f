/**
 * The rehearsal against the real daemons (etcd, Patroni, PostgreSQL, PgBouncer, HAProxy, pgBackRest) on
 * example 1 (rpo zero-in-region: synchronous_mode on), booted once through `pgtopo rehearse`, drills in
 * sequence on the same cluster. Addresses: 127.0.30.1-18, and the companion clusters of the logical drills
 * after them (host.test.ts uses 127.0.30.240-249).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { beforeAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/rehearse.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import { cgroup2Root } from '../../src/rehearsal/host.js';
import { DRILL_NAMES, type DrillName, type DrillResult } from '../../src/rehearsal/measure.js';
import type { RehearsalReport } from '../../src/rehearsal/report.js';
import { EXAMPLES } from '../helpers/examples.js';
import { ROOT_BUILD_TIMEOUT_MS } from '../render/helpers.js';

describe('pgtopo rehearse: command line', () => {
  test.each([
    [['--drills', 'kill-primary']],
    [[EXAMPLES.singleRegion]],
    [[EXAMPLES.singleRegion, '--drills', 'kill-primry']],
    [[EXAMPLES.singleRegion, '--drills', 'pitr', '--format', 'xml']],
    [[EXAMPLES.singleRegion, '--drills', 'pitr', '--subnet', '10.0.0']],
    [[EXAMPLES.singleRegion, '--drills', 'region-promotion']],
    [[EXAMPLES.singleRegion, '--drills', 'pitr', '--region-standby']],
  ])('%j is a usage error, before anything boots', async (args) => {
    await expect(command.run(args, memoryIo())).rejects.toBeInstanceOf(UsageError);
  });

  test('an invalid spec exits 2 with its issues, before anything boots', async () => {
    const io = memoryIo();
    expect(await command.run(['examples/does-not-exist.yaml', '--drills', 'pitr'], io)).toBe(EXIT.invalid);
    expect(io.stderr.join('\n')).toContain('invalid');
  });
});

/**
 * Every drill, on one boot of example 2 with its standby region (region-promotion needs it, and ends it).
 * subscription-failover and upgrade each boot a small companion cluster beside it for their duration
 * after the rehearsed cluster's addresses: the subscriber, and the Debian 12 / PostgreSQL 15 old side.
 */
const DRILLS: readonly DrillName[] = DRILL_NAMES;

const listening = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
    s.connect(port, host);
  });

describe('pgtopo rehearse examples/two-region-standby.yaml --region-standby on the real daemons', () => {
  let code: number;
  let report: RehearsalReport;
  let progress: string;
  const drill = (d: DrillName): DrillResult => report.drills.find((x) => x.drill === d)!;

  beforeAll(async () => {
    const io = memoryIo();
    code = await command.run(
      [
        EXAMPLES.twoRegionStandby,
        '--drills',
        DRILLS.join(','),
        '--region-standby',
        '--format',
        'json',
        '--subnet',
        '127.0.30',
      ],
      io,
    );
    progress = io.stderr.join('\n');
    if (io.stdout.length === 0) throw new Error(`no report (exit ${code}):\n${progress}`);
    report = JSON.parse(io.stdout.join('\n')) as RehearsalReport;
  }, ROOT_BUILD_TIMEOUT_MS);

  test('every drill ran in order and passed; progress was shown while it ran', () => {
    expect(
      report.drills.map((d) => [d.drill, d.status, d.error ?? '']),
      progress,
    ).toEqual(DRILLS.map((d) => [d, 'passed', '']));
    expect(code).toBe(EXIT.ok);
    expect(report.synchronousMode).toBe('on');
    expect(progress).toContain('[rehearse] drill kill-primary');
  });

  test("the daemons ran the node release's own packages: Debian 13, PostgreSQL 17, Patroni 4.0.7", () => {
    expect(report.release.name).toBe('debian-13');
    expect(report.release.packages.postgresql).toMatch(/^17\./);
    expect(report.release.packages.patroni).toMatch(/^4\.0\.7-/);
    expect(report.release.packages.etcd).toMatch(/^3\.5\./);
  });

  test.each(['kill-primary', 'switchover', 'etcd-member-loss', 'az-loss', 'dcs-partition'] as const)(
    '%s: zero acknowledged writes lost, never two writers, writes resumed',
    (d) => {
      const r = drill(d);
      expect(r.acknowledgedWrites).toBeGreaterThan(0);
      expect(r.lostAcknowledgedWrites).toBe(0);
      expect(r.maxConcurrentWriters).toBe(1);
      expect(r.rtoSeconds).not.toBeNull();
    },
  );

  test.each([
    ['kill-primary', 'member'],
    ['dcs-partition', 'member'],
    ['az-loss', 'az'],
  ] as const)('%s: the primary moved and the measured RTO is inside the predicted range', (d, kind) => {
    const r = drill(d);
    expect(r.newPrimary).toBeDefined();
    expect(r.newPrimary).not.toBe(r.oldPrimary);
    expect(r.predicted?.domain.startsWith(`${kind}:`)).toBe(true);
    expect(r.rtoSeconds!).toBeLessThanOrEqual(r.predicted!.worstSeconds);
  });

  test('region-promotion: the standby region takes writes; what the asynchronous link had not shipped is counted', () => {
    // Across regions replication is asynchronous (the analysis predicts RPO unbounded for a region loss):
    // the tail of acknowledged writes still in flight when the region went dark is lost, and reported.
    const r = drill('region-promotion');
    expect(r.acknowledgedWrites).toBeGreaterThan(0);
    expect(r.lostAcknowledgedWrites).not.toBeNull();
    expect(r.maxConcurrentWriters).toBe(1);
    expect(r.rtoSeconds).not.toBeNull();
    expect(r.checks.find((c) => c.id === 'no-lost-writes')?.ok ?? true).toBe(true);
  });

  test('switchover and region-promotion move the primary', () => {
    expect(drill('switchover').newPrimary).not.toBe(drill('switchover').oldPrimary);
    const promoted = drill('region-promotion');
    expect(promoted.newPrimary?.startsWith('usw2-')).toBe(true);
  });

  test('etcd-member-loss: the primary stays and writes barely pause', () => {
    const r = drill('etcd-member-loss');
    expect(r.newPrimary).toBe(r.oldPrimary);
    expect(r.rtoSeconds!).toBeLessThan(report.timers.retryTimeout);
  });

  test('pitr: every row before the target, none after it', () => {
    const p = drill('pitr').pitr!;
    expect(p.beforeFound).toBe(p.beforeWritten);
    expect(p.beforeWritten).toBeGreaterThan(0);
    expect(p.afterWritten).toBeGreaterThan(0);
    expect(p.afterFound).toBe(0);
    expect(p.loadAckedBeforeMissing).toBe(0);
    expect(p.loadSentAfterPresent).toBe(0);
  });

  test.each(['cdc-failover'] as const)(
    '%s: the stream follows the writer endpoint through a failover; every acknowledged write arrives',
    (d) => {
      const r = drill(d);
      expect(r.newPrimary).not.toBe(r.oldPrimary);
      expect(r.lostAcknowledgedWrites).toBe(0);
      expect(r.logical?.slotOwner).toBe('postgres-failover');
      expect(r.logical?.gaps).toBe(0);
      expect(r.logical?.received).toBeGreaterThanOrEqual(r.acknowledgedWrites);
      expect(r.checks.find((c) => c.id === 'slot-survived')?.ok).toBe(true);
    },
  );

  test('cdc-failover: the consumer reconnected and caught up; duplicates are counted', () => {
    const c = drill('cdc-failover').logical!;
    expect(c.kind).toBe('cdc');
    expect(c.reconnects).toBeGreaterThan(0);
    expect(c.duplicates).toBeGreaterThanOrEqual(0);
    expect(c.caughtUpSeconds).not.toBeNull();
  });

  test('subscription-failover: a second cluster keeps its subscription across the publisher\u2019s failover', () => {
    const r = drill('subscription-failover');
    expect(r.fault).toMatch(/cluster orders-sub \(2 members, PostgreSQL 17\)/);
    expect(r.newPrimary).not.toBe(r.oldPrimary);
    expect(r.lostAcknowledgedWrites).toBe(0);
    const l = r.logical!;
    expect(l.kind).toBe('subscription');
    expect(l.slotOwner).toBe('postgres-failover');
    expect(l.gaps).toBe(0);
    expect(l.received).toBeGreaterThanOrEqual(r.acknowledgedWrites);
    expect(l.caughtUpSeconds).not.toBeNull();
    expect(r.checks.find((c) => c.id === 'slot-survived')?.ok).toBe(true);
  });

  test('upgrade: a PostgreSQL 15 Patroni cluster into 17 by logical replication, cut over with no row lost', () => {
    const r = drill('upgrade');
    expect(r.fault).toMatch(/PostgreSQL 15 \(debian-12\) Patroni cluster of 2 members.*PostgreSQL 17/);
    expect(r.logical?.slotOwner).toBe('patroni-permanent');
    expect(r.acknowledgedWrites).toBeGreaterThan(0);
    expect(r.lostAcknowledgedWrites).toBe(0);
    expect(r.logical?.writePauseSeconds).toBeGreaterThan(0);
    expect(r.logical?.writePauseSeconds).toBeLessThan(30);
  });

  test('everything it started is stopped and removed', async () => {
    expect(report.kept).toBe(false);
    expect(existsSync(report.runDir)).toBe(false);
    const root = cgroup2Root()!;
    // Only this run's: other test files (the live Prometheus test) may be rehearsing at the same time.
    expect(readdirSync(root).filter((d) => d.startsWith(`pgtopo-${report.runId}`))).toEqual([]);
    const rules = spawnSync('iptables', ['-w', '5', '-S'], { encoding: 'utf8' }).stdout;
    expect(rules).not.toContain(`PGTOPO-${report.runId}`);
    const open: string[] = [];
    for (let host = 1; host <= 40; host++) {
      for (const port of [2379, 5432, 6432, 8008]) {
        if (await listening(`127.0.30.${host}`, port)) open.push(`127.0.30.${host}:${port}`);
      }
    }
    expect(open).toEqual([]);
  });
});
