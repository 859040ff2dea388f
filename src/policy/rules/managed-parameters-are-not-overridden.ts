import { parameterPath } from '../facts.js';
import { managedBy } from '../managed-parameters.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PG-004',
  group: 'postgres',
  title:
    'Managed parameters (archive/restore commands, primary_conninfo, synchronous_standby_names, port, listen_addresses, ssl) are not set by hand',
  severity: 'error',
  rationale:
    "Patroni, pgBackRest and pgtopo's renderers set these from the topology. A value in `postgres.parameters` " +
    'either is overwritten without notice or wins and breaks replication, WAL archiving, synchronous commit ' +
    'or TLS, typically on the next failover.',
  fix: 'Remove the parameter from `postgres.parameters`; change the spec field that controls it instead.',
  check(t) {
    return Object.keys(t.postgres.parameters)
      .map((name) => ({ name, by: managedBy(name) }))
      .filter((p): p is { name: string; by: string } => p.by !== undefined)
      .map(({ name, by }) => ({
        path: parameterPath(name),
        found: `${name} set in postgres.parameters`,
        expected: `no ${name}: it is managed by ${by}`,
        fix: `Remove postgres.parameters.${name}; it is managed by ${by}.`,
      }));
  },
};
