/** Layout builders for policy tests: spec variants through the real parser, or hand-built topologies. */
import { topologyFrom, tryResolve } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { runPolicy } from '../../src/policy/index.js';
import type { Finding } from '../../src/policy/types.js';
import { formatPath } from '../../src/spec/issues.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { variant } from '../helpers/spec.js';

/** The base spec (one region, three members in three AZs) passed through `edit`, resolved. */
export function layout(edit: (s: Record<string, any>) => void = () => {}): Topology {
  return topologyFrom(variant(edit) as TopologySpecInput);
}

/** A deep, mutable copy of a topology changed by `edit`: for facts no spec can express. */
export function handBuilt(t: Topology, edit: (t: any) => void): Topology {
  const copy = structuredClone(t) as any;
  edit(copy);
  return copy as Topology;
}

/** Two regions: the base region plus a standby region us-west-2 with three members. */
export function twoRegions(s: Record<string, any>): void {
  s.regions.push({
    name: 'us-west-2',
    cidr: '10.20.0.0/16',
    azs: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
    members: [
      { name: 'usw2-a', az: 'us-west-2a' },
      { name: 'usw2-b', az: 'us-west-2b' },
      { name: 'usw2-c', az: 'us-west-2c' },
    ],
  });
}

/** Three regions (base, us-west-2, eu-west-1), for stretched quorums. */
export function threeRegions(s: Record<string, any>): void {
  twoRegions(s);
  s.regions.push({
    name: 'eu-west-1',
    cidr: '10.30.0.0/16',
    azs: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    members: [
      { name: 'euw1-a', az: 'eu-west-1a' },
      { name: 'euw1-b', az: 'eu-west-1b' },
    ],
  });
}

export const NOW = new Date('2026-06-15T12:00:00Z');

export function findings(t: Topology, ruleId?: string): Finding[] {
  return runPolicy(t, { now: NOW }).findings.filter((f) => ruleId === undefined || f.ruleId === ruleId);
}

/** `ruleId path` of each finding of one rule, with severity when it is a warning. */
export function hits(t: Topology, ruleId: string): string[] {
  return findings(t, ruleId).map(
    (f) => `${formatPath(f.path)}${f.severity === 'warning' ? ' (warning)' : ''}`,
  );
}

/** Spec issues of the base spec passed through `edit`, as `code path` (empty when it resolves). */
export function specIssues(edit: (s: Record<string, any>) => void): string[] {
  const r = tryResolve(variant(edit));
  return r.ok ? [] : r.issues.map((i) => `${i.code} ${formatPath(i.path)}`);
}
