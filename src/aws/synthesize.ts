/**
 * Synthesis as a function, for the CLI and the bench: one spec in, one
 * `cdk.tf.json` per stack out, policy and resource-rule failures as data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import type { PolicyReport } from '../policy/index.js';

/** Metadata type of `Annotations.of(x).addError`. */
const ERROR_ANNOTATION = '@cdktf/error';

import type { TopologySpecInput } from '../spec/schema.js';
import { formatGuardFinding, GuardError } from './guard.js';
import type { BackendFactory } from './stack.js';
import { PostgresTopology } from './topology.js';

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

/** Synthesis stopped by error annotations: policy errors and resource-level rule failures. */
export class SynthesisError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`synthesis failed:\n  ${messages.join('\n  ')}`);
  }
}

export interface SynthesizeOptions {
  /** @default the current time (waiver expiry) */
  readonly now?: Date;
  /** @default local state next to the output directory */
  readonly backend?: BackendFactory;
  /** Image per region. @default the spec's `hosts.imageId`, else the node release's image via SSM */
  readonly images?: Readonly<Record<string, string>>;
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
  const parent = dirname(outdir);
  const created = mkdirSync(parent, { recursive: true });
  // Not mkdtemp: its 0700 would become the output directory's mode.
  const staging = join(parent, `.${basename(outdir)}.synth-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(staging);
  try {
    // Constructed here, not in a helper: every token records its creation stack, frame by frame.
    const app = new App({ outdir: staging, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec, ...opts });
    const stacks = [...Object.values(topo.regionStacks), topo.globalStack];
    synth(app, stacks);
    if (existsSync(outdir)) moveFiles(staging, outdir);
    else renameSync(staging, outdir);
    return {
      outdir,
      stacks: stacks.map((s) => {
        const dir = join(outdir, 'stacks', s.node.id);
        return { id: s.node.id, dir, file: join(dir, 'cdk.tf.json') };
      }),
      policy: topo.policy,
    };
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** `app.synth()`, its failures as SynthesisError: resource-rule findings, else every error annotation. */
function synth(app: App, stacks: readonly TerraformStack[]): void {
  try {
    app.synth();
  } catch (e) {
    if (e instanceof GuardError) throw new SynthesisError(e.findings.map(formatGuardFinding));
    const messages = stacks.flatMap((s) =>
      s.node
        .findAll()
        .flatMap((n) => n.node.metadata)
        .filter((m) => m.type === ERROR_ANNOTATION)
        .map((m) => String(m.data)),
    );
    if (messages.length > 0) throw new SynthesisError([...new Set(messages)]);
    throw e;
  }
}

/** Moves every file below `from` to the same relative path below `to`, replacing what is there. */
function moveFiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) moveFiles(source, target);
    else renameSync(source, target);
  }
}
