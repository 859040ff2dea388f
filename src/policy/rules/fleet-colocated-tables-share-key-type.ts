import type { Draft } from '../types.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-004',
  group: 'fleet',
  title: 'Colocated tables share the shard key type and the strategy',
  severity: 'error',
  rationale:
    'Colocation promises that rows with equal keys live on one shard, so joins on the key stay local. Keys ' +
    'of different types hash differently (text "42" and int4 42 land in different slots) and compare ' +
    'differently against range bounds, so the promise breaks and joins silently miss rows. A fleet has one ' +
    'strategy (one slot map, one set of bounds or one directory); the key type is what can still differ.',
  fix: 'Give every table of the colocation group the same `keyType` (and key column type), or split the group.',
  check(f) {
    const out: Draft[] = [];
    f.colocation.forEach((g, i) => {
      const tables = g.tables.flatMap((n) => f.tables.filter((t) => t.name === n));
      const first = tables[0];
      if (!first) return;
      tables.forEach((t) => {
        if (t.keyType !== first.keyType) {
          out.push({
            path: ['colocation', i, 'tables', g.tables.indexOf(t.name)],
            target: g.name,
            found: `${t.name}.${t.key} is ${t.keyType}, ${first.name}.${first.key} is ${first.keyType}`,
            expected: `every table of group ${g.name} keyed by ${first.keyType}`,
          });
        }
      });
    });
    return out;
  },
};
