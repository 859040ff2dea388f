/**
 * The resolved topology: defaults applied and derived facts computed once.
 * Every later layer reads only this. All objects are deeply frozen.
 */
import type { PathSegment } from '../spec/issues.js';
import type { NodeRelease } from '../spec/releases.js';
import type { ParsedSpec } from '../spec/schema.js';
import type { FailoverTimers, HaproxyCheckTimers, HealthCheckTimers } from './constants.js';
import type { LogicalPlan } from './logical.js';

export type RegionRole = 'primary' | 'standby';

export interface SubnetPlan {
  readonly az: string;
  /** Private subnet for members, etcd, NLB and VPC endpoints. */
  readonly privateCidr: string;
  /** Public subnet, used only for a NAT gateway when `hosts.egress` is `nat`. */
  readonly publicCidr: string;
}

export interface Member {
  readonly name: string;
  readonly region: string;
  readonly az: string;
  /** Spec path of the member, e.g. ['regions', 0, 'members', 2]. */
  readonly path: readonly PathSegment[];
  /** Patroni scope of the cluster the member belongs to. */
  readonly cluster: string;
  readonly instanceType: string;
  readonly volume: {
    readonly sizeGiB: number;
    readonly type: 'gp3' | 'io2';
    readonly iops: number;
    /** MiB/s; only meaningful for gp3. */
    readonly throughputMiBps: number;
  };
  readonly tags: {
    readonly nosync: boolean;
    readonly nofailover: boolean;
    readonly failoverPriority?: number;
  };
  /** Member this one streams from (cascading), or undefined to follow the regional leader. */
  readonly replicateFrom?: string;
  /** Seconds of `recovery_min_apply_delay`, undefined when not delayed. */
  readonly recoveryMinApplyDelaySeconds?: number;
  /** Hops of cascading below a member that follows the leader (0 = follows the leader). Infinity in a cycle. */
  readonly cascadeDepth: number;
  /** May become a synchronous standby of its cluster's leader. */
  readonly syncEligible: boolean;
  /** May be promoted automatically. */
  readonly failoverEligible: boolean;
  /** Fixed private IPv4 address on AWS. */
  readonly privateIp: string;
}

export interface EtcdMember {
  readonly name: string;
  readonly quorum: string;
  readonly region: string;
  readonly az: string;
  /** Fixed private IPv4 address on AWS. */
  readonly privateIp: string;
  /** Name of the PostgreSQL member it runs on, for co-located placement. */
  readonly colocatedWith?: string;
}

export interface EtcdQuorum {
  /** Quorum id, also the etcd `initial-cluster-token`. */
  readonly id: string;
  readonly mode: 'per-region' | 'stretched';
  readonly regions: readonly string[];
  readonly members: readonly EtcdMember[];
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Worst inter-region round trip the timings must fit (stretched only). */
  readonly interRegionRttMs?: number;
  readonly tls: { readonly client: boolean; readonly peer: boolean };
  readonly placement: 'dedicated' | 'co-located';
  readonly instanceType: string;
}

export interface Cluster {
  /** Patroni `scope`. */
  readonly scope: string;
  /** Regions the cluster's members live in (one, unless a stretched DCS joins primary-role regions). */
  readonly regions: readonly string[];
  /** `primary`: writable; `standby`: a Patroni standby cluster. */
  readonly role: RegionRole;
  readonly members: readonly string[];
  /** The etcd quorum holding its leader key. */
  readonly quorum: string;
  /** For standby clusters: the scope of the cluster it follows. */
  readonly follows?: string;
}

export type ReplicationKind = 'sync-candidate' | 'async' | 'cascade' | 'delayed' | 'standby-cluster';

export interface ReplicationEdge {
  readonly kind: ReplicationKind;
  /** Upstream: a member name, or `leader:<scope>` for whoever leads the cluster. */
  readonly from: string;
  /** Downstream: a member name, or `cluster:<scope>` for a standby cluster. */
  readonly to: string;
}

export interface Region {
  readonly name: string;
  readonly role: RegionRole;
  readonly index: number;
  readonly path: readonly PathSegment[];
  readonly cidr: string;
  readonly azs: readonly string[];
  readonly subnets: readonly SubnetPlan[];
  readonly members: readonly string[];
  readonly cluster: string;
  /** Whether this region holds a copy of the WAL archive (the primary region always holds the source). */
  readonly archiveCopy: boolean;
}

export type FailureDomainKind = 'member' | 'az' | 'region' | 'link';

export interface FailureDomain {
  readonly kind: FailureDomainKind;
  /** Member name, AZ name, region name, or `regionA<->regionB`. */
  readonly id: string;
  /** PostgreSQL members lost. */
  readonly members: readonly string[];
  /** etcd members lost. */
  readonly etcdMembers: readonly string[];
  /** For a link: the two regions cut apart. */
  readonly link?: readonly [string, string];
}

export interface Endpoints {
  readonly zone: string;
  readonly internal: boolean;
  readonly pooler: 'pgbouncer' | 'none';
  readonly pgbouncer: ParsedSpec['endpoints']['pgbouncer'];
  readonly dnsTtlSeconds: number;
  /** Replicas further behind than this many bytes leave the reader pool. */
  readonly readerMaxLagBytes: number;
  readonly healthCheckProtocol: 'http' | 'tcp';
  /** Per-cluster DNS names. */
  readonly names: Readonly<Record<string, { readonly writer: string; readonly reader: string }>>;
  /** Global writer name (moves with the primary region). */
  readonly globalWriter: string;
}

export interface Durability {
  readonly rpo: 'zero-in-region' | 'bounded' | 'async';
  readonly synchronousMode: 'off' | 'on' | 'strict' | 'quorum';
  readonly synchronousNodeCount: number;
  readonly allowCrossRegionSync: boolean;
}

export interface Archive {
  readonly enabled: boolean;
  readonly retentionDays: number;
  readonly fullBackupEveryDays: number;
  readonly backupHourUtc: number;
  readonly copyTo: readonly string[];
  readonly objectLock: 'none' | 'governance' | 'compliance';
  readonly objectLockDays: number;
  readonly expireAfterDays: number;
  readonly tiers: readonly { readonly afterDays: number; readonly storageClass: string }[];
  readonly kmsKeyArn?: string;
  readonly sse: 'aws:kms' | 'AES256';
  readonly keyRotation: boolean;
  readonly versioning: boolean;
  readonly blockPublicAccess: boolean;
  readonly tlsOnlyPolicy: boolean;
  readonly replicationTimeControl: boolean;
  /** S3 key prefix of each cluster's repository: `<scope>/`. */
  readonly prefixes: Readonly<Record<string, string>>;
  /** The spec's bucket name per region; empty when it names none (pgtopo's default names). */
  readonly bucketNames: Readonly<Record<string, string>>;
}

export interface Topology {
  readonly name: string;
  /** The schema-validated spec, defaults applied. For provenance only: read the fields below. */
  readonly spec: ParsedSpec;
  readonly primaryRegion: string;
  /** The node release (`hosts.os`): package versions, PostgreSQL major, image, Patroni features. */
  readonly release: NodeRelease;
  readonly postgres: {
    readonly version: number;
    readonly parameters: Readonly<Record<string, string | number | boolean>>;
    readonly dataChecksums: boolean;
    readonly usePgRewind: boolean;
    readonly walLogHints: boolean;
    readonly maxCascadeDepth: number;
  };
  readonly failover: {
    readonly profile: 'conservative' | 'balanced' | 'fast';
    readonly timers: FailoverTimers;
    readonly healthCheck: HealthCheckTimers;
    readonly haproxy: HaproxyCheckTimers;
    readonly rtoTargetSeconds?: number;
  };
  readonly durability: Durability;
  readonly regions: readonly Region[];
  readonly clusters: readonly Cluster[];
  readonly members: readonly Member[];
  readonly etcd: readonly EtcdQuorum[];
  readonly replication: readonly ReplicationEdge[];
  readonly failureDomains: readonly FailureDomain[];
  readonly endpoints: Endpoints;
  readonly archive: Archive;
  readonly security: Security;
  readonly hosts: Hosts;
  readonly observability: Observability;
  readonly waivers: ParsedSpec['waivers'];
  /** The logical layer: one plan per writable cluster (see model/logical.ts). Empty plans when the spec declares none. */
  readonly logical: readonly LogicalPlan[];
}

/** Who may connect: CIDRs in canonical form, client security groups per region. */
export type Security = Omit<ParsedSpec['security'], 'allowedSecurityGroupIds'> & {
  /** Client security group ids per region name (ids are regional); regions without groups are absent. */
  readonly allowedSecurityGroupIds: Readonly<Record<string, readonly string[]>>;
};

/** Host settings, with the AMI resolved per region. */
export type Hosts = Omit<ParsedSpec['hosts'], 'imageId'> & {
  /** AMI id per region name; empty when the spec names none (the release's image from Debian's SSM parameter). */
  readonly imageIds: Readonly<Record<string, string>>;
};

type SpecAlarms = ParsedSpec['observability']['alarms'];

/** Exporters and alarms, with the alarms' SNS topic resolved per region. */
export type Observability = Omit<ParsedSpec['observability'], 'alarms' | 'prometheus'> & {
  readonly alarms: Omit<SpecAlarms, 'snsTopicArn'> & {
    /** SNS topic ARN per region name; empty when the spec names none (pgtopo creates one per region). */
    readonly snsTopicArns: Readonly<Record<string, string>>;
  };
  /** The user's Prometheus: CIDRs in canonical form, security groups per region (as `security`). */
  readonly prometheus: Omit<ParsedSpec['observability']['prometheus'], 'allowedSecurityGroupIds'> & {
    readonly allowedSecurityGroupIds: Readonly<Record<string, readonly string[]>>;
  };
};
