import { parameterPath } from '../facts.js';
import { managedBy } from '../managed-parameters.js';
import { parameterProblem } from '../postgres-parameters.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PG-007',
  group: 'postgres',
  title: 'Known PostgreSQL parameters have values of their type, unit and range',
  severity: 'error',
  rationale:
    'Patroni writes `postgres.parameters` into postgresql.conf as they are. A value PostgreSQL cannot read (a ' +
    'word for a number, a memory unit on a time, a unit in the wrong case, a value out of range) stops the server ' +
    'at its next start, on every member at once, or is ignored with only a log line. pgtopo knows the type, base ' +
    "unit and range of the common parameters from PostgreSQL's own tables and checks them before any node boots.",
  fix:
    "Give the value in the parameter's type: a boolean as on/off, a number in the base unit or with a unit " +
    'PostgreSQL accepts (memory: B, kB, MB, GB, TB; time: us, ms, s, min, h, d; case matters), within its range.',
  check(t) {
    const drafts: Draft[] = [];
    for (const [name, value] of Object.entries(t.postgres.parameters)) {
      if (managedBy(name) !== undefined) continue; // PGT-PG-004 reports it
      const expected = parameterProblem(name, value);
      if (!expected) continue;
      drafts.push({ path: parameterPath(name), found: `${name} = ${JSON.stringify(value)}`, expected });
    }
    return drafts;
  },
};
