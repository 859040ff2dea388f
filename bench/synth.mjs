// bench/synth: pgtopo's synthesis (spec -> model -> policy -> render -> constructs -> resource rules ->
// Terraform JSON) of each example and of generated 3- and 30-region topologies, beside a plain cdktf
// program that writes the same Terraform by hand: the same stacks, backends, providers, variables,
// data sources, locals, the same raw resources with the same values through their provider bindings,
// and outputs, every reference a cdktf token. Before timing, the bench checks that the plain program's
// Terraform JSON equals pgtopo's, stack for stack.
// Each run starts after a full garbage collection; the two programs alternate. One process gives the
// median of its run-by-run pgtopo/plain ratios per topology; those medians move from one process to
// the next by more than the runs inside a process scatter (JIT and heap layout differ per process),
// so the bench repeats the measurement in fresh processes and prints the median over them, with
// their range. Targets: ratio <= 1.3 per topology; per-member cost of the 30-region topology against
// the 3-region one <= 1.2.
// Usage: npm run build && node bench/synth.mjs [--runs N] [--processes P]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import {
  App,
  DataTerraformRemoteStateLocal,
  LocalBackend,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
} from 'cdktf';
import { synthesize } from '../dist/aws/index.js';

// A full collection before every timed run, so one run's garbage is not billed to the next.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc');

const option = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const runs = option('--runs', 11);
const processes = option('--processes', 5);
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

/**
 * cdktf keeps every token it ever registers in one process-wide map (`globalThis.__cdktfTokenMap`),
 * and tokens hold the constructs they reference, so every synthesized App stays in memory for the
 * life of the process. One `cdktf synth` is one process; in this loop the heap would grow with every
 * run and each run would pay for the garbage collection of all earlier ones. After each run the map
 * goes back to what it held after the first one (which keeps any token a module made at load time).
 */
let registered;
function forgetTokens() {
  const r = globalThis.__cdktfTokenMap;
  if (!(r?.stringTokenMap instanceof Map && r.numberTokenMap instanceof Map))
    throw new Error('cdktf token registry not found: update forgetTokens() for this cdktf version');
  if (!registered) {
    registered = { strings: new Set(r.stringTokenMap.keys()), numbers: new Set(r.numberTokenMap.keys()) };
    return;
  }
  for (const k of r.stringTokenMap.keys()) if (!registered.strings.has(k)) r.stringTokenMap.delete(k);
  for (const k of r.numberTokenMap.keys()) if (!registered.numbers.has(k)) r.numberTokenMap.delete(k);
}

/** Times one synthesis: a full collection first, the token registry cleaned after. */
function timed(run) {
  collect();
  const start = process.hrtime.bigint();
  const value = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  forgetTokens();
  return { ms, value };
}

function timePgtopo(spec) {
  const dir = outdir();
  const { ms, value: result } = timed(() => synthesize(spec, dir));
  const stacks = result.stacks.map((s) => ({ id: s.id, json: JSON.parse(readFileSync(s.file, 'utf8')) }));
  rmSync(dir, { recursive: true, force: true });
  return { ms, stacks };
}

const camel = (k) => k.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
/** Snake-case Terraform JSON to a binding's camel-case config (map keys here carry no underscores). */
const toConfig = (v) =>
  Array.isArray(v)
    ? v.map(toConfig)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), toConfig(x)]))
      : v;
/** Meta-arguments: set as objects (provider, depends_on) or overrides (count), not as binding config. */
const META = new Set(['//', 'provider', 'depends_on', 'count', 'for_each']);

/** The provider binding class of a resource or data source type (`aws_s3_bucket` -> lib/s3-bucket). */
const bindings = new Map();
async function bindingOf(type, kind) {
  const key = `${kind}.${type}`;
  if (!bindings.has(key)) {
    const name = type.replace(/^aws_/, '').replace(/_/g, '-');
    const lib = kind === 'data' ? `data-aws-${name}` : name;
    const mod = await import(`@cdktf/provider-aws/lib/${lib}/index.js`);
    const Binding = Object.values(mod).find(
      (x) => typeof x === 'function' && (x.tfResourceType === type || x.tfDataSourceType === type),
    );
    if (!Binding) throw new Error(`no binding for ${key}`);
    bindings.set(key, Binding);
  }
  return bindings.get(key);
}

/** `${...}` that is one reference: a resource or data source attribute, a local, a variable. */
const SIMPLE_REF =
  /\$\{((?:data\.)?aws_[a-z0-9_]+\.[^.}[\s]+\.[a-z0-9_]+|local\.[A-Za-z0-9_-]+|var\.[a-z0-9_]+)\}/g;

/**
 * Simple references in a value become tokens of the objects the plain program made, one token per
 * address (as a program that keeps `const vpcId = vpc.id` and reuses it); other expressions stay text.
 */
function withTokens(v, made) {
  if (typeof v === 'string') {
    if (!v.includes('${')) return v;
    return v.replace(SIMPLE_REF, (whole, address) => {
      if (!made.tokens.has(address)) {
        const parts = address.split('.');
        const attr = parts.length > 2 ? parts.pop() : undefined;
        const target = made.get(parts.join('.'));
        made.tokens.set(
          address,
          target === undefined
            ? whole
            : attr === undefined
              ? (target.asString ?? target.stringValue)
              : target.getStringAttribute(attr),
        );
      }
      return made.tokens.get(address);
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
    for (const m of JSON.stringify(r.config).matchAll(SIMPLE_REF))
      visit(m[1].split('.').slice(0, 2).join('.'));
    for (const d of r.config.depends_on ?? []) visit(d);
    out.push(r);
  };
  for (const key of all.keys()) visit(key);
  return out;
}

const blocks = (byType, kind) =>
  Object.entries(byType ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, config]) => ({ type, name, config, kind })),
  );
const configOf = (config) =>
  toConfig(Object.fromEntries(Object.entries(config).filter(([k]) => !META.has(k))));

/**
 * The plain program: what you would write without pgtopo to get the same Terraform. The same stacks,
 * backends, providers, variables, data sources, locals, resources and outputs, every resource and data
 * source written with its provider binding, the same values, and every single reference between them
 * (resource and data source attributes, locals, variables) as a cdktf token, as a hand-written program
 * has them; composite expressions stay text, as pgtopo writes them. Built from pgtopo's own output,
 * prepared (binding classes loaded, resources ordered) before timing; `sameTerraform` proves that it
 * writes the same Terraform JSON.
 */
async function prepare(stacks) {
  const out = [];
  for (const { id, json } of stacks) {
    const data = blocks(json.data, 'data');
    for (const d of data) if (d.type.startsWith('aws_')) d.Binding = await bindingOf(d.type, 'data');
    const resources = ordered(json);
    for (const r of resources) r.Binding = await bindingOf(r.type, 'resource');
    out.push({
      id,
      backend: json.terraform?.backend?.local,
      providers: json.provider.aws.map((p) => ({ alias: p.alias, config: toConfig(p) })),
      variables: Object.entries(json.variable ?? {}),
      data: data.map((d) => ({ ...d, props: configOf(d.config) })),
      locals: Object.entries(json.locals ?? {}),
      resources: resources.map((r) => ({ ...r, props: configOf(r.config) })),
      outputs: Object.entries(json.output ?? {}),
    });
  }
  return out;
}

function plainProgram(app, prepared) {
  for (const s of prepared) {
    const stack = new TerraformStack(app, s.id);
    if (s.backend) new LocalBackend(stack, { path: s.backend.path });
    const made = Object.assign(new Map(), { tokens: new Map() });
    const providers = new Map();
    for (const p of s.providers) {
      const provider = new AwsProvider(stack, `aws-${p.alias ?? 'default'}`, withTokens(p.config, made));
      providers.set(p.alias ? `aws.${p.alias}` : 'aws', provider);
    }
    for (const [name, v] of s.variables)
      made.set(`var.${name}`, new TerraformVariable(stack, name, toConfig(v)));
    /** The provider and depends_on meta-arguments as binding config; count as an override, as pgtopo sets it. */
    const meta = (config) => ({
      ...(config.provider ? { provider: providers.get(config.provider) } : {}),
      ...(config.depends_on ? { dependsOn: config.depends_on.map((d) => made.get(d)) } : {}),
    });
    const count = (element, config) => {
      if (config.count !== undefined) element.addOverride('count', config.count);
    };
    for (const d of s.data) {
      const element =
        d.type === 'terraform_remote_state'
          ? new DataTerraformRemoteStateLocal(stack, d.name, {
              path: d.config.config.path,
              workspace: d.config.workspace,
            })
          : new d.Binding(stack, d.name, { ...withTokens(d.props, made), ...meta(d.config) });
      made.set(`data.${d.type}.${d.name}`, element);
      count(element, d.config);
    }
    for (const [name, expression] of s.locals)
      made.set(`local.${name}`, new TerraformLocal(stack, name, withTokens(expression, made)));
    for (const r of s.resources) {
      const element = new r.Binding(stack, r.name, { ...withTokens(r.props, made), ...meta(r.config) });
      made.set(`${r.type}.${r.name}`, element);
      count(element, r.config);
    }
    for (const [name, o] of s.outputs)
      new TerraformOutput(stack, name, { ...o, value: withTokens(o.value, made) });
  }
}

function timePlain(prepared) {
  const dir = outdir();
  const { ms } = timed(() => {
    const app = new App({ outdir: dir, stackTraces: false });
    plainProgram(app, prepared);
    app.synth();
  });
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** Terraform JSON without cdktf's `//` metadata, keys sorted: what Terraform reads. */
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => k !== '//')
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

/** Fails unless the plain program writes, stack for stack, the Terraform JSON pgtopo writes. */
function sameTerraform(stacks, prepared) {
  const dir = outdir();
  const app = new App({ outdir: dir, stackTraces: false });
  plainProgram(app, prepared);
  app.synth();
  forgetTokens();
  for (const { id, json } of stacks) {
    const plain = JSON.parse(readFileSync(join(dir, 'stacks', id, 'cdk.tf.json'), 'utf8'));
    const [a, b] = [JSON.stringify(canonical(json)), JSON.stringify(canonical(plain))];
    if (a !== b) {
      let i = 0;
      while (a[i] === b[i]) i++;
      throw new Error(
        `plain program differs in ${id} at: ${a.slice(Math.max(0, i - 120), i + 80)}\nplain: ${b.slice(Math.max(0, i - 120), i + 80)}`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const count = (stacks) =>
  stacks.reduce(
    (n, s) => n + Object.values(s.json.resource ?? {}).reduce((m, r) => m + Object.keys(r).length, 0),
    0,
  );

/** One process's measurement: per topology, the median times and the median run-by-run ratio. */
async function measure() {
  const results = [];
  for (const [label, spec, members] of cases) {
    const warm = timePgtopo(spec);
    const prepared = await prepare(warm.stacks);
    sameTerraform(warm.stacks, prepared);
    // Warm both paths (JIT) before measuring; the large topology's long runs need fewer rounds.
    const large = members > 30;
    const rounds = large ? 3 : runs;
    for (let i = 0; i < (large ? 1 : 3); i++) {
      timePgtopo(spec);
      timePlain(prepared);
    }
    const ours = [];
    const plain = [];
    for (let i = 0; i < rounds; i++) {
      // Interleave so machine noise hits both series alike, each program first in every other round.
      if (i % 2 === 0) {
        ours.push(timePgtopo(spec).ms);
        plain.push(timePlain(prepared));
      } else {
        plain.push(timePlain(prepared));
        ours.push(timePgtopo(spec).ms);
      }
    }
    results.push({
      label,
      members,
      stacks: warm.stacks.length,
      resources: count(warm.stacks),
      ours: median(ours),
      plain: median(plain),
      // Each pgtopo run against the plain run next to it: slow drifts of the machine cancel out.
      ratio: median(ours.map((x, i) => x / plain[i])),
    });
  }
  return results;
}

/** Runs `measure` in `processes` fresh Node processes, one after the other. */
function inFreshProcesses() {
  const all = [];
  for (let i = 0; i < processes; i++) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--worker', '--runs', String(runs)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (child.status !== 0) throw new Error(`bench process ${i + 1} failed (exit ${child.status})`);
    all.push(JSON.parse(child.stdout));
    process.stderr.write(`process ${i + 1}/${processes} done\n`);
  }
  return all;
}

function report(all) {
  console.log(
    `${processes} fresh processes, each: ${runs} interleaved runs per topology (3 for the 30-region one) ` +
      'after warm-up runs. Per topology: median times, and the median over the processes of their ' +
      'run-by-run pgtopo/plain ratio (range over the processes)',
  );
  let worst = 0;
  const perMember = {};
  for (const [k, first] of all[0].entries()) {
    const rows = all.map((results) => results[k]);
    const ratios = rows.map((r) => r.ratio);
    const ratio = median(ratios);
    const ours = median(rows.map((r) => r.ours));
    const plain = median(rows.map((r) => r.plain));
    worst = Math.max(worst, ratio);
    perMember[first.label] = ours / first.members;
    console.log(
      `${first.label.padEnd(36)} ${String(first.stacks).padStart(2)} stacks ${String(first.resources).padStart(5)} resources  ` +
        `pgtopo ${ours.toFixed(0).padStart(6)} ms  plain cdktf ${plain.toFixed(0).padStart(6)} ms  ` +
        `ratio ${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
    );
  }
  const small = perMember['generated 3 regions'];
  const large = perMember['generated 30 regions'];
  console.log(`worst pgtopo/plain ratio: ${worst.toFixed(2)} (target <= 1.3)`);
  console.log(
    `per-member cost: 3 regions ${small.toFixed(1)} ms, 30 regions ${large.toFixed(1)} ms, ratio ${(large / small).toFixed(2)} (target <= 1.2)`,
  );
}

try {
  if (process.argv.includes('--worker')) console.log(JSON.stringify(await measure()));
  else report(inFreshProcesses());
} finally {
  rmSync(work, { recursive: true, force: true });
}
