import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveParsed } from '../../model/load.js';
import type { Topology } from '../../model/types.js';
import { analyzeFailures, ruleById, runPolicy } from '../../policy/index.js';
import { failureHeadline } from '../../review/failures.js';
import { InventoryError, readInventory, type StackInventory } from '../../review/inventory.js';
import { duration } from '../../review/markdown.js';
import { OutputDirError, writeReviewDir } from '../../review/output.js';
import { PlanFormatError, type PlanSummary, parsePlan } from '../../review/plan.js';
import { buildReview } from '../../review/report.js';
import { isFleetDocument } from '../../spec/fleet-kind.js';
import { decodeSpecFile, parseDecoded, STDIN_NAME } from '../../spec/parse.js';
import type { ParsedSpec } from '../../spec/schema.js';
import { OutputPathError } from '../../util/staged-output.js';
import { flag, parse, SPEC_INPUT_OPTIONS, SPEC_INPUT_USAGE, specLimits, str } from '../args.js';
import type { Command } from '../command.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

const SVG_FILE = 'topology.svg';

function readPlans(files: readonly string[]): PlanSummary[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new PlanFormatError(
        `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new PlanFormatError(
        `${file}: not JSON (${(e as Error).message}); pass the output of \`terraform show -json <planfile>\``,
      );
    }
    return parsePlan(doc, file);
  });
}

/** Synthesizes the spec into a temporary directory and reads its inventory; the directory is removed. */
async function synthesizedInventory(spec: ParsedSpec): Promise<StackInventory[]> {
  const { synthesize } = await import('../../aws/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'pgtopo-review-synth-'));
  try {
    synthesize(spec, dir);
    return readInventory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!;
}

export const command: Command = {
  name: 'review',
  summary: 'Write review artefacts: report, diagrams, failure table, plan summary',
  usage: [
    'Usage: pgtopo review <spec> --out <dir> [--plan <plan.json> ...] [--synth-dir <cdktf.out> | --no-synth]',
    '',
    'Writes <dir>/review.md (summary, Mermaid diagram, failure-domain table, policy results and waivers,',
    'AWS inventory per stack, plan summary), <dir>/topology.svg and <dir>/topology.mmd.',
    '',
    '  --out <dir>          output directory: new, or a previous review directory (replaced as a whole)',
    '  --plan <file>        `terraform show -json <planfile>` output, once per stack; replacements and',
    '                       destroys of stateful resources are called out at the top of the report',
    '  --synth-dir <dir>    read the AWS inventory from an existing cdktf output directory',
    '  --no-synth           leave the AWS inventory out (default: synthesize into a temporary directory)',
    '',
    'A fleet document (kind: fleet): review.md opens with the fleet (its slot map, the fleet checks and a',
    'diagram of the routing tier, also in topology.mmd), then the review of every cluster tier: the shards',
    '(shown for the first; all are built from the template), the catalog and the coordinator. The AWS',
    'inventory of a fleet is read from `--synth-dir <pgtopo synth out>/<cluster>` only.',
    '',
    ...SPEC_INPUT_USAGE,
    'Exit codes: 0 written, 2 invalid spec or plan file, 64 bad command line or output directory.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, {
      out: { type: 'string', short: 'o' },
      plan: { type: 'string', multiple: true },
      'synth-dir': { type: 'string' },
      'no-synth': { type: 'boolean' },
      ...SPEC_INPUT_OPTIONS,
    });
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const out = str(parsed, 'out');
    if (!out) throw new UsageError('--out <dir> is required');
    const synthDir = str(parsed, 'synth-dir');
    const noSynth = flag(parsed, 'no-synth');
    if (synthDir && noSynth) throw new UsageError('--synth-dir and --no-synth exclude each other');
    const planFiles = ((parsed.values.plan as string[] | undefined) ?? []).filter((p) => p !== '');
    const source = parsed.positionals[0]!;
    const specFile = source === '-' ? STDIN_NAME : source;

    const doc = decodeSpecFile(source, specLimits(parsed));
    if (doc.ok && isFleetDocument(doc.value)) {
      const fleet = await import('../fleet.js');
      const r = fleet.loadFleet(doc, specFile, io);
      if (typeof r === 'number') return r;
      const tiers = r.clusters.filter((c, i) => c.role !== 'shard' || i === 0).map((c) => c.topology);
      const head = fleet.fleetReviewMarkdown(r, specFile);
      const reviews = [];
      for (const t of tiers) {
        const one = await reviewOf(t, specFile, synthDir ? join(synthDir, t.name) : undefined, io);
        if (typeof one === 'number') return one;
        reviews.push(one);
      }
      write(out, {
        'review.md': [head.markdown, ...reviews.map((x) => x.review.markdown)].join('\n'),
        [SVG_FILE]: reviews[0]!.review.svg,
        'topology.mmd': head.mermaid,
      });
      io.out(
        `${paint(io, 'green', 'wrote')} ${join(out, 'review.md')}: fleet ${r.fleet.name} and ${tiers.map((t) => t.name).join(', ')}`,
      );
      return EXIT.ok;
    }
    const loaded = resolveParsed(parseDecoded(doc));
    if (!loaded.ok) {
      io.err(`${paint(io, 'red', 'invalid')} ${specFile}: ${loaded.issues.length} issue(s)`);
      printIssues(io, loaded.issues);
      return EXIT.invalid;
    }
    let plans: PlanSummary[];
    try {
      plans = readPlans(planFiles);
    } catch (e) {
      if (!(e instanceof PlanFormatError)) throw e;
      io.err(`${paint(io, 'red', 'invalid plan')} ${e.message}`);
      return EXIT.invalid;
    }

    const t = loaded.topology;
    const policy = runPolicy(t);
    const failures = analyzeFailures(t);
    let inventory: StackInventory[] | undefined;
    let inventoryNote: string | undefined;
    if (noSynth) {
      inventoryNote = 'Left out (`--no-synth`).';
    } else if (synthDir) {
      const read = inventoryFrom(synthDir, io);
      if (typeof read === 'number') return read;
      inventory = read;
    } else if (policy.errors > 0) {
      inventoryNote = `Not synthesized: ${policy.errors} policy error(s) make \`cdktf synth\` refuse the spec.`;
    } else {
      try {
        inventory = await synthesizedInventory(loaded.spec);
      } catch (e) {
        inventoryNote = `Not synthesized: ${firstLine(e)}`;
      }
    }

    const review = await buildReview({
      topology: t,
      specFile,
      policy,
      ruleTitle: (id) => ruleById(id)?.title,
      failures,
      ...(inventory ? { inventory } : {}),
      ...(inventoryNote ? { inventoryNote } : {}),
      plans,
      svgFile: SVG_FILE,
    });
    write(out, {
      'review.md': review.markdown,
      [SVG_FILE]: review.svg,
      'topology.mmd': review.mermaid,
    });
    report(io, out, policy, failures, plans, inventory, inventoryNote);
    return EXIT.ok;
  },
};

function write(out: string, files: Parameters<typeof writeReviewDir>[1]): void {
  try {
    writeReviewDir(out, files);
  } catch (e) {
    // A path that cannot hold the review (a file, a foreign directory, no permission) is the caller's.
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof OutputDirError || e instanceof OutputPathError) throw new UsageError(e.message);
    if (code) throw new UsageError(`cannot write ${out} (${code})`);
    throw e;
  }
}

/** The AWS inventory of a cdktf output directory, or the exit code after saying why it is unusable. */
function inventoryFrom(synthDir: string, io: CliIo): StackInventory[] | number {
  try {
    return readInventory(synthDir);
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e;
    io.err(`${paint(io, 'red', 'invalid')} --synth-dir ${e.message}`);
    return EXIT.invalid;
  }
}

/** One cluster tier's review in a fleet review: its rules, failures and (from `synthDir`) inventory. */
async function reviewOf(
  t: Topology,
  specFile: string,
  synthDir: string | undefined,
  io: CliIo,
): Promise<{ review: Awaited<ReturnType<typeof buildReview>> } | number> {
  const policy = runPolicy(t);
  let inventory: StackInventory[] | undefined;
  const inventoryNote = synthDir
    ? undefined
    : 'Left out: a fleet review reads the inventory from `--synth-dir` only.';
  if (synthDir) {
    const read = inventoryFrom(synthDir, io);
    if (typeof read === 'number') return read;
    inventory = read;
  }
  const review = await buildReview({
    topology: t,
    specFile,
    policy,
    ruleTitle: (id) => ruleById(id)?.title,
    failures: analyzeFailures(t),
    ...(inventory ? { inventory } : {}),
    ...(inventoryNote ? { inventoryNote } : {}),
    plans: [],
    svgFile: SVG_FILE,
  });
  return { review };
}

function report(
  io: CliIo,
  out: string,
  policy: ReturnType<typeof runPolicy>,
  failures: ReturnType<typeof analyzeFailures>,
  plans: readonly PlanSummary[],
  inventory: readonly StackInventory[] | undefined,
  inventoryNote: string | undefined,
): void {
  const h = failureHeadline(failures);
  const losses = plans.reduce((n, p) => n + p.statefulLosses.length, 0);
  const lines = [
    `${paint(io, 'green', 'wrote')} ${join(out, 'review.md')}, ${join(out, SVG_FILE)}, ${join(out, 'topology.mmd')}`,
    `  policy:   ${policy.errors} error(s), ${policy.warnings} warning(s), ${policy.waived} waived`,
    `  failures: ${h.auto} of ${h.total} single failures recover automatically` +
      (h.worstAuto ? `, worst ${duration(h.worstAuto.seconds)} (${h.worstAuto.name})` : '') +
      (h.none.length > 0 ? `; ${paint(io, 'red', `no writable primary after ${h.none.join(', ')}`)}` : ''),
    `  aws:      ${inventory ? `${inventory.length} stack(s), ${inventory.reduce((n, s) => n + s.total, 0)} resource(s)` : (inventoryNote ?? 'not synthesized')}`,
  ];
  if (plans.length > 0) {
    lines.push(
      `  plan:     ${losses > 0 ? paint(io, 'red', `${losses} stateful resource(s) replaced or destroyed`) : 'no stateful resource replaced or destroyed'}`,
    );
  }
  io.out(lines.join('\n'));
}
