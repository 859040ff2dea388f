/**
 * A fleet on AWS: every cluster of the fleet (each shard, the catalog, the coordinator) synthesized
 * through the ordinary `synthesize`, into `<outdir>/<cluster>/`. All or nothing: the whole fleet is staged
 * and only a complete result moves into `outdir`. Fleet rule errors stop synthesis like cluster rules.
 */
import { join } from 'node:path';
import type { FleetResult } from '../model/fleet.js';
import { fleetFindings } from '../policy/fleet.js';
import { SpecError } from '../spec/issues.js';
import { writeStaged } from '../util/staged-output.js';
import { SynthesisError, type SynthesizeOptions, type SynthResult, synthesize } from './synthesize.js';

export interface FleetSynthResult {
  readonly outdir: string;
  /** One synthesis per cluster, shards in order, then the catalog and the coordinator. */
  readonly clusters: readonly (SynthResult & { readonly name: string; readonly role: string })[];
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
      const r = synthesize(c.topology.spec, join(staging, c.topology.name), opts);
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
  }));
}
