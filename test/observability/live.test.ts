/**
 * The rendered monitoring bundle against the real thing: example 1 booted once on the node release's own
 * packages (etcd, Patroni, PostgreSQL, PgBouncer, HAProxy) with its exporters, and Debian's Prometheus
 * loading the rendered file_sd configuration and alert rules (`Rehearsal.boot` with `prometheus`). Every rendered
 * scrape target is up, every metric an alert or a dashboard panel reads is exposed, every rule evaluates
 * without error. Then drills through `Rehearsal.drill`, each reporting the alerts it saw: `kill-primary` (the
 * no-writable-leader alert fires within the failover and resolves once Patroni has a new leader; the page for a
 * failover that does not finish stays quiet), `lag-spike` (the lag alert fires,
 * the reader check drops the replica, both recover) and `packet-loss` (commit latency measured, no failover,
 * nothing pages); the rehearsal report lists each alert with its pending, firing and resolved times.
 * Why on this boot and not on the shared boot of test/rehearsal/rehearse.test.ts: that boot runs its drills one
 * after another (about 8 min); the alert drills would add about 6 min of waiting on alert windows (the lag
 * alert's median window and `for`) to the suite's longest file, while this file runs beside it on the other
 * fork. One boot and one Prometheus here carry every alert assertion.
 * Addresses: 127.0.40.x only.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadTopology } from '../../src/model/load.js';
import type { DrillResult } from '../../src/rehearsal/measure.js';
import { REHEARSAL_SCRAPE_SECONDS } from '../../src/rehearsal/plan.js';
import type { RehearsalPrometheus } from '../../src/rehearsal/prometheus.js';
import { Rehearsal } from '../../src/rehearsal/rehearse.js';
import { formatTable } from '../../src/rehearsal/report.js';
import { sleep, waitFor } from '../../src/rehearsal/wait.js';
import { noLeaderBoundSeconds } from '../../src/render/alerts.js';
import { EXAMPLES } from '../helpers/examples.js';
import { ROOT_BUILD_TIMEOUT_MS } from '../render/helpers.js';

const SUBNET = '127.0.40';
const t = loadTopology(EXAMPLES.singleRegion);

let r: Rehearsal;
let prom: RehearsalPrometheus;
const log: string[] = [];
const progress = (l: string) => {
  log.push(`${new Date().toISOString()} ${l}`);
  process.stderr.write(`${l}\n`);
};

beforeAll(async () => {
  r = await Rehearsal.boot(t, { subnet: SUBNET, needIptables: false, progress, prometheus: true });
  prom = r.prometheus!;
}, ROOT_BUILD_TIMEOUT_MS + 300_000);
afterAll(async () => {
  await r?.shutdown();
}, 60_000);

/** `host:port` of every target the rendered file_sd files list. */
function renderedTargets(): string[] {
  return r.layout
    .monitoring!.filter((f) => f.rel.startsWith('targets/'))
    .flatMap((f) => (JSON.parse(f.content) as { targets: string[] }[]).flatMap((g) => g.targets));
}

/** Every metric name the rules and the dashboards read (from their expressions, not their prose). */
function metricNames(): string[] {
  const files = r.layout.monitoring!;
  const rules = parseYaml(files.find((f) => f.rel.endsWith('.rules.yml'))!.content) as {
    groups: { rules: { expr: string }[] }[];
  };
  const exprs = [
    ...rules.groups.flatMap((g) => g.rules.map((x) => x.expr)),
    ...files
      .filter((f) => f.rel.startsWith('dashboards/'))
      .flatMap((f) =>
        (JSON.parse(f.content) as { panels: { targets: { expr: string }[] }[] }).panels.flatMap((p) =>
          p.targets.map((x) => x.expr),
        ),
      ),
  ];
  const names = exprs.flatMap(
    (e) => e.match(/\b(patroni|pg|node|etcd|pgbouncer)_[a-z_]+\b(?=\s*[{[(]|\s)/g) ?? [],
  );
  return [...new Set(names)].sort();
}

describe('Prometheus on a rehearsed example 1', () => {
  test('every rendered scrape target is up', async () => {
    const want = renderedTargets().sort();
    expect(want.length).toBeGreaterThan(t.members.length * 3);
    const targets = await waitFor(
      'every target up',
      async () => {
        const ts = await prom.targets();
        return ts.length === want.length && ts.every((x) => x.health === 'up') ? ts : false;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    ).catch(async (e) => {
      const ts = await prom.targets();
      const logs = r.layout.members
        .flatMap((m) => m.exporters ?? [])
        .map(
          (x) => `--- ${x.name} (${r.sup.running(x.name) ? 'running' : 'exited'}):\n${r.sup.tail(x.name, 6)}`,
        );
      throw new Error(
        `${(e as Error).message}: ${JSON.stringify(ts.filter((x) => x.health !== 'up'))} of ${ts.length}\n${logs.join('\n')}`,
      );
    });
    expect(targets.map((x) => new URL(x.url).host).sort()).toEqual(want);
    const up = await prom.query('up');
    expect(up.status).toBe('success');
    for (const s of up.data.result as { metric: Record<string, string>; value: [number, string] }[])
      expect(s.value[1], JSON.stringify(s.metric)).toBe('1');
  }, 120_000);

  test('every metric an alert or a panel reads is exposed by the rehearsed exporters', async () => {
    const names = metricNames();
    // The PgBouncer exporter's and etcd's names are in there: the release's own vocabulary.
    expect(names).toContain(t.release.pgbouncerExporter!.metrics.waitingClients);
    expect(names).toContain('etcd_server_has_leader');
    const missing: string[] = [];
    for (const n of names) {
      const a = await prom.query(`count({__name__="${n}"})`);
      expect(a.status, n).toBe('success');
      if (a.data.result.length === 0) missing.push(n);
    }
    expect(missing).toEqual([]);
  }, 60_000);

  test('every alert rule evaluates without error against the real series', async () => {
    // Two evaluation rounds after every target is up.
    await sleep(5000);
    const rules = await prom.rules();
    expect(rules.length).toBeGreaterThan(8);
    for (const rule of rules) {
      expect(rule.lastError, rule.name).toBe('');
      expect(rule.health, rule.name).toBe('ok');
      const a = await prom.query(rule.query);
      expect(a.status, `${rule.name}: ${a.error}`).toBe('success');
    }
    // A healthy cluster pages nobody.
    const paging = (await prom.alerts()).filter((a) => a.labels.severity === 'page');
    expect(paging).toEqual([]);
  }, 60_000);

  const results: DrillResult[] = [];
  const report = (d: DrillResult) => {
    results.push(d);
    progress(
      `drill ${d.drill}: ${d.status}${d.error ? ` (${d.error})` : ''}; figures ${JSON.stringify(d.figures)}; alerts ${JSON.stringify(d.alerts)}; checks ${JSON.stringify(d.checks)}`,
    );
    return d;
  };
  const observed = (d: DrillResult, name: string) => {
    const a = d.alerts?.find((x) => x.name === name);
    expect(a, `${name} in ${JSON.stringify(d.alerts)}`).toBeDefined();
    return a!;
  };

  test('kill-primary: the writer-outage alert fires within the failover and resolves; the page does not', async () => {
    const d = report(await r.drill('kill-primary'));
    expect(d.error).toBeUndefined();
    expect(d.status, JSON.stringify(d.checks)).toBe('passed');
    expect(d.newPrimary).not.toBe(d.oldPrimary);
    // Pending within a few scrapes of the kill, firing one loop_wait later (writes fail: an outage, even though
    // Patroni ends it), resolved once the new leader reports patroni_primary = 1. Times are polls of the alerts
    // API one second apart, over evaluations every REHEARSAL_SCRAPE_SECONDS.
    const { loopWait } = t.failover.timers;
    const slack = 1 + REHEARSAL_SCRAPE_SECONDS;
    const a = observed(d, 'PgtopoNoWritableLeader');
    expect(a.pendingAfterSeconds!).toBeGreaterThanOrEqual(0);
    expect(a.pendingAfterSeconds!).toBeLessThan(2 * slack);
    expect(a.firingAfterSeconds, 'fired').not.toBeNull();
    expect(a.firingAfterSeconds!).toBeGreaterThanOrEqual(a.pendingAfterSeconds! + loopWait - slack);
    expect(a.firingAfterSeconds!).toBeLessThan(a.pendingAfterSeconds! + loopWait + slack);
    expect(a.resolvedAfterSeconds, 'resolved').not.toBeNull();
    expect(a.resolvedAfterSeconds!).toBeGreaterThan(a.firingAfterSeconds!);
    expect(a.resolvedAfterSeconds!).toBeLessThan(d.rtoSeconds! + 2 * slack);
    // A failover that finishes stays below ttl + 2 x loop_wait: the page for a leader that does not come back
    // (same condition, longer `for`) may go pending, never fire.
    expect(d.rtoSeconds!).toBeLessThan(noLeaderBoundSeconds(t));
    const prolonged = d.alerts?.find((x) => x.name === 'PgtopoNoWritableLeaderProlonged');
    expect(prolonged?.firingAfterSeconds ?? null, JSON.stringify(prolonged)).toBeNull();
    // Recovery: the old primary rejoined (the drill's restore), and nothing pages afterwards.
    await waitFor(
      'no paging alert',
      async () => !(await prom.alerts()).some((x) => x.labels.severity === 'page'),
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
  }, 400_000);

  test('lag-spike: the lag passes the bound, the reader check drops the replica, the lag alert fires, all recover', async () => {
    const d = report(await r.drill('lag-spike'));
    expect(d.error).toBeUndefined();
    expect(d.checks.map((c) => c.id)).toEqual([
      'lag-above-bound',
      'reader-dropped',
      'alert-fired',
      'alert-resolved',
      'healthy',
    ]);
    for (const c of d.checks) expect(c.ok, `${c.id}: ${c.detail}`).toBe(true);
    const a = observed(d, 'PgtopoReplicaLagAboveBound');
    expect(a.firingAfterSeconds!).toBeGreaterThan(a.pendingAfterSeconds!);
    expect(a.resolvedAfterSeconds!).toBeGreaterThan(d.figures!.healedAfterSeconds!);
    // The stalled replica's lag was above the bound most of the time, not only at its peak.
    expect(d.figures!.lagAboveBoundShare!).toBeGreaterThan(0.5);
  }, 900_000);

  test('packet-loss: commit latency measured, no failover, nothing pages', async () => {
    const d = report(await r.drill('packet-loss'));
    expect(d.error).toBeUndefined();
    for (const c of d.checks) expect(c.ok, `${c.id}: ${c.detail}`).toBe(true);
    expect(d.checks.map((c) => c.id)).toContain('no-paging-alert');
    expect(d.figures!.commitMsP50During).not.toBeNull();
    expect(d.alerts).toBeDefined();
  }, 300_000);

  test('the rehearsal report says which alerts each drill saw, and when, relative to its fault', () => {
    expect(results.map((d) => d.drill)).toEqual(['kill-primary', 'lag-spike', 'packet-loss']);
    const table = formatTable(r.report(results, EXAMPLES.singleRegion, false));
    progress(table);
    const esc = (x: string) => x.replace(/[().]/g, '\\$&');
    for (const d of results)
      for (const a of d.alerts ?? []) expect(table).toMatch(new RegExp(`${d.drill}: alert ${esc(a.name)}`));
    expect(table).toMatch(
      /kill-primary: alert PgtopoNoWritableLeader: pending \+[\d.]+ s, firing \+[\d.]+ s, resolved \+[\d.]+ s/,
    );
    expect(table).toMatch(
      /lag-spike: alert PgtopoReplicaLagAboveBound \(\S+\): pending [-+][\d.]+ s, firing \+[\d.]+ s, resolved \+[\d.]+ s/,
    );
  });
});
