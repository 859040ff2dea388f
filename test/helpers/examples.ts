/** The bundled examples, by role. Every test that covers "every example" iterates EXAMPLES. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadTopology, topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { RELEASES, type ReleaseName } from '../../src/spec/releases.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export const EXAMPLES = {
  /** 1: single region, three members in three AZs, per-region etcd. */
  singleRegion: `${EXAMPLES_DIR}single-region.yaml`,
  /** 2: primary region plus a standby cluster with a cascading replica. */
  twoRegionStandby: `${EXAMPLES_DIR}two-region-standby.yaml`,
  /** 3: three regions, one stretched etcd quorum. */
  threeRegionStretched: `${EXAMPLES_DIR}three-region-stretched.yaml`,
  /** 4: a small cluster subscribing to example 2's publication (cross-cluster logical replication). */
  logicalSubscriber: `${EXAMPLES_DIR}logical-subscriber.yaml`,
} as const;

export type ExampleName = keyof typeof EXAMPLES;
export const EXAMPLE_NAMES = Object.keys(EXAMPLES) as ExampleName[];

/**
 * The examples a slow proof covers: every one by default, or those `PGTOPO_SLOW_EXAMPLES` names
 * (comma-separated keys of EXAMPLES). A second run of the same proof in another toolchain (cdktn) whose
 * output is already shown equal to the first's runs it on one example; a misspelt name fails loudly.
 */
export function slowProofExamples(env = process.env.PGTOPO_SLOW_EXAMPLES): ExampleName[] {
  if (!env) return EXAMPLE_NAMES;
  const names = env.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(EXAMPLE_NAMES as string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `PGTOPO_SLOW_EXAMPLES: unknown ${unknown.join(', ')}; known: ${EXAMPLE_NAMES.join(', ')}`,
    );
  }
  return names as ExampleName[];
}

const cache = new Map<ExampleName, Topology>();
export function example(name: ExampleName): Topology {
  let t = cache.get(name);
  if (!t) {
    t = loadTopology(EXAMPLES[name]);
    cache.set(name, t);
  }
  return t;
}

/** An example with a change to its spec (the example's file, parsed, as a TS object). */
export function exampleWith(name: ExampleName, change: (spec: TopologySpecInput) => void): Topology {
  const spec = parse(readFileSync(EXAMPLES[name], 'utf8')) as TopologySpecInput;
  change(spec);
  return topologyFrom(spec);
}

/** An example moved to another node release (its PostgreSQL major follows the release). */
export function exampleOn(name: ExampleName, release: ReleaseName): Topology {
  return exampleWith(name, (s) => {
    s.postgres = { ...s.postgres, version: RELEASES[release].postgresMajor };
    s.hosts = { ...s.hosts, os: release };
  });
}
