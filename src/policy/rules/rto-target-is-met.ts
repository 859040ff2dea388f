import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-NET-006',
  group: 'network',
  title: 'The predicted worst-case RTO of every automatic recovery is within failover.rtoTargetSeconds',
  severity: 'error',
  rationale:
    "The failure analysis predicts, for each single failure, how long until writes resume from Patroni's ttl, " +
    "loop_wait and retry_timeout, etcd's election timeout, the load balancer's health checks and, where the " +
    'writer name moves, DNS. A target the worst case does not meet is a promise the design cannot keep. ' +
    'Recoveries that need an operator (promoting a standby cluster) are not held to the target: their time ' +
    'depends on the human, and the analysis counts them from the decision.',
  fix: 'Use a faster `failover.profile`, shorter health checks (`failover.healthCheck`), or raise `failover.rtoTargetSeconds` to what the design can do.',
  check(t, ctx) {
    const target = t.failover.rtoTargetSeconds;
    if (target === undefined) return [];
    const drafts: Draft[] = [];
    for (const f of ctx.analysis().failures) {
      if (f.writable !== 'auto' || !f.rto || f.rto.worstSeconds <= target) continue;
      drafts.push({
        path: ['failover', 'rtoTargetSeconds'],
        target: f.id,
        found: `losing ${f.kind} ${f.id}: worst case ${f.rto.worstSeconds} s (${f.recovery})`,
        expected: `at most ${target} s`,
      });
    }
    return drafts;
  },
};
