// bench/check-against: `pgtopo check` start-up of this build against another build of pgtopo (e.g. a
// worktree of an earlier commit, built with `npm run build`), in CPU time of the whole process, runs
// interleaved so machine noise hits both alike. Prints the quartiles of each and their ratios (a change
// that keeps start-up unchanged stays near 1.00; on a busy machine expect +-5% between repeats).
// Usage: npm run build && node bench/check-against.mjs <other-root> [--runs N] [--example <yaml>]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const other = process.argv[2];
if (!other || other.startsWith('--')) {
  console.error('usage: node bench/check-against.mjs <other-root> [--runs N] [--example <yaml>]');
  process.exit(64);
}
const runs = Number(arg('--runs', 41));
const example = arg('--example', 'examples/three-region-stretched.yaml');
const here = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** CPU milliseconds (user + system) of one `check` in a fresh process, as the CLI runs it. */
function cpu(root) {
  const script = `const { main } = await import(${JSON.stringify(`${root}/dist/bin/main.js`)});
const code = await main(['check', ${JSON.stringify(`${root}/${example}`)}], { out() {}, err() {} });
const u = process.cpuUsage();
console.log((u.user + u.system) / 1000, code);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const [ms, code] = r.stdout.trim().split(' ');
  if (r.status !== 0 || code !== '0') throw new Error(`check in ${root} failed: ${r.stderr || r.stdout}`);
  return Number(ms);
}

const roots = [other, here];
const series = roots.map(() => []);
for (const root of roots) cpu(root); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [j, root] of roots.entries()) series[j].push(cpu(root));
}
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
console.log(`runs: ${runs}, example: ${example}`);
for (const p of [0.25, 0.5, 0.75]) {
  const [a, b] = series.map((xs) => quantile(xs, p));
  console.log(`p${p * 100}: other ${a.toFixed(1)} ms, this ${b.toFixed(1)} ms, ratio ${(b / a).toFixed(3)}`);
}
