/**
 * How clients reach a regional cluster: an internal NLB whose target groups
 * follow Patroni's leader by health-checking the REST API, and private DNS
 * names for the writer and the readers.
 */
import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment/index.js';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { HEALTH_PATHS, PORTS } from '../model/constants.js';
import type { Cluster, Member, Topology } from '../model/types.js';
import { protect } from './guard.js';
import type { PatroniFirewall } from './member.js';
import { allowIngress, type Source } from './network.js';

/** The health-check path of a cluster's writer target group: `/primary`, or `/standby-leader` for a standby cluster. */
export function writerHealthPath(c: Cluster): string {
  return c.role === 'standby' ? HEALTH_PATHS.standbyLeader : HEALTH_PATHS.writer;
}

/** A listener of the cluster's load balancer. */
export interface EndpointListener {
  readonly key: 'writer' | 'reader' | 'writerPooled' | 'readerPooled';
  /** Port clients connect to (PORTS.writer, reader, writerPooled, readerPooled). */
  readonly port: number;
  /** Port on the members (PostgreSQL or PgBouncer). */
  readonly targetPort: number;
  readonly role: 'writer' | 'reader';
}

/** Listeners of a cluster's NLB: PostgreSQL always, PgBouncer when the spec's pooler is pgbouncer. */
export function endpointListeners(t: Topology): EndpointListener[] {
  const direct: EndpointListener[] = [
    { key: 'writer', port: PORTS.writer, targetPort: PORTS.postgres, role: 'writer' },
    { key: 'reader', port: PORTS.reader, targetPort: PORTS.postgres, role: 'reader' },
  ];
  if (t.endpoints.pooler !== 'pgbouncer') return direct;
  return [
    ...direct,
    { key: 'writerPooled', port: PORTS.writerPooled, targetPort: PORTS.pgbouncer, role: 'writer' },
    { key: 'readerPooled', port: PORTS.readerPooled, targetPort: PORTS.pgbouncer, role: 'reader' },
  ];
}

/** NLB health-check timeout: below the interval, within the 2-10 s NLB range. */
export const healthCheckTimeout = (intervalSeconds: number): number =>
  Math.max(2, Math.min(10, intervalSeconds - 1));

export interface ClusterEndpointsProps {
  readonly topology: Topology;
  /** Patroni scope of the cluster. */
  readonly cluster: string;
  readonly vpcId: string;
  /** Private subnet id per AZ of the load balancer's region. */
  readonly subnetIds: Readonly<Record<string, string>>;
  /** The members' firewall: it gets ingress from the load balancer's security group. */
  readonly firewall: PatroniFirewall;
  /**
   * Where the writer and reader records go: `{ zoneId }` of an existing private
   * zone, `'own-zone'` to create the spec's private zone associated with this VPC,
   * or `'none'` (the caller creates them, e.g. in a zone shared by all regions).
   * @default 'own-zone'
   */
  readonly dns?: { readonly zoneId: string } | 'own-zone' | 'none';
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * Internal NLB in the cluster's first region, across every AZ holding members,
 * cross-zone, deletion-protected, behind its own security group; writer and
 * reader target groups (IP targets, so members of a multi-region cluster in a
 * peered VPC count too, with client IP preservation) health-checked over HTTP(S) on Patroni's REST port:
 * `/primary` (or `/standby-leader`) and `/replica?lag=<readerMaxLagBytes>`.
 * Listeners: writer 5432, reader 5433, and with PgBouncer 6432 and 6433.
 */
export class ClusterEndpoints extends Construct {
  readonly cluster: Cluster;
  readonly loadBalancer: Lb;
  readonly securityGroup: SecurityGroup;
  readonly targetGroups: Readonly<Partial<Record<EndpointListener['key'], LbTargetGroup>>>;
  readonly zone?: Route53Zone;

  constructor(scope: Construct, id: string, props: ClusterEndpointsProps) {
    super(scope, id);
    const t = props.topology;
    const c = t.clusters.find((x) => x.scope === props.cluster);
    if (!c) throw new Error(`ClusterEndpoints: cluster ${props.cluster} is not in topology ${t.name}`);
    this.cluster = c;
    const p = props.provider;
    const pp = p ? { provider: p } : {};
    const home = c.regions[0]!;
    const members = c.members.map((n) => t.members.find((m) => m.name === n)!);
    const local = members.filter((m) => m.region === home);
    const azs = [...new Set(local.map((m) => m.az))];

    this.securityGroup = new SecurityGroup(this, 'sg', {
      ...pp,
      namePrefix: `${c.scope}-nlb-`,
      description: `Load balancer of ${c.scope}`,
      vpcId: props.vpcId,
      tags: { Name: `${c.scope}-nlb` },
    });
    const listeners = endpointListeners(t);
    const sg = this.securityGroup.id;
    const clients: Source[] = [
      ...t.security.allowedCidrs.map((x) => ({ cidr: x })),
      // Security group ids are regional: only the groups of the load balancer's own region.
      ...(t.security.allowedSecurityGroupIds[home] ?? []).map((x) => ({ securityGroupId: x })),
    ];
    const followers = t.members.filter(
      (m) => t.clusters.find((x) => x.scope === m.cluster)?.follows === c.scope,
    );
    for (const l of listeners) {
      if (clients.length > 0)
        allowIngress(this, `clients-${l.port}`, {
          securityGroupId: sg,
          ports: l.port,
          sources: clients,
          description: `Allowed clients to the ${l.key} listener`,
          ...pp,
        });
    }
    if (followers.length > 0) {
      allowIngress(this, 'standby-clusters', {
        securityGroupId: sg,
        ports: PORTS.writer,
        sources: followers.map((m) => ({ cidr: `${m.privateIp}/32` })),
        description: 'Standby clusters replicating from the writer endpoint',
        ...pp,
      });
    }
    const targetPorts = [...new Set([...listeners.map((l) => l.targetPort), PORTS.patroniRest])];
    const membersSg = props.firewall.securityGroup.id;
    for (const port of targetPorts) {
      new VpcSecurityGroupEgressRule(this, `to-members-${port}`, {
        ...pp,
        securityGroupId: sg,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        referencedSecurityGroupId: membersSg,
        description: 'Targets and health checks',
      });
      for (const m of members.filter((x) => x.region !== home)) {
        new VpcSecurityGroupEgressRule(this, `to-${m.name}-${port}`, {
          ...pp,
          securityGroupId: sg,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrIpv4: `${m.privateIp}/32`,
          description: `Target ${m.name} in ${m.region}`,
        });
      }
    }
    props.firewall.allowFrom('nlb', sg, targetPorts, `Load balancer of ${c.scope}`);

    this.loadBalancer = new Lb(this, 'nlb', {
      ...pp,
      loadBalancerType: 'network',
      internal: t.endpoints.internal,
      subnets: azs.map((az) => {
        const s = props.subnetIds[az];
        if (!s) throw new Error(`ClusterEndpoints: no subnet for ${az}`);
        return s;
      }),
      securityGroups: [sg],
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: true,
      ipAddressType: 'ipv4',
      tags: { Name: `${c.scope}`, 'pgtopo:cluster': c.scope },
    });

    const hc = t.failover.healthCheck;
    const tls = t.security.tls;
    const groups: Partial<Record<EndpointListener['key'], LbTargetGroup>> = {};
    const lbArn = this.loadBalancer.arn;
    for (const l of listeners) {
      const path =
        l.role === 'writer' ? writerHealthPath(c) : HEALTH_PATHS.reader(t.endpoints.readerMaxLagBytes);
      const http = t.endpoints.healthCheckProtocol === 'http';
      const tg = new LbTargetGroup(this, `tg-${l.key}`, {
        ...pp,
        namePrefix: l.role === 'writer' ? 'pgw-' : 'pgr-',
        port: l.targetPort,
        protocol: 'TCP',
        targetType: 'ip',
        vpcId: props.vpcId,
        // Members see the client's address, so pg_hba's client networks (render) mean what they say.
        preserveClientIp: 'true',
        deregistrationDelay: '5',
        connectionTermination: true,
        healthCheck: http
          ? {
              enabled: true,
              protocol: tls ? 'HTTPS' : 'HTTP',
              port: String(PORTS.patroniRest),
              path,
              matcher: '200',
              interval: hc.intervalSeconds,
              timeout: healthCheckTimeout(hc.intervalSeconds),
              healthyThreshold: hc.healthyThreshold,
              unhealthyThreshold: hc.unhealthyThreshold,
            }
          : {
              enabled: true,
              protocol: 'TCP',
              port: 'traffic-port',
              interval: hc.intervalSeconds,
              healthyThreshold: hc.healthyThreshold,
              unhealthyThreshold: hc.unhealthyThreshold,
            },
        tags: { Name: `${c.scope}-${l.key}`, 'pgtopo:cluster': c.scope, 'pgtopo:endpoint': l.key },
        lifecycle: { createBeforeDestroy: true },
      });
      groups[l.key] = tg;
      const tgArn = tg.arn;
      for (const m of members) this.attach(tgArn, l, m, home, pp);
      new LbListener(this, `listener-${l.key}`, {
        ...pp,
        loadBalancerArn: lbArn,
        port: l.port,
        protocol: 'TCP',
        defaultAction: [{ type: 'forward', targetGroupArn: tgArn }],
        tags: { Name: `${c.scope}-${l.key}` },
      });
    }
    this.targetGroups = groups;

    const dns = props.dns ?? 'own-zone';
    if (dns !== 'none') {
      let zoneId: string;
      if (dns === 'own-zone') {
        this.zone = new Route53Zone(this, 'zone', {
          ...pp,
          name: t.endpoints.zone,
          comment: `pgtopo ${t.name}: writer and reader names`,
          vpc: [{ vpcId: props.vpcId }],
        });
        zoneId = this.zone.zoneId;
      } else {
        zoneId = dns.zoneId;
      }
      endpointRecords(this, 'records', {
        zoneId,
        names: t.endpoints.names[c.scope]!,
        target: { dnsName: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId },
        ...pp,
      });
    }
    protect(this);
  }

  private attach(
    tgArn: string,
    l: EndpointListener,
    m: Member,
    home: string,
    pp: { provider?: TerraformProvider },
  ) {
    new LbTargetGroupAttachment(this, `${l.key}-${m.name}`, {
      ...pp,
      targetGroupArn: tgArn,
      targetId: m.privateIp,
      port: l.targetPort,
      // Members of the cluster in another (peered) region are IP targets outside the VPC.
      ...(m.region !== home ? { availabilityZone: 'all' } : {}),
    });
  }
}

/** Alias records for a cluster's writer and reader names, pointing at its load balancer. */
export function endpointRecords(
  scope: Construct,
  id: string,
  props: {
    readonly zoneId: string;
    readonly names: { readonly writer: string; readonly reader: string };
    readonly target: { readonly dnsName: string; readonly zoneId: string };
    readonly provider?: TerraformProvider;
  },
): Route53Record[] {
  return (['writer', 'reader'] as const).map(
    (role) =>
      new Route53Record(scope, `${id}-${role}`, {
        ...(props.provider ? { provider: props.provider } : {}),
        zoneId: props.zoneId,
        name: props.names[role],
        type: 'A',
        alias: { name: props.target.dnsName, zoneId: props.target.zoneId, evaluateTargetHealth: true },
      }),
  );
}
