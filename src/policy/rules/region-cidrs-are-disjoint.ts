import { overlaps, parseCidr } from '../../spec/cidr.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-NET-005',
  group: 'network',
  title: 'Region CIDRs do not overlap',
  severity: 'error',
  rationale:
    'Regions are connected by peering or Transit Gateway, which refuse (or silently mis-route) overlapping ' +
    'ranges: replication, etcd and standby clusters across regions stop working, and fixed member addresses collide.',
  fix: "Give each region's `cidr` its own block (e.g. 10.10.0.0/16, 10.20.0.0/16).",
  check(t) {
    // Sorted by base address, a block overlaps an earlier one exactly when it starts before the furthest end so far.
    const blocks = t.regions
      .map((r) => ({ r, c: parseCidr(r.cidr) }))
      .sort((a, b) => a.c.base - b.c.base || a.c.prefix - b.c.prefix);
    const drafts: Draft[] = [];
    let reach: (typeof blocks)[number] | undefined;
    for (const b of blocks) {
      if (reach && overlaps(reach.c, b.c)) {
        drafts.push({
          path: [...b.r.path, 'cidr'],
          target: b.r.name,
          found: `${b.r.cidr} (${b.r.name}) overlaps ${reach.r.cidr} (${reach.r.name})`,
          expected: 'a CIDR no other region uses',
        });
      }
      if (!reach || b.c.base + 2 ** (32 - b.c.prefix) > reach.c.base + 2 ** (32 - reach.c.prefix)) reach = b;
    }
    return drafts;
  },
};
