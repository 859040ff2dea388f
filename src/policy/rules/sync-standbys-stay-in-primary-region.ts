import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-005',
  group: 'patroni',
  title: 'No sync-eligible member outside the primary region unless durability.allowCrossRegionSync',
  severity: 'error',
  rationale:
    'A synchronous standby in another region adds an inter-region round trip to every commit and stalls writes ' +
    'whenever the link hiccups. It is sometimes wanted (zero RPO across regions), but never by accident: a ' +
    'stretched DCS that joins regions into the primary cluster makes their members sync-eligible unless tagged.',
  fix:
    'Tag members outside the primary region `nosync: true`, or set `durability.allowCrossRegionSync: true` if ' +
    'cross-region synchronous commits are intended.',
  check(t) {
    // Without synchronous mode nobody is a synchronous standby: sync-eligibility outside the region is moot.
    if (t.durability.synchronousMode === 'off' || t.durability.allowCrossRegionSync) return [];
    return t.members
      .filter((m) => m.syncEligible && m.region !== t.primaryRegion)
      .map((m) => ({
        path: [...m.path, 'tags'],
        target: m.name,
        found: `${m.name} in ${m.region} is sync-eligible (primary region ${t.primaryRegion})`,
        expected: 'tags.nosync: true, or durability.allowCrossRegionSync: true',
      }));
  },
};
