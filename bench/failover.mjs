// Failover bench: N runs of the kill-primary drill on example 1 for each failover profile and for
// Patroni's default timers (ttl 30, loop_wait 10, retry_timeout 10), all in one invocation. RTO is
// measured as the client sees it: from SIGKILL of the primary's Patroni and PostgreSQL to the first
// write committed through the writer endpoint (HAProxy -> PgBouncer) on the new primary.
//
//   npm run build && node bench/failover.mjs [--runs N] [--subnet 127.0.21]
//
// Needs root and the rehearsal's packages (see README). Prints medians and their ratios:
// targets: fast median <= 12 s with zero lost acknowledged writes; balanced <= 0.75 x default timers.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { topologyFrom } from '../dist/model/load.js';
import { analyzeFailures } from '../dist/policy/index.js';
import { Rehearsal } from '../dist/rehearsal/rehearse.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, subnet: { type: 'string', default: '127.0.21' } },
});
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

const results = [];
for (const v of VARIANTS) {
  const t = topologyFrom({ ...spec, failover: v.failover });
  const analysis = analyzeFailures(t, { endpoint: 'haproxy' });
  const timers = t.failover.timers;
  log(
    `${v.name}: ttl ${timers.ttl}, loop_wait ${timers.loopWait}, retry_timeout ${timers.retryTimeout}; booting`,
  );
  const r = await Rehearsal.boot(t, { subnet: values.subnet, analysis, needIptables: false });
  const rtos = [];
  let lost = 0;
  let failed = 0;
  let predicted;
  try {
    for (let i = 0; i < runs; i++) {
      const d = await r.drill('kill-primary');
      predicted ??= d.predicted;
      if (d.rtoSeconds === null || d.status === 'error') {
        failed++;
        log(`${v.name} run ${i + 1}: ${d.status} ${d.error ?? ''}`);
        continue;
      }
      rtos.push(d.rtoSeconds);
      lost += d.lostAcknowledgedWrites ?? 0;
      log(
        `${v.name} run ${i + 1}: RTO ${d.rtoSeconds} s, lost ${d.lostAcknowledgedWrites}, writers ${d.maxConcurrentWriters}`,
      );
    }
  } finally {
    await r.shutdown();
  }
  results.push({
    name: v.name,
    timers,
    rtos,
    lost,
    failed,
    predicted,
    median: rtos.length ? median(rtos) : NaN,
  });
}

const base = results.find((x) => x.name === 'patroni-defaults');
const pad = (s, n) => String(s).padEnd(n);
console.log(`kill-primary on example 1, ${runs} run(s) each, RTO through the writer endpoint (s)`);
console.log(
  `${pad('variant', 18)}${pad('ttl/loop/retry', 16)}${pad('median', 8)}${pad('min', 7)}${pad('max', 7)}${pad('lost', 6)}${pad('predicted worst', 17)}vs defaults`,
);
for (const x of results) {
  console.log(
    `${pad(x.name, 18)}${pad(`${x.timers.ttl}/${x.timers.loopWait}/${x.timers.retryTimeout}`, 16)}${pad(x.median.toFixed(2), 8)}` +
      `${pad(Math.min(...x.rtos).toFixed(2), 7)}${pad(Math.max(...x.rtos).toFixed(2), 7)}${pad(x.lost, 6)}` +
      `${pad(x.predicted ? x.predicted.worstSeconds : '-', 17)}${(x.median / base.median).toFixed(2)}x${x.failed ? `  (${x.failed} failed run(s))` : ''}`,
  );
}
const fast = results.find((x) => x.name === 'fast');
const balanced = results.find((x) => x.name === 'balanced');
const ok1 = fast.median <= 12 && fast.lost === 0;
const ok2 = balanced.median <= 0.75 * base.median;
console.log(
  `target fast median <= 12 s, zero lost: ${fast.median.toFixed(2)} s, ${fast.lost} lost: ${ok1 ? 'met' : 'MISSED'}`,
);
console.log(
  `target balanced <= 0.75 x defaults: ${(balanced.median / base.median).toFixed(2)}x: ${ok2 ? 'met' : 'MISSED'}`,
);
