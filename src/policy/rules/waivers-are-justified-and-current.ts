import type { Rule } from '../types.js';
import { MIN_REASON_LENGTH, WAIVER_RULE_ID, waiverProblems } from '../waivers.js';

export const rule: Rule = {
  id: WAIVER_RULE_ID,
  group: 'waivers',
  title: `Waivers name a rule, give a reason of at least ${MIN_REASON_LENGTH} characters and have not expired`,
  severity: 'error',
  rationale:
    'A waiver turns a known risk into an accepted one. Without a reason nobody can judge it later, a waiver ' +
    'for an unknown rule id accepts nothing (usually a typo), and an expired waiver was accepted only until a ' +
    'date that has passed: it no longer applies, and the finding it covered counts again.',
  fix: 'Fix the rule id, explain the waiver in `reason`, or renew `expires` after reviewing the risk (or fix the finding).',
  check(t, ctx) {
    return waiverProblems(t, ctx.now, ctx.ruleIds).map((p) => ({
      path: p.path,
      target: `waivers[${p.index}]`,
      found: p.found,
      expected: p.expected,
    }));
  },
};
