import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-ETCD-004',
  group: 'etcd',
  title:
    "etcd heartbeat and election timeouts fit the inter-region round trip; an etcd election never outlasts Patroni's retry_timeout (error)",
  severity: 'warning',
  rationale:
    'etcd recommends a heartbeat interval around the round trip between members and an election timeout of at ' +
    'least ten round trips; across regions the defaults (100 ms / 1 s) cause spurious elections. etcd refuses to ' +
    'start when the election timeout is below five heartbeats. And an election can take up to twice the election ' +
    "timeout: if that reaches Patroni's retry_timeout, the primary demotes itself during every etcd election, an " +
    "outage of writes each time, so that is an error. pgtopo raises a profile's retry_timeout (and ttl) to fit the " +
    'derived election timeout; only a retry_timeout set in the spec can be too short.',
  fix:
    'Leave `dcs.heartbeatIntervalMs` and `dcs.electionTimeoutMs` unset (pgtopo derives them from ' +
    '`dcs.interRegionRttMs`), or set heartbeat >= 0.5 x RTT, election >= 10 x RTT and >= 5 x heartbeat, and keep ' +
    '2 x election timeout below `failover.retryTimeout` (or leave `failover.retryTimeout` unset: pgtopo derives it).',
  check(t) {
    const drafts: Draft[] = [];
    const retryMs = t.failover.timers.retryTimeout * 1000;
    for (const q of t.etcd) {
      const { heartbeatIntervalMs: hb, electionTimeoutMs: el } = q;
      if (el < 5 * hb) {
        drafts.push({
          path: ['dcs', 'electionTimeoutMs'],
          target: q.id,
          severity: 'error',
          found: `election timeout ${el} ms with heartbeat ${hb} ms in ${q.id} (etcd refuses to start)`,
          expected: `an election timeout of at least 5 x heartbeat = ${5 * hb} ms`,
        });
      }
      if (2 * el >= retryMs) {
        // pgtopo derives retry_timeout to fit (model/); only timers the spec sets can get here.
        drafts.push({
          path:
            t.spec.failover.retryTimeout !== undefined
              ? ['failover', 'retryTimeout']
              : ['dcs', 'electionTimeoutMs'],
          target: q.id,
          severity: 'error',
          found: `an etcd election in ${q.id} can take up to ${2 * el} ms, retry_timeout is ${retryMs} ms`,
          expected:
            'twice the election timeout below retry_timeout, so the primary survives an etcd election',
        });
      }
      const rtt = q.mode === 'stretched' ? q.interRegionRttMs : undefined;
      if (rtt === undefined) continue;
      if (hb < rtt / 2) {
        drafts.push({
          path: ['dcs', 'heartbeatIntervalMs'],
          target: q.id,
          found: `heartbeat ${hb} ms for an inter-region round trip of ${rtt} ms`,
          expected: `a heartbeat of at least ${Math.ceil(rtt / 2)} ms (0.5-1.5 x RTT)`,
        });
      }
      if (el < 10 * rtt) {
        drafts.push({
          path: ['dcs', 'electionTimeoutMs'],
          target: q.id,
          found: `election timeout ${el} ms for an inter-region round trip of ${rtt} ms`,
          expected: `an election timeout of at least 10 x RTT = ${10 * rtt} ms`,
        });
      }
    }
    return drafts;
  },
};
