/**
 * Well-known facts, defined once and imported everywhere they are used.
 */
import type { FailoverProfile } from '../spec/schema.js';

/** Ports every node keeps, on AWS and in the rehearsal alike. */
export const PORTS = {
  postgres: 5432,
  pgbouncer: 6432,
  patroniRest: 8008,
  etcdClient: 2379,
  etcdPeer: 2380,
  ssh: 22,
  postgresExporter: 9187,
  nodeExporter: 9100,
  /** prometheus-pgbouncer-exporter (both Debian implementations default to it). */
  pgbouncerExporter: 9127,
  /** etcd's plain-HTTP `--listen-metrics-urls` listener: /metrics and /health without a client certificate. */
  etcdMetrics: 2381,
  /** Load-balancer listeners: writer and reader, direct and pooled. */
  writer: 5432,
  reader: 5433,
  writerPooled: 6432,
  readerPooled: 6433,
  haproxyStats: 7000,
} as const;

/** The metrics endpoints the user's Prometheus scrapes, by kind (on PostgreSQL members, and etcd's on etcd hosts). */
export const SCRAPE_PORTS = {
  postgres: PORTS.postgresExporter,
  node: PORTS.nodeExporter,
  /** Patroni's REST API serves /metrics. */
  patroni: PORTS.patroniRest,
  pgbouncer: PORTS.pgbouncerExporter,
  etcd: PORTS.etcdMetrics,
} as const;

/** Every port open to `observability.prometheus` sources. */
export const PROMETHEUS_PORTS: readonly number[] = Object.values(SCRAPE_PORTS);

/** Ports that must never be reachable from 0.0.0.0/0 (PGT-NET-001). */
export const SENSITIVE_PORTS = [
  PORTS.postgres,
  PORTS.pgbouncer,
  PORTS.patroniRest,
  PORTS.etcdClient,
  PORTS.etcdPeer,
  PORTS.ssh,
] as const;

/** Patroni REST health-check paths used by every load balancer. */
export const HEALTH_PATHS = {
  writer: '/primary',
  reader: (maxLagBytes: number) => `/replica?lag=${maxLagBytes}`,
  standbyLeader: '/standby-leader',
} as const;

export interface FailoverTimers {
  /** Patroni `ttl`, seconds. */
  readonly ttl: number;
  /** Patroni `loop_wait`, seconds. */
  readonly loopWait: number;
  /** Patroni `retry_timeout`, seconds. */
  readonly retryTimeout: number;
  /** Patroni `maximum_lag_on_failover`, bytes. */
  readonly maximumLagOnFailover: number;
}

/** Target-group health checks (NLB on AWS). */
export interface HealthCheckTimers {
  /** Seconds between checks. */
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** HAProxy server checks (the rehearsal's stand-in for the NLB, and client-side routing). */
export interface HaproxyCheckTimers {
  /** `inter` in ms: between checks of a server in a steady state. */
  readonly interMs: number;
  /** `fastinter` in ms: while a server is changing state. */
  readonly fastInterMs: number;
  /** `downinter` in ms: while a server is down. */
  readonly downInterMs: number;
  readonly rise: number;
  readonly fall: number;
}

export interface FailoverPreset {
  readonly timers: FailoverTimers;
  readonly healthCheck: HealthCheckTimers;
  readonly haproxy: HaproxyCheckTimers;
}

const MIB = 1024 * 1024;

/**
 * Failover presets. `conservative` is Patroni's own defaults (ttl 30, loop_wait
 * 10, retry_timeout 10, maximum_lag_on_failover 1 MiB). Each keeps
 * loop_wait + 2 * retry_timeout <= ttl (PGT-PAT-001).
 */
export const FAILOVER_PRESETS: Readonly<Record<FailoverProfile, FailoverPreset>> = {
  conservative: {
    timers: { ttl: 30, loopWait: 10, retryTimeout: 10, maximumLagOnFailover: MIB },
    healthCheck: { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 3 },
    haproxy: { interMs: 3000, fastInterMs: 3000, downInterMs: 3000, rise: 2, fall: 3 },
  },
  balanced: {
    timers: { ttl: 20, loopWait: 5, retryTimeout: 5, maximumLagOnFailover: MIB },
    healthCheck: { intervalSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
    haproxy: { interMs: 2000, fastInterMs: 1000, downInterMs: 1000, rise: 2, fall: 2 },
  },
  fast: {
    timers: { ttl: 10, loopWait: 2, retryTimeout: 4, maximumLagOnFailover: MIB },
    healthCheck: { intervalSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
    haproxy: { interMs: 1000, fastInterMs: 500, downInterMs: 500, rise: 1, fall: 2 },
  },
};

/**
 * `maximum_lag_on_failover` of `rpo: async` (availability first): no replica is ever refused promotion
 * for its lag, as the RPO declares. The largest integer JSON, YAML and Patroni's Python all keep exact.
 */
export const UNBOUNDED_LAG_BYTES = Number.MAX_SAFE_INTEGER;

/** PostgreSQL `archive_timeout` on every member, in seconds: under writes a segment is archived at least this often. */
export const ARCHIVE_TIMEOUT_SECONDS = 60;

/** etcd timing in one region (etcd's own defaults). */
export const ETCD_LOCAL_TIMING = { heartbeatIntervalMs: 100, electionTimeoutMs: 1000 } as const;

/** First host offset used for fixed private IPs in a subnet (AWS reserves .0-.3). */
export const FIRST_HOST_OFFSET = 10;
/** Addresses kept free in each private subnet for NLB and VPC-endpoint interfaces. */
export const RESERVED_INTERFACES = 16;
/** Largest private subnet prefix the plan accepts (a /26 holds 64 addresses). */
export const MAX_SUBNET_PREFIX = 26;

/**
 * Metrics members publish to CloudWatch for the alarms (CloudWatch embedded metric format, one log
 * stream per member named after it, in the region's log group). Dimensions: `Topology`, `Cluster`.
 */
export const NODE_METRICS = {
  namespace: 'pgtopo',
  /** Bytes a replica's replay lags its upstream (0 on a leader), from the exporter. */
  replicaLagBytes: 'ReplicaLagBytes',
  /** Failed WAL archive attempts since the previous datapoint (delta of pg_stat_archiver.failed_count). */
  archiveFailures: 'ArchiveFailures',
  /** Log group the members write their metric events to. */
  logGroup: (topology: string) => `/pgtopo/${topology}/metrics`,
} as const;

/** EC2 tag keys that name the node an instance is: written by the AWS layer, read by the review's inventory. */
export const NODE_TAGS = {
  /** On every resource (the stack's default tags): the topology's name and the resource's region. */
  topology: 'pgtopo:topology',
  region: 'pgtopo:region',
  member: 'pgtopo:member',
  cluster: 'pgtopo:cluster',
  etcd: 'pgtopo:etcd',
  quorum: 'pgtopo:quorum',
} as const;
