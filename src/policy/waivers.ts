/**
 * Waivers: accepted findings, declared in the spec (`waivers`) with a rule id, an optional target (a member,
 * region, AZ or spec path), a reason and an optional expiry date. A waived finding stays in every report,
 * marked waived, and no longer counts as an error or warning. A waiver that is expired, too thin on reasons
 * or names no rule is itself an error (PGT-WVR-001), and does not apply.
 */
import type { Topology } from '../model/types.js';
import { formatPath, type PathSegment } from '../spec/issues.js';
import type { Finding } from './types.js';

export const MIN_REASON_LENGTH = 20;
/** The rule that polices waivers; its own findings cannot be waived. */
export const WAIVER_RULE_ID = 'PGT-WVR-001';

type Waiver = Topology['waivers'][number];

/** The first instant a waiver no longer applies (the day after `expires`, 00:00 UTC), or undefined when invalid. */
export function expiryInstant(expires: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(expires);
  if (!m) return undefined;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (day.toISOString().slice(0, 10) !== expires) return undefined;
  return new Date(day.getTime() + 86_400_000);
}

export interface WaiverProblem {
  readonly index: number;
  readonly path: readonly PathSegment[];
  readonly found: string;
  readonly expected: string;
}

/** Everything wrong with the spec's waivers at `now`. */
export function waiverProblems(t: Topology, now: Date, ruleIds: ReadonlySet<string>): WaiverProblem[] {
  const problems: WaiverProblem[] = [];
  t.waivers.forEach((w, index) => {
    const at = (field: string) => ['waivers', index, field];
    if (!ruleIds.has(w.rule) || w.rule === WAIVER_RULE_ID) {
      problems.push({
        index,
        path: at('rule'),
        found: `waiver for ${w.rule}`,
        expected: w.rule === WAIVER_RULE_ID ? 'a rule other than the waiver rule' : 'the id of a pgtopo rule',
      });
    }
    if (w.reason.trim().length < MIN_REASON_LENGTH) {
      problems.push({
        index,
        path: at('reason'),
        found: `a reason of ${w.reason.trim().length} characters`,
        expected: `a reason of at least ${MIN_REASON_LENGTH} characters`,
      });
    }
    if (w.expires !== undefined) {
      const end = expiryInstant(w.expires);
      if (!end) {
        problems.push({
          index,
          path: at('expires'),
          found: JSON.stringify(w.expires),
          expected: 'a calendar date',
        });
      } else if (now >= end) {
        problems.push({
          index,
          path: at('expires'),
          found: `waiver of ${w.rule} expired on ${w.expires}`,
          expected: 'a waiver that has not expired: renew it with a new date and reason, or fix the finding',
        });
      }
    }
  });
  return problems;
}

const normalizeTarget = (target: string) => target.trim().replace(/\.(\d+)(?=\.|\[|$)/g, '[$1]');

/** Names a finding answers to: its target, the region holding it, and its spec path. */
function namesOf(f: Finding, regionOf: ReadonlyMap<string, string>): string[] {
  const names = [formatPath(f.path)];
  if (f.target !== undefined) {
    names.push(f.target);
    const region = regionOf.get(f.target);
    if (region) names.push(region);
  }
  return names;
}

function covers(target: string, names: readonly string[]): boolean {
  const want = normalizeTarget(target);
  return names.some(
    (n) => n === want || (n.startsWith(want) && (n[want.length] === '.' || n[want.length] === '[')),
  );
}

/** Marks findings accepted by a valid, current waiver. Waiver-rule findings are never waived. */
export function applyWaivers(
  t: Topology,
  findings: readonly Finding[],
  now: Date,
  ruleIds: ReadonlySet<string>,
): Finding[] {
  if (t.waivers.length === 0) return [...findings];
  const broken = new Set(waiverProblems(t, now, ruleIds).map((p) => p.index));
  const active = t.waivers.filter((_, i) => !broken.has(i));
  const regionOf = new Map<string, string>([
    ...t.members.map((m) => [m.name, m.region] as const),
    ...t.regions.flatMap((r) => r.azs.map((az) => [az, r.name] as const)),
  ]);
  return findings.map((f) => {
    if (f.ruleId === WAIVER_RULE_ID) return f;
    const w = active.find(
      (x: Waiver) =>
        x.rule === f.ruleId && (x.target === undefined || covers(x.target, namesOf(f, regionOf))),
    );
    if (!w) return f;
    return { ...f, waived: { reason: w.reason, ...(w.expires !== undefined ? { expires: w.expires } : {}) } };
  });
}
