/**
 * The policy engine: every rule over one topology, findings in rule order, waivers applied.
 * The same function runs in `pgtopo check` and inside the cdktf construct.
 */
import type { Topology } from '../model/types.js';
import { analyzeFailures } from './failures.js';
import { FLEET_RULES } from './rules/fleet-rules.js';
import { ALL_RULES } from './rules/index.js';
import type { Draft, FailureAnalysis, Finding, PolicyReport, RuleContext, RuleMeta } from './types.js';
import { applyWaivers } from './waivers.js';

/** Rule metadata: the source of `pgtopo explain`, docs/rules.md and SARIF rules. */
export const RULES: readonly RuleMeta[] = Object.freeze(
  [...ALL_RULES, ...FLEET_RULES].map(({ id, group, title, severity, rationale, fix }) =>
    Object.freeze({ id, group, title, severity, rationale, fix }),
  ),
);

const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

/** A rule's metadata by id (case-insensitive), or undefined. */
export function ruleById(id: string): RuleMeta | undefined {
  const want = id.trim().toUpperCase();
  return RULES.find((r) => r.id === want);
}

/** A rule's draft as a finding: the rule's id, and its severity and fix unless the draft overrides them. */
export function findingOf(rule: RuleMeta, d: Draft): Finding {
  return {
    ruleId: rule.id,
    severity: d.severity ?? rule.severity,
    path: d.path,
    found: d.found,
    expected: d.expected,
    fix: d.fix ?? rule.fix,
    ...(d.target !== undefined ? { target: d.target } : {}),
  };
}

/** Runs every rule. `now` decides waiver expiry (default: the current time). */
export function runPolicy(t: Topology, opts: { now?: Date } = {}): PolicyReport {
  const now = opts.now ?? new Date();
  let analysis: FailureAnalysis | undefined;
  const ctx: RuleContext = {
    now,
    ruleIds: RULE_IDS,
    analysis: () => {
      analysis ??= analyzeFailures(t);
      return analysis;
    },
  };
  const raw: Finding[] = [];
  for (const rule of ALL_RULES) {
    for (const d of rule.check(t, ctx)) raw.push(findingOf(rule, d));
  }
  const findings = applyWaivers(t, raw, now, RULE_IDS);
  return { findings, ...tally(findings) };
}

/** Unwaived errors, unwaived warnings and waived findings among `findings`. */
export function tally(findings: readonly Finding[]): { errors: number; warnings: number; waived: number } {
  let errors = 0;
  let warnings = 0;
  let waived = 0;
  for (const f of findings) {
    if (f.waived) waived++;
    else if (f.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings, waived };
}
