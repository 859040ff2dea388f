/**
 * A sharded fleet on the real daemons (etcd, Patroni, PostgreSQL 17, PgBouncer, HAProxy of the debian-13
 * root), through `pgtopo rehearse <fleet.yaml>`: two shards and the coordinator (which also holds the
 * catalog), each a Patroni cluster of two members (test/rehearsal/fixtures/fleet.yaml), booted once; then
 * shard-failover, coordinator-failover and shard-move, three runs each, under a write load through the
 * coordinator, every acknowledged write read back from the shards directly. Addresses: 127.0.43.1-120.
 * The report goes to $PGTOPO_FLEET_REPORT when set, the progress to the console with $PGTOPO_PROGRESS.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/rehearse.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import type { FleetRehearsalReport } from '../../src/rehearsal/fleet.js';
import { cgroup2Root } from '../../src/rehearsal/host.js';
import { type DrillResult, FLEET_DRILL_NAMES, type FleetDrillName } from '../../src/rehearsal/measure.js';
import { ROOT_BUILD_TIMEOUT_MS } from '../render/helpers.js';

const SPEC = 'test/rehearsal/fixtures/fleet.yaml';
const RUNS = 3;
/** Interleaved, so each kind of drill starts from what the others left behind. */
const DRILLS: FleetDrillName[] = Array.from({ length: RUNS }, () => [...FLEET_DRILL_NAMES]).flat();

describe('pgtopo rehearse <fleet>: command line', () => {
  test.each([
    [[SPEC, '--drills', 'shard-falover']],
    [[SPEC, '--drills', 'kill-primary']],
    [[SPEC, '--drills', 'all', '--region-standby']],
    [[SPEC, '--drills', 'all', '--subnet', '10.0.0']],
  ])('%j is a usage error, before anything boots', async (args) => {
    await expect(command.run(args, memoryIo())).rejects.toBeInstanceOf(UsageError);
  });
});

describe('a fleet of two shards and a coordinator, booted once, drilled three times each', () => {
  let report: FleetRehearsalReport;
  const progress: string[] = [];
  const runs = (d: FleetDrillName): DrillResult[] => report.drills.filter((x) => x.drill === d);
  const why = (r: DrillResult) =>
    JSON.stringify({ error: r.error, failed: r.checks.filter((c) => !c.ok), tail: progress.slice(-15) });

  beforeAll(
    async () => {
      const mem = memoryIo();
      // stderr carries the progress; with PGTOPO_PROGRESS it is also printed as it comes.
      const io = process.env.PGTOPO_PROGRESS
        ? {
            ...mem,
            err: (t: string) => {
              mem.err(t);
              console.log(t);
            },
          }
        : mem;
      const code = await command.run(
        [SPEC, '--drills', DRILLS.join(','), '--format', 'json', '--subnet', '127.0.43'],
        io,
      );
      progress.push(...mem.stderr);
      if (mem.stdout.length !== 1)
        throw new Error(`exit ${code}, no report:\n${mem.stderr.slice(-20).join('\n')}`);
      report = JSON.parse(mem.stdout[0]!) as FleetRehearsalReport;
      expect(code).toBe(report.passed ? EXIT.ok : EXIT.findings);
      if (process.env.PGTOPO_FLEET_REPORT)
        writeFileSync(process.env.PGTOPO_FLEET_REPORT, `${JSON.stringify(report, null, 2)}\n`);
    },
    ROOT_BUILD_TIMEOUT_MS + 15 * 60_000,
  );

  test('the fleet booted from ordinary resolved clusters: two shards and the coordinator, two members each', () => {
    expect(report.clusters.map((c) => [c.role, c.name, c.members.length])).toEqual([
      ['shard', 'rf-s00', 2],
      ['shard', 'rf-s01', 2],
      ['coordinator', 'rf-coord', 2],
    ]);
    expect(report.drills.map((d) => d.drill)).toEqual(DRILLS);
  });

  test.each(['shard-failover', 'coordinator-failover'] as const)(
    '%s: writes through the coordinator resume within the predicted RTO, no acknowledged write lost, none doubled',
    (name) => {
      const rs = runs(name);
      expect(rs).toHaveLength(RUNS);
      for (const r of rs) {
        expect(r.status, why(r)).toBe('passed');
        expect(r.acknowledgedWrites).toBeGreaterThan(20);
        expect(r.lostAcknowledgedWrites).toBe(0);
        const ids = r.checks.map((c) => c.id);
        // Read back through the coordinator (runFault) and from every shard directly (the verifier).
        expect(ids.filter((id) => id === 'no-lost-writes')).toHaveLength(2);
        expect(ids).toEqual(
          expect.arrayContaining(['no-duplicated-writes', 'rows-on-owner', 'rto-within-prediction']),
        );
        expect(r.rtoSeconds).not.toBeNull();
        expect(r.rtoSeconds!).toBeLessThanOrEqual(r.predicted!.worstSeconds);
        expect(r.oldPrimary).not.toBe(r.newPrimary);
        // The coordinator's members, and in shard-failover the faulted shard's too: never two writers.
        const single = r.checks.filter((c) => c.id === 'single-writer');
        expect(single).toHaveLength(name === 'shard-failover' ? 2 : 1);
        expect(single.every((c) => c.ok)).toBe(true);
      }
    },
  );

  test('shard-failover takes each shard in turn', () => {
    const shards = runs('shard-failover').map((r) => r.fault.match(/shard (rf-s\d+)/)?.[1]);
    expect(shards).toEqual(['rf-s00', 'rf-s01', 'rf-s00']);
  });

  test('shard-move: a slot moves under write load, rows lost 0, duplicated 0, the write pause short', () => {
    const rs = runs('shard-move');
    expect(rs).toHaveLength(RUNS);
    for (const r of rs) {
      expect(r.status, why(r)).toBe('passed');
      expect(r.lostAcknowledgedWrites).toBe(0);
      expect(r.figures!.duplicatedRows).toBe(0);
      expect(r.figures!.rowsMoved!).toBeGreaterThan(0);
      expect(r.figures!.writesOfSlot!).toBeGreaterThan(0);
      expect(r.checks.find((c) => c.id === 'move-cutover')?.ok).toBe(true);
      // The cutover holds writes only while the target catches up and the transaction commits.
      expect(r.figures!.writePauseSeconds!).toBeLessThan(5);
    }
    // Each move is a new catalog generation.
    expect(rs.map((r) => r.figures!.generation)).toEqual([2, 3, 4]);
    expect(report.ownership.generation).toBe(4);
  });

  test('everything started is stopped and removed: no cgroup and no run directory of any cluster is left', () => {
    const root = cgroup2Root()!;
    for (const c of report.clusters) {
      expect(readdirSync(root).filter((d) => d.startsWith(`pgtopo-${c.runId}`))).toEqual([]);
      expect(existsSync(c.runDir)).toBe(false);
    }
  });
});
