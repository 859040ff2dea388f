// bench/synth: pgtopo's synthesis (spec -> model -> policy -> render -> constructs -> resource rules ->
// Terraform JSON) of each example and of generated 3- and 30-region topologies, beside a plain cdktf
// cdktf program that writes the same stacks with the same number of raw resources by hand (provider
// bindings, the same values, references between resources as cdktf references).
// Prints medians, the pgtopo/plain ratio per topology (target <= 1.3) and the per-member cost of the
// 30-region topology against the 3-region one (target ratio <= 1.2).
// Usage: npm run build && node bench/synth.mjs [--runs N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { App, TerraformStack } from 'cdktf';
import { synthesize } from '../dist/aws/index.js';

// A full collection before every timed run, so one run's garbage is not billed to the next.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc');

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pgtopo-bench-synth-'));

// Thirty AWS regions, each with three AZs.
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
  'sa-east-1',
  'mx-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'af-south-1',
  'ap-south-1',
  'ap-south-2',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
];

/** A primary region and (n-1) standby regions, three members in three AZs each, per-region etcd. */
function generated(n) {
  return {
    name: `gen${n}`,
    primaryRegion: REGIONS[0],
    postgres: { parameters: { max_wal_senders: 40, max_replication_slots: 40 } },
    dcs: { mode: 'per-region', membersPerRegion: 3 },
    durability: { rpo: 'zero-in-region' },
    regions: REGIONS.slice(0, n).map((name, i) => ({
      name,
      cidr: `10.${i + 1}.0.0/16`,
      azs: ['a', 'b', 'c'].map((z) => `${name}${z}`),
      members: ['a', 'b', 'c'].map((z) => ({ name: `r${i + 1}-${z}`, az: `${name}${z}` })),
    })),
    security: { allowedCidrs: ['10.0.0.0/8'] },
  };
}

const cases = [
  ['example 1 (single-region)', `${root}examples/single-region.yaml`, 3],
  ['example 2 (two-region-standby)', `${root}examples/two-region-standby.yaml`, 6],
  ['example 3 (three-region-stretched)', `${root}examples/three-region-stretched.yaml`, 7],
  ['generated 3 regions', generated(3), 9],
  ['generated 30 regions', generated(30), 90],
];

let seq = 0;
const outdir = () => join(work, String(seq++));

function timePgtopo(spec) {
  const dir = outdir();
  collect();
  const start = process.hrtime.bigint();
  const result = synthesize(spec, dir);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stacks = result.stacks.map((s) => ({ id: s.id, json: JSON.parse(readFileSync(s.file, 'utf8')) }));
  rmSync(dir, { recursive: true, force: true });
  return { ms, stacks };
}

const camel = (k) => k.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
/** Snake-case Terraform JSON to a binding's camel-case config (tag keys included: the bench only counts time). */
const toConfig = (v) =>
  Array.isArray(v)
    ? v.map(toConfig)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), toConfig(x)]))
      : v;
const META = new Set(['//', 'provider', 'depends_on', 'count', 'for_each']);

/** The provider binding class of a resource type (`aws_s3_bucket` -> lib/s3-bucket). */
const bindings = new Map();
async function bindingOf(type) {
  if (!bindings.has(type)) {
    const mod = await import(
      `@cdktf/provider-aws/lib/${type.replace(/^aws_/, '').replace(/_/g, '-')}/index.js`
    );
    bindings.set(
      type,
      Object.values(mod).find((x) => typeof x === 'function' && x.tfResourceType === type),
    );
  }
  return bindings.get(type);
}

const REF = /\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.([a-z0-9_]+)\}/g;

/** `${aws_x.name.attr}` occurrences in a value become tokens of the resources the plain program made. */
function withTokens(v, made) {
  if (typeof v === 'string') {
    if (!v.includes('${aws_')) return v;
    return v.replace(REF, (whole, type, name, attr) => {
      const r = made.get(`${type}.${name}`);
      return r ? r.getStringAttribute(attr) : whole;
    });
  }
  if (Array.isArray(v)) return v.map((x) => withTokens(x, made));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withTokens(x, made)]));
  return v;
}

/** Resources of a stack in an order where every referenced resource comes first. */
function ordered(json) {
  const all = new Map();
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) all.set(`${type}.${name}`, { type, name, config });
  }
  const out = [];
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key) || !all.has(key)) return;
    seen.add(key);
    const r = all.get(key);
    for (const m of JSON.stringify(r.config).matchAll(REF)) visit(`${m[1]}.${m[2]}`);
    out.push(r);
  };
  for (const key of all.keys()) visit(key);
  return out;
}

/**
 * The plain program: what you would write without pgtopo to get the same Terraform. The same stacks
 * and providers, every resource written by hand with its provider binding, the same values, and every
 * reference between resources as a cdktf reference (a token), as a hand-written program has them.
 * Built from pgtopo's own output, prepared (binding classes loaded, resources ordered) before timing.
 */
function prepare(stacks) {
  return stacks.map(({ id, json }) => ({
    id,
    providers: json.provider.aws.map((p) => ({ region: p.region, ...(p.alias ? { alias: p.alias } : {}) })),
    resources: ordered(json).map((r) => ({
      ...r,
      Binding: bindings.get(r.type),
      props: toConfig(Object.fromEntries(Object.entries(r.config).filter(([k]) => !META.has(k)))),
    })),
  }));
}

function timePlain(prepared) {
  const dir = outdir();
  collect();
  const start = process.hrtime.bigint();
  const app = new App({ outdir: dir, stackTraces: false });
  for (const { id, providers, resources } of prepared) {
    const stack = new TerraformStack(app, id);
    for (const p of providers) new AwsProvider(stack, `aws-${p.alias ?? 'default'}`, p);
    const made = new Map();
    for (const { type, name, Binding, props } of resources) {
      made.set(`${type}.${name}`, new Binding(stack, name, withTokens(props, made)));
    }
  }
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const count = (stacks) =>
  stacks.reduce(
    (n, s) => n + Object.values(s.json.resource ?? {}).reduce((m, r) => m + Object.keys(r).length, 0),
    0,
  );

console.log(`runs: ${runs} per example, fewer for the 30-region topology (medians, after warm-up runs)`);
const perMember = {};
let worst = 0;
try {
  for (const [label, spec, members] of cases) {
    const warm = timePgtopo(spec);
    for (const { json } of warm.stacks)
      for (const type of Object.keys(json.resource ?? {})) await bindingOf(type);
    const plainProgram = prepare(warm.stacks);
    // Warm both paths (JIT) before measuring; the large topology needs fewer rounds.
    const large = members > 30;
    const rounds = large ? Math.max(3, Math.ceil(runs / 2)) : runs;
    for (let i = 0; i < (large ? 1 : 3); i++) {
      timePgtopo(spec);
      timePlain(plainProgram);
    }
    const ours = [];
    const plain = [];
    for (let i = 0; i < rounds; i++) {
      // Interleave so machine noise hits both series alike.
      ours.push(timePgtopo(spec).ms);
      plain.push(timePlain(plainProgram));
    }
    const o = median(ours);
    const p = median(plain);
    worst = Math.max(worst, o / p);
    perMember[label] = o / members;
    console.log(
      `${label.padEnd(36)} ${String(warm.stacks.length).padStart(2)} stacks ${String(count(warm.stacks)).padStart(5)} resources  ` +
        `pgtopo ${o.toFixed(0).padStart(6)} ms  plain cdktf ${p.toFixed(0).padStart(6)} ms  ratio ${(o / p).toFixed(2)}`,
    );
  }
  const small = perMember['generated 3 regions'];
  const large = perMember['generated 30 regions'];
  console.log(`worst pgtopo/plain ratio: ${worst.toFixed(2)} (target <= 1.3)`);
  console.log(
    `per-member cost: 3 regions ${small.toFixed(1)} ms, 30 regions ${large.toFixed(1)} ms, ratio ${(large / small).toFixed(2)} (target <= 1.2)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
