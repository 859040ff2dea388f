/**
 * A fleet's routing tier on AWS: the network paths from the coordinator (and a separate catalog) to every
 * shard's writer endpoint, and from the target of each declared move to its source shard's writer
 * (model/fleet-network.ts `routingPaths`), one stack per region paths start in, `<fleet>-routing-<region>`,
 * deployed after the clusters' own stacks (it reads their outputs):
 *   - a VPC peering from the routing cluster's VPC to the VPC of each shard's writer endpoint, accepted on
 *     the shard's side (cross-region where the shard's writer runs elsewhere);
 *   - routes for exactly the peer's CIDR in every private route table of both VPCs;
 *   - ingress to the shard's load balancer security group on the writer port only (the port the
 *     coordinator's postgres_fdw servers dial), from the routing VPC's CIDR only;
 *   - the shard's private zone associated with the routing VPC, so the writer names resolve there.
 */
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Route53ZoneAssociation } from '@cdktf/provider-aws/lib/route53-zone-association/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { type TerraformLocal, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { NODE_TAGS } from '../model/constants.js';
import type { Fleet } from '../model/fleet.js';
import { clustersByName, type RoutingPath, routingPaths, routingPeerings } from '../model/fleet-network.js';
import type { Topology } from '../model/types.js';
import { protect } from './guard.js';
import { globalStackId, regionStackId } from './names.js';
import { RegionPeering } from './network.js';
import { type BackendFactory, localRef, offlinePlan, regionProvider, remoteOutputsOf } from './stack.js';
import { GLOBAL_OUTPUTS, placeholderOutputs, REGION_OUTPUTS } from './topology.js';

/** Stack id of the routing tier's stack in `region`. */
export const routingStackId = (f: Fleet, region: string): string => `${f.name}-routing-${region}`;

/** The regions that get a routing stack: every region a path starts in (routing clusters, move targets), in path order. */
export function routingRegions(f: Fleet): string[] {
  return [...new Set(routingPaths(f).map((p) => p.from.region))];
}

/**
 * The routing tier in one region: peering, routes, load balancer ingress and zone associations for every
 * routing path that starts there. Reads the routing clusters' and the shards' stack outputs through their
 * backends (placeholders with `offline_plan`).
 */
export class RoutingTierStack extends TerraformStack {
  readonly paths: readonly RoutingPath[];

  /**
   * @param backendOf the state backend of a cluster's stacks; the routing stack keeps its own state with
   * the coordinator's backend.
   */
  constructor(scope: Construct, f: Fleet, region: string, backendOf: (t: Topology) => BackendFactory) {
    const id = routingStackId(f, region);
    super(scope, id);
    backendOf(f.coordinator)(this, id);
    offlinePlan(this);
    this.paths = routingPaths(f).filter((p) => p.from.region === region);
    const clusters = clustersByName(f);
    const providers = new Map<string, AwsProvider>();
    const provider = (r: string) => {
      let p = providers.get(r);
      if (!p) {
        p = regionProvider(this, r === region ? 'aws' : `aws-${r}`, {
          region: r,
          ...(r === region ? {} : { alias: r }),
          tags: { 'pgtopo:fleet': f.name, [NODE_TAGS.region]: r, 'pgtopo:stack': id },
        });
        providers.set(r, p);
      }
      return p;
    };
    provider(region);
    const reads = new Map<string, TerraformLocal>();
    /** A region stack's (or with `global`, the global stack's) outputs. */
    const outputs = (cluster: string, r: string | 'global') => {
      const t = clusters.get(cluster)!;
      const stackId = r === 'global' ? globalStackId(t) : regionStackId(t, r);
      let local = reads.get(stackId);
      if (!local) {
        const placeholder =
          r === 'global'
            ? { [GLOBAL_OUTPUTS.zoneId]: `ZOFFLINE${cluster.replace(/[^a-z0-9]/g, '').toUpperCase()}` }
            : placeholderOutputs(t, r, true);
        local = remoteOutputsOf(this, stackId, { stackId, backend: backendOf(t) }, placeholder);
        reads.set(stackId, local);
      }
      return local;
    };
    const side = (cluster: string, r: string, cidr: string, label: string) => {
      const t = clusters.get(cluster)!;
      const subnets = t.regions.find((x) => x.name === r)!.subnets;
      const o = outputs(cluster, r);
      return {
        region: r,
        label,
        vpcId: localRef(o, REGION_OUTPUTS.vpcId),
        cidr,
        routeTableIds: subnets.map((_, i) => localRef(o, REGION_OUTPUTS.routeTables, i)),
        provider: provider(r),
      };
    };

    // Each peering lives in the stack of the path that first joins its two VPCs (see routingPeerings).
    for (const p of routingPeerings(routingPaths(f)).filter((x) => x.from.region === region)) {
      new RegionPeering(this, `peering-${p.from.cluster}-to-${p.to.cluster}`, {
        requester: side(p.from.cluster, region, p.from.cidr, p.from.cluster),
        accepter: side(p.to.cluster, p.to.region, p.to.cidr, p.to.cluster),
      });
    }
    for (const p of this.paths) {
      const key = `${p.from.cluster}-to-${p.to.cluster}`;
      const fromVpcId = localRef(outputs(p.from.cluster, region), REGION_OUTPUTS.vpcId);
      const shard = clusters.get(p.to.cluster)!;
      // A shard whose clients include exactly this CIDR has the rule already (its own stack opens every
      // listener to it): AWS refuses a duplicate rule.
      if (!shard.security.allowedCidrs.includes(p.from.cidr)) {
        new VpcSecurityGroupIngressRule(this, `ingress-${key}`, {
          provider: provider(p.to.region),
          securityGroupId: localRef(
            outputs(p.to.cluster, p.to.region),
            REGION_OUTPUTS.endpointSecurityGroups,
            p.to.scope,
          ),
          ipProtocol: 'tcp',
          fromPort: p.port,
          toPort: p.port,
          cidrIpv4: p.from.cidr,
          description: `Routing tier ${p.from.cluster} (${p.from.region}) to the writer of ${p.to.cluster}`,
        });
      }
      new Route53ZoneAssociation(this, `zone-${key}`, {
        provider: provider(shard.primaryRegion),
        zoneId: localRef(outputs(p.to.cluster, 'global'), GLOBAL_OUTPUTS.zoneId),
        vpcId: fromVpcId,
        vpcRegion: region,
      });
    }
    protect(this);
  }
}
