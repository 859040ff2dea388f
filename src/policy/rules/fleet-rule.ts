/** What a fleet rule is: the same metadata as a cluster rule, judged over a whole fleet. */
import type { Fleet } from '../../model/fleet.js';
import type { Draft, RuleMeta } from '../types.js';

export interface FleetRule extends RuleMeta {
  readonly check: (f: Fleet) => readonly Draft[];
}
