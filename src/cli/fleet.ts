/**
 * The commands' fleet paths (`kind: fleet` documents): imported only when a command reads a fleet, so a
 * cluster's `check`, `render` or `diff` loads none of this.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Fleet, type FleetResult, resolveFleetDecoded } from '../model/fleet.js';
import { fleetMoves, undeclaredMoves } from '../model/fleet-moves.js';
import { routingPaths } from '../model/fleet-network.js';
import type { Topology } from '../model/types.js';
import { fleetCheckReport } from '../policy/fleet.js';
import { catalogSchemaSql, catalogSeedSql } from '../render/shard-catalog.js';
import { coordinatorSql, shardSql } from '../render/shard-coordinator.js';
import { type MoveTarget, movePlanText, renderMovePlan } from '../render/shard-move.js';
import { renderFleetMap } from '../review/fleet.js';
import { diffFleets } from '../review/fleet-diff.js';
import type { SpecIssue } from '../spec/issues.js';
import type { SpecLimits } from '../spec/limits.js';
import { type Decoded, decodeSpecFile } from '../spec/parse.js';
import { didYouMean } from '../spec/suggest.js';
import { writeStaged } from '../util/staged-output.js';
import { printIssues } from './commands/check.js';
import { type CliIo, EXIT, paint } from './io.js';

/** A resolved fleet, or the exit code after printing why not. */
export function loadFleet(doc: Decoded, file: string, io: CliIo): (FleetResult & { ok: true }) | number {
  const r = resolveFleetDecoded(doc);
  if (r.ok) return r;
  return invalid(io, file, r.issues);
}

function invalid(io: CliIo, file: string, issues: readonly SpecIssue[]): number {
  io.err(`${paint(io, 'red', 'invalid')} ${file}: ${issues.length} issue(s)`);
  printIssues(io, issues);
  return EXIT.invalid;
}

/** The cluster `--cluster <name>` names in a fleet (a shard, the catalog or the coordinator), or the exit code. */
export function fleetCluster(
  r: FleetResult & { ok: true },
  name: string | undefined,
  io: CliIo,
): Topology | number {
  const names = r.clusters.map((c) => c.topology.name);
  const found = r.clusters.find((c) => c.topology.name === name);
  if (found) return found.topology;
  const hint = name === undefined ? undefined : didYouMean(name, names);
  io.err(
    `pgtopo: ${name === undefined ? 'a fleet document needs --cluster <name>' : `unknown cluster ${JSON.stringify(name)} in fleet ${r.fleet.name}`}` +
      (hint ? `; ${hint}` : '') +
      `\n    expected one of: ${names.join(', ')}`,
  );
  return EXIT.usage;
}

interface FileOut {
  readonly rel: string;
  readonly content: string;
}

function writeAll(outDir: string, files: readonly FileOut[]): void {
  writeStaged(outDir, (staging) => {
    for (const f of files) {
      const path = join(staging, f.rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content, { mode: 0o644 });
    }
  });
}

/** The routing tier's SQL: catalog schema and seed, the coordinator (postgres_fdw), each shard's tables. */
export function routingFiles(f: Fleet): FileOut[] {
  return [
    { rel: 'routing/catalog/01-schema.sql', content: catalogSchemaSql(f) },
    { rel: 'routing/catalog/02-seed.sql', content: catalogSeedSql(f) },
    ...(f.router.engine === 'postgres-fdw'
      ? [{ rel: 'routing/coordinator/coordinator.sql', content: coordinatorSql(f) }]
      : []),
    ...f.shards.map((s) => ({ rel: `routing/shards/${s.name}.sql`, content: shardSql(f, s) })),
  ];
}

/** `pgtopo render <fleet> --routing --out <dir>`. */
export function renderRouting(r: FleetResult & { ok: true }, outDir: string, io: CliIo): number {
  const files = routingFiles(r.fleet);
  writeAll(outDir, files);
  io.out(
    `${paint(io, 'green', 'rendered')} routing tier of fleet ${r.fleet.name}: ${files.length} file(s) in ${join(outDir, 'routing')}`,
  );
  return EXIT.ok;
}

/**
 * `pgtopo render <new-fleet> --moves <deployed-fleet> --out <dir>`: the move plan's steps as numbered psql
 * scripts plus the whole plan annotated; refused (exit 1, nothing written) when the change has an undeclared
 * reassignment or is no move at all.
 */
export function renderMoves(
  r: FleetResult & { ok: true },
  oldSource: string,
  limits: SpecLimits,
  generation: number,
  outDir: string,
  io: CliIo,
): number {
  const old = loadFleet(decodeSpecFile(oldSource, limits), oldSource, io);
  if (typeof old === 'number') return old;
  const { moves, blockers } = fleetMoves(old.fleet, r.fleet);
  const diff = diffFleets(old.fleet, r.fleet);
  if (blockers.length > 0 || undeclaredMoves(r.fleet, moves).length > 0) {
    io.err(`${paint(io, 'red', 'refused')}: ${diff.refused.length} change(s) are not declared moves`);
    for (const x of diff.refused)
      io.err(`  ${x.code}  ${x.pathText}\n      found:    ${x.found}\n      expected: ${x.expected}`);
    return EXIT.findings;
  }
  const plan = renderMovePlan(old.fleet, r.fleet, moves, { generation });
  const where = (o: MoveTarget) => (o.role === 'shard' ? o.shard : o.role);
  const files: FileOut[] = [
    { rel: 'moves/plan.sql', content: movePlanText(plan) },
    { rel: 'moves/plan.json', content: `${JSON.stringify(plan, null, 2)}\n` },
    ...plan.steps.map((s, i) => ({
      rel: `moves/${String(i + 1).padStart(2, '0')}-${s.phase}-${where(s.on)}.sql`,
      content: `-- ${s.note}\n${s.sql}`,
    })),
  ];
  writeAll(outDir, files);
  io.out(
    `${paint(io, 'green', 'rendered')} ${moves.length} move(s) of fleet ${r.fleet.name}, generation ${plan.generation.from} → ${plan.generation.to}` +
      `${plan.atomic ? '' : ' (catalog and coordinator flip in two transactions)'}: ${files.length} file(s) in ${join(outDir, 'moves')}`,
  );
  return EXIT.ok;
}

/** `pgtopo synth <fleet>`: every cluster's stacks under `<out>/<cluster>/`, the routing tier's under `<out>/<fleet>-routing/`. */
export async function synthFleet(
  r: FleetResult,
  outdir: string,
  opts: Parameters<typeof import('../aws/fleet.js').synthesizeFleet>[2],
  io: CliIo,
): Promise<number> {
  const { synthesizeFleet } = await import('../aws/fleet.js');
  const result = synthesizeFleet(r, outdir, opts);
  for (const c of result.clusters)
    for (const s of c.stacks)
      io.out(`${paint(io, 'green', 'synthesized')} ${c.role} ${c.name} ${s.id}: ${s.file}`);
  for (const s of result.routing.stacks)
    io.out(`${paint(io, 'green', 'synthesized')} routing ${s.id}: ${s.file}`);
  return EXIT.ok;
}

/** The fleet's section of a review: its checks, the slot map and a diagram of the routing tier. */
export function fleetReviewMarkdown(
  r: FleetResult & { ok: true },
  file: string,
): { markdown: string; mermaid: string } {
  const f = r.fleet;
  const report = fleetCheckReport(file, r);
  const p = report.policy!;
  const mermaid = fleetMermaid(f);
  const findings = p.findings.map(
    (x) => `- \`${x.ruleId}\` ${x.severity} at \`${x.pathText}\`: ${x.found} (expected ${x.expected})`,
  );
  return {
    markdown: [
      `# Fleet review: ${f.name}`,
      '',
      renderFleetMap(f),
      `**Fleet checks**: ${p.errors} error(s), ${p.warnings} warning(s), ${p.waived} waived over the fleet rules and every cluster.`,
      ...(findings.length > 0 ? ['', ...findings] : []),
      '',
      '```mermaid',
      mermaid.trimEnd(),
      '```',
      '',
      ...routingTierMarkdown(f),
    ].join('\n'),
    mermaid,
  };
}

/** The routing tier's network on AWS: one row per path (`<fleet>-routing-<region>` stacks; a move each way between two shards shares one peering). */
function routingTierMarkdown(f: Fleet): string[] {
  const rows = routingPaths(f).map(
    (p) =>
      `| ${p.from.role} ${p.from.cluster} | ${p.from.region} | ${p.from.cidr} | ${p.to.cluster} | ${p.to.region} | ${p.to.cidr} | tcp/${p.port} from ${p.from.cidr} |`,
  );
  return [
    '## Routing tier network',
    '',
    "VPC peering with routes for exactly the peer CIDR on both sides, load balancer ingress on the writer port only, and the shard's private zone associated with the routing VPC.",
    '',
    '| From | Region | CIDR | To shard | Region | CIDR | Ingress |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** The routing tier as a Mermaid flowchart: clients -> coordinator -> each shard; the catalog beside. */
export function fleetMermaid(f: Fleet): string {
  const id = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');
  const o = f.ownership;
  const owns = (i: number) =>
    o.kind === 'hash'
      ? `${o.owners.filter((c) => c.length === 1 && c[0] === i).length} slots`
      : o.kind === 'range'
        ? 'range'
        : `${o.tenants.filter((t) => t.shard === i).length} tenants`;
  const lines = [
    'flowchart TB',
    `  clients(["clients"]) --> ${id(f.coordinator.name)}{{"coordinator ${f.coordinator.name}<br/>${f.router.engine}"}}`,
    ...(f.catalog.name !== f.coordinator.name
      ? [`  ${id(f.coordinator.name)} -. ownership .-> ${id(f.catalog.name)}[("catalog ${f.catalog.name}")]`]
      : [`  ${id(f.coordinator.name)} -. ownership .-> catalog_data[("catalog data in ${f.catalog.name}")]`]),
    ...f.shards.map(
      (s) =>
        `  ${id(f.coordinator.name)} --> ${id(s.name)}["${s.name}<br/>${s.topology.members.length} members, ${owns(s.index)}"]`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
