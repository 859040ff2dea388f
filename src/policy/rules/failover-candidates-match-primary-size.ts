import { instanceCapacity, primaryCluster } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-011',
  group: 'patroni',
  title: 'Failover candidates are not smaller than the largest candidate (instance and storage)',
  severity: 'warning',
  rationale:
    "Any failover candidate may become the primary. A smaller instance cannot carry the primary's load after a " +
    'failover, and a smaller or slower data volume fills up or falls behind under it: the failover succeeds and ' +
    'the outage continues.',
  fix: 'Give every failover-eligible member of the writable cluster the same instance type and volume, or tag the smaller ones `nofailover`.',
  check(t) {
    const w = primaryCluster(t);
    if (!w) return [];
    const candidates = t.members.filter((m) => m.cluster === w.scope && m.failoverEligible);
    let largest: { name: string; type: string; capacity: number } | undefined;
    for (const m of candidates) {
      const capacity = instanceCapacity(m.instanceType);
      if (capacity !== undefined && (!largest || capacity > largest.capacity)) {
        largest = { name: m.name, type: m.instanceType, capacity };
      }
    }
    const size = Math.max(...candidates.map((m) => m.volume.sizeGiB));
    const iops = Math.max(...candidates.map((m) => m.volume.iops));
    const drafts: Draft[] = [];
    for (const m of candidates) {
      const capacity = instanceCapacity(m.instanceType);
      if (largest && capacity !== undefined && capacity < largest.capacity) {
        drafts.push({
          path: [...m.path, 'instanceType'],
          target: m.name,
          found: `${m.name} is ${m.instanceType}, ${largest.name} is ${largest.type}`,
          expected: `${largest.type} or larger`,
        });
      }
      if (m.volume.sizeGiB < size || m.volume.iops < iops) {
        drafts.push({
          path: [...m.path, 'volume'],
          target: m.name,
          found: `${m.name} has ${m.volume.sizeGiB} GiB / ${m.volume.iops} IOPS (largest candidate: ${size} GiB / ${iops} IOPS)`,
          expected: `at least ${size} GiB and ${iops} IOPS`,
        });
      }
    }
    return drafts;
  },
};
