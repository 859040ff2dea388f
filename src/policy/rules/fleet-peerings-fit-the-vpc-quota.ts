import {
  clustersByName,
  PEERINGS_PER_VPC,
  routingPaths,
  routingPeerings,
  vpcKey,
} from '../../model/fleet-network.js';
import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-009',
  group: 'fleet',
  title: "A fleet VPC's peerings fit AWS's quota",
  severity: 'warning',
  rationale:
    'The routing tier peers each routing VPC (the coordinator, a separate catalog) with the VPC of every ' +
    "shard's writer endpoint, and the two shards of each declared move, on top of the peerings between a " +
    `cluster's own regions. AWS allows ${PEERINGS_PER_VPC.default} active peerings per VPC by default and at ` +
    `most ${PEERINGS_PER_VPC.max}: above the default the deployment fails until the quota is raised; above the ` +
    'maximum it cannot be deployed.',
  fix: `Raise the "Active VPC peering connections per VPC" quota before deploying (at most ${PEERINGS_PER_VPC.max}); past that, split the fleet, move fewer shard pairs at once, or route through a transit gateway.`,
  check(f) {
    const clusters = clustersByName(f);
    const perVpc = new Map<string, { cluster: string; region: string; role: string; fleet: number }>();
    for (const p of routingPeerings(routingPaths(f))) {
      for (const [end, role] of [
        [p.from, p.from.role],
        [p.to, 'shard'],
      ] as const) {
        const v = perVpc.get(vpcKey(end)) ?? { cluster: end.cluster, region: end.region, role, fleet: 0 };
        v.fleet++;
        perVpc.set(vpcKey(end), v);
      }
    }
    const out: Draft[] = [];
    for (const v of perVpc.values()) {
      // Upper bound: a cluster's global stack peers its regions only where they replicate or share a quorum.
      const own = clusters.get(v.cluster)!.regions.length - 1;
      const total = v.fleet + own;
      if (total <= PEERINGS_PER_VPC.default) continue;
      out.push({
        path: v.role === 'shard' ? ['moves'] : ['shards'],
        target: v.cluster,
        severity: total > PEERINGS_PER_VPC.max ? 'error' : 'warning',
        found: `the ${v.role} ${v.cluster} in ${v.region}: ${total} VPC peerings (${v.fleet} in the routing tier, up to ${own} between its own regions)`,
        expected:
          total > PEERINGS_PER_VPC.max
            ? `at most ${PEERINGS_PER_VPC.max} (AWS's maximum)`
            : `at most ${PEERINGS_PER_VPC.default} (AWS's default quota), or a raised quota`,
      });
    }
    return out;
  },
};
