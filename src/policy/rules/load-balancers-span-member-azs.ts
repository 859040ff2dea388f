import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-NET-003',
  group: 'network',
  title: 'Load balancers span every AZ that holds members, and at least 2 AZs',
  severity: 'error',
  rationale:
    'The regional writer and reader load balancers get a node in each subnet they span. A member in an AZ ' +
    'the load balancer does not span can be promoted but not reached, and a load balancer in a single AZ ' +
    "goes down with it, taking the surviving members' endpoint along.",
  fix: "List at least two AZs in each region's `azs`, including every AZ a member uses.",
  check(t) {
    const drafts: Draft[] = [];
    const memberAzs = new Map<string, Set<string>>();
    for (const m of t.members) memberAzs.set(m.region, (memberAzs.get(m.region) ?? new Set()).add(m.az));
    for (const r of t.regions) {
      const spanned = new Set(r.subnets.map((s) => s.az));
      const missing = [...(memberAzs.get(r.name) ?? [])].filter((az) => !spanned.has(az));
      if (spanned.size >= 2 && missing.length === 0) continue;
      drafts.push({
        path: [...r.path, 'azs'],
        target: r.name,
        found:
          missing.length > 0
            ? `members in ${missing.join(', ')}, outside the load balancer's AZs (${[...spanned].join(', ')})`
            : `load balancers in ${spanned.size} AZ (${[...spanned].join(', ')})`,
        expected: 'load balancers in every member AZ, at least 2',
      });
    }
    return drafts;
  },
};
