/** Example 2 as a plain object, and one-line variants of it, for the diff tests. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { EXAMPLES } from '../helpers/examples.js';

export type Spec = any;

export const base = (): Spec => parseYaml(readFileSync(EXAMPLES.twoRegionStandby, 'utf8'));

export const edit = (f: (s: Spec) => void): Spec => {
  const s = base();
  f(s);
  return s;
};
