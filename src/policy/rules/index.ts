/** Every rule, in report order: grouped as the issue lists them, then by id. One rule per file. */
import type { Rule } from '../types.js';
import { rule as archiveCopiedToOtherRegions } from './archive-copied-to-other-regions.js';
import { rule as archiveCopyKeysAreRegional } from './archive-copy-keys-are-regional.js';
import { rule as archiveEncryptedWithRotatedCmk } from './archive-encrypted-with-rotated-cmk.js';
import { rule as archiveIsPrivateAndTlsOnly } from './archive-is-private-and-tls-only.js';
import { rule as archiveVersioned } from './archive-versioned.js';
import { rule as asyncFailoverIsLagBounded } from './async-failover-is-lag-bounded.js';
import { rule as cascadeGraphIsSound } from './cascade-graph-is-sound.js';
import { rule as cascadingAndDelayedMembersNeverLead } from './cascading-and-delayed-members-never-lead.js';
import { rule as closedEgressHasAnImage } from './closed-egress-has-an-image.js';
import { rule as dataVolumesEncryptedWithCmk } from './data-volumes-encrypted-with-cmk.js';
import { rule as databasePortsAreNotPublic } from './database-ports-are-not-public.js';
import { rule as durabilityParametersKeepTheRpo } from './durability-parameters-keep-the-rpo.js';
import { rule as etcdQuorumSizeIsOdd } from './etcd-quorum-size-is-odd.js';
import { rule as etcdQuorumSurvivesAzLoss } from './etcd-quorum-survives-az-loss.js';
import { rule as etcdStretchedQuorumSurvivesRegionLoss } from './etcd-stretched-quorum-survives-region-loss.js';
import { rule as etcdTimeoutsFitRoundTrip } from './etcd-timeouts-fit-round-trip.js';
import { rule as etcdTransportIsEncrypted } from './etcd-transport-is-encrypted.js';
import { rule as failoverCandidatesMatchPrimarySize } from './failover-candidates-match-primary-size.js';
import { rule as healthChecksFollowPatroni } from './health-checks-follow-patroni.js';
import { rule as hotStandbyParametersMatch } from './hot-standby-parameters-match.js';
import { rule as imdsV2Required } from './imds-v2-required.js';
import { rule as lifecycleKeepsPitrWindow } from './lifecycle-keeps-pitr-window.js';
import { rule as loadBalancersAreInternal } from './load-balancers-are-internal.js';
import { rule as loadBalancersSpanMemberAzs } from './load-balancers-span-member-azs.js';
import { rule as logicalConnectionsUseTheWriterOverTls } from './logical-connections-use-the-writer-over-tls.js';
import { rule as logicalPublicationsAreSound } from './logical-publications-are-sound.js';
import { rule as logicalSlotRetentionIsBounded } from './logical-slot-retention-is-bounded.js';
import { rule as logicalSlotsHaveOneOwner } from './logical-slots-have-one-owner.js';
import { rule as logicalWalLevelIsLogical } from './logical-wal-level-is-logical.js';
import { rule as managedParametersAreNotOverridden } from './managed-parameters-are-not-overridden.js';
import { rule as noPublicIps } from './no-public-ips.js';
import { rule as noSecretValuesInSpec } from './no-secret-values-in-spec.js';
import { rule as nodeReleaseKeepsTheLeaderLock } from './node-release-keeps-the-leader-lock.js';
import { rule as nodeRolesAreLeastPrivilege } from './node-roles-are-least-privilege.js';
import { rule as objectLockCoversCopies } from './object-lock-covers-copies.js';
import { rule as oneWritableCluster } from './one-writable-cluster.js';
import { rule as parameterValuesAreValid } from './parameter-values-are-valid.js';
import { rule as patroniTimersAreConsistent } from './patroni-timers-are-consistent.js';
import { rule as pgRewindIsPossible } from './pg-rewind-is-possible.js';
import { rule as poolerFitsMaxConnections } from './pooler-fits-max-connections.js';
import { rule as primaryRegionHasFailoverCandidates } from './primary-region-has-failover-candidates.js';
import { rule as regionCidrsAreDisjoint } from './region-cidrs-are-disjoint.js';
import { rule as replicationSlotsCoverStreams } from './replication-slots-cover-streams.js';
import { rule as rtoTargetIsMet } from './rto-target-is-met.js';
import { rule as standbyClustersAreWiredCorrectly } from './standby-clusters-are-wired-correctly.js';
import { rule as syncStandbySurvivesAzLoss } from './sync-standby-survives-az-loss.js';
import { rule as syncStandbysStayInPrimaryRegion } from './sync-standbys-stay-in-primary-region.js';
import { rule as synchronousCountIsSatisfiable } from './synchronous-count-is-satisfiable.js';
import { rule as waiversAreJustifiedAndCurrent } from './waivers-are-justified-and-current.js';
import { rule as walIsArchived } from './wal-is-archived.js';

export const ALL_RULES: readonly Rule[] = [
  etcdQuorumSizeIsOdd,
  etcdQuorumSurvivesAzLoss,
  etcdStretchedQuorumSurvivesRegionLoss,
  etcdTimeoutsFitRoundTrip,
  etcdTransportIsEncrypted,
  patroniTimersAreConsistent,
  primaryRegionHasFailoverCandidates,
  synchronousCountIsSatisfiable,
  syncStandbySurvivesAzLoss,
  syncStandbysStayInPrimaryRegion,
  cascadeGraphIsSound,
  cascadingAndDelayedMembersNeverLead,
  asyncFailoverIsLagBounded,
  standbyClustersAreWiredCorrectly,
  oneWritableCluster,
  failoverCandidatesMatchPrimarySize,
  replicationSlotsCoverStreams,
  hotStandbyParametersMatch,
  pgRewindIsPossible,
  managedParametersAreNotOverridden,
  poolerFitsMaxConnections,
  durabilityParametersKeepTheRpo,
  parameterValuesAreValid,
  databasePortsAreNotPublic,
  loadBalancersAreInternal,
  loadBalancersSpanMemberAzs,
  healthChecksFollowPatroni,
  regionCidrsAreDisjoint,
  rtoTargetIsMet,
  imdsV2Required,
  dataVolumesEncryptedWithCmk,
  noPublicIps,
  noSecretValuesInSpec,
  closedEgressHasAnImage,
  nodeReleaseKeepsTheLeaderLock,
  walIsArchived,
  archiveEncryptedWithRotatedCmk,
  archiveVersioned,
  archiveCopiedToOtherRegions,
  archiveCopyKeysAreRegional,
  archiveIsPrivateAndTlsOnly,
  lifecycleKeepsPitrWindow,
  objectLockCoversCopies,
  nodeRolesAreLeastPrivilege,
  waiversAreJustifiedAndCurrent,
  logicalWalLevelIsLogical,
  logicalSlotsHaveOneOwner,
  logicalSlotRetentionIsBounded,
  logicalConnectionsUseTheWriterOverTls,
  logicalPublicationsAreSound,
];
