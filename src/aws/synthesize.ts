/**
 * Synthesis as a function, for the CLI and the bench: one spec in, one
 * `cdk.tf.json` per stack out, policy and resource-rule failures as data.
 */
import { join } from 'node:path';
import { App } from 'cdktf';
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
  /** Image per region. @default the spec's `hosts.imageId`, else Debian 12 via SSM */
  readonly images?: Readonly<Record<string, string>>;
}

/**
 * Synthesizes every stack of a spec (object or YAML/JSON path) into `outdir`.
 * Throws SpecError for an invalid spec and SynthesisError when a policy error or
 * a resource-level rule stops synthesis (every message, de-duplicated).
 */
export function synthesize(
  spec: TopologySpecInput | string,
  outdir: string,
  opts: SynthesizeOptions = {},
): SynthResult {
  const app = new App({ outdir, stackTraces: false });
  const topo = new PostgresTopology(app, 'pgtopo', { spec, ...opts });
  const stacks = [...Object.values(topo.regionStacks), topo.globalStack];
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
  return {
    outdir,
    stacks: stacks.map((s) => {
      const dir = join(outdir, 'stacks', s.node.id);
      return { id: s.node.id, dir, file: join(dir, 'cdk.tf.json') };
    }),
    policy: topo.policy,
  };
}
