// bench/check: `pgtopo check` as a whole process, beside `node -e ''`.
// Prints the medians and their ratio (target <= 3): check must not load cdktf or provider bindings.
// `--baseline <dir>`: also times the same check with the CLI of another build (a checkout of main with
// `npm run build` done, its bin/pgtopo.js), interleaved, and prints this build's ratio to it on example 3
// and, when the baseline accepts it, example 2 (target <= 1.05: a check loads no fleet code and builds no
// schema of a section the spec does not use, so later features cost it nothing).
// Usage: npm run build && node bench/check.mjs [--runs N] [--baseline <dir>]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const runs = Number(arg('--runs')) || 15;
const baselineDir = arg('--baseline');
const root = fileURLToPath(new URL('..', import.meta.url));
const check = (bin, example) => [bin, 'check', `${root}examples/${example}`];
const here = `${root}bin/pgtopo.js`;

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'pipe' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && args[0] !== '-e') throw new Error(`exit ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const series = {
  "node -e ''": ['-e', ''],
  'pgtopo check (example 3)': check(here, 'three-region-stretched.yaml'),
  'pgtopo check (example 2)': check(here, 'two-region-standby.yaml'),
  ...(baselineDir
    ? { 'baseline check (example 3)': check(`${baselineDir}/bin/pgtopo.js`, 'three-region-stretched.yaml') }
    : {}),
};
// A build from before a section example 2 uses (e.g. `logical`) rejects it: compare on example 3 only then.
const baselineTakesExample2 =
  baselineDir !== undefined &&
  spawnSync(process.execPath, check(`${baselineDir}/bin/pgtopo.js`, 'two-region-standby.yaml'), {
    stdio: 'pipe',
  }).status === 0;
if (baselineTakesExample2)
  series['baseline check (example 2)'] = check(`${baselineDir}/bin/pgtopo.js`, 'two-region-standby.yaml');
else if (baselineDir)
  console.log(
    'the baseline build rejects example 2 (it predates a section example 2 uses): comparing on example 3',
  );
const times = Object.fromEntries(Object.keys(series).map((k) => [k, []]));
for (const args of Object.values(series)) time(args); // warm the file cache
for (let i = 0; i < runs; i++) {
  // Interleave so machine noise hits every series alike.
  for (const [k, args] of Object.entries(series)) times[k].push(time(args));
}
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(`runs: ${runs}`);
for (const [k, v] of Object.entries(m)) console.log(`${`${k} median:`.padEnd(36)} ${v.toFixed(1)} ms`);
console.log(`ratio: ${(m['pgtopo check (example 3)'] / m["node -e ''"]).toFixed(2)} (target <= 3)`);
if (baselineDir)
  for (const n of baselineTakesExample2 ? [3, 2] : [3])
    console.log(
      `ratio to baseline (example ${n}): ${(m[`pgtopo check (example ${n})`] / m[`baseline check (example ${n})`]).toFixed(2)} (target <= 1.05)`,
    );
