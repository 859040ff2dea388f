/**
 * PostgresTopology: one spec in, every stack out.
 *
 * Stacks and their order (`cdktf deploy` follows the dependencies itself):
 *   1. `<name>-<region>`, one per region, independent of each other: network
 *      and VPC endpoints, the region's cluster key, WAL archive bucket, its
 *      AWS Private CA (`security.ca.mode: aws-private-ca`), etcd
 *      members, Patroni members, the cluster's NLB and alarms. Each can be
 *      planned and deployed without touching another region.
 *   2. `<name>-global`, after every region stack (it reads their outputs): VPC
 *      peering and routes between regions that replicate or share a quorum,
 *      the private DNS zone (associated with every VPC) with writer/reader
 *      records and the global writer name, the dataset's secrets (replicated to
 *      every region under each region's cluster key), and the archive
 *      replication from the primary region's bucket to each copy region's, and
 *      (AWS Private CA) each region's trust bundle of every region's CA certificate.
 * Nodes boot as soon as their region stack is applied and wait (bounded
 * retries) for the secrets, peers and DNS names the global stack creates.
 */

import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone/index.js';
import { Route53ZoneAssociation } from '@cdktf/provider-aws/lib/route53-zone-association/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { Annotations, App, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { NODE_METRICS, NODE_TAGS } from '../model/constants.js';
import { tryLoad, tryResolve } from '../model/load.js';
import type { Topology } from '../model/types.js';
import { type Finding, type PolicyReport, ruleById, runPolicy } from '../policy/index.js';
import { bootableHosts, usesPrivateCa } from '../render/index.js';
import { formatPath, SpecError } from '../spec/issues.js';
import type { Locator } from '../spec/parse.js';
import type { TopologySpecInput } from '../spec/schema.js';
import { ClusterAlarms } from './alarms.js';
import { ArchiveReplication, WalArchive } from './archive.js';
import { RegionCertificateAuthority, TrustBundle } from './ca.js';
import { ClusterEndpoints, endpointRecords } from './endpoints.js';
import { EtcdQuorum } from './etcd.js';
import { ClusterKey } from './kms.js';
import { PatroniFirewall, PatroniMember } from './member.js';
import { archiveBucketName, clusterKeyAlias, globalStackId, regionStackId, secretPrefix } from './names.js';
import { peeredRegionPairs, RegionNetwork, RegionPeering } from './network.js';
import { ClusterSecrets } from './secrets.js';
import {
  type AccountFacts,
  accountFacts,
  type BackendFactory,
  defaultBackend,
  localRef,
  offlinePlan,
  regionProvider,
  remoteOutputs,
  type S3StateOptions,
  s3Backend,
} from './stack.js';

export interface PostgresTopologyProps {
  /** The topology spec: a TypeScript object (the schema's input type) or the path of a YAML/JSON file. */
  readonly spec: TopologySpecInput | string;
  /**
   * Clock for waiver expiry in the policy run.
   * @default the current time
   */
  readonly now?: Date;
  /**
   * Remote state in S3 for every stack, one key each (`<prefix>/<stack>.tfstate`; the bucket's region
   * defaults to the spec's primary region); the global stack reads the region stacks' outputs from it.
   * Exclusive with `backend`.
   * @default local state (see `backend`)
   */
  readonly state?: S3StateOptions;
  /**
   * State backend of each stack, for any other backend. Exclusive with `state`.
   * @default local state next to the output directory (`<outdir>/../terraform.<stack>.tfstate`)
   */
  readonly backend?: BackendFactory;
  /**
   * Image per region (AMI ids are regional): an AMI id or `resolve:ssm:<parameter>`.
   * @default the spec's `hosts.imageId` where set, else the node release's image from Debian's public SSM parameter in every region
   */
  readonly images?: Readonly<Record<string, string>>;
  /**
   * Other stacks reach this topology's endpoints (a fleet's routing tier, see fleet-routing.ts): the private
   * zone keeps only its first VPC inline and associates the others as separate resources (ignoring inline
   * changes, so another stack's association of its own VPC is not undone), and the stacks output what the
   * routing tier reads: the zone id (global stack) and each load balancer's security group (region stacks).
   * @default false
   */
  readonly routable?: boolean;
}

/** One policy finding as an annotation message: the rule id, spec path, found/expected and fix of `pgtopo check`. */
export function findingMessage(f: Finding): string {
  const title = ruleById(f.ruleId)?.title;
  return `${f.ruleId} ${formatPath(f.path)}${title ? `: ${title}` : ''}. found: ${f.found}; expected: ${f.expected}; fix: ${f.fix}`;
}

/** Names of a region stack's outputs the global stack reads. */
export const REGION_OUTPUTS = {
  vpcId: 'vpc_id',
  routeTables: 'private_route_table_ids',
  endpoints: 'endpoints',
  archiveKeyArn: 'archive_key_arn',
  caCertificate: 'tls_ca_certificate',
  /** Routable topologies only: each cluster's load balancer security group by scope. */
  endpointSecurityGroups: 'endpoint_security_group_ids',
} as const;

/** Names of a global stack's outputs a fleet's routing tier reads (routable topologies only). */
export const GLOBAL_OUTPUTS = { zoneId: 'zone_id' } as const;

/** Everything of one region. */
export class RegionStack extends TerraformStack {
  readonly region: string;
  readonly provider: AwsProvider;
  readonly facts: AccountFacts;
  readonly clusterKey: ClusterKey;
  readonly network: RegionNetwork;
  readonly firewall: PatroniFirewall;
  readonly archive?: WalArchive;
  readonly members: Readonly<Record<string, PatroniMember>>;
  readonly etcd: readonly EtcdQuorum[];
  readonly endpoints: Readonly<Record<string, ClusterEndpoints>>;
  /** The region's AWS Private CA (`security.ca.mode: aws-private-ca` only). */
  readonly certificateAuthority?: RegionCertificateAuthority;

  constructor(
    scope: Construct,
    t: Topology,
    region: string,
    backend: BackendFactory,
    imageId?: string,
    routable = false,
  ) {
    const id = regionStackId(t, region);
    super(scope, id);
    backend(this, id);
    offlinePlan(this);
    this.region = region;
    this.provider = regionProvider(this, 'aws', {
      region,
      tags: { [NODE_TAGS.topology]: t.name, [NODE_TAGS.region]: region, 'pgtopo:stack': id },
    });
    this.facts = accountFacts(this);
    const { partition, accountId } = this.facts;
    const logGroupName = NODE_METRICS.logGroup(t.name);
    const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}`;
    this.clusterKey = new ClusterKey(this, 'cluster-key', {
      alias: clusterKeyAlias(t, region),
      description: `pgtopo ${t.name} in ${region}: data volumes, secrets, alarms`,
      region,
      services: [
        { service: 'ec2' },
        {
          service: 'secretsmanager',
          encryptionContext: {
            key: 'SecretARN',
            like: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${secretPrefix(t)}*`,
          },
        },
      ],
      allowCloudWatchAlarms: true,
      logGroupArn,
    });
    const clusterKeyArn = this.clusterKey.arn;
    new CloudwatchLogGroup(this, 'metrics', {
      name: logGroupName,
      retentionInDays: 30,
      kmsKeyId: clusterKeyArn,
    });
    this.network = new RegionNetwork(this, 'network', { topology: t, region });
    const vpcId = this.network.vpc.id;
    const subnetIds = this.network.privateSubnetIds;
    this.firewall = new PatroniFirewall(this, 'members-firewall', { topology: t, region, vpcId });
    const memberSecurityGroupId = this.firewall.securityGroup.id;
    if (t.archive.enabled) this.archive = new WalArchive(this, 'archive', { topology: t, region });
    if (usesPrivateCa(t)) {
      this.certificateAuthority = new RegionCertificateAuthority(this, 'node-ca', { topology: t, region });
    }
    const ca = this.certificateAuthority ? { certificateAuthorityArn: this.certificateAuthority.arn } : {};

    const etcd: EtcdQuorum[] = [];
    for (const q of t.etcd.filter((x) => x.members.some((e) => e.region === region))) {
      etcd.push(
        new EtcdQuorum(this, `etcd-${q.id}`, {
          topology: t,
          quorum: q.id,
          region,
          vpcId,
          subnetIds,
          memberSecurityGroupId,
          kmsKeyArn: clusterKeyArn,
          ...ca,
          ...(imageId ? { imageId } : {}),
        }),
      );
    }
    this.etcd = etcd;
    const members: Record<string, PatroniMember> = {};
    for (const m of t.members.filter((x) => x.region === region)) {
      members[m.name] = new PatroniMember(this, `member-${m.name}`, {
        topology: t,
        member: m.name,
        subnetId: subnetIds[m.az]!,
        securityGroupIds: [memberSecurityGroupId],
        kmsKeyArn: clusterKeyArn,
        ...ca,
        ...(imageId ? { imageId } : {}),
      });
    }
    this.members = members;

    const topicArn =
      t.observability.alarms.snsTopicArns[region] ??
      new SnsTopic(this, 'alarms-topic', {
        name: `${t.name}-${region}-alarms`,
        kmsMasterKeyId: clusterKeyArn,
      }).arn;
    const endpoints: Record<string, ClusterEndpoints> = {};
    for (const c of t.clusters.filter((x) => x.regions[0] === region)) {
      const e = new ClusterEndpoints(this, `endpoints-${c.scope}`, {
        topology: t,
        cluster: c.scope,
        vpcId,
        subnetIds,
        firewall: this.firewall,
        dns: 'none',
      });
      endpoints[c.scope] = e;
      new ClusterAlarms(this, `alarms-${c.scope}`, {
        topology: t,
        cluster: c.scope,
        loadBalancer: {
          arnSuffix: e.loadBalancer.arnSuffix,
          writerTargetGroupArnSuffix: e.targetGroups.writer!.arnSuffix,
        },
        topicArn,
      });
    }
    this.endpoints = endpoints;
    // A cluster stretched into this region: alarms on the metrics its members here publish.
    for (const c of t.clusters.filter((x) => x.regions[0] !== region && x.regions.includes(region))) {
      new ClusterAlarms(this, `alarms-${c.scope}`, { topology: t, cluster: c.scope, region, topicArn });
    }

    new TerraformOutput(this, REGION_OUTPUTS.vpcId, { value: vpcId });
    new TerraformOutput(this, REGION_OUTPUTS.routeTables, {
      value: this.network.privateRouteTables.map((rt) => rt.id),
    });
    new TerraformOutput(this, REGION_OUTPUTS.endpoints, {
      value: Object.fromEntries(
        Object.entries(endpoints).map(([scope, e]) => [
          scope,
          { dns_name: e.loadBalancer.dnsName, zone_id: e.loadBalancer.zoneId },
        ]),
      ),
    });
    if (routable) {
      new TerraformOutput(this, REGION_OUTPUTS.endpointSecurityGroups, {
        value: Object.fromEntries(Object.entries(endpoints).map(([scope, e]) => [scope, e.securityGroup.id])),
      });
    }
    if (this.archive) new TerraformOutput(this, REGION_OUTPUTS.archiveKeyArn, { value: this.archive.keyArn });
    if (this.certificateAuthority) {
      new TerraformOutput(this, REGION_OUTPUTS.caCertificate, {
        value: this.certificateAuthority.certificatePem,
      });
    }
  }
}

/** Placeholder outputs of a region stack for offline plans (shape of the real ones). */
export function placeholderOutputs(t: Topology, region: string, routable = false): Record<string, unknown> {
  const r = t.regions.find((x) => x.name === region)!;
  const slug = region.replace(/-/g, '');
  return {
    [REGION_OUTPUTS.vpcId]: `vpc-offline${slug}`,
    [REGION_OUTPUTS.routeTables]: r.subnets.map((_, i) => `rtb-offline${slug}${i}`),
    [REGION_OUTPUTS.endpoints]: Object.fromEntries(
      t.clusters
        .filter((c) => c.regions[0] === region)
        .map((c) => [
          c.scope,
          { dns_name: `${c.scope}.elb.${region}.amazonaws.com`, zone_id: 'ZOFFLINEPLAN0' },
        ]),
    ),
    [REGION_OUTPUTS.archiveKeyArn]: `arn:aws:kms:${region}:000000000000:key/00000000-0000-0000-0000-000000000000`,
    ...(routable
      ? {
          [REGION_OUTPUTS.endpointSecurityGroups]: Object.fromEntries(
            t.clusters
              .filter((c) => c.regions[0] === region)
              .map((c, i) => [c.scope, `sg-offline${slug}${i}`]),
          ),
        }
      : {}),
    ...(usesPrivateCa(t)
      ? {
          [REGION_OUTPUTS.caCertificate]: `-----BEGIN CERTIFICATE-----\nOFFLINE ${region}\n-----END CERTIFICATE-----`,
        }
      : {}),
  };
}

/** What spans regions: peering, private DNS, the dataset's secrets, archive replication. */
export class GlobalStack extends TerraformStack {
  readonly providers: Readonly<Record<string, AwsProvider>>;
  readonly zone: Route53Zone;
  readonly secrets: ClusterSecrets;
  readonly replication?: ArchiveReplication;

  constructor(
    scope: Construct,
    t: Topology,
    regionStacks: Readonly<Record<string, RegionStack>>,
    backend: BackendFactory,
    routable = false,
  ) {
    const id = globalStackId(t);
    super(scope, id);
    backend(this, id);
    offlinePlan(this);
    const providers: Record<string, AwsProvider> = {};
    for (const r of t.regions) {
      providers[r.name] = regionProvider(this, `aws-${r.name}`, {
        region: r.name,
        alias: r.name,
        tags: { [NODE_TAGS.topology]: t.name, [NODE_TAGS.region]: r.name, 'pgtopo:stack': id },
      });
    }
    this.providers = providers;
    const home = providers[t.primaryRegion]!;
    const { partition } = accountFacts(this, home);
    const outputs = Object.fromEntries(
      t.regions.map((r) => [
        r.name,
        remoteOutputs(this, `region-${r.name}`, regionStacks[r.name]!, placeholderOutputs(t, r.name)),
      ]),
    );
    const out = (region: string, ...path: (string | number)[]) => localRef(outputs[region]!, ...path);

    for (const [a, b] of peeredRegionPairs(t)) {
      const side = (region: string) => {
        const r = t.regions.find((x) => x.name === region)!;
        return {
          region,
          vpcId: out(region, REGION_OUTPUTS.vpcId),
          cidr: r.cidr,
          routeTableIds: r.subnets.map((_, i) => out(region, REGION_OUTPUTS.routeTables, i)),
          provider: providers[region]!,
        };
      };
      new RegionPeering(this, `peering-${a}-${b}`, { requester: side(a), accepter: side(b) });
    }

    const zoneVpcs = t.regions.map((r) => ({ vpcId: out(r.name, REGION_OUTPUTS.vpcId), vpcRegion: r.name }));
    this.zone = new Route53Zone(this, 'zone', {
      provider: home,
      name: t.endpoints.zone,
      comment: `pgtopo ${t.name}: writer and reader names of every cluster`,
      // Routable: a private zone is created with one VPC; the rest are associations of their own, and other
      // stacks' associations (the fleet's routing tier) are not undone by this stack's next apply.
      vpc: routable ? zoneVpcs.slice(0, 1) : zoneVpcs,
      ...(routable ? { lifecycle: { ignoreChanges: ['vpc'] } } : {}),
    });
    if (routable) {
      const zoneId = this.zone.zoneId;
      for (const v of zoneVpcs.slice(1)) {
        new Route53ZoneAssociation(this, `zone-${v.vpcRegion}`, { provider: home, zoneId, ...v });
      }
      new TerraformOutput(this, GLOBAL_OUTPUTS.zoneId, { value: zoneId });
    }
    for (const c of t.clusters) {
      const region = c.regions[0]!;
      endpointRecords(this, `records-${c.scope}`, {
        provider: home,
        zoneId: this.zone.zoneId,
        names: t.endpoints.names[c.scope]!,
        target: {
          dnsName: out(region, REGION_OUTPUTS.endpoints, c.scope, 'dns_name'),
          zoneId: out(region, REGION_OUTPUTS.endpoints, c.scope, 'zone_id'),
        },
      });
    }
    const primary = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion));
    if (primary) {
      new Route53Record(this, 'global-writer', {
        provider: home,
        zoneId: this.zone.zoneId,
        name: t.endpoints.globalWriter,
        type: 'CNAME',
        ttl: t.endpoints.dnsTtlSeconds,
        records: [t.endpoints.names[primary.scope]!.writer],
      });
    }

    this.secrets = new ClusterSecrets(this, 'secrets', { topology: t, provider: home });
    if (usesPrivateCa(t)) {
      // Every node trusts every region's CA: a standby region's node verifies the primary's and back.
      const certificates = t.regions.map((r) => out(r.name, REGION_OUTPUTS.caCertificate));
      for (const r of t.regions) {
        new TrustBundle(this, `tls-trust-${r.name}`, {
          topology: t,
          certificates,
          provider: providers[r.name]!,
        });
      }
    }

    const copies = t.archive.copyTo.filter((r) => r !== t.primaryRegion);
    if (t.archive.enabled && copies.length > 0) {
      const ref = (region: string) => {
        const bucketName = archiveBucketName(t, region);
        return {
          region,
          bucketName,
          bucketArn: `arn:${partition}:s3:::${bucketName}`,
          keyArn: out(region, REGION_OUTPUTS.archiveKeyArn),
        };
      };
      this.replication = new ArchiveReplication(this, 'archive-replication', {
        topology: t,
        source: ref(t.primaryRegion),
        copies: copies.map(ref),
        provider: home,
      });
    }
  }
}

/** Each stack's backend: `props.backend`, S3 from `props.state`, else local state. */
function stackBackend(props: PostgresTopologyProps, t: Topology): BackendFactory {
  if (props.backend && props.state) {
    throw new Error('PostgresTopology: give `state` (S3 remote state) or `backend`, not both');
  }
  if (props.state) return s3Backend({ ...props.state, region: props.state.region ?? t.primaryRegion });
  return props.backend ?? defaultBackend;
}

/**
 * The entry point (create it in the App: its stacks become the App's children):
 * takes a spec (object or file), validates it (schema and
 * model: an invalid spec throws SpecError listing every issue), runs the
 * policy rules and creates one stack per region plus the global stack. Every
 * unwaived policy error becomes an error annotation on every stack (so no
 * stack of an unsafe layout deploys), warnings an annotation on the stack they
 * concern; `cdktf synth` then fails with the rule ids and messages of
 * `pgtopo check`. Resource-level rules also run over what each stack
 * synthesizes (see guard.ts).
 */
export class PostgresTopology extends Construct {
  readonly topology: Topology;
  /** Lines and columns of spec paths, when the spec came from a file. */
  readonly locate?: Locator;
  readonly policy: PolicyReport;
  readonly regionStacks: Readonly<Record<string, RegionStack>>;
  readonly globalStack: GlobalStack;

  constructor(scope: Construct, id: string, props: PostgresTopologyProps) {
    super(scope, id);
    const resolved = typeof props.spec === 'string' ? tryLoad(props.spec) : tryResolve(props.spec);
    if (!resolved.ok) throw new SpecError(resolved.issues);
    const t = resolved.topology;
    this.topology = t;
    if (resolved.locate) this.locate = resolved.locate;
    this.policy = runPolicy(t, props.now ? { now: props.now } : {});
    const backend = stackBackend(props, t);
    // Stacks are children of the App itself: the cdktf CLI orders deploys by stack names, which a
    // stack nested in another construct would not match.
    const app = App.of(this);
    const stacks: Record<string, RegionStack> = {};
    for (const r of t.regions)
      stacks[r.name] = new RegionStack(app, t, r.name, backend, props.images?.[r.name], props.routable);
    this.regionStacks = stacks;
    this.globalStack = new GlobalStack(app, t, stacks, backend, props.routable);

    const all: TerraformStack[] = [...Object.values(stacks), this.globalStack];
    for (const f of this.policy.findings) {
      if (f.waived) continue;
      const message = findingMessage(f);
      if (f.severity === 'error') {
        for (const s of all) Annotations.of(s).addError(message);
      } else {
        const region =
          f.path[0] === 'regions' && typeof f.path[1] === 'number' ? t.regions[f.path[1]]?.name : undefined;
        Annotations.of(region ? stacks[region]! : this.globalStack).addWarning(message);
      }
    }
  }

  /** Every host that boots from rendered user data (members and dedicated etcd nodes). */
  get hosts(): string[] {
    return bootableHosts(this.topology);
  }
}
