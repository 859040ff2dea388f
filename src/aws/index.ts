/**
 * pgtopo's AWS layer (`pgtopo/aws`): cdktf constructs that place a resolved
 * topology on AWS. The only layer that imports cdktf, constructs or provider
 * bindings (deep imports only).
 */
export { ClusterAlarms, type ClusterAlarmsProps } from './alarms.js';
export {
  type ArchiveBucketRef,
  ArchiveReplication,
  type ArchiveReplicationProps,
  WalArchive,
  type WalArchiveProps,
} from './archive.js';
export {
  RegionCertificateAuthority,
  type RegionCertificateAuthorityProps,
  TrustBundle,
  type TrustBundleProps,
} from './ca.js';
export {
  ClusterEndpoints,
  type ClusterEndpointsProps,
  type EndpointListener,
  endpointListeners,
  endpointRecords,
  writerHealthPath,
} from './endpoints.js';
export { EtcdQuorum, type EtcdQuorumProps } from './etcd.js';
export { type FleetSynthResult, synthesizeFleet } from './fleet.js';
export { RoutingTierStack, routingRegions, routingStackId } from './fleet-routing.js';
export {
  checkSynthesized,
  formatGuardFinding,
  GuardError,
  type GuardFinding,
  guardFindingLines,
  protect,
} from './guard.js';
export { type PolicyDocument, type PolicyStatement, wildcardProblems } from './iam.js';
export { ClusterKey, type ClusterKeyProps, type KeyServiceUse } from './kms.js';
export {
  DATA_VOLUME_DEVICE,
  PatroniFirewall,
  type PatroniFirewallProps,
  PatroniMember,
  type PatroniMemberProps,
} from './member.js';
export {
  archiveBucketName,
  archiveKeyAlias,
  clusterKeyAlias,
  globalStackId,
  regionStackId,
} from './names.js';
export {
  INTERFACE_ENDPOINTS,
  interfaceEndpointsOf,
  peeredRegionPairs,
  RegionNetwork,
  type RegionNetworkProps,
  RegionPeering,
  type RegionPeeringProps,
} from './network.js';
export {
  architectureOf,
  DEFAULT_IMAGE,
  decodeUserData,
  encodeUserData,
  HardenedNode,
  type HardenedNodeProps,
  USER_DATA_LIMIT,
  USER_DATA_TOO_LARGE,
} from './node.js';
export { nodeStatements, pgtopoAddressMap } from './permissions.js';
export { ClusterSecrets, type ClusterSecretsProps, generatedKeys } from './secrets.js';
export {
  type AccountFacts,
  accountFacts,
  type BackendFactory,
  DEFAULT_STATE_PREFIX,
  defaultBackend,
  OFFLINE_PLAN_VARIABLE,
  offlinePlan,
  regionProvider,
  type S3StateOptions,
  type StateOptionProblem,
  StateOptionsError,
  s3Backend,
  stateKey,
  stateOptionProblems,
  stateOptionsFrom,
} from './stack.js';
export {
  SynthesisError,
  type SynthesizedStack,
  type SynthesizeOptions,
  type SynthResult,
  synthesisErrorLines,
  synthesize,
} from './synthesize.js';
export {
  findingMessage,
  GlobalStack,
  PostgresTopology,
  type PostgresTopologyProps,
  REGION_OUTPUTS,
  RegionStack,
} from './topology.js';
