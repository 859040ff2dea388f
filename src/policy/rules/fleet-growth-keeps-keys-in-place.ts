import { growthPlan } from '../../model/fleet-ownership.js';
import type { FleetRule } from './fleet-rule.js';

export const rule: FleetRule = {
  id: 'PGT-SHD-006',
  group: 'fleet',
  title: 'Doubling the shard count moves at most half the slots',
  severity: 'error',
  rationale:
    'Growth copies every moved slot over logical replication while the fleet serves. With virtual slots, ' +
    "going from N to 2N shards hands half of each shard's slots to a new shard and leaves the other half " +
    'in place. With fewer than 2N slots (or a lopsided assignment) a doubling must split slots, which means ' +
    'rehashing and moving nearly every row, or leaves new shards empty.',
  fix: 'Raise `strategy.slots` to at least twice the shard count (a power of two) and balance the assignments.',
  check(f) {
    const o = f.ownership;
    if (o.kind !== 'hash') return [];
    const n = f.shards.length;
    const plan = growthPlan(o, n, 2 * n);
    const empty = plan.owner.length < 2 * n;
    if (!empty && plan.moved.length <= o.slots / 2 && !plan.owner.includes(-1)) return [];
    return [
      {
        path: ['strategy', empty ? 'slots' : 'assignments'],
        found: empty
          ? `${o.slots} slot(s) for ${n} shard(s): doubling to ${2 * n} leaves shards without a slot`
          : `doubling to ${2 * n} shards moves ${plan.moved.length} of ${o.slots} slots`,
        expected: `at least ${2 * n} slots, and at most ${Math.floor(o.slots / 2)} moved by a doubling`,
      },
    ];
  },
};
