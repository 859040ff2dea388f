import { PEERINGS_PER_VPC, routingPaths } from '../../model/fleet-network.js';
import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-009',
  group: 'fleet',
  title: "A routing VPC's peerings fit AWS's quota",
  severity: 'warning',
  rationale:
    'The routing tier peers each routing VPC (the coordinator, a separate catalog) with the VPC of every ' +
    "shard's writer endpoint, on top of the peerings between the cluster's own regions. AWS allows " +
    `${PEERINGS_PER_VPC.default} active peerings per VPC by default and at most ${PEERINGS_PER_VPC.max}: above ` +
    'the default the deployment fails until the quota is raised; above the maximum it cannot be deployed.',
  fix: `Raise the "Active VPC peering connections per VPC" quota before deploying (at most ${PEERINGS_PER_VPC.max}); past that, split the fleet or route through a transit gateway.`,
  check(f) {
    const perVpc = new Map<
      string,
      { role: string; cluster: string; region: string; shards: number; own: number }
    >();
    for (const p of routingPaths(f)) {
      const key = `${p.from.cluster} ${p.from.region}`;
      const t = p.from.cluster === f.coordinator.name ? f.coordinator : f.catalog;
      const v = perVpc.get(key) ?? { ...p.from, shards: 0, own: t.regions.length - 1 };
      v.shards++;
      perVpc.set(key, v);
    }
    const out: Draft[] = [];
    for (const v of perVpc.values()) {
      const total = v.shards + v.own;
      if (total <= PEERINGS_PER_VPC.default) continue;
      out.push({
        path: ['shards'],
        target: v.cluster,
        severity: total > PEERINGS_PER_VPC.max ? 'error' : 'warning',
        found: `the ${v.role} ${v.cluster} in ${v.region}: ${total} VPC peerings (${v.shards} to shards, up to ${v.own} between its own regions)`,
        expected:
          total > PEERINGS_PER_VPC.max
            ? `at most ${PEERINGS_PER_VPC.max} (AWS's maximum)`
            : `at most ${PEERINGS_PER_VPC.default} (AWS's default quota), or a raised quota`,
      });
    }
    return out;
  },
};
