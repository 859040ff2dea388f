/**
 * The logical layer on the rehearsed cluster: the spec's logical plan applied as an operator would, with
 * the very psql scripts `pgtopo render` writes, and the change feeds the drills follow.
 *
 * The plan publishes the application's tables; the rehearsal has no application, so it first creates each
 * published table as a stand-in with the write load's columns (`seq`, `sent_at`), owned by the database's
 * owner. Role passwords are generated per run and handed to psql in its environment, never on a command
 * line or in a file.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogicalPlan, QualifiedTable, SlotOwner } from '../model/logical.js';
import {
  type LogicalSqlGroup,
  MAINTENANCE_DATABASE,
  psqlScript,
  psqlScriptName,
  qualifiedIdent,
  quoteIdent,
  renderLogicalSql,
} from '../render/logical-sql.js';
import type { LocalCluster, Progress } from './cluster.js';
import type { Layout } from './layout.js';
import type { ConnInfo } from './load.js';
import type { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

export interface RehearsedFeed {
  readonly name: string;
  /** Patroni scope of the writable cluster the feed reads. */
  readonly cluster: string;
  readonly database: string;
  readonly publication: string;
  readonly slot: string;
  /** The published table the drill writes (schema-qualified, quoted for SQL). */
  readonly table: string;
  /** The same table as pgoutput names it. */
  readonly relation: QualifiedTable;
  readonly role: string;
  /** Who carries the slot across a failover. */
  readonly owner: SlotOwner;
}

/** The primary cluster's logical plan, when the spec declares one. */
export function primaryPlan(layout: Layout, scope: string): LogicalPlan | undefined {
  return layout.topology.logical.find((p) => p.cluster === scope);
}

/** Tables the plan publishes that the application would own (not the CDC feeds' heartbeat tables). */
export interface StandIn {
  readonly database: string;
  /** Schema-qualified, quoted for SQL. */
  readonly table: string;
  readonly relation: QualifiedTable;
}

export function standInTables(plan: LogicalPlan): StandIn[] {
  const heartbeats = new Set(plan.feeds.map((f) => `${f.database}:${qualifiedIdent(f.heartbeat.table)}`));
  const out = new Map<string, StandIn>();
  for (const p of plan.publications) {
    for (const t of p.tables) {
      const table = qualifiedIdent(t);
      if (!heartbeats.has(`${p.database}:${table}`))
        out.set(`${p.database}:${table}`, { database: p.database, table, relation: t });
    }
  }
  return [...out.values()];
}

/** The CDC feeds of the booted writable clusters, each with the first stand-in table it publishes. */
export function rehearsedFeeds(layout: Layout): RehearsedFeed[] {
  return layout.topology.logical.flatMap((plan) => {
    const tables = standInTables(plan);
    return plan.feeds.flatMap((f) => {
      const pub = plan.publications.find((p) => p.name === f.publication && p.database === f.database);
      const table = tables.find(
        (t) => t.database === f.database && pub?.tables.some((x) => qualifiedIdent(x) === t.table),
      );
      if (!table) return [];
      return [
        {
          name: f.name,
          cluster: plan.cluster,
          database: f.database,
          publication: f.publication,
          slot: f.slot,
          table: table.table,
          relation: table.relation,
          role: f.role,
          owner: plan.slotOwner,
        },
      ];
    });
  });
}

/** Passwords of the logical roles of this run, by the environment variable the scripts read them from. */
export class LogicalSecrets {
  private readonly values = new Map<string, string>();

  env(plan: LogicalPlan): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of plan.roles) {
      if (!this.values.has(r.password.env))
        this.values.set(r.password.env, randomBytes(18).toString('base64url'));
      out[r.password.env] = this.values.get(r.password.env)!;
    }
    return out;
  }

  password(plan: LogicalPlan, role: string): string {
    const r = plan.roles.find((x) => x.name === role);
    if (!r) throw new Error(`role ${role} is not in the logical plan of ${plan.cluster}`);
    return this.env(plan)[r.password.env]!;
  }
}

/** The connection a CDC consumer makes: the feed's role, straight to PostgreSQL through the writer endpoint. */
export function cdcConn(cluster: LocalCluster, secrets: LogicalSecrets, feed: RehearsedFeed): ConnInfo {
  const plan = primaryPlan(cluster.layout, feed.cluster)!;
  return {
    ...cluster.writerDirectConn(feed.cluster, feed.database),
    user: feed.role,
    password: secrets.password(plan, feed.role),
  };
}

/** Applies rendered SQL groups with psql, in a supervisor's root, against one server. */
export async function applyGroups(
  sup: Supervisor,
  o: {
    name: string;
    dir: string;
    psql: string;
    conn: ConnInfo;
    caFile?: string;
    env: Readonly<Record<string, string>>;
    groups: ReturnType<typeof renderLogicalSql>;
  },
): Promise<void> {
  for (const [i, g] of o.groups.entries()) {
    const file = join(o.dir, `${o.name}-${psqlScriptName(g, i)}`);
    writeFileSync(file, psqlScript(g, o.name), { mode: 0o644 });
    const r = await sup.run(
      {
        name: `psql-${o.name}-${i}`,
        node: 'logical-apply',
        command: o.psql,
        args: ['-X', '-q', '-d', g.database, '-f', file],
        env: {
          ...pgEnv({ ...o.conn, database: g.database }, o.caFile),
          ...o.env,
        },
      },
      120_000,
    );
    if (r.code !== 0) throw new Error(`applying ${file} failed (exit ${r.code}):\n${r.output}`);
  }
}

/** libpq environment for a connection (psql, pg_dump): TLS verified against the rehearsal CA when on. */
export function pgEnv(c: ConnInfo, caFile: string | undefined): Record<string, string> {
  return {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGPASSWORD: c.password,
    PGDATABASE: c.database,
    PGSSLMODE: caFile ? 'verify-full' : 'disable',
    ...(caFile ? { PGSSLROOTCERT: caFile } : {}),
  };
}

/**
 * Applies the plan of a writable cluster through its writer endpoint: the rendered psql scripts, publisher
 * side, in order, with the stand-in tables created once their databases exist.
 */
export async function applyLogicalPlan(o: {
  cluster: LocalCluster;
  sup: Supervisor;
  secrets: LogicalSecrets;
  plan: LogicalPlan;
  progress: Progress;
}): Promise<void> {
  const { cluster, sup, plan } = o;
  const layout = cluster.layout;
  const groups = renderLogicalSql(plan, { sslrootcert: layout.tls?.caFile }).filter(
    (g) => g.side === 'publisher',
  );
  const dir = join(layout.runDir, 'logical', plan.cluster);
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = sup.user;
  chownSync(dir, uid, gid);
  const apply = (name: string, part: LogicalSqlGroup[]) =>
    applyGroups(sup, {
      name,
      dir,
      psql: join(layout.binPath[0] ?? '/usr/bin', 'psql'),
      conn: cluster.writerDirectConn(plan.cluster),
      caFile: layout.tls?.caFile,
      env: o.secrets.env(plan),
      groups: part,
    });
  // Roles and databases first, then the stand-in tables (in their databases), then what publishes them.
  await apply(
    'global',
    groups.filter((g) => g.database === MAINTENANCE_DATABASE),
  );
  await createStandIns(cluster, plan, standInTables(plan));
  await apply(
    'databases',
    groups.filter((g) => g.database !== MAINTENANCE_DATABASE),
  );
  o.progress(
    `logical plan of ${plan.cluster} applied: ${plan.publications.length} publication(s), ${plan.feeds.length} CDC feed(s), ${plan.slots.length} slot(s) owned by ${plan.slotOwner}`,
  );
}

async function createStandIns(
  cluster: LocalCluster,
  plan: LogicalPlan,
  tables: readonly { database: string; table: string }[],
): Promise<void> {
  const app = quoteIdent(cluster.layout.app.user);
  for (const t of tables) {
    const owner = plan.databases.find((d) => d.name === t.database)?.owner;
    const sql = [
      `CREATE TABLE IF NOT EXISTS ${t.table} (seq bigint PRIMARY KEY, sent_at timestamptz NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
      ...(owner ? [`ALTER TABLE ${t.table} OWNER TO ${quoteIdent(owner)}`] : []),
      `GRANT SELECT, INSERT ON ${t.table} TO ${app}`,
    ];
    for (const s of sql) await cluster.sql(cluster.writerDirectConn(plan.cluster, t.database), s, [], 30_000);
  }
}

/**
 * Waits until a logical slot would survive the loss of the primary: it is on every running
 * failover-eligible replica of the cluster, and (PostgreSQL's slot sync) synchronized there and persistent.
 * A failover slot just created is not yet: the slot sync worker copies it on a later cycle, and only once
 * the standby has replayed past the slot's position. Until then a failover loses the slot.
 */
export async function waitSlotReady(
  cluster: LocalCluster,
  plan: LogicalPlan,
  slot: string,
  timeoutMs = 120_000,
): Promise<string[]> {
  const t = cluster.layout.topology;
  const check =
    plan.slotOwner === 'postgres-failover'
      ? 'SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND synced AND NOT temporary'
      : 'SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1';
  return waitFor(
    `slot ${slot} to be ready for failover on every replica of ${plan.cluster}`,
    async () => {
      const leader = await cluster.leader(plan.cluster);
      const replicas = cluster
        .membersOf(plan.cluster)
        .filter(
          (m) =>
            m.name !== leader &&
            cluster.sup.running(m.patroni.name) &&
            t.members.find((x) => x.name === m.name)?.failoverEligible,
        );
      for (const m of replicas) {
        const rows = await cluster.sql(cluster.memberConn(m.name), check, [slot], 5000);
        if (rows.length === 0) return undefined;
      }
      return replicas.map((m) => m.name);
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** The cluster-wide part of a logical plan: what a plan keeps when its objects are left out. */
export type PlanBase = Pick<
  LogicalPlan,
  'cluster' | 'postgresMajor' | 'slotOwner' | 'parameters' | 'synchronizedStandbySlots' | 'hba'
>;

/** A plan of `base`'s cluster with none of its objects but `part`'s: one side's SQL is rendered from it. */
export function planWith(base: PlanBase, part: Partial<LogicalPlan>): LogicalPlan {
  return {
    ...base,
    databases: [],
    roles: [],
    grants: [],
    publications: [],
    subscriptions: [],
    feeds: [],
    slots: [],
    ...part,
  };
}
