/**
 * What a spec change does to the topology: members added or removed, role and
 * tag changes, sync set changes, a primary-region switchover or failback (with
 * the ordered runbook it implies), and which changes replace or destroy
 * data-bearing resources (data volumes, archive buckets, KMS keys).
 *
 * Both sides are resolved models. Members, regions, volumes, buckets, keys and
 * quorums are compared in the model; every other field is compared in the
 * validated spec each model keeps (`Topology.spec`), named by its path in the
 * user's spec and classified by consequences.ts. Each change has a consequence
 * class, and `needsCare` says whether any must stop a pipeline. Which
 * attribute changes replace an AWS resource follows the AWS provider 5.100.0,
 * checked by planning against a state (see test/review/fixtures/README.md):
 * an EBS volume's `availability_zone`, `kms_key_id` and `encrypted` force a new
 * volume, while `type`, `size` (growth), `iops` and `throughput` change in place
 * (EBS cannot shrink: a smaller size needs a new volume); an S3 bucket's name
 * and `object_lock_enabled` force a new bucket. The plan stays the authority:
 * review a `terraform plan` of every stack before applying.
 */
import type { Member, Topology } from '../model/types.js';
import { formatPath, type PathSegment } from '../spec/issues.js';
import { type Consequence, FIELD_RULES, fieldConsequence, GATED } from './consequences.js';

export type ChangeKind =
  | 'cluster-renamed'
  | 'region-added'
  | 'region-removed'
  | 'region-role-changed'
  | 'primary-region-switchover'
  | 'primary-region-failback'
  | 'member-added'
  | 'member-removed'
  | 'member-moved'
  | 'instance-type-changed'
  | 'volume-grown'
  | 'volume-shrunk'
  | 'volume-type-changed'
  | 'volume-performance-changed'
  | 'volume-encryption-changed'
  | 'member-tags-changed'
  | 'replication-changed'
  | 'sync-set-changed'
  | 'etcd-changed'
  | 'archive-bucket-added'
  | 'archive-bucket-removed'
  | 'archive-bucket-replaced'
  | 'archive-key-changed'
  | 'logical-slot-removed'
  | 'publication-removed'
  | 'cdc-feed-removed'
  | 'field-changed';

/**
 * What happens to running things: `config` (no resource replaced), `in-place`
 * (resources modified, no restart), `restart` (a node restarts), `replace`
 * (resources re-created), `destroy` (resources removed).
 */
export type Impact = 'config' | 'in-place' | 'restart' | 'replace' | 'destroy';

export interface TopologyChange {
  readonly kind: ChangeKind;
  /** Member, region, quorum or setting the change is about. */
  readonly subject: string;
  /** Spec path in the new spec (or the old one, for removals), as text. */
  readonly path: string;
  readonly from?: string;
  readonly to?: string;
  readonly impact: Impact;
  /**
   * True when a data-bearing resource (data volume, archive bucket, KMS key) is destroyed or replaced, or a logical
   * slot, publication or CDC feed is dropped (its consumers lose every change they had not yet confirmed).
   */
  readonly destroysData: boolean;
  /** What the change does to the deployed cluster (see consequences.ts). */
  readonly consequence: Consequence;
  /** One line for a human. */
  readonly summary: string;
  /** The data-bearing resources lost, in words. */
  readonly lost?: readonly string[];
}

export interface Runbook {
  readonly title: string;
  readonly steps: readonly string[];
}

export interface TopologyDiff {
  readonly changes: readonly TopologyChange[];
  readonly destroysData: boolean;
  /**
   * True when a change must not be applied blindly: it replaces or destroys data-bearing resources,
   * cannot be undone, or needs a procedure (`pgtopo diff` exits 1).
   */
  readonly needsCare: boolean;
  /** Ordered operator steps the change implies (a primary-region switchover or failback). */
  readonly runbook?: Runbook;
}

const p = formatPath;

function volumeText(m: Member): string {
  const v = m.volume;
  return `${v.sizeGiB} GiB ${v.type}, ${v.iops} IOPS${v.type === 'gp3' ? `, ${v.throughputMiBps} MiB/s` : ''}`;
}

/** Regions holding an archive bucket: the primary region (source) and every copy region. */
export function bucketRegions(t: Topology): string[] {
  return t.archive.enabled ? [t.primaryRegion, ...t.archive.copyTo] : [];
}

/**
 * Regions where pgtopo creates an archive KMS key: every bucket region, except
 * the primary region when `archive.kmsKeyArn` names the source bucket's key.
 */
function archiveKeyRegions(t: Topology): string[] {
  return bucketRegions(t).filter((r) => !(r === t.primaryRegion && t.archive.kmsKeyArn !== undefined));
}

function switchoverRunbook(a: Topology, b: Topology, failback: boolean): Runbook {
  const from = a.primaryRegion;
  const to = b.primaryRegion;
  const fromScope = a.clusters.find((c) => c.regions.includes(from))!.scope;
  const toScopeNew = b.clusters.find((c) => c.regions.includes(to))!.scope;
  const toScopeOld = a.clusters.find((c) => c.regions.includes(to))?.scope ?? toScopeNew;
  const toQuorum = b.clusters.find((c) => c.regions.includes(to))!.quorum;
  const toWriter = a.endpoints.names[toScopeOld]?.writer ?? b.endpoints.names[toScopeNew]?.writer ?? to;
  const global = b.endpoints.globalWriter;
  const steps = [
    `Check ${to} is ready: \`patronictl list ${toScopeOld}\` shows a running standby leader with 0 lag; ` +
      `\`etcdctl endpoint health --cluster\` is healthy for quorum ${toQuorum}; \`pgbackrest info\` in ${to} shows the archive copy is current.`,
    ...(failback
      ? [
          `Failback only: after the earlier failover ${to}'s cluster diverged from the primary. It must have been rebuilt as a standby cluster of ${from} ` +
            `(\`patronictl reinit ${toScopeOld} <member>\` for every member whose timeline diverged) and have caught up before you continue.`,
        ]
      : []),
    `Stop application writes to \`${global}\` (maintenance window) and let in-flight transactions finish.`,
    `Wait until ${to} has replayed everything: \`SELECT pg_current_wal_lsn()\` on the ${fromScope} leader equals ` +
      `\`SELECT pg_last_wal_replay_lsn()\` on the ${toScopeOld} standby leader.`,
    `Demote ${fromScope} first, so that two writable primaries never exist: \`patronictl edit-config ${fromScope}\` and add ` +
      `\`standby_cluster: {host: ${toWriter}, port: 5432}\`. Confirm \`patronictl list ${fromScope}\` shows a Standby Leader and no Leader.`,
    `Promote ${toScopeOld}: \`patronictl edit-config ${toScopeOld}\` and remove \`standby_cluster\`. Its standby leader promotes on a new timeline; ` +
      `confirm \`patronictl list ${toScopeOld}\` shows a Leader.`,
    `Apply the new spec, ${to} first: review \`terraform plan\` of each stack, then deploy. \`${global}\` moves to ${to}'s writer load balancer, ` +
      `whose health checks now follow the new leader, and the archive source moves to ${to}.`,
    `Confirm ${fromScope} follows the new timeline with 0 lag (\`patronictl list ${fromScope}\`); \`patronictl reinit ${fromScope} <member>\` any member that does not.`,
    `On the new leader in ${to}: \`pgbackrest check\`, then \`pgbackrest backup --type=full\`, so the new source archive starts with a full backup.`,
    `Resume writes through \`${global}\` and confirm one committed write; then run \`pgtopo check\` on the new spec.`,
  ];
  return {
    title: `${failback ? 'Failback' : 'Switchover'} of the primary region: ${from} → ${to}`,
    steps,
  };
}

/** Compares two resolved topologies. */
export function diffTopologies(a: Topology, b: Topology): TopologyDiff {
  const changes: TopologyChange[] = [];
  const add = (c: Omit<TopologyChange, 'consequence'>) =>
    changes.push({
      ...c,
      consequence: c.destroysData ? 'stateful-replacement' : KIND_CONSEQUENCE[c.kind](c),
    });

  if (a.name !== b.name) {
    add({
      kind: 'cluster-renamed',
      subject: b.name,
      path: 'name',
      from: a.name,
      to: b.name,
      impact: 'replace',
      destroysData: true,
      summary: `cluster renamed ${a.name} → ${b.name}: every Patroni scope, bucket and resource name changes`,
      lost: ['every data volume, archive bucket and KMS key (re-created empty under the new name)'],
    });
  }

  // Regions.
  const regionsA = new Map(a.regions.map((r) => [r.name, r]));
  const regionsB = new Map(b.regions.map((r) => [r.name, r]));
  for (const r of b.regions) {
    if (!regionsA.has(r.name)) {
      add({
        kind: 'region-added',
        subject: r.name,
        path: p(r.path),
        to: r.role,
        impact: 'in-place',
        destroysData: false,
        summary: `region ${r.name} added as ${r.role} with ${r.members.length} member(s)`,
      });
    }
  }
  for (const r of a.regions) {
    if (!regionsB.has(r.name)) {
      add({
        kind: 'region-removed',
        subject: r.name,
        path: p(r.path),
        from: r.role,
        impact: 'destroy',
        destroysData: true,
        summary: `region ${r.name} (${r.role}) removed with its ${r.members.length} member(s)`,
        lost: [
          ...r.members.map((m) => `data volume of ${m}`),
          ...(bucketRegions(a).includes(r.name) ? [`archive bucket in ${r.name}`] : []),
        ],
      });
    }
  }

  // Primary region.
  const switched = a.primaryRegion !== b.primaryRegion;
  let runbook: Runbook | undefined;
  if (switched) {
    const home = b.regions[0]?.name;
    const failback = b.primaryRegion === home && a.primaryRegion !== home;
    const newExisted = regionsA.has(b.primaryRegion);
    const oldKept = regionsB.has(a.primaryRegion);
    const caveats = [
      ...(newExisted
        ? []
        : [`${b.primaryRegion} is new: it holds no replica to promote; add it as a standby region first`]),
      ...(oldKept
        ? []
        : [`${a.primaryRegion} is removed in the same change: switch first, remove in a later change`]),
    ];
    add({
      kind: failback ? 'primary-region-failback' : 'primary-region-switchover',
      subject: b.primaryRegion,
      path: 'primaryRegion',
      from: a.primaryRegion,
      to: b.primaryRegion,
      impact: 'config',
      destroysData: false,
      summary:
        `primary region ${a.primaryRegion} → ${b.primaryRegion}` +
        (failback ? ' (back to the home region, listed first)' : '') +
        `: writes move; follow the runbook` +
        (caveats.length > 0 ? `. Unsafe as one change: ${caveats.join('; ')}` : ''),
    });
    if (newExisted) runbook = switchoverRunbook(a, b, failback);
  }
  for (const r of b.regions) {
    const old = regionsA.get(r.name);
    if (!old || old.role === r.role) continue;
    if (switched && (r.name === a.primaryRegion || r.name === b.primaryRegion)) continue;
    add({
      kind: 'region-role-changed',
      subject: r.name,
      path: p([...r.path, 'role']),
      from: old.role,
      to: r.role,
      impact: 'config',
      destroysData: false,
      summary: `region ${r.name}: ${old.role} → ${r.role}`,
    });
  }

  // Members.
  const membersA = new Map(a.members.map((m) => [m.name, m]));
  const membersB = new Map(b.members.map((m) => [m.name, m]));
  for (const m of b.members) {
    if (!membersA.has(m.name) && regionsA.has(m.region)) {
      add({
        kind: 'member-added',
        subject: m.name,
        path: p(m.path),
        to: `${m.region}/${m.az}`,
        impact: 'in-place',
        destroysData: false,
        summary: `member ${m.name} added in ${m.az} (${m.instanceType}, ${volumeText(m)}); it clones from the leader`,
      });
    }
  }
  for (const m of a.members) {
    const n = membersB.get(m.name);
    if (!n) {
      if (!regionsB.has(m.region)) continue; // reported with its region
      add({
        kind: 'member-removed',
        subject: m.name,
        path: p(m.path),
        from: `${m.region}/${m.az}`,
        impact: 'destroy',
        destroysData: true,
        summary: `member ${m.name} removed from ${m.az}: its instance and data volume are destroyed`,
        lost: [`data volume of ${m.name}`],
      });
      continue;
    }
    if (m.region !== n.region || m.az !== n.az) {
      add({
        kind: 'member-moved',
        subject: m.name,
        path: p([...n.path, 'az']),
        from: `${m.region}/${m.az}`,
        to: `${n.region}/${n.az}`,
        impact: 'replace',
        destroysData: true,
        summary: `member ${m.name} moves ${m.az} → ${n.az}: a volume cannot change AZ, so the instance and data volume are replaced and the member re-clones`,
        lost: [`data volume of ${m.name}`],
      });
      continue;
    }
    if (m.instanceType !== n.instanceType) {
      add({
        kind: 'instance-type-changed',
        subject: m.name,
        path: p([...n.path, 'instanceType']),
        from: m.instanceType,
        to: n.instanceType,
        impact: 'restart',
        destroysData: false,
        summary: `member ${m.name}: ${m.instanceType} → ${n.instanceType} (stop and start in place; switch over first if it leads)`,
      });
    }
    const va = m.volume;
    const vb = n.volume;
    if (vb.sizeGiB < va.sizeGiB) {
      add({
        kind: 'volume-shrunk',
        subject: m.name,
        path: p([...n.path, 'volume', 'sizeGiB']),
        from: `${va.sizeGiB} GiB`,
        to: `${vb.sizeGiB} GiB`,
        impact: 'replace',
        destroysData: true,
        summary: `data volume of ${m.name} shrinks ${va.sizeGiB} → ${vb.sizeGiB} GiB: EBS cannot shrink a volume (the apply fails); only a new volume can be smaller, and the member re-clones onto it`,
        lost: [`data volume of ${m.name}`],
      });
    } else if (vb.sizeGiB > va.sizeGiB) {
      add({
        kind: 'volume-grown',
        subject: m.name,
        path: p([...n.path, 'volume', 'sizeGiB']),
        from: `${va.sizeGiB} GiB`,
        to: `${vb.sizeGiB} GiB`,
        impact: 'in-place',
        destroysData: false,
        summary: `data volume of ${m.name} grows ${va.sizeGiB} → ${vb.sizeGiB} GiB in place (grow the file system afterwards; one modification per volume every 6 h)`,
      });
    }
    if (va.type !== vb.type) {
      add({
        kind: 'volume-type-changed',
        subject: m.name,
        path: p([...n.path, 'volume', 'type']),
        from: va.type,
        to: vb.type,
        impact: 'in-place',
        destroysData: false,
        summary: `data volume of ${m.name}: ${va.type} → ${vb.type} in place (EBS ModifyVolume; performance varies while it optimizes)`,
      });
    }
    if (va.iops !== vb.iops || va.throughputMiBps !== vb.throughputMiBps) {
      add({
        kind: 'volume-performance-changed',
        subject: m.name,
        path: p([...n.path, 'volume']),
        from: volumeText(m),
        to: volumeText(n),
        impact: 'in-place',
        destroysData: false,
        summary: `data volume of ${m.name}: ${volumeText(m)} → ${volumeText(n)} in place`,
      });
    }
    const tagsA = JSON.stringify(m.tags);
    const tagsB = JSON.stringify(n.tags);
    if (tagsA !== tagsB) {
      const fmt = (x: Member['tags']) =>
        [
          x.nosync ? 'nosync' : '',
          x.nofailover ? 'nofailover' : '',
          x.failoverPriority !== undefined ? `failover_priority ${x.failoverPriority}` : '',
        ]
          .filter(Boolean)
          .join(', ') || 'no tags';
      add({
        kind: 'member-tags-changed',
        subject: m.name,
        path: p([...n.path, 'tags']),
        from: fmt(m.tags),
        to: fmt(n.tags),
        impact: 'config',
        destroysData: false,
        summary: `member ${m.name} tags: ${fmt(m.tags)} → ${fmt(n.tags)}`,
      });
    }
    const upA = `${m.replicateFrom ?? 'leader'}${m.recoveryMinApplyDelaySeconds !== undefined ? ` delayed ${m.recoveryMinApplyDelaySeconds} s` : ''}`;
    const upB = `${n.replicateFrom ?? 'leader'}${n.recoveryMinApplyDelaySeconds !== undefined ? ` delayed ${n.recoveryMinApplyDelaySeconds} s` : ''}`;
    if (upA !== upB) {
      add({
        kind: 'replication-changed',
        subject: m.name,
        path: p(n.path),
        from: upA,
        to: upB,
        impact: 'restart',
        destroysData: false,
        summary: `member ${m.name} streams from ${upA} → ${upB} (PostgreSQL restarts with the new primary_conninfo)`,
      });
    }
  }

  // Sync set of the writable cluster.
  const syncOf = (t: Topology) => {
    const scope = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion))?.scope;
    const set =
      t.durability.synchronousMode === 'off'
        ? []
        : t.members.filter((m) => m.syncEligible && m.cluster === scope).map((m) => m.name);
    return {
      set,
      text: `${t.durability.synchronousMode === 'off' ? 'sync off' : `synchronous_mode ${t.durability.synchronousMode}, ${t.durability.synchronousNodeCount} of`} [${set.join(', ')}]`,
    };
  };
  const sa = syncOf(a);
  const sb = syncOf(b);
  if (sa.text !== sb.text) {
    const added = sb.set.filter((x) => !sa.set.includes(x));
    const removed = sa.set.filter((x) => !sb.set.includes(x));
    add({
      kind: 'sync-set-changed',
      subject: b.primaryRegion,
      path: 'durability',
      from: sa.text,
      to: sb.text,
      impact: 'config',
      destroysData: false,
      summary:
        `synchronous standby candidates: ${sa.text} → ${sb.text}` +
        (added.length > 0 ? `; added ${added.join(', ')}` : '') +
        (removed.length > 0 ? `; removed ${removed.join(', ')}` : ''),
    });
  }

  // etcd.
  const quorumKey = (q: Topology['etcd'][number]) =>
    `${q.mode} ${q.placement} ${q.instanceType} ${q.members.map((e) => `${e.name}@${e.az}`).join(' ')}`;
  const quorumsA = new Map(a.etcd.map((q) => [q.id, q]));
  for (const q of b.etcd) {
    const old = quorumsA.get(q.id);
    if (old && quorumKey(old) === quorumKey(q)) continue;
    if (!old) {
      add({
        kind: 'etcd-changed',
        subject: q.id,
        path: 'dcs',
        to: `${q.members.length} members, ${q.mode}, ${q.placement}`,
        impact: 'in-place',
        destroysData: false,
        summary: `etcd quorum ${q.id} created (${q.members.length} members, ${q.mode})`,
      });
      continue;
    }
    const same = (x: { name: string; az: string }, y: { name: string; az: string }) =>
      x.name === y.name && x.az === y.az;
    const removed = old.members.filter((e) => !q.members.some((x) => same(x, e))).map((e) => e.name);
    const added = q.members.filter((e) => !old.members.some((x) => same(x, e))).map((e) => e.name);
    const what = [
      ...(added.length > 0 ? [`adds ${added.join(', ')}`] : []),
      ...(removed.length > 0 ? [`removes ${removed.join(', ')}`] : []),
      ...(added.length === 0 && removed.length === 0 ? ['placement or instance type changes'] : []),
    ].join('; ');
    add({
      kind: 'etcd-changed',
      subject: q.id,
      path: 'dcs',
      from: `${old.members.length} members, ${old.mode}, ${old.placement}`,
      to: `${q.members.length} members, ${q.mode}, ${q.placement}`,
      impact: 'replace',
      destroysData: false,
      summary: `etcd quorum ${q.id} ${what}: change one member at a time (\`etcdctl member add\` / \`member remove\`) so the quorum keeps a majority`,
    });
  }
  for (const q of a.etcd) {
    if (b.etcd.some((x) => x.id === q.id)) continue;
    add({
      kind: 'etcd-changed',
      subject: q.id,
      path: 'dcs',
      from: `${q.members.length} members, ${q.mode}`,
      impact: 'destroy',
      destroysData: false,
      summary: `etcd quorum ${q.id} removed: the clusters it served lose their DCS state (leader key, dynamic configuration) and must register with the new quorum`,
    });
  }

  // Data volume encryption.
  if (a.hosts.ebsEncrypted !== b.hosts.ebsEncrypted || a.hosts.ebsKmsKeyArn !== b.hosts.ebsKmsKeyArn) {
    const kept = b.members.filter((m) => membersA.has(m.name));
    add({
      kind: 'volume-encryption-changed',
      subject: 'data volumes',
      path: a.hosts.ebsEncrypted !== b.hosts.ebsEncrypted ? 'hosts.ebsEncrypted' : 'hosts.ebsKmsKeyArn',
      from: a.hosts.ebsEncrypted ? (a.hosts.ebsKmsKeyArn ?? 'pgtopo key') : 'unencrypted',
      to: b.hosts.ebsEncrypted ? (b.hosts.ebsKmsKeyArn ?? 'pgtopo key') : 'unencrypted',
      impact: 'replace',
      destroysData: kept.length > 0,
      summary: `data volume encryption changes: a volume's encryption and key cannot change in place, so every data volume is replaced (${kept.length} member(s) re-clone)`,
      lost: kept.map((m) => `data volume of ${m.name}`),
    });
  }

  // Archive buckets and keys.
  const bucketsA = bucketRegions(a);
  const bucketsB = bucketRegions(b);
  const lockA = a.archive.objectLock !== 'none';
  const lockB = b.archive.objectLock !== 'none';
  for (const r of bucketsB) {
    if (!bucketsA.includes(r)) {
      add({
        kind: 'archive-bucket-added',
        subject: r,
        path: 'archive',
        to: r === b.primaryRegion ? 'source' : 'copy',
        impact: 'in-place',
        destroysData: false,
        summary: `archive bucket created in ${r} (${r === b.primaryRegion ? 'source' : 'copy'})`,
      });
    } else if (lockA !== lockB && regionsB.has(r) && a.name === b.name) {
      add({
        kind: 'archive-bucket-replaced',
        subject: r,
        path: 'archive.objectLock',
        from: a.archive.objectLock,
        to: b.archive.objectLock,
        impact: 'replace',
        destroysData: true,
        summary: `archive bucket in ${r} is replaced: Object Lock can only be ${lockB ? 'enabled' : 'disabled'} on a new bucket (objectLock ${a.archive.objectLock} → ${b.archive.objectLock})`,
        lost: [`archive bucket in ${r} (WAL and backups)`],
      });
    }
  }
  for (const r of bucketsA) {
    if (bucketsB.includes(r) || !regionsB.has(r)) continue;
    add({
      kind: 'archive-bucket-removed',
      subject: r,
      path: b.archive.enabled ? 'archive.copyTo' : 'archive.enabled',
      from: r === a.primaryRegion ? 'source' : 'copy',
      impact: 'destroy',
      destroysData: true,
      summary: `archive bucket in ${r} (${r === a.primaryRegion ? 'source' : 'copy'}) is destroyed`,
      lost: [`archive bucket in ${r} (WAL and backups)`],
    });
  }
  // Archive keys: pgtopo creates one per bucket region, except where `archive.kmsKeyArn` names the source's key.
  const keysA = archiveKeyRegions(a);
  const keysB = archiveKeyRegions(b);
  for (const r of keysA) {
    // A bucket removed with its region or on its own is reported above; its key goes with it.
    if (keysB.includes(r) || !bucketsB.includes(r) || a.name !== b.name) continue;
    add({
      kind: 'archive-key-changed',
      subject: r,
      path: 'archive.kmsKeyArn',
      from: 'pgtopo key',
      to: b.archive.kmsKeyArn ?? 'pgtopo key',
      impact: 'destroy',
      destroysData: true,
      summary: `the archive KMS key pgtopo created in ${r} is scheduled for deletion: objects already encrypted with it become unreadable once it is deleted (re-encrypt them or keep the key)`,
      lost: [`the archive KMS key in ${r} (and every archived object encrypted with it)`],
    });
  }
  if (
    a.archive.enabled &&
    b.archive.enabled &&
    a.archive.kmsKeyArn !== b.archive.kmsKeyArn &&
    !changes.some((c) => c.kind === 'archive-key-changed')
  ) {
    add({
      kind: 'archive-key-changed',
      subject: b.primaryRegion,
      path: 'archive.kmsKeyArn',
      from: a.archive.kmsKeyArn ?? 'pgtopo key',
      to: b.archive.kmsKeyArn ?? 'pgtopo key',
      impact: 'in-place',
      destroysData: false,
      summary:
        'new archive objects use a different KMS key; objects already archived stay encrypted with the old key, which must stay enabled',
    });
  }

  changes.push(...logicalRemovals(a, b).map((c) => ({ ...c, consequence: 'stateful-replacement' as const })));

  // Every other spec field, by its path in the user's spec, classified by FIELD_RULES.
  changes.push(...fieldChanges(a.spec, b.spec));

  return {
    changes,
    destroysData: changes.some((c) => c.destroysData),
    needsCare: changes.some((c) => GATED.has(c.consequence)),
    ...(runbook ? { runbook } : {}),
  };
}

/** Consequence of the changes the model comparison reports (a change that destroys data is a stateful replacement). */
const KIND_CONSEQUENCE: Record<ChangeKind, (c: Omit<TopologyChange, 'consequence'>) => Consequence> = {
  'cluster-renamed': () => 'stateful-replacement',
  'region-added': () => 'in-place',
  'region-removed': () => 'stateful-replacement',
  'region-role-changed': () => 'procedure',
  'primary-region-switchover': () => 'procedure',
  'primary-region-failback': () => 'procedure',
  'member-added': () => 'in-place',
  'member-removed': () => 'stateful-replacement',
  'member-moved': () => 'stateful-replacement',
  'instance-type-changed': () => 'in-place',
  'volume-grown': () => 'in-place',
  'volume-shrunk': () => 'stateful-replacement',
  'volume-type-changed': () => 'in-place',
  'volume-performance-changed': () => 'in-place',
  'volume-encryption-changed': () => 'in-place',
  'member-tags-changed': () => 'rolling-replacement',
  'replication-changed': () => 'rolling-replacement',
  'sync-set-changed': () => 'procedure',
  'etcd-changed': (c) => (c.impact === 'in-place' ? 'in-place' : 'procedure'),
  'archive-bucket-added': () => 'in-place',
  'archive-bucket-removed': () => 'stateful-replacement',
  'archive-bucket-replaced': () => 'stateful-replacement',
  'archive-key-changed': () => 'in-place',
  'logical-slot-removed': () => 'stateful-replacement',
  'publication-removed': () => 'stateful-replacement',
  'cdc-feed-removed': () => 'stateful-replacement',
  'field-changed': () => 'in-place',
};

/**
 * Logical objects the new spec drops, per writable cluster: a slot (its consumer's unconfirmed changes and its
 * position are gone; a new slot starts at the current WAL), a publication (subscribers stop and their slots stop
 * advancing) or a CDC feed (its connector loses its slot). Each destroys data as a dropped volume does.
 */
function logicalRemovals(a: Topology, b: Topology): Omit<TopologyChange, 'consequence'>[] {
  const out: Omit<TopologyChange, 'consequence'>[] = [];
  // The logical section belongs to the dataset: objects are matched by name across the writable clusters (a
  // primary-region switchover moves the plan to another cluster, not its objects).
  const after = {
    slots: b.logical.flatMap((x) => x.slots),
    publications: b.logical.flatMap((x) => x.publications),
    feeds: b.logical.flatMap((x) => x.feeds),
  };
  const seen = new Set<string>();
  for (const before of a.logical) {
    const gone = <T extends { name: string; path: readonly PathSegment[] }>(
      kind: string,
      list: readonly T[],
      now: readonly { name: string }[],
    ) =>
      list.filter((x) => {
        const key = `${kind} ${x.name}`;
        if (seen.has(key) || now.some((y) => y.name === x.name)) return false;
        seen.add(key);
        return true;
      });
    for (const s of gone('slot', before.slots, after.slots))
      out.push({
        kind: 'logical-slot-removed',
        subject: s.name,
        path: p(s.path),
        from: `${s.owner} slot in ${s.database}`,
        impact: 'destroy',
        destroysData: true,
        summary: `logical slot ${s.name} (${s.usedBy.kind} ${s.usedBy.name}) on ${before.cluster} is dropped`,
        lost: [
          `changes ${s.usedBy.kind === 'cdc' ? 'CDC feed' : 'subscriber'} ${s.usedBy.name} had not yet confirmed, and its position (a new slot starts at the current WAL)`,
        ],
      });
    for (const pub of gone('publication', before.publications, after.publications))
      out.push({
        kind: 'publication-removed',
        subject: pub.name,
        path: p(pub.path),
        from: `${pub.tables.length} table(s) in ${pub.database}`,
        impact: 'destroy',
        destroysData: true,
        summary: `publication ${pub.name} on ${before.cluster} is dropped`,
        lost: [
          `the change stream of ${pub.tables.length} table(s) to every subscriber and feed of ${pub.name}`,
        ],
      });
    for (const f of gone('feed', before.feeds, after.feeds))
      out.push({
        kind: 'cdc-feed-removed',
        subject: f.name,
        path: p(f.path),
        from: `slot ${f.slot}, publication ${f.publication}`,
        impact: 'destroy',
        destroysData: true,
        summary: `CDC feed ${f.name} on ${before.cluster} is dropped`,
        lost: [`the Debezium connector ${f.name}'s slot ${f.slot} and every change it had not yet confirmed`],
      });
  }
  return out;
}

/** A value as text, keys sorted (so key order in the file is no change), long values shortened. */
function valueText(v: unknown): string {
  if (v === undefined) return 'unset';
  const sorted = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sorted)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
          )
        : x;
  const text = JSON.stringify(sorted(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

interface FieldInstance {
  /** Identity: the pattern with list items named, e.g. `regions[us-east-1].cidr`. */
  readonly key: string;
  /** Path in the user's spec. */
  readonly path: PathSegment[];
  readonly value: unknown;
}

/** Every instance of a field pattern in a spec; items of named lists are identified by name. */
function instancesOf(spec: unknown, pattern: string): FieldInstance[] {
  let current: FieldInstance[] = [{ key: '', path: [], value: spec }];
  for (const seg of pattern.split('.')) {
    const list = seg.endsWith('[]');
    const name = list ? seg.slice(0, -2) : seg;
    current = current.flatMap(({ key, path, value }) => {
      const v =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
      const at = key ? `${key}.${name}` : name;
      if (!list) return [{ key: at, path: [...path, name], value: v }];
      if (!Array.isArray(v)) return [];
      return v.map((item, i) => ({
        key: `${at}[${String((item as { name?: unknown } | null)?.name)}]`,
        path: [...path, name, i],
        value: item,
      }));
    });
  }
  return current;
}

/**
 * Changes of the spec's leaf fields not reported by the model comparison, named by the user's spec
 * path (the new spec's) and classified by FIELD_RULES. Regions and members are matched by name, so
 * adding or removing one does not shift the others.
 */
function fieldChanges(a: unknown, b: unknown): TopologyChange[] {
  const out: TopologyChange[] = [];
  for (const pattern of Object.keys(FIELD_RULES)) {
    const before = new Map(instancesOf(a, pattern).map((i) => [i.key, i]));
    for (const after of instancesOf(b, pattern)) {
      const old = before.get(after.key);
      if (!old) continue;
      const from = valueText(old.value);
      const to = valueText(after.value);
      if (from === to) continue;
      const rule = fieldConsequence(pattern, old.value, after.value);
      if (rule === 'reported' || rule === undefined) continue;
      const [consequence, why] = rule;
      const path = p(after.path);
      out.push({
        kind: 'field-changed',
        subject: path,
        path,
        from,
        to,
        impact:
          consequence === 'in-place'
            ? 'in-place'
            : consequence === 'rolling-replacement'
              ? 'restart'
              : 'replace',
        destroysData: consequence === 'stateful-replacement',
        consequence,
        ...(consequence === 'stateful-replacement'
          ? { summary: `${path}: ${from} → ${to}`, lost: [why] }
          : { summary: `${path}: ${from} → ${to}: ${why}` }),
      });
    }
  }
  return out;
}

/** Text sections, in order: what destroys data first, in-place changes last. */
const SECTIONS: readonly [Consequence, string][] = [
  ['stateful-replacement', 'DESTROYS DATA'],
  ['irreversible', 'CANNOT BE UNDONE'],
  ['procedure', 'NEEDS A PROCEDURE'],
  ['rolling-replacement', 'ROLLING NODE REPLACEMENT'],
  ['in-place', 'CHANGES'],
];

/** Plain-text rendering for the terminal. */
export function formatDiffText(d: TopologyDiff, oldName: string, newName: string): string {
  const out: string[] = [];
  const destructive = d.changes.filter((c) => c.destroysData);
  const careful = d.changes.filter((c) => GATED.has(c.consequence) && !c.destroysData);
  out.push(
    `pgtopo diff ${oldName} -> ${newName}: ${d.changes.length} change(s)` +
      (destructive.length === 0
        ? ', no data-bearing resource destroyed'
        : `, ${destructive.length} ${destructive.length === 1 ? 'destroys' : 'destroy'} data-bearing resources`) +
      (careful.length === 0 ? '' : `, ${careful.length} cannot be undone or need a procedure`),
  );
  if (d.changes.length === 0) return out.join('\n');
  const width = Math.max(...d.changes.map((c) => c.kind.length));
  const line = (c: TopologyChange) => `  ${c.kind.padEnd(width)}  ${c.summary}`;
  for (const [consequence, title] of SECTIONS) {
    const here = d.changes.filter((c) => c.consequence === consequence);
    if (here.length === 0) continue;
    out.push('', title);
    for (const c of here) {
      out.push(line(c));
      for (const l of c.lost ?? []) out.push(`  ${''.padEnd(width)}    lost: ${l}`);
    }
  }
  if (d.runbook) {
    out.push('', `RUNBOOK: ${d.runbook.title}`);
    d.runbook.steps.forEach((s, i) => {
      out.push(`  ${String(i + 1).padStart(2)}. ${s}`);
    });
  }
  return out.join('\n');
}
