import type { Draft, Rule } from '../types.js';

/** Schemas whose tables are never published (PostgreSQL refuses them, or they are not the user's data). */
export const SYSTEM_SCHEMAS: readonly string[] = ['pg_catalog', 'information_schema', 'pg_toast'];

export const rule: Rule = {
  id: 'PGT-LOG-005',
  group: 'logical',
  title:
    'Publications list real tables, sorted and each once, and include the heartbeat table of every CDC feed on them',
  severity: 'error',
  rationale:
    'A publication is reviewed as a list: a repeated or unsorted table hides what changed in a diff, and a ' +
    'system-catalog table cannot be published. Debezium advances its slot only when it sees a change of a ' +
    'published table: while the published tables are idle the slot holds back WAL until the volume fills, unless ' +
    'its heartbeat query writes a table that is in the publication itself.',
  fix:
    "List each publication's tables sorted, once each, outside pg_catalog/information_schema, and add every " +
    "CDC feed's `heartbeat.table` to the publication the feed streams.",
  check(t) {
    const drafts: Draft[] = [];
    for (const p of t.logical) {
      for (const pub of p.publications) {
        pub.declaredTables.forEach((name, i) => {
          const at = [...pub.path, 'tables', i];
          if (pub.declaredTables.indexOf(name) !== i)
            drafts.push({
              path: at,
              target: pub.name,
              found: `${name} listed again`,
              expected: 'each table once',
            });
          else if (i > 0 && name < pub.declaredTables[i - 1]!)
            drafts.push({
              path: at,
              target: pub.name,
              found: `${name} after ${pub.declaredTables[i - 1]}`,
              expected: 'tables sorted by schema-qualified name',
            });
          if (SYSTEM_SCHEMAS.includes(name.split('.')[0]!))
            drafts.push({
              path: at,
              target: pub.name,
              found: name,
              expected: 'a table of an application schema',
            });
        });
      }
      for (const f of p.feeds) {
        const pub = p.publications.find((x) => x.name === f.publication);
        const hb = f.heartbeat.table;
        if (pub && !pub.tables.some((x) => x.schema === hb.schema && x.table === hb.table))
          drafts.push({
            path: [...f.path, 'heartbeat', 'table'],
            target: f.name,
            found: `${hb.schema}.${hb.table}, not in publication ${pub.name}`,
            expected: `a table of ${pub.name} (add it to its tables)`,
          });
      }
    }
    return drafts;
  },
};
