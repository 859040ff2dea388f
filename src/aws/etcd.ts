/**
 * The etcd members of one quorum that live in one region, placed per the model
 * (AZ, fixed private IP), behind a security group open only to the quorum's
 * peers and the Patroni members that use it.
 */
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { NODE_TAGS, PORTS } from '../model/constants.js';
import type { EtcdMember, EtcdQuorum as EtcdQuorumModel, Topology } from '../model/types.js';
import { renderUserData, scrapeJobs } from '../render/index.js';
import { protect } from './guard.js';
import type { PolicyStatement } from './iam.js';
import { rolePrefix } from './names.js';
import { allowAllEgress, allowIngress, prometheusSources, type Source } from './network.js';
import { HardenedNode, releaseImage } from './node.js';
import { nodeStatements, pgtopoAddressMap } from './permissions.js';
import { accountFacts } from './stack.js';

export interface EtcdQuorumProps {
  readonly topology: Topology;
  /** Quorum id (model `etcd[].id`). */
  readonly quorum: string;
  /** Region whose members of the quorum this construct places (a stretched quorum spans several). */
  readonly region: string;
  readonly vpcId: string;
  /** Private subnet id per AZ of the region. */
  readonly subnetIds: Readonly<Record<string, string>>;
  /** Security group of the Patroni members in this region that use the quorum. */
  readonly memberSecurityGroupId: string;
  /** KMS key ARN for the root volumes (etcd's data lives there). */
  readonly kmsKeyArn: string;
  /**
   * cloud-init user data of one etcd member; never a secret value.
   * @default the renderer's user data for the node (`renderUserData` with pgtopo's AWS address map)
   */
  readonly userData?: (etcdMember: string) => string;
  /**
   * Permissions of each etcd node.
   * @default nodeStatements(): read (and in the primary region store) the self-managed TLS CA, or request certificates from the region's AWS Private CA
   */
  readonly statements?: (etcdMember: string) => readonly PolicyStatement[];
  /**
   * AMI id or `resolve:ssm:<parameter>`.
   * @default the spec's `hosts.imageId` for the quorum's region, else the node release's image from Debian's public SSM parameter
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
 * Dedicated etcd members of a quorum in one region. For a co-located quorum
 * nothing is created here: etcd runs on the Patroni members and their security
 * group (PatroniFirewall) opens the etcd ports to the same peers and clients.
 */
export class EtcdQuorum extends Construct {
  readonly quorum: EtcdQuorumModel;
  /** Model members placed in this region. */
  readonly members: readonly EtcdMember[];
  /** Nodes by etcd member name (empty when co-located). */
  readonly nodes: Readonly<Record<string, HardenedNode>>;
  readonly securityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: EtcdQuorumProps) {
    super(scope, id);
    const t = props.topology;
    const q = t.etcd.find((x) => x.id === props.quorum);
    if (!q) throw new Error(`EtcdQuorum: quorum ${props.quorum} is not in topology ${t.name}`);
    this.quorum = q;
    this.members = q.members.filter((e) => e.region === props.region);
    const nodes: Record<string, HardenedNode> = {};
    this.nodes = nodes;
    if (q.placement === 'co-located' || this.members.length === 0) return;
    const p = props.provider;
    this.securityGroup = new SecurityGroup(this, 'sg', {
      ...(p ? { provider: p } : {}),
      namePrefix: `${q.id}-${props.region}-`,
      description: `etcd quorum ${q.id} in ${props.region}`,
      vpcId: props.vpcId,
      tags: { Name: `${q.id}-${props.region}` },
    });
    const sg = this.securityGroup.id;
    const scopes = new Set(t.clusters.filter((c) => c.quorum === q.id).map((c) => c.scope));
    const remoteClients: Source[] = t.members
      .filter((m) => scopes.has(m.cluster) && m.region !== props.region)
      .map((m) => ({ cidr: `${m.privateIp}/32` }));
    const remotePeers: Source[] = q.members
      .filter((e) => e.region !== props.region)
      .map((e) => ({ cidr: `${e.privateIp}/32` }));
    const rule = (rid: string, port: number, sources: readonly Source[], description: string) => {
      if (sources.length > 0)
        allowIngress(this, rid, { securityGroupId: sg, ports: port, sources, description, provider: p });
    };
    rule(
      'client-members',
      PORTS.etcdClient,
      [{ securityGroupId: props.memberSecurityGroupId }],
      'Patroni members in the region',
    );
    rule('client-self', PORTS.etcdClient, [{ securityGroupId: sg }], 'etcd peers (health, gateway)');
    rule('client-remote', PORTS.etcdClient, remoteClients, 'Patroni members in other regions');
    rule('peer-self', PORTS.etcdPeer, [{ securityGroupId: sg }], 'etcd peers in the region');
    rule('peer-remote', PORTS.etcdPeer, remotePeers, 'etcd peers in other regions');
    for (const { port } of scrapeJobs(t).filter((j) => j.on === 'etcd')) {
      rule(`prometheus-${port}`, port, prometheusSources(t, props.region), 'Prometheus scrapes');
    }
    rule(
      'ssh-admin',
      PORTS.ssh,
      t.security.adminCidrs.map((c) => ({ cidr: c })),
      'Admin CIDRs',
    );
    allowAllEgress(this, 'egress', sg, p);
    for (const e of this.members) {
      const subnetId = props.subnetIds[e.az];
      if (!subnetId) throw new Error(`EtcdQuorum: no subnet for ${e.az} (etcd member ${e.name})`);
      const imageId = props.imageId ?? t.hosts.imageIds[e.region] ?? releaseImage(t.release, q.instanceType);
      nodes[e.name] = new HardenedNode(this, e.name, {
        ...(p ? { provider: p } : {}),
        name: e.name,
        instanceType: q.instanceType,
        subnetId,
        privateIp: e.privateIp,
        securityGroupIds: [sg],
        userData: props.userData?.(e.name) ?? renderUserData(t, e.name, pgtopoAddressMap(t)),
        kmsKeyArn: t.hosts.ebsKmsKeyArn ?? props.kmsKeyArn,
        statements:
          props.statements?.(e.name) ??
          nodeStatements(t, e.name, {
            facts: accountFacts(this, p),
            ...(props.certificateAuthorityArn
              ? { certificateAuthorityArn: props.certificateAuthorityArn }
              : {}),
          }),
        imdsHopLimit: t.hosts.imdsHopLimit,
        rolePrefix: rolePrefix(t, e.name),
        tags: { [NODE_TAGS.etcd]: e.name, [NODE_TAGS.quorum]: q.id },
        imageId,
      });
    }
    protect(this);
  }
}
