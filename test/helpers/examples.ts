/** The bundled examples, by role. Every test that covers "every example" iterates EXAMPLES. */
import { fileURLToPath } from 'node:url';
import { loadTopology } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export const EXAMPLES = {
  /** 1: single region, three members in three AZs, per-region etcd. */
  singleRegion: `${EXAMPLES_DIR}single-region.yaml`,
  /** 2: primary region plus a standby cluster with a cascading replica. */
  twoRegionStandby: `${EXAMPLES_DIR}two-region-standby.yaml`,
  /** 3: three regions, one stretched etcd quorum. */
  threeRegionStretched: `${EXAMPLES_DIR}three-region-stretched.yaml`,
} as const;

export type ExampleName = keyof typeof EXAMPLES;
export const EXAMPLE_NAMES = Object.keys(EXAMPLES) as ExampleName[];

const cache = new Map<ExampleName, Topology>();
export function example(name: ExampleName): Topology {
  let t = cache.get(name);
  if (!t) {
    t = loadTopology(EXAMPLES[name]);
    cache.set(name, t);
  }
  return t;
}
