/**
 * Policy: rules over the resolved topology, waivers, the failure-domain analysis with its RTO/RPO model,
 * and the check report in text, JSON, SARIF and JUnit.
 */
export { ruleMarkdown, rulesMarkdown } from './docs.js';
export { RULES, ruleById, runPolicy } from './engine.js';
export { analyzeFailures } from './failures.js';
export { toJunit } from './format/junit.js';
export { toSarif } from './format/sarif.js';
export { failureTable, issueLines, reportLines } from './format/text.js';
export { MANAGED_PARAMETERS, managedBy } from './managed-parameters.js';
export {
  type CheckOptions,
  type CheckReport,
  checkReport,
  type ReportFinding,
  summarize,
  type TopologySummary,
} from './report.js';
export type {
  Draft,
  Endpoint,
  FailureAnalysis,
  FailureResult,
  Finding,
  PolicyReport,
  QuorumState,
  Recovery,
  RpoBound,
  RtoRange,
  Rule,
  RuleContext,
  RuleGroup,
  RuleMeta,
  Severity,
} from './types.js';
