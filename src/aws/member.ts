/**
 * Patroni members: the security group every member of a regional cluster
 * shares, and one member (instance, data volume, role) placed per the model.
 */
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VolumeAttachment } from '@cdktf/provider-aws/lib/volume-attachment/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { NODE_TAGS, PORTS } from '../model/constants.js';
import type { Member, Topology } from '../model/types.js';
import { etcdOnMember, renderUserData, scrapeJobs } from '../render/index.js';
import { protect } from './guard.js';
import type { PolicyStatement } from './iam.js';
import { rolePrefix } from './names.js';
import { allowAllEgress, allowIngress, prometheusSources, type Source } from './network.js';
import { HardenedNode, releaseImage } from './node.js';
import { nodeStatements, pgtopoAddressMap } from './permissions.js';
import { accountFacts } from './stack.js';

/** Device name of the data volume attachment (NVMe instances show it as the second NVMe disk). */
export const DATA_VOLUME_DEVICE = '/dev/sdf';

const cidr32 = (ip: string) => ({ cidr: `${ip}/32` });

/** Members outside `region` that use the etcd quorum `quorumId` (they reach etcd across regions). */
function remoteQuorumClients(t: Topology, quorumId: string, region: string): Member[] {
  const scopes = new Set(t.clusters.filter((c) => c.quorum === quorumId).map((c) => c.scope));
  return t.members.filter((m) => scopes.has(m.cluster) && m.region !== region);
}

export interface PatroniFirewallProps {
  readonly topology: Topology;
  /** Region whose cluster members share the group. */
  readonly region: string;
  readonly vpcId: string;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * Security group of a region's Patroni members. Open to: the members themselves
 * (replication, REST API, pooler), the spec's allowed CIDRs and security groups
 * (PostgreSQL, PgBouncer), admin CIDRs (SSH, REST API), the user's Prometheus
 * (exporters, Patroni /metrics), members of the same
 * cluster or of following clusters in other regions (replication, REST API, by
 * /32), and for co-located etcd the quorum's clients and peers (by /32). Never
 * 0.0.0.0/0 on a sensitive port (PGT-NET-001); the load balancer adds its own
 * rule through `allowFrom`.
 */
export class PatroniFirewall extends Construct {
  readonly securityGroup: SecurityGroup;
  private readonly provider?: TerraformProvider;

  constructor(scope: Construct, id: string, props: PatroniFirewallProps) {
    super(scope, id);
    const t = props.topology;
    const p = props.provider;
    this.provider = p;
    const region = t.regions.find((r) => r.name === props.region)!;
    const cluster = t.clusters.find((c) => c.scope === region.cluster)!;
    this.securityGroup = new SecurityGroup(this, 'sg', {
      ...(p ? { provider: p } : {}),
      namePrefix: `${cluster.scope}-members-`,
      description: `Patroni members of ${cluster.scope} in ${region.name}`,
      vpcId: props.vpcId,
      tags: { Name: `${cluster.scope}-members` },
    });
    const sg = this.securityGroup.id;
    const self = [{ securityGroupId: sg }];
    const rule = (rid: string, ports: number, sources: readonly Source[], d: string) => {
      if (sources.length > 0)
        allowIngress(this, rid, { securityGroupId: sg, ports, sources, description: d, provider: p });
    };
    for (const port of [PORTS.postgres, PORTS.pgbouncer, PORTS.patroniRest]) {
      rule(`self-${port}`, port, self, 'Members of the cluster');
    }
    const clients: Source[] = [
      ...t.security.allowedCidrs.map((c) => ({ cidr: c })),
      ...(t.security.allowedSecurityGroupIds[region.name] ?? []).map((s) => ({ securityGroupId: s })),
    ];
    for (const port of [PORTS.postgres, PORTS.pgbouncer])
      rule(`clients-${port}`, port, clients, 'Allowed clients');
    // The user's Prometheus reaches the exporters that run and Patroni's /metrics, nothing else.
    const prometheus = prometheusSources(t, region.name);
    const admins = t.security.adminCidrs.map((c) => ({ cidr: c }));
    // etcd's metrics listener runs on a member only where a co-located quorum places an etcd member here.
    const etcdHere = t.etcd.some(
      (q) => q.placement === 'co-located' && q.members.some((e) => e.region === region.name),
    );
    for (const { port, on } of scrapeJobs(t)) {
      if (on === 'etcd' && !etcdHere) continue;
      // AWS refuses a second rule with the same source and port: an admin CIDR already reaches the REST API.
      const fresh =
        port === PORTS.patroniRest
          ? prometheus.filter((s) => !('cidr' in s && t.security.adminCidrs.includes(s.cidr)))
          : prometheus;
      rule(`prometheus-${port}`, port, fresh, 'Prometheus scrapes');
    }
    for (const port of [PORTS.ssh, PORTS.patroniRest]) rule(`admin-${port}`, port, admins, 'Admin CIDRs');
    // Members elsewhere that replicate from this cluster or belong to it.
    const related = t.members.filter((m) => {
      if (m.region === region.name) return false;
      if (m.cluster === cluster.scope) return true;
      return t.clusters.find((c) => c.scope === m.cluster)?.follows === cluster.scope;
    });
    for (const port of [PORTS.postgres, PORTS.patroniRest]) {
      rule(
        `replicas-${port}`,
        port,
        related.map((m) => cidr32(m.privateIp)),
        'Members of this or following clusters elsewhere',
      );
    }
    // A multi-region cluster's load balancer lives in its first region: its nodes reach members here over peering.
    const home = cluster.regions[0]!;
    if (home !== region.name) {
      const nlbSubnets = t.regions
        .find((r) => r.name === home)!
        .subnets.map((s) => ({ cidr: s.privateCidr }));
      for (const port of [PORTS.postgres, PORTS.pgbouncer, PORTS.patroniRest]) {
        rule(`home-nlb-${port}`, port, nlbSubnets, `Load balancer of ${cluster.scope} in ${home}`);
      }
    }
    for (const q of t.etcd.filter((x) => x.placement === 'co-located')) {
      const here = q.members.some((e) => e.region === region.name);
      if (!here) continue;
      rule(`etcd-client-self-${q.id}`, PORTS.etcdClient, self, `etcd ${q.id} clients in the region`);
      rule(
        `etcd-client-${q.id}`,
        PORTS.etcdClient,
        remoteQuorumClients(t, q.id, region.name).map((m) => cidr32(m.privateIp)),
        `etcd ${q.id} clients elsewhere`,
      );
      rule(
        `etcd-peer-${q.id}`,
        PORTS.etcdPeer,
        q.members.map((e) => cidr32(e.privateIp)),
        `etcd ${q.id} peers`,
      );
    }
    allowAllEgress(this, 'egress', sg, p);
    protect(this);
  }

  /** Lets another security group (e.g. the load balancer's) reach `ports`. */
  allowFrom(id: string, securityGroupId: string, ports: readonly number[], description: string): void {
    const target = this.securityGroup.id;
    for (const port of ports) {
      allowIngress(this, `${id}-${port}`, {
        securityGroupId: target,
        ports: port,
        sources: [{ securityGroupId }],
        description,
        ...(this.provider ? { provider: this.provider } : {}),
      });
    }
  }
}

export interface PatroniMemberProps {
  readonly topology: Topology;
  /** Member name: AZ, instance type, volume, private IP and tags come from the model. */
  readonly member: string;
  /** Private subnet id of the member's AZ. */
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  /** The region's cluster key: encrypts the data and root volumes (PGT-EC2-002) unless the spec names `hosts.ebsKmsKeyArn`. */
  readonly kmsKeyArn: string;
  /**
   * cloud-init user data; it must carry no secret value (PGT-EC2-004).
   * @default the renderer's user data for the member (`renderUserData` with pgtopo's AWS address map)
   */
  readonly userData?: string;
  /**
   * The role's permissions.
   * @default nodeStatements(): the member's secrets, its cluster's archive prefixes, its metric stream
   */
  readonly statements?: readonly PolicyStatement[];
  /**
   * AMI id or `resolve:ssm:<parameter>`.
   * @default the spec's `hosts.imageId` for the member's region, else the node release's image from Debian's public SSM parameter
   */
  readonly imageId?: string;
  /**
   * ARN of the region's AWS Private CA (RegionCertificateAuthority). Required when the topology uses
   * `security.ca.mode: aws-private-ca` and `statements` is not given.
   * @default none (self-managed CA)
   */
  readonly certificateAuthorityArn?: string;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * One Patroni member: instance with IMDSv2 (hop limit 1), no public IP,
 * termination protection and rendered user data; an encrypted data volume of its
 * own (gp3/io2 per the spec) under the cluster key with `prevent_destroy`; a role
 * limited to its credentials and its cluster's archive prefix.
 */
export class PatroniMember extends Construct {
  readonly member: Member;
  readonly host: HardenedNode;
  readonly dataVolume: EbsVolume;

  constructor(scope: Construct, id: string, props: PatroniMemberProps) {
    super(scope, id);
    const t = props.topology;
    const m = t.members.find((x) => x.name === props.member);
    if (!m) throw new Error(`PatroniMember: member ${props.member} is not in topology ${t.name}`);
    this.member = m;
    const p = props.provider ? { provider: props.provider } : {};
    const ebsKey = t.hosts.ebsKmsKeyArn ?? props.kmsKeyArn;
    // A node that also runs an etcd member carries its etcd tags too (Prometheus discovers etcd by them).
    const etcd = etcdOnMember(t, m.name)[0];
    const tags = {
      [NODE_TAGS.member]: m.name,
      [NODE_TAGS.cluster]: m.cluster,
      ...(etcd ? { [NODE_TAGS.etcd]: etcd.member.name, [NODE_TAGS.quorum]: etcd.quorum.id } : {}),
    };
    const imageId = props.imageId ?? t.hosts.imageIds[m.region] ?? releaseImage(t.release, m.instanceType);
    this.host = new HardenedNode(this, 'node', {
      ...p,
      name: m.name,
      instanceType: m.instanceType,
      subnetId: props.subnetId,
      privateIp: m.privateIp,
      securityGroupIds: props.securityGroupIds,
      userData: props.userData ?? renderUserData(t, m.name, pgtopoAddressMap(t)),
      kmsKeyArn: ebsKey,
      statements:
        props.statements ??
        nodeStatements(t, m.name, {
          facts: accountFacts(this, props.provider),
          ...(props.certificateAuthorityArn
            ? { certificateAuthorityArn: props.certificateAuthorityArn }
            : {}),
        }),
      imdsHopLimit: t.hosts.imdsHopLimit,
      rolePrefix: rolePrefix(t, m.name),
      tags,
      roleTags: { 'pgtopo:archive-prefix': t.archive.prefixes[m.cluster]! },
      imageId,
    });
    this.dataVolume = new EbsVolume(this, 'data', {
      ...p,
      availabilityZone: m.az,
      size: m.volume.sizeGiB,
      type: m.volume.type,
      iops: m.volume.iops,
      ...(m.volume.type === 'gp3' ? { throughput: m.volume.throughputMiBps } : {}),
      encrypted: t.hosts.ebsEncrypted,
      kmsKeyId: ebsKey,
      finalSnapshot: true,
      tags: { Name: `${m.name}-data`, ...tags },
      lifecycle: { preventDestroy: true },
    });
    new VolumeAttachment(this, 'attach', {
      ...p,
      deviceName: DATA_VOLUME_DEVICE,
      volumeId: this.dataVolume.id,
      instanceId: this.host.instance.id,
      stopInstanceBeforeDetaching: true,
    });
    protect(this);
  }
}
