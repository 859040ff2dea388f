/**
 * Synthesis as a function, for the CLI and the bench: one spec in, one
 * `cdk.tf.json` per stack out, policy and resource-rule failures as data.
 */
import { join } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import type { PolicyReport } from '../policy/index.js';

/** Metadata type of `Annotations.of(x).addError`. */
const ERROR_ANNOTATION = '@cdktf/error';

import { findingLines, type Paint } from '../policy/format/text.js';
import { type ReportFinding, reportFinding } from '../policy/report.js';
import type { TopologySpecInput } from '../spec/schema.js';
import { writeStaged } from '../util/staged-output.js';
import { formatGuardFinding, GuardError, type GuardFinding, guardFindingLines } from './guard.js';
import type { BackendFactory, S3StateOptions } from './stack.js';
import { findingMessage, PostgresTopology } from './topology.js';

export interface SynthesizedStack {
  /** Stack id, e.g. `orders-us-east-1`. */
  readonly id: string;
  /** Directory `terraform init/plan` runs in. */
  readonly dir: string;
  /** The stack's Terraform JSON. */
  readonly file: string;
}

export interface SynthResult {
  readonly outdir: string;
  /** Region stacks in spec order, then the global stack. */
  readonly stacks: readonly SynthesizedStack[];
  readonly policy: PolicyReport;
}

/** Synthesis stopped: policy errors, resource-level rule failures, other error annotations; all of them. */
export class SynthesisError extends Error {
  constructor(
    /** Every failure as one line, de-duplicated: policy findings, then guard findings, then the rest. */
    readonly messages: readonly string[],
    /** Unwaived policy errors, as `pgtopo check` reports them. */
    readonly findings: readonly ReportFinding[] = [],
    /** Resource-level rule failures of every stack. */
    readonly guard: readonly GuardFinding[] = [],
    /** Other error annotations (e.g. a node's user data over EC2's limit). */
    readonly others: readonly string[] = messages,
  ) {
    super(`synthesis failed:\n  ${messages.join('\n  ')}`);
  }
}

/** A SynthesisError's failures, each once, in the form `pgtopo check` prints findings. */
export function synthesisErrorLines(e: SynthesisError, paint?: Paint): string[] {
  return [
    ...e.findings.flatMap((f) => findingLines(f, paint)),
    ...e.guard.flatMap((f) => guardFindingLines(f, paint)),
    ...e.others.map((m) => `${paint ? paint('red', 'error  ') : 'error  '} ${m}`),
  ];
}

export interface SynthesizeOptions {
  /** @default the current time (waiver expiry) */
  readonly now?: Date;
  /** Remote state in S3 (see PostgresTopologyProps.state). @default local state next to the output directory */
  readonly state?: S3StateOptions;
  /** Any other backend; exclusive with `state`. @default local state next to the output directory */
  readonly backend?: BackendFactory;
  /** Image per region. @default the spec's `hosts.imageId`, else the node release's image via SSM */
  readonly images?: Readonly<Record<string, string>>;
  /** Other stacks reach the endpoints (a fleet's clusters; see PostgresTopologyProps.routable). @default false */
  readonly routable?: boolean;
}

/**
 * Synthesizes every stack of a spec (object or YAML/JSON path) into `outdir`.
 * Throws SpecError for an invalid spec and SynthesisError when a policy error or
 * a resource-level rule stops synthesis (every message, de-duplicated).
 *
 * All or nothing: cdktf writes stack after stack, and a resource-level rule can
 * stop it at the second. So synthesis runs in a staging directory beside `outdir`,
 * and only a complete result moves in: renamed as a whole to a new `outdir`, file
 * by file into an existing one. What else is in an existing `outdir` stays
 * (`.terraform` and lock files of `terraform init` in a stack directory); a failed
 * synthesis leaves `outdir` as it was.
 */
export function synthesize(
  spec: TopologySpecInput | string,
  outdir: string,
  opts: SynthesizeOptions = {},
): SynthResult {
  return writeStaged(outdir, (staging) => {
    // Constructed here, not in a helper: every token records its creation stack, frame by frame.
    const app = new App({ outdir: staging, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec, ...opts });
    const stacks = [...Object.values(topo.regionStacks), topo.globalStack];
    synth(app, stacks, topo);
    return {
      outdir,
      stacks: stacks.map((s) => {
        const dir = join(outdir, 'stacks', s.node.id);
        return { id: s.node.id, dir, file: join(dir, 'cdk.tf.json') };
      }),
      policy: topo.policy,
    };
  });
}

/**
 * `app.synth()`, and every reason it must not count: unwaived policy errors, resource-level rule
 * failures of every stack (not only the first that failed) and any other error annotation, together.
 * Annotations are read after synthesis too: under `cdktf synth` (CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS)
 * cdktf writes stacks despite them.
 */
function synth(app: App, stacks: readonly TerraformStack[], topo: PostgresTopology): void {
  let guard: GuardFinding[] = [];
  try {
    app.synth();
  } catch (e) {
    // cdktf stops at the first stack that fails, on a guard finding or an error annotation; every
    // stack is prepared by then, so each one's guard can still be asked.
    if (!(e instanceof GuardError) && errorAnnotations(stacks).length === 0) throw e;
    guard = everyGuardFinding(stacks);
  }
  const policyErrors = topo.policy.findings.filter((f) => f.severity === 'error' && !f.waived);
  const policyMessages = policyErrors.map(findingMessage);
  const others = errorAnnotations(stacks).filter((m) => !policyMessages.includes(m));
  if (policyErrors.length + guard.length + others.length === 0) return;
  throw new SynthesisError(
    [...new Set([...policyMessages, ...guard.map(formatGuardFinding), ...others])],
    policyErrors.map((f) => reportFinding(f, topo.locate)),
    guard,
    others,
  );
}

/** Error annotations of every construct of the stacks, de-duplicated (policy errors sit on every stack). */
function errorAnnotations(stacks: readonly TerraformStack[]): string[] {
  const messages = stacks.flatMap((s) =>
    s.node
      .findAll()
      .flatMap((n) => n.node.metadata)
      .filter((m) => m.type === ERROR_ANNOTATION)
      .map((m) => String(m.data)),
  );
  return [...new Set(messages)];
}

/** The guard's findings over every stack (cdktf stops at the first stack that fails), de-duplicated. */
function everyGuardFinding(stacks: readonly TerraformStack[]): GuardFinding[] {
  const found = new Map<string, GuardFinding>();
  for (const s of stacks) {
    try {
      s.toTerraform();
    } catch (e) {
      if (!(e instanceof GuardError)) throw e;
      for (const f of e.findings) found.set(formatGuardFinding(f), f);
    }
  }
  return [...found.values()];
}
