/**
 * The logical plan as SQL: ordered, idempotent statements grouped by side and database, rendered from the
 * model (never a second list of the same objects). Applying a group twice changes nothing the second time:
 * each `CREATE` is guarded by a catalog check (`unless`), and what may drift (role attributes, owners,
 * publication tables, grants) is re-stated by an `ALTER`/`GRANT` that converges.
 *
 * Sides: `publisher` holds what this cluster serves (roles and databases, cluster-wide, in `postgres`; then per
 * database extensions, schemas, grants, heartbeat tables, publications and, where PostgreSQL owns them, the
 * failover slots, created after the publications they stream); `subscriber` holds the subscriptions this
 * cluster makes to other clusters. Apply the publisher side after the application's own migrations (a
 * publication names tables that must exist) and before the subscriber side of the clusters that subscribe.
 *
 * Credentials: statements read passwords from psql variables that `psqlScript` fills from environment
 * variables (`\getenv`); no value is ever rendered, and a missing variable stops the script.
 */
import type {
  CdcFeedPlan,
  LogicalPlan,
  LogicalSecret,
  QualifiedTable,
  SubscriptionPlan,
} from '../model/logical.js';

export type LogicalSide = 'publisher' | 'subscriber';

export interface LogicalStatement {
  /** What the statement does, one line (rendered as a comment). */
  readonly comment: string;
  /** One SQL statement without the final semicolon; may read psql variables (`:'name'`) listed in `env`. */
  readonly sql: string;
  /** A query returning one boolean: true when the effect is already there and `sql` is skipped. */
  readonly unless?: string;
  /** psql variables `sql` reads and the environment variables they come from. */
  readonly env?: readonly { readonly variable: string; readonly env: string }[];
  /** SQL that builds a psql variable from others before `sql` runs (`SELECT ... AS name \gset`). */
  readonly prepare?: string;
}

export interface LogicalSqlGroup {
  readonly side: LogicalSide;
  /** Database the statements run in (`postgres` for roles and databases). */
  readonly database: string;
  readonly statements: readonly LogicalStatement[];
}

export interface LogicalSqlOptions {
  /**
   * The publisher endpoint of a subscription. Default: the plan's (the publisher's writer endpoint); the
   * rehearsal passes its loopback addresses.
   */
  readonly publisherEndpoint?: (s: SubscriptionPlan) => { readonly host: string; readonly port: number };
  /** TLS of subscriptions' connections. Default `verify-full` against `sslrootcert`. */
  readonly sslmode?: 'verify-full' | 'require' | 'disable';
  /** Root certificate path on the subscriber's nodes (with verify-full). */
  readonly sslrootcert?: string;
}

/** The maintenance database roles and databases are created from. */
export const MAINTENANCE_DATABASE = 'postgres';

/** A PostgreSQL identifier, always double-quoted (`"` doubled): safe for any name, keywords included. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0'))
    throw new Error(`not a PostgreSQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal (standard_conforming_strings on: only `'` is special). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a PostgreSQL string cannot hold NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** A libpq connection-string value: single-quoted, with `\` and `'` escaped by a backslash. */
export function quoteConninfoValue(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export function qualifiedIdent(t: QualifiedTable): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/** psql variable a statement reads a secret from. */
function secretVariable(s: LogicalSecret): string {
  return s.env.toLowerCase();
}

const exists = (from: string, where: string) => `SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${where})`;

/** The Debezium heartbeat query of a feed: one row, its timestamp moved on every heartbeat. */
export function heartbeatActionQuery(feed: CdcFeedPlan): string {
  return `INSERT INTO ${qualifiedIdent(feed.heartbeat.table)} (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts`;
}

/**
 * A subscription's connection string without its password (`key='value'` pairs, libpq-quoted): the publisher
 * endpoint, database, user and TLS. The SQL step and the Pulumi component both append ` password='...'`.
 */
export function subscriptionConninfo(s: SubscriptionPlan, opts: LogicalSqlOptions = {}): string {
  const endpoint = opts.publisherEndpoint?.(s) ?? { host: s.publisher.host, port: s.publisher.port };
  const sslmode = opts.sslmode ?? 'verify-full';
  return [
    ['host', endpoint.host],
    ['port', String(endpoint.port)],
    ['dbname', s.publisher.database],
    ['user', s.publisher.user],
    ['sslmode', sslmode],
    ...(sslmode === 'verify-full' && opts.sslrootcert ? [['sslrootcert', opts.sslrootcert]] : []),
  ]
    .map(([k, v]) => `${k}=${quoteConninfoValue(v!)}`)
    .join(' ');
}

export function renderLogicalSql(plan: LogicalPlan, opts: LogicalSqlOptions = {}): LogicalSqlGroup[] {
  const groups: LogicalSqlGroup[] = [];
  const ownerOf = (db: string) => plan.databases.find((d) => d.name === db)?.owner;

  // Cluster-wide: roles, then databases (an owner must exist first).
  const global: LogicalStatement[] = [];
  for (const r of plan.roles) {
    global.push({
      comment: `role ${r.name}`,
      sql: `CREATE ROLE ${quoteIdent(r.name)}`,
      unless: exists('pg_catalog.pg_roles', `rolname = ${quoteLiteral(r.name)}`),
    });
    const attrs = [r.login ? 'LOGIN' : 'NOLOGIN', r.replication ? 'REPLICATION' : 'NOREPLICATION'];
    global.push(
      r.login
        ? {
            comment: `role ${r.name}: attributes and password (${r.password.source === 'generate' ? 'generated secret' : 'secret'} ${r.password.id})`,
            sql: `ALTER ROLE ${quoteIdent(r.name)} WITH ${attrs.join(' ')} PASSWORD :'${secretVariable(r.password)}'`,
            env: [{ variable: secretVariable(r.password), env: r.password.env }],
          }
        : {
            comment: `role ${r.name}: attributes`,
            sql: `ALTER ROLE ${quoteIdent(r.name)} WITH ${attrs.join(' ')}`,
          },
    );
  }
  for (const d of plan.databases) {
    global.push({
      comment: `database ${d.name}`,
      sql: `CREATE DATABASE ${quoteIdent(d.name)} OWNER ${quoteIdent(d.owner)}`,
      unless: exists('pg_catalog.pg_database', `datname = ${quoteLiteral(d.name)}`),
    });
    global.push({
      comment: `database ${d.name}: owner`,
      sql: `ALTER DATABASE ${quoteIdent(d.name)} OWNER TO ${quoteIdent(d.owner)}`,
    });
  }
  if (global.length > 0)
    groups.push({ side: 'publisher', database: MAINTENANCE_DATABASE, statements: global });

  // Per database, in the order databases are first named.
  const databases = unique([
    ...plan.databases.map((d) => d.name),
    ...plan.grants.map((g) => g.database),
    ...plan.publications.map((p) => p.database),
    ...plan.feeds.map((f) => f.database),
    ...plan.slots.map((s) => s.database),
  ]);
  for (const db of databases) {
    const st: LogicalStatement[] = [];
    const owner = ownerOf(db);
    for (const e of plan.databases.find((d) => d.name === db)?.extensions ?? []) {
      st.push({ comment: `extension ${e}`, sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e)}` });
    }
    const grants = plan.grants.filter((g) => g.database === db);
    const feeds = plan.feeds.filter((f) => f.database === db);
    for (const schema of unique([
      ...grants.map((g) => g.schema),
      ...feeds.map((f) => f.heartbeat.table.schema),
    ])) {
      st.push({
        comment: `schema ${schema}`,
        sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}${owner ? ` AUTHORIZATION ${quoteIdent(owner)}` : ''}`,
      });
    }
    // Heartbeat tables before the grants, so that grants on every table of the schema cover them.
    for (const f of feeds) {
      const table = qualifiedIdent(f.heartbeat.table);
      st.push({
        comment: `CDC feed ${f.name}: heartbeat table`,
        sql: `CREATE TABLE IF NOT EXISTS ${table} (id integer PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now())`,
      });
      if (owner)
        st.push({
          comment: `CDC feed ${f.name}: heartbeat owner`,
          sql: `ALTER TABLE ${table} OWNER TO ${quoteIdent(owner)}`,
        });
      st.push({
        comment: `CDC feed ${f.name}: ${f.role} writes heartbeats`,
        sql: `GRANT SELECT, INSERT, UPDATE ON TABLE ${table} TO ${quoteIdent(f.role)}`,
      });
    }
    for (const g of grants) {
      const role = quoteIdent(g.role);
      const schema = quoteIdent(g.schema);
      if (g.schemaPrivileges.length > 0)
        st.push({
          comment: `grant ${g.role}: schema ${g.schema}`,
          sql: `GRANT ${g.schemaPrivileges.join(', ')} ON SCHEMA ${schema} TO ${role}`,
        });
      if (g.tablePrivileges.length > 0) {
        st.push({
          comment: `grant ${g.role}: tables of ${g.schema}`,
          sql: `GRANT ${g.tablePrivileges.join(', ')} ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
        });
        if (owner)
          st.push({
            comment: `grant ${g.role}: tables ${owner} creates in ${g.schema} later`,
            sql: `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA ${schema} GRANT ${g.tablePrivileges.join(', ')} ON TABLES TO ${role}`,
          });
      }
    }
    for (const p of plan.publications.filter((x) => x.database === db)) {
      const tables = p.tables.map(qualifiedIdent).join(', ');
      st.push({
        comment: `publication ${p.name}`,
        sql: `CREATE PUBLICATION ${quoteIdent(p.name)} FOR TABLE ${tables}`,
        unless: exists('pg_catalog.pg_publication', `pubname = ${quoteLiteral(p.name)}`),
      });
      st.push({
        comment: `publication ${p.name}: tables`,
        sql: `ALTER PUBLICATION ${quoteIdent(p.name)} SET TABLE ${tables}`,
      });
    }
    for (const s of plan.slots.filter((x) => x.database === db && x.owner === 'postgres-failover')) {
      st.push({
        comment: `slot ${s.name} (${s.usedBy.kind} ${s.usedBy.name}): a PostgreSQL failover slot, synchronized to standbys`,
        sql: `SELECT pg_catalog.pg_create_logical_replication_slot(${quoteLiteral(s.name)}, ${quoteLiteral(s.plugin)}, false, false, true)`,
        unless: exists('pg_catalog.pg_replication_slots', `slot_name = ${quoteLiteral(s.name)}`),
      });
    }
    if (st.length > 0) groups.push({ side: 'publisher', database: db, statements: st });
  }

  // Subscriber side: subscriptions to other clusters, per database.
  for (const db of unique(plan.subscriptions.map((s) => s.database))) {
    const st: LogicalStatement[] = [];
    for (const s of plan.subscriptions.filter((x) => x.database === db)) {
      const fixed = subscriptionConninfo(s, opts);
      const pw = secretVariable(s.publisher.password);
      const conninfo = `pgtopo_conninfo_${s.name}`;
      const options = [
        'create_slot = false',
        `slot_name = ${quoteLiteral(s.slot)}`,
        `copy_data = ${s.copyData}`,
        ...(plan.postgresMajor >= 17 ? [`failover = ${s.failover}`] : []),
      ];
      st.push({
        comment: `subscription ${s.name} to ${s.publication} on ${s.publisher.cluster ?? s.publisher.host} (slot ${s.slot}, owned by the publisher)`,
        env: [{ variable: pw, env: s.publisher.password.env }],
        prepare: `SELECT ${quoteLiteral(`${fixed} password=`)} || '''' || replace(replace(:'${pw}', E'\\\\', E'\\\\\\\\'), '''', E'\\\\''') || '''' AS ${conninfo}`,
        sql: `CREATE SUBSCRIPTION ${quoteIdent(s.name)} CONNECTION :'${conninfo}' PUBLICATION ${quoteIdent(s.publication)} WITH (${options.join(', ')})`,
        unless: exists('pg_catalog.pg_subscription', `subname = ${quoteLiteral(s.name)}`),
      });
    }
    groups.push({ side: 'subscriber', database: db, statements: st });
  }
  return groups;
}

/**
 * One group as a psql script (`psql -X -d <group.database> -f`): stops at the first error, never logs the
 * statements that carry passwords, and reads each password from its environment variable.
 */
export function psqlScript(group: LogicalSqlGroup, title: string): string {
  const lines = [
    `-- ${title}: ${group.side} side, database ${group.database}. Generated by pgtopo: do not edit.`,
    '-- Idempotent: apply again at will. Passwords come from the environment variables named below.',
    '\\set ON_ERROR_STOP on',
    'SET standard_conforming_strings = on;',
  ];
  const secrets = group.statements.flatMap((s) => s.env ?? []);
  if (secrets.length > 0) {
    lines.push('SET log_statement = none;', 'SET log_min_error_statement = panic;');
  }
  for (const { variable, env } of unique(secrets.map((s) => JSON.stringify(s))).map(
    (s) => JSON.parse(s) as { variable: string; env: string },
  )) {
    lines.push(
      `\\getenv ${variable} ${env}`,
      `\\if :{?${variable}}`,
      '\\else',
      `  DO $$ BEGIN RAISE EXCEPTION 'pgtopo: environment variable ${env} is not set'; END $$;`,
      '\\endif',
    );
  }
  for (const s of group.statements) {
    lines.push('', `-- ${s.comment}`);
    if (s.unless) {
      lines.push(`SELECT NOT (${s.unless}) AS pgtopo_apply \\gset`, '\\if :pgtopo_apply');
      if (s.prepare) lines.push(`${s.prepare} \\gset`);
      lines.push(`${s.sql};`, '\\endif');
    } else {
      if (s.prepare) lines.push(`${s.prepare} \\gset`);
      lines.push(`${s.sql};`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** File name of a group's script: ordered publisher first, then by database. */
export function psqlScriptName(group: LogicalSqlGroup, index: number): string {
  return `${String(index + 1).padStart(2, '0')}-${group.side}-${group.database}.sql`;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
