import { integerKey, slotList } from '../../model/fleet-ownership.js';
import { slotRange } from '../../spec/fleet-kind.js';
import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-002',
  group: 'fleet',
  title: 'Every slot, range or tenant belongs to exactly one shard',
  severity: 'error',
  rationale:
    'A key whose slot has no owner cannot be written; a key whose slot (or range, or tenant) has two owners ' +
    'is written to one shard and read from the other, so rows seem lost and unique keys stop being unique ' +
    'across the fleet. Ranges must ascend strictly so they neither overlap nor leave a gap.',
  fix:
    'Hash: list each slot in exactly one of `strategy.assignments` (or drop them for equal blocks). Range: ' +
    'make `strategy.bounds` strictly ascending. Directory: list each tenant once.',
  check(f) {
    const o = f.ownership;
    const out: Draft[] = [];
    if (o.kind === 'hash') {
      const unowned: number[] = [];
      const doubled: number[] = [];
      o.owners.forEach((c, slot) => {
        if (c.length === 0) unowned.push(slot);
        else if (new Set(c).size > 1 || c.length > 1) doubled.push(slot);
      });
      if (unowned.length > 0) {
        out.push({
          path: ['strategy', 'assignments'],
          found: `${unowned.length} slot(s) without a shard: ${slotList(unowned)}`,
          expected: `every slot 0-${o.slots - 1} assigned to one shard`,
        });
      }
      if (doubled.length > 0) {
        const first = f.spec.strategy.kind === 'hash' ? (f.spec.strategy.assignments ?? []) : [];
        const i = first.findIndex((a) => {
          const [from, to] = slotRange(a.slots);
          return doubled[0]! >= from && doubled[0]! <= to;
        });
        out.push({
          path: ['strategy', 'assignments', ...(i >= 0 ? [i] : [])],
          found: `${doubled.length} slot(s) assigned more than once: ${slotList(doubled)}`,
          expected: 'each slot assigned to exactly one shard',
        });
      }
    } else if (o.kind === 'range') {
      const bounds = f.spec.strategy.kind === 'range' ? f.spec.strategy.bounds : [];
      const numeric = f.tables.some((t) => integerKey(t.keyType));
      for (let i = 1; i < bounds.length; i++) {
        const a = bounds[i - 1]!;
        const b = bounds[i]!;
        const ascending = numeric ? Number(a) < Number(b) : String(a) < String(b);
        if (!ascending) {
          out.push({
            path: ['strategy', 'bounds', i],
            found: `bound ${JSON.stringify(b)} after ${JSON.stringify(a)}`,
            expected: `a bound above ${JSON.stringify(a)} (bounds strictly ascending)`,
          });
        }
      }
    } else {
      const seen = new Map<string, number>();
      o.tenants.forEach((t, i) => {
        const before = seen.get(t.tenant);
        if (before !== undefined) {
          out.push({
            path: ['strategy', 'tenants', i, 'tenant'],
            found: `tenant ${JSON.stringify(t.tenant)} listed again (first at tenants[${before}])`,
            expected: 'each tenant listed once',
          });
        } else seen.set(t.tenant, i);
      });
    }
    return out;
  },
};
