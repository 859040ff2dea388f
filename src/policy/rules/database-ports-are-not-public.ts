import { PORTS, PROMETHEUS_PORTS } from '../../model/constants.js';
import type { Topology } from '../../model/types.js';
import {
  type Cidr,
  describePublicCount,
  isWorldOpenIpv4,
  parseCidr,
  publicIpv4Count,
  WORLD_OPEN_IPV4_ADDRESSES,
} from '../../spec/cidr.js';
import type { PathSegment } from '../../spec/issues.js';
import type { Draft, Rule } from '../types.js';

/** Which spec lists open which ports (see SENSITIVE_PORTS; the exporters show the database's state). */
const SOURCES: readonly {
  readonly path: readonly PathSegment[];
  readonly ports: readonly number[];
  readonly cidrs: (t: Topology) => readonly string[];
}[] = [
  {
    path: ['security', 'allowedCidrs'],
    ports: [PORTS.postgres, PORTS.pgbouncer],
    cidrs: (t) => t.security.allowedCidrs,
  },
  {
    path: ['security', 'adminCidrs'],
    ports: [PORTS.ssh, PORTS.patroniRest],
    cidrs: (t) => t.security.adminCidrs,
  },
  {
    path: ['observability', 'prometheus', 'allowedCidrs'],
    ports: PROMETHEUS_PORTS,
    cidrs: (t) => t.observability.prometheus.allowedCidrs,
  },
];

export const rule: Rule = {
  id: 'PGT-NET-001',
  group: 'network',
  title: `Nothing from the internet (0.0.0.0/0, or ranges that together cover a /8 of public space) reaches PostgreSQL, PgBouncer, the Patroni API, etcd, SSH or the metrics ports`,
  severity: 'error',
  rationale:
    `Ports ${PORTS.postgres}, ${PORTS.pgbouncer}, ${PORTS.patroniRest}, ${PORTS.etcdClient}, ${PORTS.etcdPeer} and ` +
    `${PORTS.ssh} give control of the database or the cluster: the Patroni REST API can trigger a failover, etcd ` +
    'holds the leader key. Open to the internet they are scanned within minutes and brute-forced for weeks. ' +
    "pgtopo never opens etcd to client CIDRs; the spec's CIDR lists must not open the rest to everyone. The metrics " +
    `ports (${PROMETHEUS_PORTS.join(', ')}) open to \`observability.prometheus.allowedCidrs\` include the Patroni API and ` +
    "tell an attacker the cluster's state, so that list is judged with the others. " +
    'The lists are judged as address sets: every CIDR is parsed (leading zeros, `/00`, host bits) and the union of ' +
    `all allowed, admin and Prometheus ranges counts as world-open when it covers at least ${WORLD_OPEN_IPV4_ADDRESSES} public ` +
    "addresses (a /8's worth; private, shared, loopback, link-local, documentation, multicast and reserved space " +
    "do not count). No one organisation's clients need that much public space; a range that large is shared by an ISP's " +
    "or a cloud provider's unrelated customers. Two halves of the internet are as open as 0.0.0.0/0.",
  fix: 'Replace the wide ranges in `security.allowedCidrs` / `security.adminCidrs` / `observability.prometheus.allowedCidrs` with the client, VPN or Prometheus ranges, or use the matching `allowedSecurityGroupIds`. A legacy holder of a whole /8 waives the finding with a reason.',
  check(t) {
    const entries = SOURCES.flatMap(({ path, ports, cidrs }) =>
      cidrs(t).map((text, i) => ({ field: path, ports, text, i, cidr: parseCidr(text) })),
    );
    const drafts: Draft[] = [];
    const describe = (cidrs: readonly Cidr[]) => describePublicCount(publicIpv4Count(cidrs));
    // An entry that is world-open on its own is named where it stands.
    const alone = entries.filter((e) => isWorldOpenIpv4([e.cidr]));
    for (const e of alone) {
      drafts.push({
        path: [...e.field, e.i],
        found: `${e.text} (${describe([e.cidr])}) reaches ports ${e.ports.join(', ')}`,
        expected: 'specific client or administration ranges',
      });
    }
    if (alone.length > 0 || !isWorldOpenIpv4(entries.map((e) => e.cidr))) return drafts;
    // Ranges that are each narrow but together cover public space.
    const wide = entries.filter((e) => publicIpv4Count([e.cidr]) > 0n);
    const fields = [...new Set(wide.map((e) => e.field))];
    const path: PathSegment[] =
      fields.length === 1 || fields.some((f) => f[0] !== 'security') ? [...fields[0]!] : ['security'];
    const ports = [...new Set(wide.flatMap((e) => e.ports))].sort((a, b) => a - b);
    const named = wide.slice(0, 4).map((e) => e.text);
    if (wide.length > 4) named.push('...');
    const total = describe(entries.map((e) => e.cidr));
    drafts.push({
      path,
      found: `${wide.length} range(s) (${named.join(', ')}) together cover ${total}, reaching ports ${ports.join(', ')}`,
      expected: `together fewer than ${WORLD_OPEN_IPV4_ADDRESSES} public addresses (less than a /8's worth)`,
    });
    return drafts;
  },
};
