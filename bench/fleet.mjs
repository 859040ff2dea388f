// bench/fleet: the cost per shard of checking and synthesizing a fleet stays linear from 2 to 64 shards.
// `check` is the whole of `pgtopo check` of a fleet in-process (resolve every shard, the catalog and the
// fleet rules, each cluster's rules and failure analysis); `synth` is synthesizeFleet (every cluster's
// Terraform). Each size is timed as the median of its runs after a warm-up; the bench prints the cost per
// cluster and its ratio against the 2-shard fleet measured in the same invocation (target <= 1.3).
// Usage: npm run build && node bench/fleet.mjs [--runs N] [--max-check 64] [--max-synth 16]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { synthesizeFleet } from '../dist/aws/index.js';
import { fleetCheckReport, resolveFleet } from '../dist/index.js';

const option = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const runs = option('--runs', 5);
const maxCheck = option('--max-check', 64);
const maxSynth = option('--max-synth', 16);
const root = fileURLToPath(new URL('..', import.meta.url));
const example = parse(readFileSync(join(root, 'examples/fleet.yaml'), 'utf8'));

const fleet = (shards) => ({
  ...example,
  shards,
  strategy: { kind: 'hash', slots: 2 ** Math.ceil(Math.log2(2 * shards)) * 2 },
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const out = mkdtempSync(join(tmpdir(), 'pgt-bench-fleet-'));
const measure = (what, max, run) => {
  const sizes = [2, 4, 8, 16, 32, 64].filter((n) => n <= max);
  let base;
  console.log(`${what}: shards  clusters  median ms  ms/cluster  ratio vs 2 shards`);
  for (const n of sizes) {
    const doc = fleet(n);
    run(doc, n); // warm-up
    const ms = median(Array.from({ length: runs }, () => time(() => run(doc, n))));
    const clusters = n + 1; // shards plus the catalog (which coordinates)
    const per = ms / clusters;
    base ??= per;
    console.log(
      `${what}: ${String(n).padStart(6)}  ${String(clusters).padStart(8)}  ${ms.toFixed(0).padStart(9)}  ${per.toFixed(1).padStart(10)}  ${(per / base).toFixed(2)}`,
    );
  }
};
try {
  measure('check', maxCheck, (doc) => {
    const r = fleetCheckReport('bench', resolveFleet(doc));
    if (!r.valid || r.exitCode !== 0) throw new Error(JSON.stringify(r.issues ?? r.policy, null, 2));
  });
  measure('synth', maxSynth, (doc, n) => {
    synthesizeFleet(resolveFleet(doc), join(out, `f${n}-${Math.random().toString(36).slice(2)}`));
  });
} finally {
  rmSync(out, { recursive: true, force: true });
}
