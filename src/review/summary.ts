/**
 * The summary an architect reads first: regions and roles, members per AZ,
 * etcd placement, endpoints, the archive and its copies. Everything comes from
 * the resolved model; nothing is re-derived from the spec.
 */

import { HEALTH_PATHS, PORTS, UNBOUNDED_LAG_BYTES } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import { formatBytes } from '../policy/format/text.js';
import { bootableHosts } from '../render/index.js';
import { code, duration, plural, raw, table } from './markdown.js';

/** Headline facts, also used by the report's first lines. */
export interface TopologyFacts {
  readonly name: string;
  readonly postgresVersion: number;
  readonly primaryRegion: string;
  readonly regions: number;
  readonly members: number;
  readonly etcdQuorums: number;
  readonly etcdMembers: number;
  /** Members that may become the synchronous standby of the primary cluster's leader. */
  readonly syncCandidates: readonly string[];
}

export function topologyFacts(t: Topology): TopologyFacts {
  const primary = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion));
  return {
    name: t.name,
    postgresVersion: t.postgres.version,
    primaryRegion: t.primaryRegion,
    regions: t.regions.length,
    members: t.members.length,
    etcdQuorums: t.etcd.length,
    etcdMembers: t.etcd.reduce((n, q) => n + q.members.length, 0),
    syncCandidates: t.members
      .filter((m) => m.syncEligible && m.cluster === primary?.scope)
      .map((m) => m.name),
  };
}

/** Where a member's WAL comes from, in words. */
function upstream(t: Topology, name: string): string {
  const edge = t.replication.find((e) => e.to === name);
  if (!edge) return '–';
  const from = edge.from.startsWith('leader:') ? 'leader' : edge.from;
  switch (edge.kind) {
    case 'sync-candidate':
      return t.durability.synchronousMode === 'off'
        ? `${from} (async; sync off)`
        : `${from} (sync candidate)`;
    case 'async':
      return `${from} (async)`;
    case 'cascade':
      return `${from} (cascade)`;
    case 'delayed': {
      const m = t.members.find((x) => x.name === name);
      return `${from} (delayed ${duration(m?.recoveryMinApplyDelaySeconds ?? 0)})`;
    }
    default:
      return from;
  }
}

function tagText(t: Topology, name: string): string {
  const m = t.members.find((x) => x.name === name)!;
  const tags = [
    ...(m.tags.nosync ? ['nosync'] : []),
    ...(m.tags.nofailover ? ['nofailover'] : []),
    ...(m.tags.failoverPriority !== undefined ? [`failover_priority ${m.tags.failoverPriority}`] : []),
  ];
  return tags.join(', ');
}

/** Members an etcd quorum of `n` can lose and keep a majority. */
export function quorumTolerance(n: number): number {
  return Math.floor((n - 1) / 2);
}

/** Who signs the node certificates, and so which nodes can mint a certificate for another host. */
export function tlsSigner(t: Topology): string {
  const nodes = plural(bootableHosts(t).length, 'node');
  if (t.security.ca.mode === 'self-managed') {
    return (
      `- **TLS signer** self-managed CA in Secrets Manager: all ${nodes} read the CA key at boot, ` +
      'so each can mint a certificate for any member or etcd peer (`security.ca.mode: aws-private-ca` removes the key from the nodes).'
    );
  }
  return (
    `- **TLS signer** AWS Private CA in each region (short-lived mode, ${t.security.ca.certificateValidityHours} h certificates renewed at half-life): ` +
    `none of the ${nodes} holds a CA key; each may only request end-entity certificates from its own region's CA. ` +
    'IAM cannot bind the names in a request, so a compromised node can still obtain a short-lived certificate for another host while it keeps its role.'
  );
}

/** The `## Summary` section (without its heading). */
export function renderSummary(t: Topology): string {
  const f = topologyFacts(t);
  const timers = t.failover.timers;
  const hc = t.failover.healthCheck;
  const out: string[] = [];

  const sync =
    t.durability.synchronousMode === 'off'
      ? 'asynchronous replication (synchronous_mode off)'
      : `synchronous_mode ${t.durability.synchronousMode}, synchronous_node_count ${t.durability.synchronousNodeCount}, ` +
        `sync candidates ${f.syncCandidates.length > 0 ? f.syncCandidates.map(code).join(', ') : 'none'}` +
        (t.durability.allowCrossRegionSync ? ' (cross-region sync allowed)' : '');
  out.push(
    `- **Cluster** ${code(t.name)}: PostgreSQL ${t.postgres.version}, primary region **${t.primaryRegion}**, ` +
      `${plural(f.regions, 'region')}, ${plural(f.members, 'member')}, ` +
      `${plural(f.etcdMembers, 'etcd member')} in ${plural(f.etcdQuorums, 'quorum')}.`,
    `- **Nodes** ${code(t.release.name)} (Debian ${t.release.debianVersion}): PostgreSQL ${t.release.packages.postgresql}, ` +
      `Patroni ${t.release.packages.patroni}, etcd ${t.release.packages.etcd}, PgBouncer ${t.release.packages.pgbouncer}, ` +
      `pgBackRest ${t.release.packages.pgbackrest}, HAProxy ${t.release.packages.haproxy}.`,
    `- **Durability** rpo ${code(t.durability.rpo)}: ${sync}.`,
    `- **Failover** profile ${code(t.failover.profile)}: ttl ${timers.ttl} s, loop_wait ${timers.loopWait} s, ` +
      `retry_timeout ${timers.retryTimeout} s, maximum_lag_on_failover ${
        timers.maximumLagOnFailover === UNBOUNDED_LAG_BYTES
          ? 'unbounded'
          : formatBytes(timers.maximumLagOnFailover)
      }; ` +
      `load-balancer check every ${hc.intervalSeconds} s, unhealthy after ${hc.unhealthyThreshold}` +
      (t.failover.rtoTargetSeconds !== undefined
        ? `; RTO target ${duration(t.failover.rtoTargetSeconds)}.`
        : '.'),
    tlsSigner(t),
    '',
  );

  out.push('### Regions', '');
  out.push(
    table(
      ['Region', 'Role', 'Patroni scope', 'Follows', 'AZs', 'Members', 'etcd quorum', 'Archive'],
      t.regions.map((r) => {
        const c = t.clusters.find((x) => x.scope === r.cluster)!;
        const archive = !t.archive.enabled
          ? 'disabled'
          : r.name === t.primaryRegion
            ? 'source bucket'
            : r.archiveCopy
              ? 'copy'
              : '–';
        return [
          r.name,
          r.role,
          raw(code(c.scope)),
          c.follows ? raw(code(c.follows)) : '–',
          r.azs.length,
          r.members.length,
          raw(code(c.quorum)),
          archive,
        ];
      }),
      ['l', 'l', 'l', 'l', 'r', 'r', 'l', 'l'],
    ),
    '',
  );

  out.push('### Members per AZ', '');
  const etcdAll = t.etcd.flatMap((q) => q.members);
  out.push(
    table(
      ['Region', 'AZ', 'PostgreSQL members', 'etcd members'],
      t.regions.flatMap((r) =>
        r.azs.map((az) => {
          const ms = t.members.filter((m) => m.region === r.name && m.az === az).map((m) => m.name);
          const es = etcdAll.filter((e) => e.region === r.name && e.az === az);
          return [
            r.name,
            az,
            ms.length > 0 ? raw(ms.map(code).join(', ')) : 'none',
            es.length > 0
              ? raw(
                  es
                    .map((e) => code(e.name) + (e.colocatedWith ? ` (on ${e.colocatedWith})` : ''))
                    .join(', '),
                )
              : 'none',
          ];
        }),
      ),
    ),
    '',
  );

  out.push('### Members', '');
  out.push(
    table(
      ['Member', 'Region / AZ', 'Instance', 'Data volume', 'Streams from', 'Tags', 'Private IP'],
      t.members.map((m) => [
        raw(`**${m.name}**`),
        `${m.region} / ${m.az}`,
        m.instanceType,
        `${m.volume.sizeGiB} GiB ${m.volume.type}, ${m.volume.iops} IOPS` +
          (m.volume.type === 'gp3' ? `, ${m.volume.throughputMiBps} MiB/s` : ''),
        upstream(t, m.name),
        tagText(t, m.name),
        m.privateIp,
      ]),
    ),
    '',
  );

  out.push('### etcd', '');
  out.push(
    table(
      ['Quorum', 'Mode', 'Members (AZ)', 'Tolerates', 'Placement', 'Timing', 'TLS'],
      t.etcd.map((q) => [
        raw(code(q.id)),
        q.mode === 'stretched' ? `stretched over ${q.regions.join(', ')}` : `per-region (${q.regions[0]})`,
        raw(q.members.map((e) => `${code(e.name)} (${e.az})`).join(', ')),
        `loss of ${plural(quorumTolerance(q.members.length), 'member')} of ${q.members.length}`,
        q.placement === 'dedicated' ? `dedicated ${q.instanceType}` : 'co-located',
        `heartbeat ${q.heartbeatIntervalMs} ms, election ${q.electionTimeoutMs} ms` +
          (q.interRegionRttMs !== undefined ? `, RTT ${q.interRegionRttMs} ms` : ''),
        q.tls.client && q.tls.peer
          ? 'client + peer'
          : q.tls.client
            ? 'client only'
            : q.tls.peer
              ? 'peer only'
              : 'off',
      ]),
    ),
    '',
  );

  out.push('### Endpoints', '');
  const e = t.endpoints;
  const ports = (direct: number, pooled: number) =>
    e.pooler === 'pgbouncer' ? `${direct}, ${pooled} (PgBouncer)` : `${direct}`;
  const check = (path: string) =>
    e.healthCheckProtocol === 'http'
      ? raw(`HTTP ${code(path)} on ${PORTS.patroniRest}`)
      : 'TCP (no role check)';
  const primary = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion));
  const rows: (string | ReturnType<typeof raw>)[][] = [];
  if (primary) {
    rows.push([
      raw(code(e.globalWriter)),
      `global writer → leader of ${primary.scope}`,
      ports(PORTS.writer, PORTS.writerPooled),
      check(HEALTH_PATHS.writer),
    ]);
  }
  for (const c of t.clusters) {
    const names = e.names[c.scope];
    if (!names) continue;
    rows.push([
      raw(code(names.writer)),
      c.role === 'primary' ? `writer of ${c.scope}` : `standby leader of ${c.scope} (read-only)`,
      ports(PORTS.writer, PORTS.writerPooled),
      check(c.role === 'primary' ? HEALTH_PATHS.writer : HEALTH_PATHS.standbyLeader),
    ]);
    rows.push([
      raw(code(names.reader)),
      `readers of ${c.scope} (lag ≤ ${formatBytes(e.readerMaxLagBytes)})`,
      ports(PORTS.reader, PORTS.readerPooled),
      check(HEALTH_PATHS.reader(e.readerMaxLagBytes)),
    ]);
  }
  out.push(table(['Name', 'Routes to', 'Ports', 'Health check'], rows));
  out.push(
    '',
    `Zone ${code(e.zone)} (${e.internal ? 'internal load balancers' : '**internet-facing load balancers**'}), ` +
      `DNS TTL ${e.dnsTtlSeconds} s` +
      (e.pooler === 'pgbouncer'
        ? `, PgBouncer ${e.pgbouncer.poolMode} pooling (pool ${e.pgbouncer.defaultPoolSize}, max ${e.pgbouncer.maxClientConn} clients).`
        : ', no pooler.'),
    '',
  );

  out.push('### Archive', '');
  const a = t.archive;
  if (!a.enabled) {
    out.push('**WAL archive disabled**: no point-in-time recovery, no backups outside the cluster.', '');
  } else {
    const lock =
      a.objectLock === 'none' ? 'no Object Lock' : `Object Lock ${a.objectLock} ${a.objectLockDays} d`;
    const key =
      a.sse === 'AES256'
        ? 'SSE-S3 (AES256)'
        : a.kmsKeyArn
          ? `SSE-KMS with ${code(a.kmsKeyArn)}`
          : `SSE-KMS with a pgtopo key${a.keyRotation ? ' (yearly rotation)' : ''}`;
    out.push(
      `pgBackRest to S3: ${a.retentionDays}-day point-in-time recovery, a full backup every ${plural(a.fullBackupEveryDays, 'day')} ` +
        `at ${String(a.backupHourUtc).padStart(2, '0')}:00 UTC, objects expire after ${a.expireAfterDays} d` +
        (a.tiers.length > 0
          ? `, then ${a.tiers.map((x) => `${x.storageClass} after ${x.afterDays} d`).join(', ')}`
          : '') +
        '.',
      '',
    );
    out.push(
      table(
        ['Region', 'Holds', 'Object Lock', 'Encryption', 'Versioning', 'Public access', 'TLS-only policy'],
        [t.primaryRegion, ...a.copyTo].map((r) => [
          r,
          r === t.primaryRegion
            ? raw(`source (${Object.values(a.prefixes).map(code).join(', ')})`)
            : `copy${a.replicationTimeControl ? ' (RTC 15 min)' : ''}`,
          lock,
          r === t.primaryRegion
            ? raw(key)
            : a.sse === 'AES256'
              ? 'SSE-S3 (AES256)'
              : 'SSE-KMS with a regional pgtopo key',
          a.versioning ? 'on' : '**off**',
          a.blockPublicAccess ? 'blocked' : '**not blocked**',
          a.tlsOnlyPolicy ? 'yes' : '**no**',
        ]),
      ),
      '',
    );
  }
  return out.join('\n').trimEnd();
}
