/** pgtopo's library entry point: spec, model, policy and renderers. cdktf constructs live in `pgtopo/aws`. */
export * from './model/constants.js';
export { type Fleet, type FleetResult, type Ownership, resolveFleet } from './model/fleet.js';
export { partitionHash, type ShardKey, shardSlot } from './model/fleet-hash.js';
export {
  type FleetMove,
  fleetMoves,
  type MoveBlocker,
  slotMoves,
  type UndeclaredMove,
  undeclaredMoves,
} from './model/fleet-moves.js';
export { type RoutingPath, routingPaths, shardCidr } from './model/fleet-network.js';
export { fleetRouter, ownerOf } from './model/fleet-route.js';
export { loadTopology, type ResolveResult, topologyFrom, tryLoad, tryResolve } from './model/load.js';
export type * from './model/types.js';
export { type FleetCheckReport, fleetCheckReport } from './policy/fleet.js';
export * from './policy/index.js';
export * from './render/index.js';
export {
  bindVariables,
  digestRows,
  type MoveExpect,
  type MovePlan,
  type MovePlanOptions,
  type MoveStep,
  movePlanText,
  renderMovePlan,
} from './render/shard-move.js';
export { diffFleets, type FleetDiff, type Refusal } from './review/fleet-diff.js';
export * from './review/index.js';
export { FleetSpec, type FleetSpecInput } from './spec/fleet.js';
export { formatIssue, formatPath, SpecError, type SpecIssue, type SpecIssueCode } from './spec/issues.js';
export { topologyJsonSchema } from './spec/json-schema.js';
export { parseSpec, parseSpecFile, parseSpecText } from './spec/parse.js';
export { type ParsedSpec, TopologySpec, type TopologySpecInput } from './spec/schema.js';
