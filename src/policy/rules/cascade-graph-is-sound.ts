import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-006',
  group: 'patroni',
  title: 'Cascading replication is acyclic, stays in one region and is at most postgres.maxCascadeDepth deep',
  severity: 'error',
  rationale:
    'A member that streams from another replica (`replicateFrom`) depends on it: a cycle means none of them ' +
    'ever receives WAL, an upstream in another region doubles cross-region traffic and breaks when the link ' +
    'does, and every extra hop adds lag and another member whose loss starves the ones below it.',
  fix:
    'Point `replicateFrom` at a member of the same region that follows the leader (or one level deeper), ' +
    'remove cycles, or raise `postgres.maxCascadeDepth` (at most 3).',
  check(t) {
    const byName = new Map(t.members.map((m) => [m.name, m]));
    const max = t.postgres.maxCascadeDepth;
    const drafts: Draft[] = [];
    for (const m of t.members) {
      if (m.replicateFrom === undefined) continue;
      const path = [...m.path, 'replicateFrom'];
      const up = byName.get(m.replicateFrom);
      if (!up) {
        drafts.push({
          path,
          target: m.name,
          found: `unknown member ${m.replicateFrom}`,
          expected: 'a member of the spec',
        });
      } else if (up.region !== m.region) {
        drafts.push({
          path,
          target: m.name,
          found: `${m.name} (${m.region}) streams from ${up.name} in ${up.region}`,
          expected: `an upstream in ${m.region}`,
        });
      }
      if (!Number.isFinite(m.cascadeDepth)) {
        drafts.push({
          path,
          target: m.name,
          found: `${m.name} is in a replicateFrom cycle`,
          expected: 'a chain that ends at a member following the leader',
        });
      } else if (m.cascadeDepth > max) {
        drafts.push({
          path,
          target: m.name,
          found: `${m.name} is ${m.cascadeDepth} hops below the leader`,
          expected: `at most ${max} (postgres.maxCascadeDepth)`,
        });
      }
    }
    return drafts;
  },
};
