import { parameterPath } from '../facts.js';
import type { Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-LOG-001',
  group: 'logical',
  title: 'wal_level is logical wherever the logical plan publishes or keeps a slot',
  severity: 'error',
  rationale:
    'Publications and logical slots decode WAL, which PostgreSQL writes with enough information only at ' +
    '`wal_level = logical`; at `replica` creating a logical slot fails and a CDC feed or a subscriber never ' +
    'starts. pgtopo sets `wal_level: logical` itself when `logical` declares a publication or a CDC feed; a ' +
    '`postgres.parameters.wal_level` of `replica` or `minimal` says the opposite of what the nodes run.',
  fix: 'Remove `wal_level` from `postgres.parameters` (pgtopo sets it from the logical plan), or set it to `logical`.',
  check(t) {
    const set = t.postgres.parameters.wal_level;
    if (set === undefined || String(set).trim().toLowerCase() === 'logical') return [];
    const needs = t.logical.filter((p) => p.parameters.wal_level === 'logical');
    return needs.slice(0, 1).map((p) => ({
      path: parameterPath('wal_level'),
      target: p.cluster,
      found: `wal_level ${String(set)} with ${p.publications.length} publication(s) and ${p.slots.length} logical slot(s) on ${p.cluster}`,
      expected: 'wal_level logical (or unset: pgtopo sets it)',
    }));
  },
};
