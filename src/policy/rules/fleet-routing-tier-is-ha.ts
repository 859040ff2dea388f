import type { Topology } from '../../model/types.js';
import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

/** Members and AZs of a topology's writable (primary-region) cluster. */
function writableSpread(t: Topology): { members: number; azs: number } {
  const members = t.members.filter((m) => m.region === t.primaryRegion);
  return { members: members.length, azs: new Set(members.map((m) => m.az)).size };
}

export const MIN_ROUTING_MEMBERS = 3;
export const MIN_ROUTING_AZS = 3;

export const rule: FleetRule = {
  id: 'PGT-SHD-005',
  group: 'fleet',
  title: 'The catalog and the coordinator are HA: at least 3 members over at least 3 AZs',
  severity: 'error',
  rationale:
    'Every routed query reads the catalog (or the coordinator that carries its bounds): when it is down the ' +
    'whole fleet is down, however healthy the shards. One member is a single point of failure, and members ' +
    'in fewer than three AZs lose their quorum or their last candidate with one AZ.',
  fix: 'Give the catalog (and coordinator) cluster at least 3 members in 3 AZs of its primary region.',
  check(f) {
    const out: Draft[] = [];
    const tiers: [string, Topology][] = [['catalog', f.catalog]];
    if (f.coordinator !== f.catalog) tiers.push(['coordinator', f.coordinator]);
    for (const [role, t] of tiers) {
      const s = writableSpread(t);
      if (s.members < MIN_ROUTING_MEMBERS || s.azs < MIN_ROUTING_AZS) {
        const region = t.regions.find((r) => r.name === t.primaryRegion);
        out.push({
          path: [role, ...(region ? region.path : []), 'members'],
          target: role,
          found: `${role} ${t.name}: ${s.members} member(s) over ${s.azs} AZ(s) in ${t.primaryRegion}`,
          expected: `at least ${MIN_ROUTING_MEMBERS} members over at least ${MIN_ROUTING_AZS} AZs`,
        });
      }
    }
    return out;
  },
};
