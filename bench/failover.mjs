// Failover bench: N runs of the kill-primary drill on example 1 for each failover profile and for
// Patroni's default timers (ttl 30, loop_wait 10, retry_timeout 10), per node release, all in one
// invocation. RTO is measured as the client sees it: from SIGKILL of the primary's Patroni and PostgreSQL
// to the first write committed through the writer endpoint (HAProxy -> PgBouncer) on the new primary.
//
//   npm run build && node bench/failover.mjs [--runs N] [--releases debian-13,debian-12] [--subnet 127.0.21]
//
// Needs root (the rehearsal runs each release's own packages in its cached root). Prints, per release,
// the medians and their ratios to the default timers. Targets on Debian 13: fast <= 10 s, balanced
// <= 0.7 x the defaults, zero lost acknowledged writes.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { topologyFrom } from '../dist/model/load.js';
import { analyzeFailures } from '../dist/policy/index.js';
import { Rehearsal } from '../dist/rehearsal/rehearse.js';
import { RELEASE_NAMES, RELEASES } from '../dist/spec/releases.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    releases: { type: 'string', default: RELEASE_NAMES.join(',') },
    subnet: { type: 'string', default: '127.0.21' },
  },
});
const releases = values.releases.split(',').map((r) => r.trim());
for (const r of releases) {
  if (!RELEASE_NAMES.includes(r))
    throw new Error(`--releases: unknown ${r}; known: ${RELEASE_NAMES.join(', ')}`);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer; got ${values.runs}`);

const spec = parse(readFileSync(new URL('../examples/single-region.yaml', import.meta.url), 'utf8'));
// The default-timers variant keeps balanced's health checks, so only Patroni's timers differ.
const VARIANTS = [
  { name: 'patroni-defaults', failover: { profile: 'balanced', ttl: 30, loopWait: 10, retryTimeout: 10 } },
  { name: 'conservative', failover: { profile: 'conservative' } },
  { name: 'balanced', failover: { profile: 'balanced' } },
  { name: 'fast', failover: { profile: 'fast' } },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (line) => process.stderr.write(`[failover] ${line}\n`);

/** One variant on one release: booted once, kill-primary `runs` times. A failed boot is a result, not a crash. */
async function measure(release, v) {
  const t = topologyFrom({
    ...spec,
    postgres: { ...spec.postgres, version: RELEASES[release].postgresMajor },
    hosts: { ...spec.hosts, os: release },
    failover: v.failover,
  });
  const analysis = analyzeFailures(t, { endpoint: 'haproxy' });
  const timers = t.failover.timers;
  const result = { release, name: v.name, timers, rtos: [], lost: 0, failed: 0, predicted: undefined };
  log(
    `${release} ${v.name}: ttl ${timers.ttl}, loop_wait ${timers.loopWait}, retry_timeout ${timers.retryTimeout}; booting`,
  );
  let r;
  try {
    r = await Rehearsal.boot(t, {
      subnet: values.subnet,
      analysis,
      needIptables: false,
      progress: (l) => log(`  ${l}`),
    });
  } catch (e) {
    log(`${release} ${v.name}: boot failed: ${e.message}`);
    return { ...result, failed: runs, median: Number.NaN };
  }
  try {
    for (let i = 0; i < runs; i++) {
      const d = await r.drill('kill-primary');
      result.predicted ??= d.predicted;
      if (d.rtoSeconds === null || d.status === 'error') {
        result.failed++;
        log(`${release} ${v.name} run ${i + 1}: ${d.status} ${d.error ?? ''}`);
        continue;
      }
      result.rtos.push(d.rtoSeconds);
      result.lost += d.lostAcknowledgedWrites ?? 0;
      log(
        `${release} ${v.name} run ${i + 1}: RTO ${d.rtoSeconds} s, lost ${d.lostAcknowledgedWrites}, writers ${d.maxConcurrentWriters}`,
      );
    }
  } finally {
    await r.shutdown();
  }
  return { ...result, median: result.rtos.length ? median(result.rtos) : Number.NaN };
}

const results = [];
for (const release of releases) for (const v of VARIANTS) results.push(await measure(release, v));

const pad = (s, n) => String(s).padEnd(n);
const range = (xs, f) => (xs.length ? f(...xs).toFixed(2) : '-');
console.log(`kill-primary on example 1, ${runs} run(s) each, RTO through the writer endpoint (s)`);
for (const release of releases) {
  const rows = results.filter((x) => x.release === release);
  const base = rows.find((x) => x.name === 'patroni-defaults');
  console.log(`\n${release} (Patroni ${RELEASES[release].packages.patroni})`);
  console.log(
    `${pad('variant', 18)}${pad('ttl/loop/retry', 16)}${pad('median', 8)}${pad('min', 7)}${pad('max', 7)}${pad('lost', 6)}${pad('predicted worst', 17)}vs defaults`,
  );
  for (const x of rows) {
    console.log(
      `${pad(x.name, 18)}${pad(`${x.timers.ttl}/${x.timers.loopWait}/${x.timers.retryTimeout}`, 16)}${pad(x.median.toFixed(2), 8)}` +
        `${pad(range(x.rtos, Math.min), 7)}${pad(range(x.rtos, Math.max), 7)}${pad(x.lost, 6)}` +
        `${pad(x.predicted ? x.predicted.worstSeconds : '-', 17)}${(x.median / base.median).toFixed(2)}x${x.failed ? `  (${x.failed} failed run(s))` : ''}`,
    );
  }
  const fast = rows.find((x) => x.name === 'fast');
  const balanced = rows.find((x) => x.name === 'balanced');
  const lost = rows.reduce((n, x) => n + x.lost, 0);
  const ok1 = fast.median <= 10;
  const ok2 = balanced.median <= 0.7 * base.median;
  console.log(`target fast median <= 10 s: ${fast.median.toFixed(2)} s: ${ok1 ? 'met' : 'MISSED'}`);
  console.log(
    `target balanced <= 0.7 x defaults: ${(balanced.median / base.median).toFixed(2)}x: ${ok2 ? 'met' : 'MISSED'}`,
  );
  console.log(`target 0 lost acknowledged writes: ${lost} lost: ${lost === 0 ? 'met' : 'MISSED'}`);
}
