import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-LOG-004',
  group: 'logical',
  title: 'CDC feeds and subscriptions connect to the writer endpoint over TLS',
  severity: 'error',
  rationale:
    'A logical slot exists on the primary (and, as a synchronized or permanent copy, on standbys that cannot ' +
    'stream from it until promoted): a consumer pinned to a member or a reader endpoint stops at the first ' +
    'failover, while the writer endpoint follows the primary. Logical replication carries every row of the ' +
    "published tables and the replication role's password: without TLS both cross the network in clear text.",
  fix: 'Keep `security.tls: true`; point subscriptions at the publisher cluster (or its writer endpoint), never a reader.',
  check(t) {
    const drafts: Draft[] = [];
    for (const p of t.logical) {
      const consumers = p.feeds.length + p.subscriptions.length;
      if (consumers > 0 && !t.security.tls)
        drafts.push({
          path: ['security', 'tls'],
          target: p.cluster,
          found: `security.tls false with ${p.feeds.length} CDC feed(s) and ${p.subscriptions.length} subscription(s)`,
          expected: 'security.tls true',
        });
      for (const f of p.feeds) {
        if (f.host !== t.endpoints.globalWriter)
          drafts.push({
            path: f.path,
            target: f.name,
            found: `feed ${f.name} connects to ${f.host}`,
            expected: `the writer endpoint ${t.endpoints.globalWriter}`,
          });
      }
      for (const s of p.subscriptions) {
        if (/^reader[.-]/.test(s.publisher.host))
          drafts.push({
            path: [...s.path, 'publisher', 'host'],
            target: s.name,
            found: `subscription ${s.name} connects to ${s.publisher.host}, a reader endpoint`,
            expected: "the publisher's writer endpoint",
          });
      }
    }
    return drafts;
  },
};
