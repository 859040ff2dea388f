// bench/check: `pgtopo check` on example 3 as a whole process, beside `node -e ''`.
// Prints the medians and their ratio (target <= 3): check must not load cdktf or provider bindings.
// Usage: npm run build && node bench/check.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = [`${root}bin/pgtopo.js`, 'check', `${root}examples/three-region-stretched.yaml`];

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'pipe' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && args[0] !== '-e') throw new Error(`exit ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = [];
const check = [];
time(['-e', '']); // warm the file cache
time(cli);
for (let i = 0; i < runs; i++) {
  // Interleave so machine noise hits both series alike.
  baseline.push(time(['-e', '']));
  check.push(time(cli));
}
const b = median(baseline);
const c = median(check);
console.log(`runs: ${runs}`);
console.log(`node -e '' median:            ${b.toFixed(1)} ms`);
console.log(`pgtopo check (example 3):     ${c.toFixed(1)} ms`);
console.log(`ratio: ${(c / b).toFixed(2)} (target <= 3)`);
