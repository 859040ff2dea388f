import { HEALTH_PATHS, PORTS } from '../../model/constants.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-NET-004',
  group: 'network',
  title: `Writer targets are checked on Patroni's ${HEALTH_PATHS.writer}, readers on /replica with a lag bound, never plain TCP`,
  severity: 'error',
  rationale:
    'A TCP check passes on every running PostgreSQL, replica or not: the writer endpoint then sends writes to ' +
    'read-only replicas, and after a failover to the old primary too (a split brain if it has not yet been ' +
    `demoted). Patroni's REST API (port ${PORTS.patroniRest}) answers ${HEALTH_PATHS.writer} only on the leader ` +
    `and ${HEALTH_PATHS.reader(1048576)} only on replicas within the lag bound.`,
  fix: 'Remove `endpoints.healthCheckProtocol: tcp` (the default is http).',
  check(t) {
    if (t.endpoints.healthCheckProtocol === 'http') return [];
    return [
      {
        path: ['endpoints', 'healthCheckProtocol'],
        found: `${t.endpoints.healthCheckProtocol} health checks`,
        expected: `http on ${HEALTH_PATHS.writer} and ${HEALTH_PATHS.reader(t.endpoints.readerMaxLagBytes)}`,
      },
    ];
  },
};
