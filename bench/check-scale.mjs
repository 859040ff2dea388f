// bench/check-scale: the cost of the policy engine plus the failure-domain analysis per member, on
// example 3 (3 regions, 7 members) and on a generated 50-region, 500-member topology shaped like it
// (a stretched etcd quorum, one primary region, standby clusters elsewhere). 50 regions make 1225
// inter-region links: the ratio of per-member costs shows whether the engine stays near-linear.
// Prints medians and the ratio (target <= 1.5).
// Usage: npm run build && node bench/check-scale.mjs [--runs N]
import { fileURLToPath } from 'node:url';
import { loadTopology, topologyFrom } from '../dist/model/load.js';
import { analyzeFailures, runPolicy } from '../dist/policy/index.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const example3 = loadTopology(
  fileURLToPath(new URL('../examples/three-region-stretched.yaml', import.meta.url)),
);

/** 50 regions named aa-bench-1 ... with 10 members each over 3 AZs; region 0 is primary. */
function scaled(regionCount = 50, membersPerRegion = 10) {
  const name = (i) =>
    `${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}-bench-1`;
  const regions = Array.from({ length: regionCount }, (_, i) => {
    const r = name(i);
    const azs = [`${r}a`, `${r}b`, `${r}c`];
    return {
      name: r,
      cidr: `10.${i}.0.0/16`,
      azs,
      members: Array.from({ length: membersPerRegion }, (_, j) => ({
        name: `m${i}-${j}`,
        az: azs[j % 3],
        instanceType: 'r6i.xlarge',
        // Three candidates per region, one per AZ; the others are read replicas (cascading outside the primary).
        ...(j >= 3 ? { tags: { nosync: true, nofailover: true } } : {}),
        ...(i > 0 && j >= 3 ? { replicateFrom: `m${i}-${j % 3}` } : {}),
      })),
    };
  });
  return topologyFrom({
    name: 'scale',
    primaryRegion: regions[0].name,
    dcs: {
      mode: 'stretched',
      members: 5,
      regions: regions.slice(0, 5).map((r) => r.name),
      interRegionRttMs: 30,
    },
    failover: { profile: 'balanced', rtoTargetSeconds: 60 },
    durability: { rpo: 'zero-in-region' },
    postgres: { parameters: { max_wal_senders: 64, max_replication_slots: 64 } },
    regions,
    archive: { retentionDays: 14, objectLock: 'governance' },
    security: { allowedCidrs: ['10.0.0.0/8'] },
  });
}

const big = scaled();

function once(t) {
  const start = process.hrtime.bigint();
  const report = runPolicy(t);
  const analysis = analyzeFailures(t);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, report, analysis };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Warm up the JIT on both shapes, then interleave so machine noise hits both series alike.
for (let i = 0; i < 5; i++) {
  once(example3);
  once(big);
}
const small = [];
const large = [];
let last;
for (let i = 0; i < runs; i++) {
  // Example 3 is tiny: time a batch of runs so the clock's resolution does not dominate.
  const batch = 50;
  let total = 0;
  for (let k = 0; k < batch; k++) total += once(example3).ms;
  small.push(total / batch);
  last = once(big);
  large.push(last.ms);
}
const perSmall = median(small) / example3.members.length;
const perLarge = median(large) / big.members.length;
console.log(`runs: ${runs}`);
console.log(
  `example 3:        ${example3.regions.length} regions, ${example3.members.length} members, ${example3.failureDomains.length} single failures`,
);
console.log(
  `generated:        ${big.regions.length} regions, ${big.members.length} members, ${big.failureDomains.length} single failures ` +
    `(${big.failureDomains.filter((d) => d.kind === 'link').length} links), ${last.report.findings.length} findings`,
);
console.log(`example 3 median: ${median(small).toFixed(3)} ms, ${(perSmall * 1000).toFixed(1)} us/member`);
console.log(`generated median: ${median(large).toFixed(3)} ms, ${(perLarge * 1000).toFixed(1)} us/member`);
console.log(`ratio (per member, generated / example 3): ${(perLarge / perSmall).toFixed(2)} (target <= 1.5)`);
