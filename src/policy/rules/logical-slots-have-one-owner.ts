import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-LOG-002',
  group: 'logical',
  title: 'Every logical slot has exactly one owner that keeps it across a failover',
  severity: 'error',
  rationale:
    'A logical slot lives on the primary only, unless something carries it to the standby that replaces it: ' +
    'Patroni drops slots it does not know, and before PostgreSQL 17 only its permanent slots (type logical) are ' +
    'copied to replicas; on 17, a slot created with `failover = true` is synchronized to standbys that run ' +
    '`sync_replication_slots`. A slot nobody owns, or owned the way the release cannot do, vanishes at the first ' +
    'failover, and the CDC feed or subscription on it silently loses every change made in between.',
  fix:
    "Declare the slot on the cluster that serves it (`logical.cdc[].slot`, or the publication's `subscriberSlots`) " +
    'so pgtopo owns it; subscribe to another cluster only on a slot that cluster owns (a pgtopo publisher declares ' +
    'it in `subscriberSlots`; a foreign publisher must keep a PostgreSQL 17 failover slot: `slotFailover: true`).',
  check(t) {
    const drafts: Draft[] = [];
    for (const p of t.logical) {
      for (const s of p.slots) {
        if (s.owner === 'postgres-failover' && !t.release.features.failoverSlots)
          drafts.push({
            path: s.path,
            target: s.name,
            found: `slot ${s.name} as a PostgreSQL failover slot on ${t.release.name} (PostgreSQL ${t.release.postgresMajor})`,
            expected: 'a Patroni permanent slot (failover slots need PostgreSQL 17)',
          });
        if (s.owner === 'postgres-failover' && !s.failover)
          drafts.push({
            path: s.path,
            target: s.name,
            found: `slot ${s.name} owned by PostgreSQL without failover = true`,
            expected: 'failover = true (synchronized to standbys)',
          });
      }
      for (const s of p.subscriptions) {
        const own = s.publisher.kind === 'cluster' && s.publisher.cluster === t.name;
        if (own && !p.slots.some((x) => x.name === s.slot && x.usedBy.kind === 'subscriber'))
          drafts.push({
            path: [...s.path, 'slot'],
            target: s.name,
            found: `slot ${s.slot} on this cluster, not declared in any publication's subscriberSlots`,
            expected: `${s.slot} in the subscriberSlots of ${s.publication}, so that this cluster owns it`,
          });
        if (s.publisher.kind === 'host' && !s.publisher.slotFailover)
          drafts.push({
            path: [...s.path, 'publisher'],
            target: s.name,
            found: `slot ${s.slot} on ${s.publisher.host}, a publisher pgtopo does not manage, without a failover slot`,
            expected:
              'a PostgreSQL 17 failover slot on the publisher (slotFailover: true), or a pgtopo publisher (cluster)',
          });
      }
    }
    return drafts;
  },
};
