/**
 * Review artefacts for architects: review.md (summary, Mermaid diagram, failure
 * table, policy, AWS inventory, plan summary), topology.svg and topology.mmd,
 * and the topology diff behind `pgtopo diff`. Reads the model, the policy
 * layer's results and Terraform JSON as plain JSON; never imports cdktf.
 */
export {
  bucketRegions,
  type ChangeKind,
  diffTopologies,
  formatDiffText,
  type Impact,
  type Runbook,
  type TopologyChange,
  type TopologyDiff,
} from './diff.js';
export { failureHeadline, renderFailures } from './failures.js';
export { renderFleetMap } from './fleet.js';
export { type Diagram, type DiagramEdgeKind, EDGE_STYLES, topologyDiagram } from './graph.js';
export {
  InventoryError,
  readInventory,
  renderInventory,
  type StackInventory,
  stackInventory,
} from './inventory.js';
export { renderMermaid } from './mermaid.js';
export {
  classifyActions,
  type PlanAction,
  PlanFormatError,
  type PlannedChange,
  type PlanSummary,
  parsePlan,
  renderPlans,
  renderStatefulCallout,
} from './plan.js';
export { renderPolicy } from './policy.js';
export { buildReview, REVIEW_SECTIONS, type ReviewArtefacts, type ReviewInput } from './report.js';
export { STATEFUL_TYPES, statefulReason } from './stateful.js';
export { renderSummary, type TopologyFacts, topologyFacts } from './summary.js';
export { dotToSvg, renderDot, renderSvg } from './svg.js';
