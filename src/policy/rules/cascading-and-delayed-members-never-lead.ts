import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-007',
  group: 'patroni',
  title: 'Cascading and delayed members are tagged nosync and nofailover',
  severity: 'error',
  rationale:
    'A cascading replica is a hop behind and a delayed replica is deliberately hours behind: promoting either ' +
    "loses data (a delayed replica also rewinds the application's view of time), and neither can acknowledge " +
    'commits as a synchronous standby. Patroni only knows this from the tags.',
  fix: 'Set `tags: { nosync: true, nofailover: true }` on members with `replicateFrom` or `recoveryMinApplyDelay`.',
  check(t) {
    return t.members
      .filter((m) => m.replicateFrom !== undefined || (m.recoveryMinApplyDelaySeconds ?? 0) > 0)
      .filter((m) => !m.tags.nosync || m.failoverEligible)
      .map((m) => ({
        path: [...m.path, 'tags'],
        target: m.name,
        found: `${m.name} (${m.replicateFrom !== undefined ? 'cascading' : 'delayed'}) has ${[
          m.tags.nosync ? undefined : 'no nosync',
          m.failoverEligible ? 'no nofailover' : undefined,
        ]
          .filter(Boolean)
          .join(' and ')}`,
        expected: 'tags.nosync: true and tags.nofailover: true',
      }));
  },
};
