/**
 * A fleet on AWS: every cluster of the fleet (each shard, the catalog, the coordinator) synthesized
 * through the ordinary `synthesize`, into `<outdir>/<cluster>/` (each shard in VPCs of its own, see
 * model/fleet-network.ts), then the routing tier (fleet-routing.ts) into `<outdir>/<fleet>-routing/`.
 * All or nothing: the whole fleet is staged and only a complete result moves into `outdir`. Fleet rule
 * errors stop synthesis like cluster rules.
 */
import { join } from 'node:path';
import { App } from 'cdktf';
import type { FleetResult } from '../model/fleet.js';
import type { Topology } from '../model/types.js';
import { fleetFindings } from '../policy/fleet.js';
import { SpecError } from '../spec/issues.js';
import { writeStaged } from '../util/staged-output.js';
import { RoutingTierStack, routingRegions } from './fleet-routing.js';
import { formatGuardFinding, GuardError } from './guard.js';
import { type BackendFactory, defaultBackend, s3Backend } from './stack.js';
import {
  SynthesisError,
  type SynthesizedStack,
  type SynthesizeOptions,
  type SynthResult,
  synthesize,
} from './synthesize.js';

export interface FleetSynthResult {
  readonly outdir: string;
  /** One synthesis per cluster, shards in order, then the catalog and the coordinator. */
  readonly clusters: readonly (SynthResult & { readonly name: string; readonly role: string })[];
  /** The routing tier: one stack per region a path starts in (the coordinator's, a separate catalog's, a move target's), under `<outdir>/<fleet>-routing/`. */
  readonly routing: { readonly outdir: string; readonly stacks: readonly SynthesizedStack[] };
}

/** The backend of a cluster's stacks, as `synthesize` chooses it (an S3 bucket's region defaults to the cluster's primary region). */
function clusterBackend(t: Topology, opts: SynthesizeOptions): BackendFactory {
  if (opts.state) return s3Backend({ ...opts.state, region: opts.state.region ?? t.primaryRegion });
  return opts.backend ?? defaultBackend;
}

/** Synthesizes every cluster of a resolved fleet. Throws SpecError or SynthesisError (fleet rule errors). */
export function synthesizeFleet(
  result: FleetResult,
  outdir: string,
  opts: SynthesizeOptions = {},
): FleetSynthResult {
  if (!result.ok) throw new SpecError(result.issues);
  const fleetErrors = fleetFindings(result).filter((f) => f.severity === 'error' && !f.waived);
  if (fleetErrors.length > 0) {
    throw new SynthesisError(
      fleetErrors.map((f) => `${f.ruleId} ${f.pathText}: ${f.found} (expected ${f.expected})`),
      fleetErrors,
    );
  }
  return writeStaged(outdir, (staging) => ({
    outdir,
    clusters: result.clusters.map((c) => {
      const r = synthesize(c.topology.spec, join(staging, c.topology.name), { ...opts, routable: true });
      const dir = join(outdir, c.topology.name);
      return {
        ...r,
        name: c.topology.name,
        role: c.role,
        outdir: dir,
        stacks: r.stacks.map((s) => ({
          ...s,
          dir: join(dir, 'stacks', s.id),
          file: join(dir, 'stacks', s.id, 'cdk.tf.json'),
        })),
      };
    }),
    routing: synthesizeRouting(result, staging, outdir, opts),
  }));
}

/** The routing tier's stacks, synthesized into `<staging>/<fleet>-routing`, reported under `outdir`. */
function synthesizeRouting(
  result: Extract<FleetResult, { ok: true }>,
  staging: string,
  outdir: string,
  opts: SynthesizeOptions,
): FleetSynthResult['routing'] {
  const dirName = `${result.fleet.name}-routing`;
  const app = new App({ outdir: join(staging, dirName), stackTraces: false });
  const stacks = routingRegions(result.fleet).map(
    (r) => new RoutingTierStack(app, result.fleet, r, (t) => clusterBackend(t, opts)),
  );
  try {
    app.synth();
  } catch (e) {
    if (!(e instanceof GuardError)) throw e;
    throw new SynthesisError(e.findings.map(formatGuardFinding), [], e.findings, []);
  }
  const errors = stacks.flatMap((s) =>
    s.node.metadata.filter((m) => m.type === '@cdktf/error').map((m) => String(m.data)),
  );
  if (errors.length > 0) throw new SynthesisError(errors);
  const dir = join(outdir, dirName);
  return {
    outdir: dir,
    stacks: stacks.map((s) => ({
      id: s.node.id,
      dir: join(dir, 'stacks', s.node.id),
      file: join(dir, 'stacks', s.node.id, 'cdk.tf.json'),
    })),
  };
}
