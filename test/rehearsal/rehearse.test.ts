/**
 * The rehearsal against the real daemons (etcd, Patroni, PostgreSQL, PgBouncer, HAProxy, pgBackRest) on
 * example 1 (rpo zero-in-region: synchronous_mode on), booted once through `pgtopo rehearse`, drills in
 * sequence on the same cluster. Addresses: 127.0.30.1-14 (host.test.ts uses 127.0.30.240-249).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { beforeAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/rehearse.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import { cgroup2Root } from '../../src/rehearsal/host.js';
import type { DrillName, DrillResult } from '../../src/rehearsal/measure.js';
import type { RehearsalReport } from '../../src/rehearsal/report.js';
import { EXAMPLES } from '../helpers/examples.js';

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

const DRILLS: DrillName[] = ['kill-primary', 'etcd-member-loss', 'dcs-partition', 'pitr'];

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

describe('pgtopo rehearse examples/single-region.yaml on the real daemons', () => {
  let code: number;
  let report: RehearsalReport;
  let progress: string;
  const drill = (d: DrillName): DrillResult => report.drills.find((x) => x.drill === d)!;

  beforeAll(async () => {
    const io = memoryIo();
    code = await command.run(
      [EXAMPLES.singleRegion, '--drills', DRILLS.join(','), '--format', 'json', '--subnet', '127.0.30'],
      io,
    );
    progress = io.stderr.join('\n');
    if (io.stdout.length === 0) throw new Error(`no report (exit ${code}):\n${progress}`);
    report = JSON.parse(io.stdout.join('\n')) as RehearsalReport;
  }, 540_000);

  test('every drill ran in order and passed; progress was shown while it ran', () => {
    expect(
      report.drills.map((d) => [d.drill, d.status, d.error ?? '']),
      progress,
    ).toEqual(DRILLS.map((d) => [d, 'passed', '']));
    expect(code).toBe(EXIT.ok);
    expect(report.synchronousMode).toBe('on');
    expect(progress).toContain('[rehearse] drill kill-primary');
  });

  test.each(['kill-primary', 'etcd-member-loss', 'dcs-partition'] as const)(
    '%s: zero acknowledged writes lost, never two writers, writes resumed',
    (d) => {
      const r = drill(d);
      expect(r.acknowledgedWrites).toBeGreaterThan(0);
      expect(r.lostAcknowledgedWrites).toBe(0);
      expect(r.maxConcurrentWriters).toBe(1);
      expect(r.rtoSeconds).not.toBeNull();
    },
  );

  test.each(['kill-primary', 'dcs-partition'] as const)(
    '%s: the primary moved and the measured RTO is inside the predicted worst case',
    (d) => {
      const r = drill(d);
      expect(r.newPrimary).toBeDefined();
      expect(r.newPrimary).not.toBe(r.oldPrimary);
      expect(r.predicted?.domain).toBe(`member:${r.oldPrimary}`);
      expect(r.rtoSeconds!).toBeLessThanOrEqual(r.predicted!.worstSeconds);
    },
  );

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

  test('everything it started is stopped and removed', async () => {
    expect(report.kept).toBe(false);
    expect(existsSync(report.runDir)).toBe(false);
    const root = cgroup2Root()!;
    expect(readdirSync(root).filter((d) => d.startsWith('pgtopo-') && !d.startsWith('pgtopo-t'))).toEqual([]);
    const rules = spawnSync('iptables', ['-w', '5', '-S', 'OUTPUT'], { encoding: 'utf8' }).stdout;
    expect(rules).not.toMatch(/PGTOPO-[0-9a-f]{8}\b/);
    for (const [host, port] of [
      ['127.0.30.1', 2379],
      ['127.0.30.10', 5432],
      ['127.0.30.10', 8008],
      ['127.0.30.13', 6432],
    ] as const) {
      expect(await listening(host, port), `${host}:${port}`).toBe(false);
    }
  });
});
