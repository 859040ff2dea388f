/** Fleet specs for tests: the bundled example, edited. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type Fleet, resolveFleet } from '../../src/model/fleet.js';
import { formatPath } from '../../src/spec/issues.js';
import { EXAMPLES_DIR } from '../helpers/examples.js';

export const FLEET_EXAMPLE = `${EXAMPLES_DIR}fleet.yaml`;

/** The example fleet document (a fresh copy) passed through `edit`. */
export function fleetVariant(edit: (s: Record<string, any>) => void = () => {}): Record<string, any> {
  const s = parse(readFileSync(FLEET_EXAMPLE, 'utf8')) as Record<string, any>;
  edit(s);
  return s;
}

/** The example fleet, edited and resolved; throws when it does not resolve. */
export function fleetOf(edit: (s: Record<string, any>) => void = () => {}): Fleet {
  const r = resolveFleet(fleetVariant(edit));
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.code} ${formatPath(i.path)}`).join('\n'));
  return r.fleet;
}

/** Issues of an edited example fleet, as `code path`. */
export function fleetProblems(edit: (s: Record<string, any>) => void): string[] {
  const r = resolveFleet(fleetVariant(edit));
  return r.ok ? [] : r.issues.map((i) => `${i.code} ${formatPath(i.path)}`);
}

/** A standby region us-west-2 with two members (`<prefix>-a`, `<prefix>-b`) over three AZs. */
export function westStandby(cidr: string, prefix = 'usw2'): Record<string, unknown> {
  return {
    name: 'us-west-2',
    role: 'standby',
    cidr,
    azs: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
    members: [
      { name: `${prefix}-a`, az: 'us-west-2a' },
      { name: `${prefix}-b`, az: 'us-west-2b' },
    ],
  };
}
