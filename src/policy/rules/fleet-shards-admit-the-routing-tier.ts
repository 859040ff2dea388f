import { routingPaths } from '../../model/fleet-network.js';
import { contains, parseCidr } from '../../spec/cidr.js';
import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-008',
  group: 'fleet',
  title: "The shards' client networks admit the routing tier",
  severity: 'error',
  rationale:
    "The coordinator's postgres_fdw servers (and a separate catalog) connect to each shard's writer endpoint " +
    "from their own VPC, as a move's target shard connects to its source's, and the load balancer preserves " +
    'their address: the routing tier opens the path ' +
    "(peering, routes, load balancer ingress on the writer port), but the shard's pg_hba admits only its " +
    '`security.allowedCidrs` (and its own VPC). A routing VPC outside them is refused at login: every routed ' +
    'query fails though the network is open.',
  fix: "Add the routing clusters' VPC CIDRs and, for moves, the shards' (or a private range that holds them) to the template's `security.allowedCidrs`.",
  check(f) {
    const out: Draft[] = [];
    const seen = new Set<string>();
    for (const p of routingPaths(f)) {
      const shard = f.shards[p.to.shard]!.topology;
      const from = parseCidr(p.from.cidr);
      const admitted = shard.security.allowedCidrs.some((c) => contains(parseCidr(c), from));
      if (admitted || seen.has(p.from.cidr)) continue;
      seen.add(p.from.cidr);
      out.push({
        path: ['template', 'security', 'allowedCidrs'],
        target: p.from.cluster,
        found: `the shards admit ${shard.security.allowedCidrs.join(', ') || 'no client CIDR'}; the ${p.from.role} ${p.from.cluster} connects from ${p.from.cidr} (${p.from.region})`,
        expected: `a client CIDR holding ${p.from.cidr}`,
      });
    }
    return out;
  },
};
