/**
 * Per-region network (VPC, private subnets from the model's subnet plan, route
 * tables, egress, VPC endpoints) and the cross-region peering between regions
 * that replicate or share an etcd quorum.
 */
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { VpcPeeringConnection } from '@cdktf/provider-aws/lib/vpc-peering-connection/index.js';
import { VpcPeeringConnectionAccepterA } from '@cdktf/provider-aws/lib/vpc-peering-connection-accepter/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { Region, Topology } from '../model/types.js';
import { usesPrivateCa } from '../render/index.js';
import { protect } from './guard.js';

/**
 * Interface endpoints the nodes call at boot and at run time: secrets, keys,
 * Systems Manager (session access without SSH: ssm, ssmmessages, ec2messages),
 * CloudWatch metrics and logs, and STS for the instance role.
 */
export const INTERFACE_ENDPOINTS = [
  'secretsmanager',
  'kms',
  'ssm',
  'ssmmessages',
  'ec2messages',
  'monitoring',
  'logs',
  'sts',
] as const;

/** Interface endpoints of a topology: INTERFACE_ENDPOINTS, plus AWS Private CA's where nodes request certificates from it. */
export function interfaceEndpointsOf(t: Topology): readonly string[] {
  return usesPrivateCa(t) ? [...INTERFACE_ENDPOINTS, 'acm-pca'] : INTERFACE_ENDPOINTS;
}

export interface RegionNetworkProps {
  /** The resolved topology. */
  readonly topology: Topology;
  /** Region (by name) whose network this is: CIDR, AZs and subnet plan come from the model. */
  readonly region: string;
  /**
   * Internet egress: `nat` puts a NAT gateway in each AZ (public subnets hold only
   * the NAT gateways); `none` leaves the private subnets with VPC endpoints only
   * (nodes then need a pre-built image).
   * @default the spec's `hosts.egress`
   */
  readonly egress?: 'nat' | 'none';
  /**
   * Interface VPC endpoints to create (service names after `com.amazonaws.<region>.`).
   * An S3 gateway endpoint is always created.
   * @default interfaceEndpointsOf(topology)
   */
  readonly interfaceEndpoints?: readonly string[];
  /**
   * Provider of the region.
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/** One region's VPC: private subnets per AZ (the model's plan), route tables, egress and VPC endpoints. */
export class RegionNetwork extends Construct {
  readonly region: Region;
  readonly vpc: Vpc;
  /** Private subnet id per AZ name. */
  readonly privateSubnetIds: Readonly<Record<string, string>>;
  /** Private route tables, in the order of the model's subnet plan (one per AZ). */
  readonly privateRouteTables: readonly RouteTable[];
  /** Security group of the interface endpoints (HTTPS from the VPC). */
  readonly endpointSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: RegionNetworkProps) {
    super(scope, id);
    const t = props.topology;
    const region = t.regions.find((r) => r.name === props.region);
    if (!region) throw new Error(`RegionNetwork: region ${props.region} is not in topology ${t.name}`);
    this.region = region;
    const p = props.provider ? { provider: props.provider } : {};
    const name = `${t.name}-${region.name}`;
    const egress = props.egress ?? t.hosts.egress;

    this.vpc = new Vpc(this, 'vpc', {
      ...p,
      cidrBlock: region.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: name },
    });

    // Each attribute read makes a new cdktf token: read once.
    const vpcId = this.vpc.id;
    const subnetIds: Record<string, string> = {};
    const tables: RouteTable[] = [];
    const tableIds: string[] = [];
    let igw: InternetGateway | undefined;
    let publicTable: RouteTable | undefined;
    let publicTableId = '';
    if (egress === 'nat') {
      igw = new InternetGateway(this, 'igw', { ...p, vpcId, tags: { Name: name } });
      publicTable = new RouteTable(this, 'public', {
        ...p,
        vpcId,
        tags: { Name: `${name}-public` },
      });
      publicTableId = publicTable.id;
      new Route(this, 'public-default', {
        ...p,
        routeTableId: publicTableId,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: igw.id,
      });
    }
    for (const plan of region.subnets) {
      const priv = new Subnet(this, `private-${plan.az}`, {
        ...p,
        vpcId,
        availabilityZone: plan.az,
        cidrBlock: plan.privateCidr,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-private-${plan.az}`, 'pgtopo:tier': 'private' },
      });
      const privId = priv.id;
      subnetIds[plan.az] = privId;
      const table = new RouteTable(this, `private-rt-${plan.az}`, {
        ...p,
        vpcId,
        tags: { Name: `${name}-private-${plan.az}` },
      });
      const tableId = table.id;
      tableIds.push(tableId);
      new RouteTableAssociation(this, `private-rta-${plan.az}`, {
        ...p,
        subnetId: privId,
        routeTableId: tableId,
      });
      tables.push(table);
      if (igw && publicTable) {
        const pub = new Subnet(this, `public-${plan.az}`, {
          ...p,
          vpcId,
          availabilityZone: plan.az,
          cidrBlock: plan.publicCidr,
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-public-${plan.az}`, 'pgtopo:tier': 'public' },
        });
        const pubId = pub.id;
        new RouteTableAssociation(this, `public-rta-${plan.az}`, {
          ...p,
          subnetId: pubId,
          routeTableId: publicTableId,
        });
        const eip = new Eip(this, `nat-eip-${plan.az}`, {
          ...p,
          domain: 'vpc',
          tags: { Name: `${name}-nat-${plan.az}` },
        });
        const nat = new NatGateway(this, `nat-${plan.az}`, {
          ...p,
          allocationId: eip.allocationId,
          subnetId: pubId,
          tags: { Name: `${name}-${plan.az}` },
          dependsOn: [igw],
        });
        new Route(this, `private-default-${plan.az}`, {
          ...p,
          routeTableId: tableId,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: nat.id,
        });
      }
    }
    this.privateSubnetIds = subnetIds;
    this.privateRouteTables = tables;

    new VpcEndpoint(this, 'endpoint-s3', {
      ...p,
      vpcId,
      serviceName: `com.amazonaws.${region.name}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: tableIds,
      tags: { Name: `${name}-s3` },
    });
    this.endpointSecurityGroup = new SecurityGroup(this, 'endpoints-sg', {
      ...p,
      namePrefix: `${name}-endpoints-`,
      description: 'VPC interface endpoints: HTTPS from the VPC',
      vpcId,
      tags: { Name: `${name}-endpoints` },
    });
    const endpointSg = this.endpointSecurityGroup.id;
    new VpcSecurityGroupIngressRule(this, 'endpoints-https', {
      ...p,
      securityGroupId: endpointSg,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: region.cidr,
      description: 'HTTPS from the VPC',
    });
    const privateSubnets = region.subnets.map((s) => subnetIds[s.az]!);
    for (const service of props.interfaceEndpoints ?? interfaceEndpointsOf(props.topology)) {
      new VpcEndpoint(this, `endpoint-${service}`, {
        ...p,
        vpcId,
        serviceName: `com.amazonaws.${region.name}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: privateSubnets,
        securityGroupIds: [endpointSg],
        tags: { Name: `${name}-${service}` },
      });
    }
    protect(this);
  }
}

/** A TCP port or inclusive port range. */
export type PortSpec = number | readonly [number, number];

/** A source of ingress traffic: a CIDR, or another security group. */
export type Source = { readonly cidr: string } | { readonly securityGroupId: string };

/** The user's Prometheus servers in a region (`observability.prometheus`): the only sources of scrapes. */
export function prometheusSources(t: Topology, region: string): Source[] {
  return [
    ...t.observability.prometheus.allowedCidrs.map((c) => ({ cidr: c })),
    ...(t.observability.prometheus.allowedSecurityGroupIds[region] ?? []).map((s) => ({
      securityGroupId: s,
    })),
  ];
}

/** Adds one ingress rule per source to `securityGroupId` (TCP, `ports`). */
export function allowIngress(
  scope: Construct,
  id: string,
  props: {
    readonly securityGroupId: string;
    readonly ports: PortSpec;
    readonly sources: readonly Source[];
    readonly description: string;
    readonly provider?: TerraformProvider;
  },
): void {
  const [from, to] = typeof props.ports === 'number' ? [props.ports, props.ports] : props.ports;
  for (const [i, src] of props.sources.entries()) {
    new VpcSecurityGroupIngressRule(scope, `${id}-${i}`, {
      ...(props.provider ? { provider: props.provider } : {}),
      securityGroupId: props.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: from,
      toPort: to,
      ...('cidr' in src ? { cidrIpv4: src.cidr } : { referencedSecurityGroupId: src.securityGroupId }),
      description: props.description,
    });
  }
}

/** Allows all egress from a security group (Terraform removes AWS's default rule). */
export function allowAllEgress(
  scope: Construct,
  id: string,
  securityGroupId: string,
  provider?: TerraformProvider,
): void {
  new VpcSecurityGroupEgressRule(scope, id, {
    ...(provider ? { provider } : {}),
    securityGroupId,
    ipProtocol: '-1',
    cidrIpv4: '0.0.0.0/0',
    description: 'All egress (package mirrors through NAT, AWS APIs, peers)',
  });
}

/**
 * Region pairs that need a network path: a standby cluster and the cluster it
 * follows, the regions of one multi-region cluster, and every region holding
 * an etcd member or a member that uses that quorum with every etcd region.
 * Sorted, each pair ordered by the regions' order in the spec.
 */
export function peeredRegionPairs(t: Topology): [string, string][] {
  const order = new Map(t.regions.map((r) => [r.name, r.index]));
  const pairs = new Map<string, [string, string]>();
  const add = (a: string, b: string) => {
    if (a === b) return;
    const pair: [string, string] = order.get(a)! < order.get(b)! ? [a, b] : [b, a];
    pairs.set(pair.join(' '), pair);
  };
  for (const c of t.clusters) {
    for (const a of c.regions) for (const b of c.regions) add(a, b);
    const followed = t.clusters.find((x) => x.scope === c.follows);
    if (followed) for (const a of c.regions) for (const b of followed.regions) add(a, b);
  }
  for (const q of t.etcd) {
    const etcdRegions = [...new Set(q.members.map((m) => m.region))];
    const clientRegions = t.clusters.filter((c) => c.quorum === q.id).flatMap((c) => c.regions);
    for (const a of [...etcdRegions, ...clientRegions]) for (const b of etcdRegions) add(a, b);
  }
  return [...pairs.values()].sort(
    (x, y) => order.get(x[0])! - order.get(y[0])! || order.get(x[1])! - order.get(y[1])!,
  );
}

/** One side of a peering: the VPC, its CIDR and its private route tables. */
export interface PeeringSide {
  readonly region: string;
  readonly vpcId: string;
  readonly cidr: string;
  /** Private route tables that get a route to the other side. */
  readonly routeTableIds: readonly string[];
  /** Provider of the side's region. */
  readonly provider: TerraformProvider;
  /**
   * Names the side in construct ids and tags (two sides in one region need different labels).
   * @default the region
   */
  readonly label?: string;
}

export interface RegionPeeringProps {
  /** Side that requests the connection. */
  readonly requester: PeeringSide;
  /** Side that accepts it (in the same account). */
  readonly accepter: PeeringSide;
}

/**
 * VPC peering (across regions, or within one), accepted on the other side, with routes from every private
 * route table of each side to exactly the other side's CIDR.
 */
export class RegionPeering extends Construct {
  readonly connection: VpcPeeringConnection;

  constructor(scope: Construct, id: string, props: RegionPeeringProps) {
    super(scope, id);
    const { requester: a, accepter: b } = props;
    const [la, lb] = [a.label ?? a.region, b.label ?? b.region];
    this.connection = new VpcPeeringConnection(this, 'connection', {
      provider: a.provider,
      vpcId: a.vpcId,
      peerVpcId: b.vpcId,
      peerRegion: b.region,
      autoAccept: false,
      tags: { Name: `${la}<->${lb}` },
    });
    const connectionId = this.connection.id;
    const accepter = new VpcPeeringConnectionAccepterA(this, 'accepter', {
      provider: b.provider,
      vpcPeeringConnectionId: connectionId,
      autoAccept: true,
      tags: { Name: `${la}<->${lb}` },
    });
    a.routeTableIds.forEach((rt, i) => {
      new Route(this, `${la}-${i}`, {
        provider: a.provider,
        routeTableId: rt,
        destinationCidrBlock: b.cidr,
        vpcPeeringConnectionId: connectionId,
        dependsOn: [accepter],
      });
    });
    b.routeTableIds.forEach((rt, i) => {
      new Route(this, `${lb}-${i}`, {
        provider: b.provider,
        routeTableId: rt,
        destinationCidrBlock: a.cidr,
        vpcPeeringConnectionId: accepter.vpcPeeringConnectionId,
      });
    });
    protect(this);
  }
}
