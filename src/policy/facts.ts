/**
 * Small derived views of the model that several rules and the failure analysis share. Nothing here
 * re-derives what the model already knows; these are the questions rules ask of it.
 */
import type { Cluster, EtcdQuorum, Member, Topology } from '../model/types.js';
import type { PathSegment } from '../spec/issues.js';

/** A value of `postgres.parameters` as PostgreSQL would read it (numbers may come as strings). */
export type ParameterValue = string | number | boolean;

/**
 * Patroni's own defaults and floors for the parameters it passes on the postgres command line
 * (patroni/postgresql/config.py, CMDLINE_OPTIONS, Patroni 3.0): a value below the floor is ignored
 * and the default used instead.
 */
export const PATRONI_CMDLINE_DEFAULTS = {
  max_connections: { default: 100, min: 25 },
  max_wal_senders: { default: 10, min: 3 },
  max_prepared_transactions: { default: 0, min: 0 },
  max_locks_per_transaction: { default: 64, min: 32 },
  max_replication_slots: { default: 10, min: 4 },
  max_worker_processes: { default: 8, min: 2 },
} as const;

export type CmdlineParameter = keyof typeof PATRONI_CMDLINE_DEFAULTS;

/** Spec path of a parameter. */
export function parameterPath(name: string): PathSegment[] {
  return ['postgres', 'parameters', name];
}

/** Integer value of a parameter, or undefined when unset or not an integer. */
export function intParameter(t: Topology, name: string): number | undefined {
  const v = t.postgres.parameters[name];
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** The value Patroni starts PostgreSQL with for one of its command-line parameters. */
export function effectiveCmdlineParameter(t: Topology, name: CmdlineParameter): number {
  const { default: fallback, min } = PATRONI_CMDLINE_DEFAULTS[name];
  const v = intParameter(t, name);
  return v === undefined || v < min ? fallback : v;
}

/**
 * A PostgreSQL duration in seconds. Bare numbers are in `unit` (the parameter's base unit);
 * strings may carry ms, s, min, h or d.
 */
export function durationSeconds(value: ParameterValue | undefined, unit: 'ms' | 's'): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(String(value));
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 }[(m[2] ?? unit) as 'ms' | 's'];
  return n * factor;
}

/** PostgreSQL's default `wal_sender_timeout` (60 s), or the spec's value. 0 disables the timeout. */
export function walSenderTimeoutSeconds(t: Topology): number {
  const s = durationSeconds(t.postgres.parameters.wal_sender_timeout, 'ms');
  return s === undefined ? 60 : s === 0 ? Number.POSITIVE_INFINITY : s;
}

/** PostgreSQL's default `wal_retrieve_retry_interval` (5 s), or the spec's value. */
export function walRetrieveRetrySeconds(t: Topology): number {
  return durationSeconds(t.postgres.parameters.wal_retrieve_retry_interval, 'ms') ?? 5;
}

/** Clusters that accept writes (role primary). PGT-PAT-010 wants exactly one. */
export function writableClusters(t: Topology): readonly Cluster[] {
  return t.clusters.filter((c) => c.role === 'primary');
}

/** The writable cluster of the dataset: the primary-role cluster holding the primary region, else the first. */
export function primaryCluster(t: Topology): Cluster | undefined {
  const writable = writableClusters(t);
  return writable.find((c) => c.regions.includes(t.primaryRegion)) ?? writable[0];
}

export function memberIndex(t: Topology): ReadonlyMap<string, Member> {
  return new Map(t.members.map((m) => [m.name, m]));
}

export function quorumOf(t: Topology, cluster: Cluster): EtcdQuorum | undefined {
  return t.etcd.find((q) => q.id === cluster.quorum);
}

/** Votes needed for an etcd quorum of `size` members. */
export function majority(size: number): number {
  return Math.floor(size / 2) + 1;
}

export function regionPath(t: Topology, region: string): readonly PathSegment[] {
  return t.regions.find((r) => r.name === region)?.path ?? ['regions'];
}

/** Spec path of the field that sizes the etcd quorum. */
export function etcdSizePath(t: Topology): PathSegment[] {
  return t.spec.dcs.mode === 'stretched' ? ['dcs', 'members'] : ['dcs', 'membersPerRegion'];
}

/** Region of a KMS (or any) ARN, or undefined. */
export function arnRegion(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):/.exec(arn)?.[1] || undefined;
}

/** A full KMS key ARN (not an alias, not a bare key id). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

const SIZE_RANK: Readonly<Record<string, number>> = {
  nano: 0.125,
  micro: 0.25,
  small: 0.5,
  medium: 1,
  large: 2,
  xlarge: 4,
  metal: 1000,
};
const MEMORY_PER_VCPU: Readonly<Record<string, number>> = { c: 2, m: 4, r: 8, x: 16, z: 8, i: 8, t: 4 };

/**
 * A rough capacity figure for an EC2 instance type (vCPUs x GiB per vCPU of its family), good enough
 * to tell that `r6i.large` is smaller than `r6i.xlarge` or `m6i.xlarge`. Undefined for unknown shapes.
 */
export function instanceCapacity(instanceType: string): number | undefined {
  const m = /^([a-z]+)\d*[a-z-]*\.(\d+)?(nano|micro|small|medium|large|xlarge|metal)$/.exec(instanceType);
  if (!m) return undefined;
  const vcpus = (m[2] ? Number(m[2]) : 1) * SIZE_RANK[m[3]!]!;
  const family = m[1]![0]!;
  return vcpus * (MEMORY_PER_VCPU[family] ?? 4);
}
