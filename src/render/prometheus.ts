/**
 * How the user's Prometheus reaches a topology: the metric names the alerts and dashboards read (defined
 * once here), the scrape jobs a member serves, and the scrape configuration in two variants: EC2 service
 * discovery by pgtopo's node tags (AWS), and file_sd with the address map's targets (the rehearsal, or any
 * Prometheus that cannot call the EC2 API).
 *
 * Why a self-run Prometheus (or Prometheus agent) and not an Amazon Managed Service for Prometheus scraper:
 * AMP's managed collectors scrape EKS clusters only; EC2 nodes are scraped by a Prometheus or agent in the
 * VPC in any case, which can `remote_write` to AMP. So the spec names where that Prometheus runs, and the
 * rendered configuration works for a stand-alone server and for an agent alike.
 *
 * Metric names are those the node release's packages expose: Patroni 4's REST `/metrics`, postgres_exporter
 * (0.17 on Debian 13; 0.11 on Debian 12 has no `pg_replication_slot_safe_wal_size_bytes`), node_exporter,
 * etcd (3.5 / 3.4 alike); the PgBouncer exporter's names are the release's (`NodeRelease.pgbouncerExporter`).
 */
import { NODE_TAGS, SCRAPE_PORTS } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import { runsPgbouncerExporter } from './exporter.js';
import { layout } from './names.js';
import type { AddressMap } from './types.js';
import { toYaml11 } from './yaml.js';

/** Metric names, as the exporters on a node publish them. */
export const METRICS = {
  /** Patroni: 1 on the member holding the leader lock of a primary cluster. */
  primary: 'patroni_primary',
  /** Patroni: 1 on the leader of a standby cluster. */
  standbyLeader: 'patroni_standby_leader',
  /** Patroni: 1 on a replica. */
  replica: 'patroni_replica',
  /** Patroni: 1 on a synchronous standby (synchronous_mode on/strict). */
  syncStandby: 'patroni_sync_standby',
  /** Patroni 4: 1 on a quorum-commit standby (synchronous_mode quorum). */
  quorumStandby: 'patroni_quorum_standby',
  /** Patroni: 1 while PostgreSQL runs. */
  postgresRunning: 'patroni_postgres_running',
  /** Patroni: the leader's WAL flush position in bytes (0 on other members). */
  walLocation: 'patroni_xlog_location',
  /** Patroni: a replica's replayed WAL position in bytes. */
  walReplayed: 'patroni_xlog_replayed_location',
  /** Patroni: epoch seconds of the member's last successful DCS (etcd) contact. */
  dcsLastSeen: 'patroni_dcs_last_seen',
  /** postgres_exporter: pg_stat_archiver.failed_count (a counter). */
  archiveFailed: 'pg_stat_archiver_failed_count',
  /** postgres_exporter: seconds since the last WAL segment was archived. */
  archiveAge: 'pg_stat_archiver_last_archive_age',
  /** postgres_exporter (0.15+): bytes a slot may still fall behind before max_slot_wal_keep_size drops it. */
  slotSafeWal: 'pg_replication_slot_safe_wal_size_bytes',
  /** node_exporter. */
  fsAvail: 'node_filesystem_avail_bytes',
  fsSize: 'node_filesystem_size_bytes',
  /** etcd: 1 while the member sees a leader. */
  etcdHasLeader: 'etcd_server_has_leader',
  /** etcd: leader changes the member has seen (a counter). */
  etcdLeaderChanges: 'etcd_server_leader_changes_seen_total',
  /** etcd: WAL fsync latency histogram (buckets). */
  etcdWalFsync: 'etcd_disk_wal_fsync_duration_seconds_bucket',
} as const;

/**
 * Labels every scraped series carries (set by relabeling from the node's tags, or by file_sd): a member's
 * endpoints are labelled with its cluster and member, an etcd member's with its quorum and etcd name.
 */
export const TARGET_LABELS = ['topology', 'cluster', 'member', 'region'] as const;
export type TargetLabel = (typeof TARGET_LABELS)[number];
export const ETCD_TARGET_LABELS = ['topology', 'quorum', 'etcd', 'region'] as const;

export interface ScrapeJob {
  /** Suffix of the job name (`pgtopo-<topology>-<kind>`). */
  readonly kind: keyof typeof SCRAPE_PORTS;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  /** Who serves it: every PostgreSQL member, or every etcd member (on its own node or the member it shares). */
  readonly on: 'member' | 'etcd';
}

/**
 * The metrics endpoints of a topology: on each member the exporters the spec runs and Patroni's /metrics; on
 * each etcd member its plain-HTTP metrics listener (the client port wants a client certificate with TLS on).
 */
export function scrapeJobs(t: Topology): ScrapeJob[] {
  const runs = {
    postgres: t.observability.exporters.postgres,
    node: t.observability.exporters.node,
    patroni: true,
    pgbouncer: runsPgbouncerExporter(t),
    etcd: true,
  };
  return (Object.keys(SCRAPE_PORTS) as ScrapeJob['kind'][])
    .filter((kind) => runs[kind])
    .map((kind) => ({
      kind,
      port: SCRAPE_PORTS[kind],
      scheme: kind === 'patroni' && t.security.tls ? 'https' : 'http',
      on: kind === 'etcd' ? 'etcd' : 'member',
    }));
}

export const jobName = (t: Topology, job: ScrapeJob) => `pgtopo-${t.name}-${job.kind}`;

/** A label selector of the topology (and optionally a cluster), e.g. `{topology="orders",cluster="orders-us-east-1"}`. */
export function selector(t: Topology, extra: Readonly<Record<string, string>> = {}): string {
  const all = { topology: t.name, ...extra };
  return `{${Object.entries(all)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

/** The label EC2 service discovery gives a tag (Prometheus replaces characters invalid in label names). */
export const ec2TagLabel = (tag: string) => `__meta_ec2_tag_${tag.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/** Where the user's Prometheus keeps the cluster CA certificate (to verify Patroni's REST API certificate). */
export const PROMETHEUS_CA_FILE = (t: Topology) => `/etc/prometheus/pgtopo/${t.name}-ca.crt`;

/** Files of the monitoring bundle the scrape configuration refers to (relative to the Prometheus configuration). */
export const RULES_FILE = (t: Topology) => `rules/${t.name}.rules.yml`;
export const TARGETS_FILE = (t: Topology, job: ScrapeJob) => `targets/${t.name}-${job.kind}.json`;

/** Scrape and rule evaluation interval of the rendered configuration, seconds. */
export const SCRAPE_INTERVAL_SECONDS = 15;

function tlsConfig(job: ScrapeJob, caFile: string): Record<string, unknown> {
  return job.scheme === 'https' ? { scheme: 'https', tls_config: { ca_file: caFile } } : {};
}

/**
 * prometheus.yml for AWS: one job per endpoint kind, EC2 service discovery in every region of the topology,
 * filtered to running instances tagged with the topology's name and a member name; labels from the tags.
 */
export function renderEc2ScrapeConfig(t: Topology, caFile = PROMETHEUS_CA_FILE(t)): string {
  const tagLabels: readonly (readonly [TargetLabel, string])[] = [
    ['topology', NODE_TAGS.topology],
    ['cluster', NODE_TAGS.cluster],
    ['member', NODE_TAGS.member],
    ['region', NODE_TAGS.region],
  ];
  const etcdTagLabels: readonly (readonly [(typeof ETCD_TARGET_LABELS)[number], string])[] = [
    ['topology', NODE_TAGS.topology],
    ['quorum', NODE_TAGS.quorum],
    ['etcd', NODE_TAGS.etcd],
    ['region', NODE_TAGS.region],
  ];
  const scrape_configs = scrapeJobs(t).map((job) => {
    // etcd members carry the etcd tag (a member node that shares one carries both).
    const [labels, nameTag] =
      job.on === 'etcd' ? [etcdTagLabels, NODE_TAGS.etcd] : [tagLabels, NODE_TAGS.member];
    return {
      job_name: jobName(t, job),
      ...tlsConfig(job, caFile),
      ec2_sd_configs: t.regions.map((r) => ({
        region: r.name,
        port: job.port,
        filters: [
          { name: `tag:${NODE_TAGS.topology}`, values: [t.name] },
          { name: 'tag-key', values: [nameTag] },
          { name: 'instance-state-name', values: ['running'] },
        ],
      })),
      relabel_configs: [
        ...labels.map(([label, tag]) => ({
          source_labels: [ec2TagLabel(tag)],
          target_label: label,
        })),
        // The member's name reads better than an address, and stays when the instance is replaced.
        { source_labels: [ec2TagLabel(nameTag)], target_label: 'instance' },
      ],
    };
  });
  return (
    header(t, 'EC2 service discovery by pgtopo node tags') + toYaml11(prometheusConfig(t, scrape_configs))
  );
}

/** prometheus.yml with file_sd: the same jobs, targets from `targetsFiles` (the address map's member addresses). */
export function renderFileScrapeConfig(
  t: Topology,
  map: AddressMap,
  intervalSeconds = SCRAPE_INTERVAL_SECONDS,
): string {
  const caFile = layout(map.paths(t.members[0]!.name), t).tlsCa;
  const scrape_configs = scrapeJobs(t).map((job) => ({
    job_name: jobName(t, job),
    ...tlsConfig(job, map.target === 'aws' ? PROMETHEUS_CA_FILE(t) : caFile),
    file_sd_configs: [{ files: [TARGETS_FILE(t, job)] }],
  }));
  return (
    header(t, `file_sd (${map.target} addresses)`) +
    toYaml11(prometheusConfig(t, scrape_configs, intervalSeconds))
  );
}

/** file_sd target files: one per job, one target group per member with the same labels as EC2 discovery. */
export function targetsFiles(t: Topology, map: AddressMap): { rel: string; content: string }[] {
  return scrapeJobs(t).map((job) => ({
    rel: TARGETS_FILE(t, job),
    content: `${JSON.stringify(
      job.on === 'etcd'
        ? t.etcd.flatMap((q) =>
            q.members.map((e) => ({
              targets: [`${map.etcdAddress(e.name)}:${job.port}`],
              labels: { topology: t.name, quorum: q.id, etcd: e.name, region: e.region, instance: e.name },
            })),
          )
        : t.members.map((m) => ({
            targets: [`${map.memberAddress(m.name)}:${job.port}`],
            labels: {
              topology: t.name,
              cluster: m.cluster,
              member: m.name,
              region: m.region,
              instance: m.name,
            },
          })),
      null,
      2,
    )}\n`,
  }));
}

function prometheusConfig(
  t: Topology,
  scrape_configs: readonly unknown[],
  intervalSeconds = SCRAPE_INTERVAL_SECONDS,
): Record<string, unknown> {
  const every = `${intervalSeconds}s`;
  return {
    global: { scrape_interval: every, evaluation_interval: every },
    rule_files: [RULES_FILE(t)],
    scrape_configs,
  };
}

function header(t: Topology, how: string): string {
  return `# Prometheus scrape configuration of topology ${t.name}: ${how}. Generated by pgtopo: do not edit.
# Merge scrape_configs and rule_files into your prometheus.yml (or a Prometheus agent's, with remote_write).
`;
}
