import { PORTS } from '../../model/constants.js';
import type { Draft, Rule } from '../types.js';

/** Which spec lists open which sensitive ports (see SENSITIVE_PORTS). */
const SOURCES = [
  { field: 'allowedCidrs', ports: [PORTS.postgres, PORTS.pgbouncer] },
  { field: 'adminCidrs', ports: [PORTS.ssh, PORTS.patroniRest] },
] as const;

export const rule: Rule = {
  id: 'PGT-NET-001',
  group: 'network',
  title: `Nothing from 0.0.0.0/0 reaches PostgreSQL, PgBouncer, the Patroni API, etcd or SSH`,
  severity: 'error',
  rationale:
    `Ports ${PORTS.postgres}, ${PORTS.pgbouncer}, ${PORTS.patroniRest}, ${PORTS.etcdClient}, ${PORTS.etcdPeer} and ` +
    `${PORTS.ssh} give control of the database or the cluster: the Patroni REST API can trigger a failover, etcd ` +
    'holds the leader key. Open to the internet they are scanned within minutes and brute-forced for weeks. ' +
    "pgtopo never opens etcd to client CIDRs; the spec's CIDR lists must not open the rest to everyone.",
  fix: 'Replace 0.0.0.0/0 in `security.allowedCidrs` / `security.adminCidrs` with the client or VPN ranges, or use `allowedSecurityGroupIds`.',
  check(t) {
    const drafts: Draft[] = [];
    for (const { field, ports } of SOURCES) {
      t.security[field].forEach((cidr, i) => {
        if (!cidr.endsWith('/0')) return;
        drafts.push({
          path: ['security', field, i],
          found: `${cidr} reaches ports ${ports.join(', ')}`,
          expected: 'specific client or administration ranges',
        });
      });
    }
    return drafts;
  },
};
