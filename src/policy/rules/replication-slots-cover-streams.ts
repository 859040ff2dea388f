import { effectiveCmdlineParameter, parameterPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

/** WAL senders and slots kept free for a pg_basebackup of a new or rebuilt replica (WAL streamed alongside). */
export const REPLICATION_HEADROOM = 2;

export const rule: Rule = {
  id: 'PGT-PG-001',
  group: 'postgres',
  title:
    'max_wal_senders and max_replication_slots cover every downstream stream and logical slot plus headroom',
  severity: 'error',
  rationale:
    'Every replica that streams from a member takes a WAL sender on it and, under Patroni, a replication slot; ' +
    "a standby cluster takes one on the primary's leader, and every logical slot (CDC feed, subscriber) one more. When they run out, the next replica (or the one " +
    'rebuilt after a failover) cannot connect, and a pg_basebackup to replace a lost member fails exactly when ' +
    'redundancy is already reduced.',
  fix: `Raise \`postgres.parameters.max_wal_senders\` and \`max_replication_slots\` to the busiest upstream's streams + ${REPLICATION_HEADROOM}.`,
  check(t) {
    // Streams out of the busiest member: a leader feeds every member of its cluster that follows the leader,
    // the members cascading from it, and each standby cluster that follows it; a cascade upstream feeds its children.
    const children = new Map<string, number>();
    for (const m of t.members) {
      if (m.replicateFrom !== undefined)
        children.set(m.replicateFrom, (children.get(m.replicateFrom) ?? 0) + 1);
    }
    const direct = new Map<string, { count: number; children: number }>();
    for (const m of t.members) {
      if (m.replicateFrom !== undefined) continue;
      const d = direct.get(m.cluster) ?? { count: 0, children: 0 };
      d.count++;
      d.children = Math.max(d.children, children.get(m.name) ?? 0);
      direct.set(m.cluster, d);
    }
    const followers = new Map<string, number>();
    for (const c of t.clusters) if (c.follows) followers.set(c.follows, (followers.get(c.follows) ?? 0) + 1);
    let busiest = 0;
    let where = '';
    for (const c of t.clusters) {
      const d = direct.get(c.scope) ?? { count: 0, children: 0 };
      // Logical slots (CDC feeds, other clusters' subscriptions) take a slot and a sender on the leader too.
      const logical = t.logical.find((p) => p.cluster === c.scope)?.slots.length ?? 0;
      const streams = Math.max(0, d.count - 1) + d.children + (followers.get(c.scope) ?? 0) + logical;
      if (streams > busiest) {
        busiest = streams;
        where = `the leader of ${c.scope}`;
      }
    }
    for (const [name, n] of children) {
      if (n > busiest) {
        busiest = n;
        where = name;
      }
    }
    const needed = busiest + REPLICATION_HEADROOM;
    const drafts: Draft[] = [];
    for (const p of ['max_wal_senders', 'max_replication_slots'] as const) {
      const have = effectiveCmdlineParameter(t, p);
      if (have >= needed) continue;
      drafts.push({
        path: parameterPath(p),
        found: `${p} ${have} for ${busiest} stream(s) out of ${where}`,
        expected: `at least ${needed} (streams + ${REPLICATION_HEADROOM})`,
      });
    }
    return drafts;
  },
};
