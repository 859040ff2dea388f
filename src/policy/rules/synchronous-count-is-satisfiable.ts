import { primaryCluster } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-003',
  group: 'patroni',
  title:
    'synchronous_node_count is between 1 and the sync-eligible standbys; strict mode has count + 1 of them in 2 AZs',
  severity: 'error',
  rationale:
    'Patroni can only make sync-eligible members (no `nosync`, not cascading) synchronous standbys. Asking for ' +
    'more than exist silently gives fewer, so the durability promise is not kept. In strict mode commits block ' +
    'whenever fewer standbys than requested are connected: with only `count` candidates, or all of them in one ' +
    'AZ, losing one member or AZ stops every write.',
  fix:
    'Lower `durability.synchronousNodeCount`, add sync-eligible members (remove `nosync`), or with ' +
    '`synchronousMode: strict` keep at least count + 1 candidates besides the leader in at least 2 AZs.',
  check(t) {
    const { synchronousMode: mode, synchronousNodeCount: count } = t.durability;
    const w = primaryCluster(t);
    if (mode === 'off' || !w) return [];
    const inW = t.members.filter((m) => m.cluster === w.scope);
    const sync = inW.filter((m) => m.syncEligible);
    const leaders = inW.filter((m) => m.failoverEligible);
    // The fewest candidates any possible leader leaves: itself excluded when it is sync-eligible.
    const fewest = sync.length - (leaders.some((m) => m.syncEligible) ? 1 : 0);
    const drafts: Draft[] = [];
    if (count < 1 || count > fewest) {
      drafts.push({
        path: ['durability', 'synchronousNodeCount'],
        found: `synchronous_node_count ${count} with ${Math.max(0, fewest)} sync-eligible standby(s) besides the leader`,
        expected: `a count between 1 and ${Math.max(1, fewest)}`,
      });
    }
    if (mode === 'strict') {
      const perAz = new Map<string, number>();
      for (const m of sync) perAz.set(m.az, (perAz.get(m.az) ?? 0) + 1);
      const weak = leaders.filter((l) => {
        const pool = sync.length - (l.syncEligible ? 1 : 0);
        const azs = perAz.size - (l.syncEligible && perAz.get(l.az) === 1 ? 1 : 0);
        return pool < count + 1 || azs < 2;
      });
      if (weak.length > 0) {
        drafts.push({
          path: ['durability', 'synchronousMode'],
          found: `strict mode with ${fewest} sync-eligible standby(s) in ${perAz.size} AZ(s) (weak when ${weak
            .map((m) => m.name)
            .join(', ')} lead)`,
          expected: `at least ${count + 1} sync-eligible standbys besides any leader, in at least 2 AZs`,
        });
      }
    }
    return drafts;
  },
};
