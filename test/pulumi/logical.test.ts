/**
 * The Pulumi component under Pulumi's runtime mocks (no engine, no provider plugin): every resource's inputs, the
 * secrecy of every password, and that it declares the same objects as the rendered SQL.
 */
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadTopology } from '../../src/model/load.js';
import type { LogicalPlan } from '../../src/model/logical.js';
import { MissingPasswordError, PgtopoLogical, sqlOnlyObjects } from '../../src/pulumi/index.js';
import { renderLogicalSql } from '../../src/render/logical-sql.js';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider: string;
}

let registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider ?? '',
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    'pgtopo-logical',
    'test',
    false,
  );
});

const planOf = (example: string): LogicalPlan => loadTopology(`examples/${example}.yaml`).logical[0]!;

/** A distinct, recognisable password per secret the plan names. */
function passwordsFor(plan: LogicalPlan): Record<string, string> {
  const envs = [
    ...plan.roles.filter((r) => r.login).map((r) => r.password.env),
    ...plan.subscriptions.map((s) => s.publisher.password.env),
  ];
  return Object.fromEntries(envs.map((e) => [e, `pw-${e.toLowerCase()}-Zq9'\\`]));
}

const SUPERUSER_PASSWORD = 'superuser-pw-Xk3';

/** Instantiates the component and waits until every registration reached the mock monitor. */
async function instantiate(plan: LogicalPlan, name = plan.cluster) {
  registered = [];
  const plain = passwordsFor(plan);
  const component = new PgtopoLogical(name, {
    plan,
    connection: {
      host: 'writer.orders.db.internal',
      port: 5432,
      username: 'postgres',
      password: pulumi.secret(SUPERUSER_PASSWORD),
      sslrootcert: '/etc/pgtopo/ca.pem',
    },
    passwords: Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, pulumi.secret(v)])),
    subscriberSslrootcert: '/etc/patroni/tls/ca.pem',
  });
  // Registrations are asynchronous; wait (bounded) until the count stops moving.
  let last = -1;
  for (let i = 0; i < 200 && (registered.length !== last || i < 5); i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { component, plain, resources: registered };
}

const ofType = (rs: Registered[], type: string) => rs.filter((r) => r.type === type);
const unwrap = (v: any) => (pulumi.runtime.isRpcSecret(v) ? pulumi.runtime.unwrapRpcSecret(v) : v);

/** Every input value outside a secret wrapper, as text. */
function nonSecretText(value: any): string {
  if (pulumi.runtime.isRpcSecret(value)) return '';
  if (Array.isArray(value)) return value.map(nonSecretText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(nonSecretText).join('\n');
  return String(value);
}

describe.each(['two-region-standby', 'logical-subscriber'])(
  'PgtopoLogical for examples/%s.yaml',
  (example) => {
    const plan = planOf(example);
    let run: Awaited<ReturnType<typeof instantiate>>;
    beforeAll(async () => {
      run = await instantiate(plan);
    });

    test('one provider through the writer endpoint with verify-full TLS and a secret password', () => {
      const providers = ofType(run.resources, 'pulumi:providers:postgresql');
      expect(providers).toHaveLength(1);
      const p = providers[0]!.inputs;
      expect(p).toMatchObject({
        host: 'writer.orders.db.internal',
        port: '5432', // provider inputs are strings on the wire
        username: 'postgres',
        database: 'postgres',
        sslmode: 'verify-full',
        sslrootcert: '/etc/pgtopo/ca.pem',
        expectedVersion: String(plan.postgresMajor),
      });
      expect(pulumi.runtime.isRpcSecret(p.password)).toBe(true);
      expect(unwrap(p.password)).toBe(SUPERUSER_PASSWORD);
      // Every other resource goes through it.
      const others = run.resources.filter((r) => r.type.startsWith('postgresql:'));
      expect(others.length).toBeGreaterThan(0);
      for (const r of others) expect(r.provider).toContain(`${plan.cluster}-provider`);
    });

    test('roles: name, login, replication; passwords are secret inputs', () => {
      const roles = ofType(run.resources, 'postgresql:index/role:Role');
      expect(roles.map((r) => r.inputs.name)).toEqual(plan.roles.map((r) => r.name));
      for (const r of plan.roles) {
        const inputs = roles.find((x) => x.inputs.name === r.name)!.inputs;
        expect(inputs.login).toBe(r.login);
        expect(inputs.replication).toBe(r.replication);
        if (r.login) {
          expect(pulumi.runtime.isRpcSecret(inputs.password)).toBe(true);
          expect(unwrap(inputs.password)).toBe(run.plain[r.password.env]);
        } else {
          expect(inputs.password).toBeUndefined();
        }
      }
    });

    test('databases with owners, extensions, schema and table grants, default privileges', () => {
      const dbs = ofType(run.resources, 'postgresql:index/database:Database');
      expect(dbs.map((d) => [d.inputs.name, d.inputs.owner])).toEqual(
        plan.databases.map((d) => [d.name, d.owner]),
      );
      expect(
        ofType(run.resources, 'postgresql:index/extension:Extension').map((e) => [
          e.inputs.database,
          e.inputs.name,
        ]),
      ).toEqual(plan.databases.flatMap((d) => d.extensions.map((e) => [d.name, e])));
      const grants = ofType(run.resources, 'postgresql:index/grant:Grant');
      const expected = plan.grants.flatMap((g) => [
        ...(g.schemaPrivileges.length > 0
          ? [
              {
                role: g.role,
                database: g.database,
                schema: g.schema,
                objectType: 'schema',
                privileges: [...g.schemaPrivileges],
              },
            ]
          : []),
        ...(g.tablePrivileges.length > 0
          ? [
              {
                role: g.role,
                database: g.database,
                schema: g.schema,
                objectType: 'table',
                privileges: [...g.tablePrivileges],
              },
            ]
          : []),
      ]);
      expect(grants.map((g) => g.inputs)).toEqual(expected);
      for (const g of grants) expect(g.inputs.objects).toBeUndefined(); // every table of the schema
      const defaults = ofType(run.resources, 'postgresql:index/defaultPrivileges:DefaultPrivileges');
      expect(defaults.map((d) => d.inputs)).toEqual(
        plan.grants
          .filter((g) => g.tablePrivileges.length > 0)
          .map((g) => ({
            role: g.role,
            owner: plan.databases.find((d) => d.name === g.database)!.owner,
            database: g.database,
            schema: g.schema,
            objectType: 'table',
            privileges: [...g.tablePrivileges],
          })),
      );
    });

    test('publications list their tables sorted; no client-created slot', () => {
      const pubs = ofType(run.resources, 'postgresql:index/publication:Publication');
      expect(pubs.map((p) => p.inputs.name)).toEqual(plan.publications.map((p) => p.name));
      for (const p of pubs) {
        expect(p.inputs.tables).toEqual([...p.inputs.tables].sort());
        expect(p.inputs.database).toBe(plan.publications.find((x) => x.name === p.inputs.name)!.database);
      }
      expect(ofType(run.resources, 'postgresql:index/replicationSlot:ReplicationSlot')).toEqual([]);
      expect(run.component.sqlOnly.filter((o) => o.kind === 'slot').map((o) => o.name)).toEqual(
        plan.slots.map((s) => s.name),
      );
    });

    test('subscriptions: createSlot false on the publisher-owned slot, conninfo secret and verify-full', () => {
      const subs = ofType(run.resources, 'postgresql:index/subscription:Subscription');
      expect(subs.map((s) => s.inputs.name)).toEqual(plan.subscriptions.map((s) => s.name));
      for (const s of plan.subscriptions) {
        const inputs = subs.find((x) => x.inputs.name === s.name)!.inputs;
        expect(inputs).toMatchObject({
          database: s.database,
          publications: [s.publication],
          createSlot: false,
          slotName: s.slot,
        });
        expect(pulumi.runtime.isRpcSecret(inputs.conninfo)).toBe(true);
        const conninfo: string = unwrap(inputs.conninfo);
        expect(conninfo).toContain(`host='${s.publisher.host}'`);
        expect(conninfo).toContain("sslmode='verify-full'");
        expect(conninfo).toContain("sslrootcert='/etc/patroni/tls/ca.pem'");
        expect(conninfo).toContain(`user='${s.publisher.user}'`);
        // libpq quoting of the password: ' and \ escaped by a backslash.
        const pw = run.plain[s.publisher.password.env]!;
        expect(conninfo.endsWith(` password='${pw.replace(/[\\']/g, (c) => `\\${c}`)}'`)).toBe(true);
      }
    });

    test('no password appears in any non-secret input', () => {
      const text = run.resources.map((r) => nonSecretText(r.inputs)).join('\n');
      for (const pw of [SUPERUSER_PASSWORD, ...Object.values(run.plain)]) expect(text).not.toContain(pw);
      expect(text).not.toContain('pw-pgtopo');
    });

    test('the same objects as the rendered SQL', () => {
      const sql = renderLogicalSql(plan)
        .flatMap((g) => g.statements.map((s) => s.sql))
        .join('\n');
      const names = (re: RegExp) => [...sql.matchAll(re)].map((m) => m[1]!).sort();
      const inputs = (type: string) =>
        ofType(run.resources, type)
          .map((r) => r.inputs.name as string)
          .sort();
      const sqlOnly = (kind: string) =>
        run.component.sqlOnly.filter((o) => o.kind === kind).map((o) => o.name);
      expect(inputs('postgresql:index/role:Role')).toEqual(names(/^CREATE ROLE "([^"]+)"/gm));
      expect(inputs('postgresql:index/database:Database')).toEqual(names(/^CREATE DATABASE "([^"]+)"/gm));
      expect(inputs('postgresql:index/extension:Extension')).toEqual(
        names(/^CREATE EXTENSION IF NOT EXISTS "([^"]+)"/gm),
      );
      expect(inputs('postgresql:index/publication:Publication')).toEqual(
        names(/^CREATE PUBLICATION "([^"]+)"/gm),
      );
      expect(
        [...inputs('postgresql:index/subscription:Subscription'), ...sqlOnly('subscription')].sort(),
      ).toEqual(names(/^CREATE SUBSCRIPTION "([^"]+)"/gm));
      // Publication tables, as the SQL's FOR TABLE lists them.
      for (const p of ofType(run.resources, 'postgresql:index/publication:Publication')) {
        const m = sql.match(new RegExp(`^CREATE PUBLICATION "${p.inputs.name}" FOR TABLE (.+)$`, 'm'))!;
        expect(m[1]!.replaceAll('"', '').split(', ')).toEqual(p.inputs.tables);
      }
      // Table grants, as GRANT ... ON ALL TABLES IN SCHEMA.
      expect(
        ofType(run.resources, 'postgresql:index/grant:Grant')
          .filter((g) => g.inputs.objectType === 'table')
          .map((g) => `${g.inputs.privileges.join(', ')} ${g.inputs.schema} ${g.inputs.role}`)
          .sort(),
      ).toEqual(
        [...sql.matchAll(/^GRANT (.+) ON ALL TABLES IN SCHEMA "([^"]+)" TO "([^"]+)"/gm)]
          .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
          .sort(),
      );
      // What the SQL makes that the provider cannot: failover slots and heartbeat tables.
      const sqlSlots = names(/pg_create_logical_replication_slot\('([^']+)'/gm);
      for (const s of sqlSlots) expect(sqlOnly('slot')).toContain(s);
      expect(sqlOnly('heartbeat-table').sort()).toEqual(
        names(/^CREATE TABLE IF NOT EXISTS "([^"]+"\."[^"]+)"/gm).map((t) => t.replace('"."', '.')),
      );
    });
  },
);

test('a subscription with copyData false is left to the SQL, not created with copy_data', async () => {
  const base = planOf('logical-subscriber');
  const plan: LogicalPlan = {
    ...base,
    subscriptions: base.subscriptions.map((s) => ({ ...s, copyData: false })),
  };
  const { component, resources } = await instantiate(plan, 'nocopy');
  expect(ofType(resources, 'postgresql:index/subscription:Subscription')).toEqual([]);
  expect(component.sqlOnly).toContainEqual(
    expect.objectContaining({ kind: 'subscription', name: 'orders_read_model' }),
  );
  expect(sqlOnlyObjects(plan).filter((o) => o.kind === 'subscription')).toHaveLength(1);
});

test('a login role without its password input is refused before any resource, naming the variable and the secret', async () => {
  const plan = planOf('logical-subscriber');
  const role = plan.roles.find((r) => r.login)!;
  registered = [];
  let error: unknown;
  try {
    new PgtopoLogical('missing', {
      plan,
      connection: {
        host: 'h',
        port: 5432,
        username: 'postgres',
        password: pulumi.secret('x'),
        sslrootcert: '/ca.pem',
      },
      passwords: {},
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MissingPasswordError);
  expect((error as MissingPasswordError).env).toBe(role.password.env);
  expect((error as MissingPasswordError).secret.id).toBe(role.password.id);
  await new Promise((r) => setTimeout(r, 50));
  expect(registered.filter((r) => r.type !== 'pgtopo:logical:Cluster')).toEqual([]);
});

test('stacks/logical: one component per writable cluster through the spec writer endpoint, passwords from the environment', async () => {
  const plan = planOf('two-region-standby');
  const plain = passwordsFor(plan);
  for (const [k, v] of Object.entries(plain)) process.env[k] = v;
  pulumi.runtime.setAllConfig(
    {
      'pgtopo-logical:spec': 'examples/two-region-standby.yaml',
      'pgtopo-logical:sslrootcert': '/etc/pgtopo/ca.pem',
      'pgtopo-logical:superuserPassword': SUPERUSER_PASSWORD,
    },
    ['pgtopo-logical:superuserPassword'],
  );
  registered = [];
  const stack = await import('../../stacks/logical/index.js');
  for (let i = 0, last = -1; i < 200 && (registered.length !== last || i < 5); i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const k of Object.keys(plain)) delete process.env[k];
  const topology = loadTopology('examples/two-region-standby.yaml');
  const providers = ofType(registered, 'pulumi:providers:postgresql');
  expect(providers.map((p) => [p.inputs.host, p.inputs.port])).toEqual([
    [topology.endpoints.globalWriter, '5432'],
  ]);
  expect(pulumi.runtime.isRpcSecret(providers[0]!.inputs.password)).toBe(true);
  expect(Object.keys(stack.clusters)).toEqual([plan.cluster]);
  expect(stack.clusters[plan.cluster]!.secrets).toEqual(
    Object.fromEntries(plan.roles.filter((r) => r.login).map((r) => [r.password.env, r.password.id])),
  );
  for (const r of ofType(registered, 'postgresql:index/role:Role').filter((x) => x.inputs.login))
    expect(pulumi.runtime.isRpcSecret(r.inputs.password)).toBe(true);
});
