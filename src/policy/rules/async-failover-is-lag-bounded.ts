import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-008',
  group: 'patroni',
  title: 'Asynchronous clusters bound failover data loss with maximum_lag_on_failover',
  severity: 'warning',
  rationale:
    'Without synchronous replication, a failover promotes whichever replica is healthiest, however far behind. ' +
    "Patroni's maximum_lag_on_failover refuses candidates further behind than a bound; `rpo: async` declares " +
    'that no bound applies, so any failover may lose an unknown amount of acknowledged commits.',
  fix: 'Use `durability.rpo: bounded` (with `failover.maximumLagOnFailover`, default 1 MiB) or `zero-in-region`.',
  check(t) {
    if (t.durability.synchronousMode !== 'off' || t.durability.rpo !== 'async') return [];
    return [
      {
        path: ['durability', 'rpo'],
        found: 'rpo async without synchronous replication: failover data loss is unbounded',
        expected: `rpo bounded (maximum_lag_on_failover ${t.failover.timers.maximumLagOnFailover} bytes) or zero-in-region`,
      },
    ];
  },
};
