/**
 * spec -> Topology. Defaults that depend on other fields are applied here, once;
 * derived facts (clusters, replication graph, etcd placement, subnet plan,
 * failure domains) are computed here, once.
 */
import { canonicalCidr, formatAddress, formatCidr, parseCidr, size, subnet } from '../spec/cidr.js';
import { type PathSegment, SpecError, type SpecIssue } from '../spec/issues.js';
import { releaseNamed } from '../spec/releases.js';
import type { ParsedSpec } from '../spec/schema.js';
import {
  ETCD_LOCAL_TIMING,
  FAILOVER_PRESETS,
  FIRST_HOST_OFFSET,
  MAX_SUBNET_PREFIX,
  PORTS,
  RESERVED_INTERFACES,
  UNBOUNDED_LAG_BYTES,
} from './constants.js';
import type { LogicalPlan } from './logical.js';
import { resolveLogical } from './logical.js';
import type {
  Cluster,
  EtcdMember,
  EtcdQuorum,
  FailureDomain,
  Hosts,
  Member,
  Observability,
  Region,
  RegionRole,
  ReplicationEdge,
  Security,
  SubnetPlan,
  Topology,
} from './types.js';

/** Resolves a schema-valid spec. Throws SpecError for problems only the derived model reveals. */
export function resolveTopology(spec: ParsedSpec): Topology {
  const issues: SpecIssue[] = [];
  const roleOf = (r: ParsedSpec['regions'][number]): RegionRole =>
    r.role ?? (r.name === spec.primaryRegion ? 'primary' : 'standby');

  const clusters = planClusters(spec, roleOf);
  const clusterOfRegion = new Map(clusters.flatMap((c) => c.regions.map((r) => [r, c] as const)));

  const preset = FAILOVER_PRESETS[spec.failover.profile];
  // A profile's timers, raised to what the release's Patroni runs with (it raises smaller ones itself, so the
  // rendered file would not say what runs); values the spec sets are kept and judged by PGT-PAT-001.
  const release = releaseNamed(spec.hosts.os);
  const floor = release.patroniTimerFloor;
  const timers = {
    ttl: spec.failover.ttl ?? Math.max(preset.timers.ttl, floor?.ttl ?? 0),
    loopWait: spec.failover.loopWait ?? Math.max(preset.timers.loopWait, floor?.loopWait ?? 0),
    retryTimeout:
      spec.failover.retryTimeout ?? Math.max(preset.timers.retryTimeout, floor?.retryTimeout ?? 0),
    maximumLagOnFailover:
      spec.failover.maximumLagOnFailover ??
      (spec.durability.rpo === 'async' ? UNBOUNDED_LAG_BYTES : preset.timers.maximumLagOnFailover),
  };
  const healthCheck = {
    intervalSeconds: spec.failover.healthCheck?.intervalSeconds ?? preset.healthCheck.intervalSeconds,
    healthyThreshold: spec.failover.healthCheck?.healthyThreshold ?? preset.healthCheck.healthyThreshold,
    unhealthyThreshold:
      spec.failover.healthCheck?.unhealthyThreshold ?? preset.healthCheck.unhealthyThreshold,
  };

  const etcd = planEtcd(spec, clusters, issues);
  fitRetryTimeoutToEtcd(spec, timers, etcd);

  // Subnet plan and fixed addresses: members first, then dedicated etcd nodes, per AZ.
  const subnetsByRegion = new Map<string, SubnetPlan[]>();
  const ipOf = new Map<string, string>();
  spec.regions.forEach((r, i) => {
    const plan = planSubnets(r.cidr, r.azs);
    subnetsByRegion.set(r.name, plan.subnets);
    if (plan.prefix > MAX_SUBNET_PREFIX) {
      issues.push({
        code: 'cidr_too_small',
        path: ['regions', i, 'cidr'],
        found: JSON.stringify(r.cidr),
        expected: `a block of /${MAX_SUBNET_PREFIX - plan.bits} or larger (${r.azs.length} AZs need ${2 ** plan.bits} subnets of /${MAX_SUBNET_PREFIX} or larger)`,
      });
      return;
    }
    for (const az of r.azs) {
      const sub = parseCidr(plan.subnets.find((s) => s.az === az)!.privateCidr);
      const nodes = [
        ...r.members.filter((m) => m.az === az).map((m) => m.name),
        ...etcd
          .flatMap((q) => q.members)
          .filter((e) => e.region === r.name && e.az === az && !e.colocatedWith)
          .map((e) => e.name),
      ];
      const capacity = size(sub) - FIRST_HOST_OFFSET - RESERVED_INTERFACES - 1;
      if (nodes.length > capacity) {
        issues.push({
          code: 'cidr_too_small',
          path: ['regions', i, 'cidr'],
          found: `${nodes.length} nodes in ${az}, room for ${capacity} in ${formatCidr(sub)}`,
          expected: 'a larger region CIDR, or fewer nodes per AZ',
        });
      }
      nodes.forEach((n, k) => {
        ipOf.set(n, formatAddress(sub.base + FIRST_HOST_OFFSET + k));
      });
    }
  });
  if (issues.length > 0) throw new SpecError(issues);

  const members = resolveMembers(spec, clusterOfRegion, ipOf);
  const etcdWithIps: EtcdQuorum[] = etcd.map((q) => ({
    ...q,
    members: q.members.map((e) => ({
      ...e,
      privateIp: e.colocatedWith ? ipOf.get(e.colocatedWith)! : ipOf.get(e.name)!,
    })),
  }));

  const regions: Region[] = spec.regions.map((r, index) => ({
    name: r.name,
    role: roleOf(r),
    index,
    path: ['regions', index],
    cidr: formatCidr(parseCidr(r.cidr)),
    azs: r.azs,
    subnets: subnetsByRegion.get(r.name)!,
    members: r.members.map((m) => m.name),
    cluster: clusterOfRegion.get(r.name)!.scope,
    archiveCopy: false,
  }));
  const standbyRegions = regions.filter((r) => r.role === 'standby').map((r) => r.name);
  const copyTo =
    spec.archive.copyTo === undefined ? standbyRegions : [...new Set([spec.archive.copyTo].flat())];
  const regionsWithCopies = regions.map((r) => ({ ...r, archiveCopy: copyTo.includes(r.name) }));

  const zone = spec.endpoints.dnsZone ?? `${spec.name}.pgtopo.internal`;
  const logical = resolveLogical(spec, clusters, members, `writer.${zone}`, PORTS.writer);
  const synchronousMode =
    spec.durability.synchronousMode ?? (spec.durability.rpo === 'zero-in-region' ? 'on' : 'off');

  const topology: Topology = {
    name: spec.name,
    spec,
    primaryRegion: spec.primaryRegion,
    release,
    postgres: {
      ...spec.postgres,
      version: spec.postgres.version ?? release.postgresMajor,
      parameters: withSlotRetentionBound(spec, logical),
    },
    failover: {
      profile: spec.failover.profile,
      timers,
      healthCheck,
      haproxy: preset.haproxy,
      ...(spec.failover.rtoTargetSeconds !== undefined
        ? { rtoTargetSeconds: spec.failover.rtoTargetSeconds }
        : {}),
    },
    durability: {
      rpo: spec.durability.rpo,
      synchronousMode,
      synchronousNodeCount: spec.durability.synchronousNodeCount,
      allowCrossRegionSync: spec.durability.allowCrossRegionSync,
    },
    regions: regionsWithCopies,
    clusters,
    members,
    etcd: etcdWithIps,
    replication: replicationEdges(members, clusters),
    failureDomains: failureDomains(regionsWithCopies, members, etcdWithIps),
    endpoints: {
      zone,
      internal: spec.endpoints.internal,
      pooler: spec.endpoints.pooler,
      pgbouncer: spec.endpoints.pgbouncer,
      dnsTtlSeconds: spec.endpoints.dnsTtlSeconds,
      // Readers follow the failover bound, or the preset's when failover has none (rpo async).
      readerMaxLagBytes:
        spec.endpoints.readerMaxLagBytes ??
        Math.min(timers.maximumLagOnFailover, preset.timers.maximumLagOnFailover),
      healthCheckProtocol: spec.endpoints.healthCheckProtocol,
      names: Object.fromEntries(
        clusters.map((c) => [
          c.scope,
          { writer: `writer.${c.regions[0]}.${zone}`, reader: `reader.${c.regions[0]}.${zone}` },
        ]),
      ),
      globalWriter: `writer.${zone}`,
    },
    archive: {
      enabled: spec.archive.enabled,
      retentionDays: spec.archive.retentionDays,
      fullBackupEveryDays: spec.archive.fullBackupEveryDays,
      backupHourUtc: spec.archive.backupHourUtc,
      copyTo,
      objectLock: spec.archive.objectLock,
      objectLockDays: spec.archive.objectLockDays ?? spec.archive.retentionDays,
      expireAfterDays:
        spec.archive.expireAfterDays ?? spec.archive.retentionDays + spec.archive.fullBackupEveryDays + 1,
      tiers: spec.archive.tiers,
      ...(spec.archive.kmsKeyArn ? { kmsKeyArn: spec.archive.kmsKeyArn } : {}),
      sse: spec.archive.sse,
      keyRotation: spec.archive.keyRotation,
      versioning: spec.archive.versioning,
      blockPublicAccess: spec.archive.blockPublicAccess,
      tlsOnlyPolicy: spec.archive.tlsOnlyPolicy,
      replicationTimeControl: spec.archive.replicationTimeControl,
      prefixes: Object.fromEntries(clusters.map((c) => [c.scope, `${c.scope}/`])),
      bucketNames: perRegion(spec, spec.archive.bucket),
    },
    security: resolveSecurity(spec),
    hosts: resolveHosts(spec),
    observability: resolveObservability(spec),
    waivers: spec.waivers,
    logical,
  };
  return deepFreeze(topology);
}

/** One value per region from a regional setting: one value (single-region specs) or a map. */
function perRegion(
  spec: ParsedSpec,
  value: string | Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value === 'string') return Object.fromEntries(spec.regions.map((r) => [r.name, value]));
  return { ...value };
}

/**
 * CIDRs in canonical form (leading zeros and host bits gone: what AWS and pg_hba receive), and client
 * security groups per region (a plain list belongs to the only region; the spec check rejects it otherwise).
 */
function resolveSecurity(spec: ParsedSpec): Security {
  const { allowedSecurityGroupIds: groups, ...rest } = spec.security;
  return {
    ...rest,
    allowedCidrs: rest.allowedCidrs.map(canonicalCidr),
    adminCidrs: rest.adminCidrs.map(canonicalCidr),
    allowedSecurityGroupIds: groupsByRegion(spec, groups),
  };
}

/** Security group ids per region: a plain list belongs to the only region (the spec check rejects it otherwise). */
function groupsByRegion(
  spec: ParsedSpec,
  groups: readonly string[] | Readonly<Record<string, readonly string[]>>,
): Record<string, readonly string[]> {
  if (Array.isArray(groups)) return groups.length > 0 ? { [spec.regions[0]!.name]: groups } : {};
  return Object.fromEntries(
    Object.entries(groups as Readonly<Record<string, readonly string[]>>).filter(([, ids]) => ids.length > 0),
  );
}

/**
 * `max_slot_wal_keep_size` when the spec does not set it. PostgreSQL's default (-1) lets one stalled replica's
 * slot fill the primary's data volume and stop it (PGT-PG-006 rejects an unbounded value). 5 GB is a quarter
 * of the smallest volume the schema allows (20 GiB), so it fits every layout, and a replica further behind
 * loses its slot and catches up from the WAL archive (restore_command) instead.
 */
export const DEFAULT_MAX_SLOT_WAL_KEEP_SIZE = '5GB';

/**
 * `postgres.parameters` with slot retention bounded unless the spec sets it: the default, or the retention the
 * logical plans' CDC feeds declare when that is larger (a feed's slot must not be invalidated before it).
 */
function withSlotRetentionBound(
  spec: ParsedSpec,
  logical: readonly LogicalPlan[],
): Record<string, string | number | boolean> {
  const gb = (v: string) => Number.parseInt(v, 10);
  const bound = [DEFAULT_MAX_SLOT_WAL_KEEP_SIZE, ...logical.map((p) => p.parameters.max_slot_wal_keep_size)]
    .filter((v): v is string => typeof v === 'string')
    .reduce((a, b) => (gb(b) > gb(a) ? b : a));
  return { max_slot_wal_keep_size: bound, ...spec.postgres.parameters };
}

/**
 * An etcd election can take up to twice the election timeout, and a leader that cannot reach the DCS for
 * retry_timeout demotes itself: a profile's retry_timeout is raised to outlast the slowest quorum's election
 * (and ttl with it, to keep loop_wait + 2 x retry_timeout <= ttl). Timers the spec sets are kept as they are;
 * PGT-ETCD-004 rejects a set combination that demotes the primary.
 */
function fitRetryTimeoutToEtcd(
  spec: ParsedSpec,
  timers: { ttl: number; loopWait: number; retryTimeout: number },
  etcd: readonly Pick<EtcdQuorum, 'electionTimeoutMs'>[],
): void {
  if (spec.failover.retryTimeout !== undefined || etcd.length === 0) return;
  const electionMs = Math.max(...etcd.map((q) => q.electionTimeoutMs));
  const needed = Math.floor((2 * electionMs) / 1000) + 1;
  if (timers.retryTimeout >= needed) return;
  timers.retryTimeout = needed;
  if (spec.failover.ttl === undefined) timers.ttl = Math.max(timers.ttl, timers.loopWait + 2 * needed);
}

/** Host settings with one AMI id per region. */
function resolveHosts(spec: ParsedSpec): Hosts {
  const { imageId, ...rest } = spec.hosts;
  return { ...rest, imageIds: perRegion(spec, imageId) };
}

/** Exporters and alarms with one SNS topic per region. */
function resolveObservability(spec: ParsedSpec): Observability {
  const { snsTopicArn, ...alarms } = spec.observability.alarms;
  const { allowedSecurityGroupIds: groups, ...prometheus } = spec.observability.prometheus;
  return {
    ...spec.observability,
    alarms: { ...alarms, snsTopicArns: perRegion(spec, snsTopicArn) },
    prometheus: {
      ...prometheus,
      allowedCidrs: prometheus.allowedCidrs.map(canonicalCidr),
      allowedSecurityGroupIds: groupsByRegion(spec, groups),
    },
  };
}

/**
 * Regional Patroni clusters. Each region is its own cluster, except that a
 * stretched DCS joins every primary-role region into the primary cluster.
 */
function planClusters(spec: ParsedSpec, roleOf: (r: ParsedSpec['regions'][number]) => RegionRole): Cluster[] {
  const scopeOf = (region: string) => `${spec.name}-${region}`;
  const quorumOf = (region: string) =>
    spec.dcs.mode === 'stretched' ? `${spec.name}-etcd` : `${spec.name}-etcd-${region}`;
  const primaryScope = scopeOf(spec.primaryRegion);
  const clusters: Cluster[] = [];
  for (const r of spec.regions) {
    const role = roleOf(r);
    const joins = spec.dcs.mode === 'stretched' && role === 'primary' && r.name !== spec.primaryRegion;
    const target = joins ? clusters.find((c) => c.scope === primaryScope) : undefined;
    if (target) {
      (target.regions as string[]).push(r.name);
      (target.members as string[]).push(...r.members.map((m) => m.name));
      continue;
    }
    clusters.push({
      scope: scopeOf(r.name),
      regions: [r.name],
      role,
      members: r.members.map((m) => m.name),
      quorum: quorumOf(r.name),
      ...(role === 'standby' ? { follows: primaryScope } : {}),
    });
  }
  return clusters;
}

function planSubnets(
  cidr: string,
  azs: readonly string[],
): { subnets: SubnetPlan[]; prefix: number; bits: number } {
  const block = parseCidr(cidr);
  const bits = Math.ceil(Math.log2(2 * azs.length));
  const subnets = azs.map((az, i) => ({
    az,
    privateCidr: formatCidr(subnet(block, bits, i)),
    publicCidr: formatCidr(subnet(block, bits, 2 ** bits / 2 + i)),
  }));
  return { subnets, prefix: block.prefix + bits, bits };
}

type EtcdPlan = Omit<EtcdQuorum, 'members'> & { members: Omit<EtcdMember, 'privateIp'>[] };

function planEtcd(spec: ParsedSpec, clusters: readonly Cluster[], issues: SpecIssue[]): EtcdPlan[] {
  const dcs = spec.dcs;
  const common = { tls: dcs.tls, placement: dcs.placement, instanceType: dcs.instanceType };
  const place = (id: string, region: ParsedSpec['regions'][number], k: number, ordinal: number) => {
    if (dcs.placement === 'co-located') {
      const host = region.members[k % region.members.length]!;
      return {
        name: `${id}-${ordinal}`,
        quorum: id,
        region: region.name,
        az: host.az,
        colocatedWith: host.name,
      };
    }
    return {
      name: `${id}-${ordinal}`,
      quorum: id,
      region: region.name,
      az: region.azs[k % region.azs.length]!,
    };
  };
  const tooMany = (path: PathSegment[], count: number, hosts: number, where: string) => {
    if (dcs.placement === 'co-located' && count > hosts) {
      issues.push({
        code: 'inconsistent',
        path,
        found: `${count} co-located etcd members`,
        expected: `at most ${hosts}, one per PostgreSQL member in ${where}, or placement "dedicated"`,
      });
    }
  };

  if (dcs.mode === 'per-region') {
    return spec.regions.map((r) => {
      const quorumId = clusters.find((c) => c.regions.includes(r.name))!.quorum;
      tooMany(['dcs', 'membersPerRegion'], dcs.membersPerRegion, r.members.length, r.name);
      return {
        id: quorumId,
        mode: 'per-region' as const,
        regions: [r.name],
        members: Array.from({ length: dcs.membersPerRegion }, (_, k) => place(quorumId, r, k, k + 1)),
        heartbeatIntervalMs: dcs.heartbeatIntervalMs ?? ETCD_LOCAL_TIMING.heartbeatIntervalMs,
        electionTimeoutMs:
          dcs.electionTimeoutMs ?? (dcs.heartbeatIntervalMs ?? ETCD_LOCAL_TIMING.heartbeatIntervalMs) * 10,
        ...common,
      };
    });
  }
  const id = `${spec.name}-etcd`;
  const regionNames = dcs.regions ?? spec.regions.map((r) => r.name);
  const hosts = regionNames.map((n) => spec.regions.find((r) => r.name === n)!);
  const perRegionCount = new Map<string, number>();
  const members = Array.from({ length: dcs.members }, (_, k) => {
    const region = hosts[k % hosts.length]!;
    const nth = perRegionCount.get(region.name) ?? 0;
    perRegionCount.set(region.name, nth + 1);
    return place(id, region, nth, k + 1);
  });
  hosts.forEach((r) => {
    tooMany(['dcs', 'members'], perRegionCount.get(r.name) ?? 0, r.members.length, r.name);
  });
  const heartbeat =
    dcs.heartbeatIntervalMs ?? Math.max(ETCD_LOCAL_TIMING.heartbeatIntervalMs, dcs.interRegionRttMs);
  return [
    {
      id,
      mode: 'stretched',
      regions: regionNames,
      members,
      heartbeatIntervalMs: heartbeat,
      electionTimeoutMs: dcs.electionTimeoutMs ?? heartbeat * 10,
      interRegionRttMs: dcs.interRegionRttMs,
      ...common,
    },
  ];
}

function resolveMembers(
  spec: ParsedSpec,
  clusterOfRegion: ReadonlyMap<string, Cluster>,
  ipOf: ReadonlyMap<string, string>,
): Member[] {
  const byName = new Map(spec.regions.flatMap((r) => r.members.map((m) => [m.name, m] as const)));
  const depthOf = (name: string): number => {
    let depth = 0;
    const seen = new Set<string>([name]);
    let cur = byName.get(name)?.replicateFrom;
    while (cur !== undefined) {
      if (seen.has(cur)) return Number.POSITIVE_INFINITY;
      seen.add(cur);
      depth++;
      cur = byName.get(cur)?.replicateFrom;
    }
    return depth;
  };
  return spec.regions.flatMap((r, i) =>
    r.members.map((m, j): Member => {
      const cluster = clusterOfRegion.get(r.name)!;
      const iops = m.volume.iops ?? 3000;
      return {
        name: m.name,
        region: r.name,
        az: m.az,
        path: ['regions', i, 'members', j],
        cluster: cluster.scope,
        instanceType: m.instanceType,
        volume: {
          sizeGiB: m.volume.sizeGiB,
          type: m.volume.type,
          iops,
          throughputMiBps: m.volume.throughputMiBps ?? 125,
        },
        tags: m.tags,
        ...(m.replicateFrom !== undefined ? { replicateFrom: m.replicateFrom } : {}),
        ...(m.recoveryMinApplyDelay !== undefined
          ? { recoveryMinApplyDelaySeconds: m.recoveryMinApplyDelay }
          : {}),
        cascadeDepth: depthOf(m.name),
        syncEligible: cluster.role === 'primary' && !m.tags.nosync && m.replicateFrom === undefined,
        failoverEligible: !m.tags.nofailover && m.tags.failoverPriority !== 0,
        privateIp: ipOf.get(m.name)!,
      };
    }),
  );
}

function replicationEdges(members: readonly Member[], clusters: readonly Cluster[]): ReplicationEdge[] {
  const edges: ReplicationEdge[] = members.map((m) => {
    const from = m.replicateFrom ?? `leader:${m.cluster}`;
    const kind =
      m.recoveryMinApplyDelaySeconds !== undefined
        ? 'delayed'
        : m.replicateFrom !== undefined
          ? 'cascade'
          : m.syncEligible
            ? 'sync-candidate'
            : 'async';
    return { kind, from, to: m.name };
  });
  for (const c of clusters) {
    if (c.follows)
      edges.push({ kind: 'standby-cluster', from: `leader:${c.follows}`, to: `cluster:${c.scope}` });
  }
  return edges;
}

function failureDomains(
  regions: readonly Region[],
  members: readonly Member[],
  etcd: readonly EtcdQuorum[],
): FailureDomain[] {
  const etcdMembers = etcd.flatMap((q) => q.members);
  const lose = (
    kind: FailureDomain['kind'],
    id: string,
    m: (x: Member) => boolean,
    e: (x: EtcdMember) => boolean,
  ) => ({
    kind,
    id,
    members: members.filter(m).map((x) => x.name),
    etcdMembers: etcdMembers.filter(e).map((x) => x.name),
  });
  const domains: FailureDomain[] = [
    ...members.map((m) =>
      lose(
        'member',
        m.name,
        (x) => x === m,
        (e) => e.colocatedWith === m.name,
      ),
    ),
    ...regions.flatMap((r) =>
      r.azs.map((az) =>
        lose(
          'az',
          az,
          (x) => x.az === az,
          (e) => e.az === az,
        ),
      ),
    ),
    ...regions.map((r) =>
      lose(
        'region',
        r.name,
        (x) => x.region === r.name,
        (e) => e.region === r.name,
      ),
    ),
  ];
  for (let a = 0; a < regions.length; a++) {
    for (let b = a + 1; b < regions.length; b++) {
      const link = [regions[a]!.name, regions[b]!.name] as const;
      domains.push({ kind: 'link', id: `${link[0]}<->${link[1]}`, members: [], etcdMembers: [], link });
    }
  }
  return domains;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
