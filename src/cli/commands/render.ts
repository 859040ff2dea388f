import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { resolveParsed } from '../../model/load.js';
import type { Topology } from '../../model/types.js';
import {
  type AddressMap,
  awsAddressMap,
  bootableHosts,
  haproxyHost,
  localAddressMap,
  type RenderedFile,
  renderHost,
  renderLogicalFiles,
  renderMonitoring,
  renderUserData,
} from '../../render/index.js';
import { isFleetDocument } from '../../spec/fleet-kind.js';
import { decodeSpecFile, parseDecoded, STDIN_NAME } from '../../spec/parse.js';
import { closest } from '../../spec/suggest.js';
import { writeStaged } from '../../util/staged-output.js';
import { flag, oneOf, parse, SPEC_INPUT_OPTIONS, SPEC_INPUT_USAGE, specLimits, str } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

/** Node names `--member` accepts: PostgreSQL members, dedicated etcd nodes, clusters' HAProxy nodes. */
export function renderableHosts(t: Topology): string[] {
  return [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))];
}

interface Output {
  /** Path relative to the output directory. */
  readonly rel: string;
  readonly content: string;
  readonly mode: number;
}

/** Everything to write, rendered in memory first: nothing touches the disk if any renderer fails. */
function outputs(t: Topology, host: string, map: AddressMap, outDir: string): Output[] {
  const files: RenderedFile[] = renderHost(t, host, map);
  const rel = (p: string) => (map.target === 'local' ? relative(outDir, p) : p.replace(/^\/+/, ''));
  const out: Output[] = files.map((f) => ({ rel: rel(f.path), content: f.content, mode: f.mode }));
  if (bootableHosts(t).includes(host)) {
    out.push({ rel: 'user-data.yaml', content: renderUserData(t, host, map), mode: 0o600 });
  }
  for (const o of out) {
    if (o.rel.startsWith('..') || o.rel === '')
      throw new Error(`rendered path ${o.rel} leaves the output directory`);
  }
  return out;
}

/** The monitoring bundle under `monitoring/`: scrape configuration, alert rules and their tests, runbooks, dashboards. */
function monitoringOutputs(t: Topology, map: AddressMap): Output[] {
  return renderMonitoring(t, map).map((f) => ({
    rel: `monitoring/${f.rel}`,
    content: f.content,
    mode: 0o644,
  }));
}

/** The logical bundle under `logical/`: each writable cluster's psql scripts and Debezium connectors. */
function logicalOutputs(t: Topology): Output[] {
  return renderLogicalFiles(t).map((f) => ({ rel: `logical/${f.rel}`, content: f.content, mode: 0o644 }));
}

export const command: Command = {
  name: 'render',
  summary: "Write one node's rendered configuration for inspection",
  usage: [
    'Usage: pgtopo render <spec.yaml|spec.json> --member <name> --out <dir> [--target aws|local]',
    '       pgtopo render <spec.yaml|spec.json> --monitoring --out <dir> [--target aws|local]',
    '       pgtopo render <spec.yaml|spec.json> --logical --out <dir>',
    '',
    'Renders every file of one node (patroni.yml, pgbackrest.conf, pgbouncer.ini, etcd settings, systemd',
    'units, boot scripts, secret templates) and its cloud-init user data, and writes them below <dir>:',
    '  --target aws    (default) the files as an EC2 node gets them, at their absolute paths under <dir>',
    '  --target local  the rehearsal variant: loopback addresses, every path under <dir> itself',
    '<name> is a PostgreSQL member, a dedicated etcd member, or haproxy-<cluster scope>.',
    "--monitoring writes the topology's monitoring bundle under <dir>/monitoring instead: prometheus.yml",
    '(EC2 service discovery by pgtopo node tags; aws only), prometheus-file-sd.yml with targets/*.json,',
    'rules/<topology>.rules.yml with its promtool unit tests, runbooks/<alert>.md, dashboards/<cluster>.json.',
    "--logical writes the spec's logical layer under <dir>/logical/<cluster>: idempotent psql scripts in apply",
    'order (NN-publisher-<db>.sql, then NN-subscriber-<db>.sql; passwords from PGTOPO_LOGICAL_* environment',
    'variables) and debezium/<feed>.json, one Kafka Connect configuration per CDC feed.',
    'Nothing is written unless every file renders and is written: the files go to a staging directory',
    'beside <dir> first and move in whole. <dir> must not exist or be empty.',
    'No file holds a secret value: credentials are read at boot from Secrets Manager.',
    '',
    'A fleet document (kind: fleet):',
    '  --cluster <name>   with --member, --monitoring or --logical: one cluster of the fleet (a shard, the',
    '                     catalog or the coordinator)',
    '  --routing          the routing tier under <dir>/routing: catalog schema and seed, coordinator.sql',
    '                     (postgres_fdw), shards/<shard>.sql; apply with psql -v router_password=<secret>',
    '  --moves <deployed> the move plan from the deployed fleet document to this one under <dir>/moves:',
    '                     NN-<phase>-<cluster>.sql in order, plan.sql, plan.json; refused (exit 1) when a',
    '                     reassignment is not declared under moves:',
    '  --generation <n>   the catalog generation deployed now (default 1); the flip writes n + 1',
    ...SPEC_INPUT_USAGE,
    'Exit codes: 0 written, 2 invalid spec, 64 bad command line, unknown member or unusable <dir>.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, {
      member: { type: 'string', short: 'm' },
      monitoring: { type: 'boolean' },
      logical: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      target: { type: 'string', short: 't' },
      cluster: { type: 'string' },
      routing: { type: 'boolean' },
      moves: { type: 'string' },
      generation: { type: 'string' },
      ...SPEC_INPUT_OPTIONS,
    });
    const target = oneOf('target', str(parsed, 'target'), ['aws', 'local'] as const, 'aws');
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const member = str(parsed, 'member');
    const monitoring = flag(parsed, 'monitoring');
    const logical = flag(parsed, 'logical');
    const routing = flag(parsed, 'routing');
    const moves = str(parsed, 'moves');
    const modes = [member !== undefined, monitoring, logical, routing, moves !== undefined];
    if (modes.filter(Boolean).length > 1)
      throw new UsageError(
        'give one of --member <name>, --monitoring, --logical, --routing or --moves <spec>',
      );
    if (!modes.some(Boolean))
      throw new UsageError(
        '--member <name> (or --monitoring, --logical, --routing, --moves <spec>) is required',
      );
    const generation = str(parsed, 'generation') ?? '1';
    if (!/^[1-9]\d{0,15}$/.test(generation))
      throw new UsageError(`--generation must be a positive whole number; got ${JSON.stringify(generation)}`);
    const outArg = str(parsed, 'out');
    if (!outArg) throw new UsageError('--out <dir> is required');
    const outDir = resolve(outArg);
    if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
      io.err(`pgtopo render: ${outDir} exists and is not a directory; choose a new or empty directory`);
      return EXIT.usage;
    }
    if (existsSync(outDir) && readdirSync(outDir).length > 0) {
      io.err(`pgtopo render: ${outDir} exists and is not empty; choose a new or empty directory`);
      return EXIT.usage;
    }

    const source = parsed.positionals[0]!;
    const file = source === '-' ? STDIN_NAME : source;
    const limits = specLimits(parsed);
    const doc = decodeSpecFile(source, limits);
    let t: Topology;
    if (doc.ok && isFleetDocument(doc.value)) {
      const fleet = await import('../fleet.js');
      const r = fleet.loadFleet(doc, file, io);
      if (typeof r === 'number') return r;
      if (routing) return fleet.renderRouting(r, outDir, io);
      if (moves !== undefined) return fleet.renderMoves(r, moves, limits, Number(generation), outDir, io);
      const c = fleet.fleetCluster(r, str(parsed, 'cluster'), io);
      if (typeof c === 'number') return c;
      t = c;
    } else {
      if (routing || moves !== undefined || str(parsed, 'cluster') !== undefined)
        throw new UsageError('--cluster, --routing and --moves apply to a fleet document (kind: fleet) only');
      const result = resolveParsed(parseDecoded(doc));
      if (!result.ok) {
        io.err(`${paint(io, 'red', 'invalid')} ${file}: ${result.issues.length} issue(s)`);
        printIssues(io, result.issues);
        return EXIT.invalid;
      }
      t = result.topology;
    }
    const hosts = renderableHosts(t);
    if (member !== undefined && !hosts.includes(member)) {
      const suggestion = closest(member, hosts);
      io.err(
        `pgtopo render: unknown member ${JSON.stringify(member)} in ${t.name}` +
          (suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : '') +
          `\n    expected one of: ${hosts.join(', ')}`,
      );
      return EXIT.usage;
    }

    let map: AddressMap;
    try {
      map = target === 'local' ? localAddressMap(t, { baseDir: outDir }) : awsAddressMap(t);
    } catch (e) {
      io.err(`pgtopo render: ${(e as Error).message}`);
      return EXIT.usage;
    }
    const files =
      member !== undefined
        ? outputs(t, member, map, outDir)
        : logical
          ? logicalOutputs(t)
          : monitoringOutputs(t, map);

    // Staged beside the output and moved in only when every file is written (as synth does).
    try {
      writeStaged(outDir, (staging) => {
        for (const f of files) {
          const path = join(staging, f.rel);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, f.content, { mode: f.mode });
          chmodSync(path, f.mode);
        }
      });
    } catch (e) {
      io.err(`pgtopo render: could not write ${outDir}: ${(e as Error).message}`);
      return EXIT.usage;
    }
    if (logical) {
      io.out(
        `${paint(io, 'green', 'rendered')} logical layer of ${t.name}: ${files.length} file(s) in ${join(outDir, 'logical')}`,
      );
      return EXIT.ok;
    }
    if (member === undefined) {
      io.out(
        `${paint(io, 'green', 'rendered')} monitoring of ${t.name} (${target}): ${files.length} file(s) in ${join(outDir, 'monitoring')}`,
      );
      return EXIT.ok;
    }
    io.out(
      `${paint(io, 'green', 'rendered')} ${member} (${target}): ${files.length} file(s) in ${outDir}` +
        '\n  modes are set; owners are not (the boot step sets them: see user-data.yaml and each file).',
    );
    return EXIT.ok;
  },
};
