/**
 * The logical layer, resolved: what lives inside a writable cluster (databases, roles, grants, publications,
 * subscriptions, CDC feeds) and, for every logical replication slot, the one component that owns it so that
 * it survives a failover.
 *
 * One `LogicalPlan` per writable (primary-role) cluster, in the order of `Topology.clusters`: the spec's
 * `logical` section describes the dataset, and each writable cluster carries it (a standby cluster receives
 * the objects by physical replication and owns no slot). The plan feeds every consumer: the patroni.yml
 * renderer (parameters, pg_hba, Patroni permanent slots or PostgreSQL 17 failover-slot settings), the SQL
 * renderer, the Debezium connector renderer, the policy rules, the review and the Pulumi component, which maps
 * it one to one onto @pulumi/postgresql resources:
 *
 *   roles -> Role, databases -> Database (+ Extension), grants -> Grant (+ DefaultPrivileges),
 *   publications -> Publication, subscriptions -> Subscription (createSlot false),
 *   slots with owner `sql` -> ReplicationSlot (none today: pgtopo never leaves a slot to a client).
 *
 * Slot owners. Patroni drops every replication slot it does not know (patroni/postgresql/slots.py,
 * `_drop_incorrect_slots`; Patroni 4.0.7 does not yet spare `failover = true` slots, that came in 4.1), so a
 * slot created by a client is gone after the first HA loop, or at the latest after a failover:
 * - on a release with failover slots (PostgreSQL 17): `postgres-failover`. pgtopo creates the slot with
 *   `failover = true`; standbys run `sync_replication_slots = on` with `hot_standby_feedback = on`; the primary
 *   lists the physical slots of its failover-eligible standbys in `synchronized_standby_slots`, so no logical
 *   consumer gets ahead of the standby that would replace the primary; Patroni is told to leave the slot alone
 *   (`ignore_slots`).
 * - otherwise (PostgreSQL 15): `patroni-permanent`. The slot is a Patroni permanent slot (`slots:` type
 *   logical, plugin pgoutput, database), which Patroni creates on the primary and copies to, then advances on,
 *   its replicas.
 */
import type { PathSegment } from '../spec/issues.js';
import { type NodeRelease, releaseNamed } from '../spec/releases.js';
import type { ParsedSpec } from '../spec/schema.js';
import type { Cluster, Member } from './types.js';

export type SlotOwner = 'postgres-failover' | 'patroni-permanent';

/** Where a credential comes from: a Secrets Manager secret, read at apply time into `env`. */
export interface LogicalSecret {
  readonly source: 'generate' | 'arn';
  /** Secret name (generated: `pgtopo/<name>/logical/<role>`) or ARN. */
  readonly id: string;
  /** Environment variable the SQL apply step and the rehearsal read the value from. Never a value. */
  readonly env: string;
}

export interface LogicalDatabasePlan {
  readonly name: string;
  readonly owner: string;
  readonly extensions: readonly string[];
  readonly path: readonly PathSegment[];
}

export interface LogicalRolePlan {
  readonly name: string;
  readonly login: boolean;
  readonly replication: boolean;
  readonly password: LogicalSecret;
  readonly path: readonly PathSegment[];
}

export type TablePrivilege = ParsedSpec['logical']['grants'][number]['tables'][number];
export type SchemaPrivilege = ParsedSpec['logical']['grants'][number]['schemaPrivileges'][number];

export interface LogicalGrantPlan {
  readonly role: string;
  readonly database: string;
  readonly schema: string;
  /** On every table of the schema, and (default privileges) on tables the database owner creates later. */
  readonly tablePrivileges: readonly TablePrivilege[];
  readonly schemaPrivileges: readonly SchemaPrivilege[];
  readonly path: readonly PathSegment[];
}

/** A schema-qualified table. */
export interface QualifiedTable {
  readonly schema: string;
  readonly table: string;
}

export interface PublicationPlan {
  readonly name: string;
  readonly database: string;
  /** Published tables, sorted and each once: what the SQL publishes. */
  readonly tables: readonly QualifiedTable[];
  /** The tables as the spec lists them (PGT-LOG-006 judges order and repeats). */
  readonly declaredTables: readonly string[];
  readonly path: readonly PathSegment[];
}

export interface SubscriptionPlan {
  readonly name: string;
  /** Subscriber database on this cluster. */
  readonly database: string;
  readonly publication: string;
  readonly publisher: {
    /** `cluster`: another pgtopo cluster's global writer endpoint; `host`: an explicit endpoint. */
    readonly kind: 'cluster' | 'host';
    /** The publishing spec's name (kind `cluster`). */
    readonly cluster?: string;
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: LogicalSecret;
    /** The publisher keeps the slot as a PostgreSQL 17 failover slot (its release has them, or the spec says so). */
    readonly slotFailover: boolean;
  };
  /** Slot on the publisher; the publisher owns it (create_slot = false here). */
  readonly slot: string;
  readonly copyData: boolean;
  /**
   * The subscription's `failover` option, rendered only where the subscriber's PostgreSQL has it (17): a
   * PostgreSQL 17 subscriber sets the publisher slot's failover property to this value, so it states what the
   * publisher's owner made it.
   */
  readonly failover: boolean;
  readonly path: readonly PathSegment[];
}

export interface CdcFeedPlan {
  readonly name: string;
  readonly database: string;
  readonly publication: string;
  readonly slot: string;
  readonly role: string;
  readonly heartbeat: { readonly table: QualifiedTable; readonly intervalMs: number };
  /** Bytes of WAL the slot may retain before PostgreSQL invalidates it. */
  readonly maxRetainedWalBytes: number;
  /** Host Debezium connects to: the global writer endpoint (it moves with the primary). */
  readonly host: string;
  readonly port: number;
  readonly path: readonly PathSegment[];
}

export interface LogicalSlotPlan {
  readonly name: string;
  readonly database: string;
  readonly plugin: 'pgoutput';
  readonly owner: SlotOwner;
  /** Created with `failover = true` (owner postgres-failover). */
  readonly failover: boolean;
  /** What streams from it: a CDC feed of this spec, or a subscription in another cluster. */
  readonly usedBy: { readonly kind: 'cdc' | 'subscriber'; readonly name: string };
  readonly path: readonly PathSegment[];
}

/** A pg_hba entry for logical connections: matches a database name, never the `replication` keyword. */
export interface LogicalHbaEntry {
  readonly database: string;
  readonly user: string;
}

export interface LogicalPlan {
  /** Patroni scope of the writable cluster the plan belongs to. */
  readonly cluster: string;
  readonly postgresMajor: number;
  /** Who owns this cluster's logical slots (every slot of the plan has this owner). */
  readonly slotOwner: SlotOwner;
  readonly databases: readonly LogicalDatabasePlan[];
  readonly roles: readonly LogicalRolePlan[];
  readonly grants: readonly LogicalGrantPlan[];
  readonly publications: readonly PublicationPlan[];
  readonly subscriptions: readonly SubscriptionPlan[];
  readonly feeds: readonly CdcFeedPlan[];
  readonly slots: readonly LogicalSlotPlan[];
  /**
   * PostgreSQL parameters the plan needs, cluster-wide (the renderer never goes below them; rules check a
   * spec value against them). Empty when the plan needs nothing.
   */
  readonly parameters: Readonly<Record<string, string | number>>;
  /**
   * `synchronized_standby_slots` per member (postgres-failover only): the physical slots of the cluster's
   * other failover-eligible members, whichever of them is primary. A member without an entry gets none.
   */
  readonly synchronizedStandbySlots: Readonly<Record<string, string>>;
  readonly hba: readonly LogicalHbaEntry[];
}

/** PostgreSQL's default `max_logical_replication_workers` and `max_worker_processes`. */
export const LOGICAL_WORKER_DEFAULTS = { maxLogicalReplicationWorkers: 4, maxWorkerProcesses: 8 } as const;
/** Table-synchronisation workers a subscription may run during its initial copy (max_sync_workers_per_subscription). */
export const SYNC_WORKERS_PER_SUBSCRIPTION = 2;
/** Background workers kept for parallel query beside logical replication (PostgreSQL's max_parallel_workers default). */
export const PARALLEL_WORKERS = 8;

const GIB = 1024 ** 3;

/**
 * Patroni's physical slot of a member (patroni/dcs `slot_name_from_member_name`: lowercase, '-' and '.' become
 * '_'; pgtopo member names hold nothing else).
 */
export function memberSlotName(member: string): string {
  return member.toLowerCase().replace(/[-.]/g, '_');
}

/** Environment variable holding a logical role's password at apply time. */
export function rolePasswordEnv(role: string): string {
  return `PGTOPO_LOGICAL_ROLE_${role.toUpperCase()}_PASSWORD`;
}

/** Environment variable holding the password a subscription connects to its publisher with. */
export function subscriptionPasswordEnv(subscription: string): string {
  return `PGTOPO_LOGICAL_SUBSCRIPTION_${subscription.toUpperCase()}_PASSWORD`;
}

/** Secrets Manager name of a generated logical role password. */
export function generatedRoleSecretName(topology: string, role: string): string {
  return `pgtopo/${topology}/logical/${role}`;
}

export function parseQualifiedTable(name: string): QualifiedTable {
  const dot = name.indexOf('.');
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

export function formatQualifiedTable(t: QualifiedTable): string {
  return `${t.schema}.${t.table}`;
}

/** Whether any object needs the cluster to decode WAL logically (a publication or a slot). */
function publishes(spec: ParsedSpec['logical']): boolean {
  return spec.publications.length > 0 || spec.cdc.length > 0;
}

/**
 * The logical plans of a spec: one per writable cluster (see the module comment). `globalWriter` is the
 * topology's writer endpoint name, which follows the primary region.
 */
export function resolveLogical(
  spec: ParsedSpec,
  clusters: readonly Cluster[],
  members: readonly Member[],
  globalWriter: string,
  writerPort: number,
): LogicalPlan[] {
  const release = releaseNamed(spec.hosts.os);
  return clusters
    .filter((c) => c.role === 'primary')
    .map((c) =>
      planFor(
        spec,
        release,
        c,
        members.filter((m) => m.cluster === c.scope),
        globalWriter,
        writerPort,
      ),
    );
}

function planFor(
  spec: ParsedSpec,
  release: NodeRelease,
  cluster: Cluster,
  members: readonly Member[],
  globalWriter: string,
  writerPort: number,
): LogicalPlan {
  const l = spec.logical;
  const owner: SlotOwner = release.features.failoverSlots ? 'postgres-failover' : 'patroni-permanent';
  const at = (kind: string, i: number): PathSegment[] => ['logical', kind, i];
  const secret = (role: string, ref: string): LogicalSecret =>
    ref === 'generate'
      ? { source: 'generate', id: generatedRoleSecretName(spec.name, role), env: rolePasswordEnv(role) }
      : { source: 'arn', id: ref, env: rolePasswordEnv(role) };

  const publications: PublicationPlan[] = l.publications.map((p, i) => ({
    name: p.name,
    database: p.database,
    tables: [...new Set(p.tables)].sort().map(parseQualifiedTable),
    declaredTables: p.tables,
    path: at('publications', i),
  }));
  const feeds: CdcFeedPlan[] = l.cdc.map((f, i) => ({
    name: f.name,
    database: f.database,
    publication: f.publication,
    slot: f.slot,
    role: f.role,
    heartbeat: { table: parseQualifiedTable(f.heartbeat.table), intervalMs: f.heartbeat.intervalMs },
    maxRetainedWalBytes: f.maxRetainedWalGiB * GIB,
    host: globalWriter,
    port: writerPort,
    path: at('cdc', i),
  }));
  const slot = (
    name: string,
    database: string,
    usedBy: LogicalSlotPlan['usedBy'],
    path: PathSegment[],
  ): LogicalSlotPlan => ({
    name,
    database,
    plugin: 'pgoutput',
    owner,
    failover: owner === 'postgres-failover',
    usedBy,
    path,
  });
  const slots: LogicalSlotPlan[] = [
    ...l.cdc.map((f, i) =>
      slot(f.slot, f.database, { kind: 'cdc', name: f.name }, [...at('cdc', i), 'slot']),
    ),
    ...l.publications.flatMap((p, i) =>
      p.subscriberSlots.map((s, k) =>
        slot(s, p.database, { kind: 'subscriber', name: s }, [
          ...at('publications', i),
          'subscriberSlots',
          k,
        ]),
      ),
    ),
  ];
  const subscriptions: SubscriptionPlan[] = l.subscriptions.map((s, i) => {
    const p = s.publisher;
    const publisherFailover = 'cluster' in p ? releaseNamed(p.os).features.failoverSlots : p.slotFailover;
    return {
      name: s.name,
      database: s.database,
      publication: s.publication,
      publisher:
        'cluster' in p
          ? {
              kind: 'cluster',
              cluster: p.cluster,
              host: `writer.${p.dnsZone ?? `${p.cluster}.pgtopo.internal`}`,
              port: writerPort,
              database: p.database,
              user: p.user,
              password: { source: 'arn', id: p.password, env: subscriptionPasswordEnv(s.name) },
              slotFailover: publisherFailover,
            }
          : {
              kind: 'host',
              host: p.host,
              port: p.port,
              database: p.database,
              user: p.user,
              password: { source: 'arn', id: p.password, env: subscriptionPasswordEnv(s.name) },
              slotFailover: publisherFailover,
            },
      slot: s.slot ?? s.name,
      copyData: s.copyData,
      failover: release.features.failoverSlots && publisherFailover,
      path: at('subscriptions', i),
    };
  });

  const parameters: Record<string, string | number> = {};
  if (publishes(l)) parameters.wal_level = 'logical';
  if (slots.length > 0) {
    // Every slot may hold one WAL sender; the renderer adds them to the physical streams' capacity.
    parameters.max_replication_slots = slots.length;
    parameters.max_wal_senders = slots.length;
  }
  if (feeds.length > 0) {
    const gib = Math.max(...feeds.map((f) => f.maxRetainedWalBytes / GIB));
    parameters.max_slot_wal_keep_size = `${gib}GB`;
  }
  if (subscriptions.length > 0) {
    const workers = Math.max(
      LOGICAL_WORKER_DEFAULTS.maxLogicalReplicationWorkers,
      subscriptions.length + SYNC_WORKERS_PER_SUBSCRIPTION + 1,
    );
    parameters.max_logical_replication_workers = workers;
    // Apply and sync workers, the launcher, and room for parallel query.
    parameters.max_worker_processes = Math.max(
      LOGICAL_WORKER_DEFAULTS.maxWorkerProcesses,
      workers + 1 + PARALLEL_WORKERS,
    );
  }
  const failoverSlots = owner === 'postgres-failover' && slots.length > 0;
  if (failoverSlots) {
    parameters.sync_replication_slots = 'on';
    parameters.hot_standby_feedback = 'on';
  }
  const eligible = members.filter((m) => m.failoverEligible && m.replicateFrom === undefined);
  const synchronizedStandbySlots = failoverSlots
    ? Object.fromEntries(
        eligible.map((m) => [
          m.name,
          eligible
            .filter((o) => o !== m)
            .map((o) => memberSlotName(o.name))
            .join(','),
        ]),
      )
    : {};

  // Logical connections as pg_hba sees them: each replication role of a CDC feed, to the feed's database;
  // subscribers from other clusters connect to a publication's database as their replication role.
  const replicationRoles = l.roles.filter((r) => r.replication).map((r) => r.name);
  const hba = uniqueBy(
    [
      ...l.cdc.map((f) => ({ database: f.database, user: f.role })),
      ...l.publications
        .filter((p) => p.subscriberSlots.length > 0)
        .flatMap((p) => replicationRoles.map((user) => ({ database: p.database, user }))),
    ],
    (e) => `${e.database} ${e.user}`,
  );

  return {
    cluster: cluster.scope,
    postgresMajor: release.postgresMajor,
    slotOwner: owner,
    databases: l.databases.map((d, i) => ({
      name: d.name,
      owner: d.owner,
      extensions: d.extensions,
      path: at('databases', i),
    })),
    roles: l.roles.map((r, i) => ({
      name: r.name,
      login: r.login,
      replication: r.replication,
      password: secret(r.name, r.password),
      path: at('roles', i),
    })),
    grants: l.grants.map((g, i) => ({
      role: g.role,
      database: g.database,
      schema: g.schema,
      tablePrivileges: [...new Set(g.tables)],
      schemaPrivileges: [...new Set(g.schemaPrivileges)],
      path: at('grants', i),
    })),
    publications,
    subscriptions,
    feeds,
    slots,
    parameters,
    synchronizedStandbySlots,
    hba,
  };
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = key(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Whether a plan declares nothing. */
export function isEmptyPlan(p: LogicalPlan): boolean {
  return (
    p.databases.length +
      p.roles.length +
      p.grants.length +
      p.publications.length +
      p.subscriptions.length +
      p.feeds.length ===
    0
  );
}

/**
 * The plans' parameter needs as one topology-wide set (every cluster runs the same hot-standby values: a standby
 * cluster's max_wal_senders or max_worker_processes below its upstream's stops it): numbers are the largest
 * any plan needs, other values the first plan's. Settings that only a writable cluster's members read
 * (`sync_replication_slots`, `hot_standby_feedback`) stay with their plan (`FAILOVER_SLOT_PARAMETERS`).
 */
export function logicalParameters(plans: readonly LogicalPlan[]): Readonly<Record<string, string | number>> {
  const out: Record<string, string | number> = {};
  for (const p of plans) {
    for (const [k, v] of Object.entries(p.parameters)) {
      if (FAILOVER_SLOT_PARAMETERS.includes(k)) continue;
      const have = out[k];
      out[k] = typeof v === 'number' && typeof have === 'number' ? Math.max(v, have) : (have ?? v);
    }
  }
  return out;
}

/** Parameters of PostgreSQL 17 failover slots, set on the writable cluster that owns the slots. */
export const FAILOVER_SLOT_PARAMETERS: readonly string[] = ['sync_replication_slots', 'hot_standby_feedback'];

/** The plan of a writable cluster, or undefined (standby clusters have none). */
export function planOf(plans: readonly LogicalPlan[], scope: string): LogicalPlan | undefined {
  return plans.find((p) => p.cluster === scope);
}
