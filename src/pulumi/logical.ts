/**
 * The logical plan of one writable cluster as @pulumi/postgresql resources (`pgtopo/pulumi`). The same objects as
 * the rendered SQL (render/logical-sql.ts), mapped one to one from the model:
 *
 *   roles -> Role (password a secret Output), databases -> Database (+ Extension), the schemas grants name
 *   (other than `public`, which every database has) -> Schema, grants -> Grant (schema, tables) + DefaultPrivileges,
 *   publications -> Publication (tables sorted), subscriptions -> Subscription (createSlot false, the
 *   publisher's slot, the connection string a secret Output).
 *
 * What the provider cannot state stays with the rendered SQL and is listed in `sqlOnly`:
 * - logical slots: pgtopo never leaves a slot to a client. A PostgreSQL 17 slot must be created with
 *   `failover = true`, which the provider's ReplicationSlot (name, database, plugin) cannot express; a
 *   PostgreSQL 15 slot is a Patroni permanent slot. So the component creates no ReplicationSlot.
 * - CDC heartbeat tables (the provider manages no tables) and their grants.
 * - subscriptions with `copyData: false` (the provider's Subscription always copies existing rows).
 * The provider's Subscription has no `failover` option either; with `create_slot = false` and no `failover`
 * requested, PostgreSQL leaves the publisher slot's failover property as its owner made it.
 *
 * Only this directory imports @pulumi/* (test/architecture.test.ts): `check`, `synth` and the library entry
 * point never load Pulumi.
 */
import * as postgresql from '@pulumi/postgresql';
import * as pulumi from '@pulumi/pulumi';
import type { LogicalPlan, LogicalSecret } from '../model/logical.js';
import { formatQualifiedTable } from '../model/logical.js';
import { MAINTENANCE_DATABASE, quoteConninfoValue, subscriptionConninfo } from '../render/logical-sql.js';

export const LOGICAL_COMPONENT_TYPE = 'pgtopo:logical:Cluster';

/** How the provider reaches the cluster: its writer endpoint, over TLS verified against the cluster CA. */
export interface LogicalConnection {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  /** A superuser (Patroni's `postgres`). */
  readonly username: pulumi.Input<string>;
  /** The superuser's password: a secret Output (it is made secret here in any case). */
  readonly password: pulumi.Output<string>;
  /** Root certificate file of the cluster CA on the machine running Pulumi (sslmode verify-full). */
  readonly sslrootcert: pulumi.Input<string>;
}

export interface PgtopoLogicalArgs {
  readonly plan: LogicalPlan;
  readonly connection: LogicalConnection;
  /**
   * Passwords keyed by the plan's `LogicalSecret.env` names (the variables the SQL step reads), each a secret
   * Output read from the Secrets Manager secret the plan names (`LogicalSecret.id`). Every login role and every
   * subscription needs one.
   */
  readonly passwords: Readonly<Record<string, pulumi.Output<string>>>;
  /** Root certificate path on the subscriber's nodes, for subscriptions' verify-full connections. */
  readonly subscriberSslrootcert?: string;
}

/** An object of the plan the component leaves to the rendered SQL (or Patroni), and why. */
export interface SqlOnlyObject {
  readonly kind: 'slot' | 'heartbeat-table' | 'subscription';
  readonly name: string;
  readonly reason: string;
}

/** The plan's objects the component cannot express; the rendered SQL (or Patroni) makes them. */
export function sqlOnlyObjects(plan: LogicalPlan): SqlOnlyObject[] {
  return [
    ...plan.slots.map((s) => ({
      kind: 'slot' as const,
      name: s.name,
      reason:
        s.owner === 'postgres-failover'
          ? 'a PostgreSQL failover slot (failover = true): the publisher SQL script creates it'
          : 'a Patroni permanent slot: Patroni creates it',
    })),
    ...plan.feeds.map((f) => ({
      kind: 'heartbeat-table' as const,
      name: formatQualifiedTable(f.heartbeat.table),
      reason: `CDC feed ${f.name}: the publisher SQL script creates the table and its grant`,
    })),
    ...plan.subscriptions
      .filter((s) => !s.copyData)
      .map((s) => ({
        kind: 'subscription' as const,
        name: s.name,
        reason:
          'copyData false: the provider cannot express copy_data = false; the subscriber SQL script creates it',
      })),
  ];
}

/** Thrown when a password the plan needs is not among the component's inputs. */
export class MissingPasswordError extends Error {
  constructor(
    readonly env: string,
    readonly secret: LogicalSecret,
    readonly what: string,
  ) {
    super(
      `pgtopo: ${what} needs the password ${env} (Secrets Manager ${secret.id}); found no entry "${env}" in passwords`,
    );
  }
}

const slug = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '-');

export class PgtopoLogical extends pulumi.ComponentResource {
  readonly provider: postgresql.Provider;
  readonly roles: Readonly<Record<string, postgresql.Role>>;
  readonly databases: Readonly<Record<string, postgresql.Database>>;
  readonly publications: Readonly<Record<string, postgresql.Publication>>;
  readonly subscriptions: Readonly<Record<string, postgresql.Subscription>>;
  /** What the rendered SQL (or Patroni) makes instead (see the module comment). */
  readonly sqlOnly: readonly SqlOnlyObject[];

  constructor(name: string, args: PgtopoLogicalArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(LOGICAL_COMPONENT_TYPE, name, {}, opts);
    const { plan, connection } = args;
    const id = (kind: string, ...parts: string[]) => [name, kind, ...parts.map(slug)].join('-');
    const password = (s: LogicalSecret, what: string): pulumi.Output<string> => {
      const value = args.passwords[s.env];
      if (value === undefined) throw new MissingPasswordError(s.env, s, what);
      return pulumi.secret(value);
    };
    // Every password first: a missing one stops the component before it registers anything.
    for (const r of plan.roles.filter((x) => x.login)) password(r.password, `role ${r.name}`);
    for (const s of plan.subscriptions) password(s.publisher.password, `subscription ${s.name}`);

    this.provider = new postgresql.Provider(
      id('provider'),
      {
        host: connection.host,
        port: connection.port,
        username: connection.username,
        password: pulumi.secret(connection.password),
        database: MAINTENANCE_DATABASE,
        sslmode: 'verify-full',
        sslrootcert: connection.sslrootcert,
        superuser: true,
        expectedVersion: String(plan.postgresMajor),
      },
      { parent: this },
    );
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      provider: this.provider,
      dependsOn,
    });

    const roles: Record<string, postgresql.Role> = {};
    for (const r of plan.roles) {
      roles[r.name] = new postgresql.Role(
        id('role', r.name),
        {
          name: r.name,
          login: r.login,
          replication: r.replication,
          ...(r.login ? { password: password(r.password, `role ${r.name}`) } : {}),
        },
        child(),
      );
    }
    const roleDeps = (...names: string[]) =>
      names.map((n) => roles[n]).filter((r): r is postgresql.Role => r !== undefined);

    const databases: Record<string, postgresql.Database> = {};
    for (const d of plan.databases) {
      const db = new postgresql.Database(
        id('database', d.name),
        { name: d.name, owner: d.owner },
        child(roleDeps(d.owner)),
      );
      databases[d.name] = db;
      for (const e of d.extensions) {
        new postgresql.Extension(id('extension', d.name, e), { name: e, database: d.name }, child([db]));
      }
    }
    const dbDeps = (db: string) => (databases[db] ? [databases[db]] : []);
    const ownerOf = (db: string) => plan.databases.find((d) => d.name === db)?.owner;

    const schemas = new Map<string, postgresql.Schema>();
    for (const g of plan.grants) {
      const key = `${g.database}.${g.schema}`;
      if (g.schema === 'public' || schemas.has(key)) continue;
      const owner = ownerOf(g.database);
      schemas.set(
        key,
        new postgresql.Schema(
          id('schema', g.database, g.schema),
          { name: g.schema, database: g.database, ifNotExists: true, ...(owner ? { owner } : {}) },
          child(dbDeps(g.database)),
        ),
      );
    }

    for (const g of plan.grants) {
      const schema = schemas.get(`${g.database}.${g.schema}`);
      const deps = [...roleDeps(g.role), ...dbDeps(g.database), ...(schema ? [schema] : [])];
      // Table grants name no `objects`: every table of the schema, as GRANT ... ON ALL TABLES IN SCHEMA.
      const kinds = [
        ['schema', 'schema', g.schemaPrivileges],
        ['table', 'tables', g.tablePrivileges],
      ] as const;
      for (const [objectType, suffix, privileges] of kinds) {
        if (privileges.length === 0) continue;
        new postgresql.Grant(
          id('grant', g.role, g.database, g.schema, suffix),
          { role: g.role, database: g.database, schema: g.schema, objectType, privileges: [...privileges] },
          child(deps),
        );
      }
      if (g.tablePrivileges.length === 0) continue;
      const owner = ownerOf(g.database);
      if (owner)
        new postgresql.DefaultPrivileges(
          id('default-privileges', g.role, g.database, g.schema),
          {
            role: g.role,
            owner,
            database: g.database,
            schema: g.schema,
            objectType: 'table',
            privileges: [...g.tablePrivileges],
          },
          child([...deps, ...roleDeps(owner)]),
        );
    }

    const publications: Record<string, postgresql.Publication> = {};
    for (const p of plan.publications) {
      publications[p.name] = new postgresql.Publication(
        id('publication', p.name),
        { name: p.name, database: p.database, tables: p.tables.map(formatQualifiedTable) },
        child(dbDeps(p.database)),
      );
    }

    const subscriptions: Record<string, postgresql.Subscription> = {};
    for (const s of plan.subscriptions.filter((x) => x.copyData)) {
      const fixed = subscriptionConninfo(s, {
        sslmode: 'verify-full',
        ...(args.subscriberSslrootcert ? { sslrootcert: args.subscriberSslrootcert } : {}),
      });
      const pw = password(s.publisher.password, `subscription ${s.name}`);
      subscriptions[s.name] = new postgresql.Subscription(
        id('subscription', s.name),
        {
          name: s.name,
          database: s.database,
          publications: [s.publication],
          createSlot: false,
          slotName: s.slot,
          conninfo: pulumi.secret(pw.apply((v) => `${fixed} password=${quoteConninfoValue(v)}`)),
        },
        child(dbDeps(s.database)),
      );
    }

    this.roles = roles;
    this.databases = databases;
    this.publications = publications;
    this.subscriptions = subscriptions;
    this.sqlOnly = sqlOnlyObjects(plan);
    this.registerOutputs({
      cluster: plan.cluster,
      roles: Object.keys(roles),
      databases: Object.keys(databases),
      publications: Object.keys(publications),
      subscriptions: Object.keys(subscriptions),
      sqlOnly: this.sqlOnly,
    });
  }
}
