/**
 * The Pulumi project of pgtopo's logical layer (`stacks/logical`): one `PgtopoLogical` component per writable
 * cluster of the spec, through that cluster's writer endpoint over TLS.
 *
 * Inputs (nothing here reads the physical stacks' Terraform state: their outputs hold neither the logical
 * secrets' values nor anything the spec does not already determine, so explicit config is used):
 * - the spec: `$PGTOPO_SPEC` or config `spec`, resolved through pgtopo's own loader (the same topology `check`
 *   and `synth` see);
 * - per cluster, optionally, config `clusters.<scope>.host` / `.port`: default the spec's global writer
 *   endpoint (`writer.<dnsZone>`, the name the physical global stack publishes) and the writer port;
 * - `superuserPassword` (secret config), `sslrootcert`, `subscriberSslrootcert`, `superuser`;
 * - the passwords of login roles and subscriptions from the environment variables the plan names
 *   (`PGTOPO_LOGICAL_ROLE_<ROLE>_PASSWORD`, `PGTOPO_LOGICAL_SUBSCRIPTION_<NAME>_PASSWORD`, the same ones the SQL
 *   step reads), filled by the pipeline from the Secrets Manager secret the plan names (stack output
 *   `clusters.<scope>.secrets` lists them); each is made a secret Output at once. A missing one stops the
 *   program, naming the variable and the secret.
 */
import { resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { loadTopology, PORTS, SpecError } from '../../src/index.js';
import { isEmptyPlan, type LogicalPlan } from '../../src/model/logical.js';
import { issueLines } from '../../src/policy/format/text.js';
import { checkReport } from '../../src/policy/report.js';
import { MissingPasswordError, PgtopoLogical } from '../../src/pulumi/index.js';

const config = new pulumi.Config();
const spec = resolve(process.env.PGTOPO_SPEC || config.require('spec'));

function load() {
  try {
    return loadTopology(spec);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const lines = issueLines(checkReport(spec, { ok: false, issues: e.issues }));
    throw new pulumi.RunError([`pgtopo: invalid ${spec}: ${e.issues.length} issue(s)`, ...lines].join('\n'));
  }
}

const topology = load();
const endpoints = config.getObject<Record<string, { host?: string; port?: number }>>('clusters') ?? {};

/** The secret inputs a plan needs, by variable name, from the environment (unset ones left out). */
function passwordsFor(plan: LogicalPlan): Record<string, pulumi.Output<string>> {
  const envs = [
    ...plan.roles.filter((r) => r.login).map((r) => r.password.env),
    ...plan.subscriptions.map((s) => s.publisher.password.env),
  ];
  return Object.fromEntries(
    envs.flatMap((env) => {
      const value = process.env[env];
      return value ? [[env, pulumi.secret(value)]] : [];
    }),
  );
}

const plans = topology.logical.filter((plan) => !isEmptyPlan(plan));
const components = plans.map((plan) => {
  const at = endpoints[plan.cluster] ?? {};
  try {
    return new PgtopoLogical(plan.cluster, {
      plan,
      connection: {
        host: at.host ?? topology.endpoints.globalWriter,
        port: at.port ?? PORTS.writer,
        username: config.get('superuser') ?? 'postgres',
        password: config.requireSecret('superuserPassword'),
        sslrootcert: config.require('sslrootcert'),
      },
      passwords: passwordsFor(plan),
      subscriberSslrootcert: config.get('subscriberSslrootcert') ?? '/etc/patroni/tls/ca.pem',
    });
  } catch (e) {
    if (e instanceof MissingPasswordError) throw new pulumi.RunError(e.message);
    throw e;
  }
});

/** Per writable cluster: what the component manages and what the rendered SQL (or Patroni) must make. */
export const clusters = Object.fromEntries(
  components.map((c, i) => {
    const plan = plans[i]!;
    return [
      plan.cluster,
      {
        roles: Object.keys(c.roles),
        databases: Object.keys(c.databases),
        publications: Object.keys(c.publications),
        subscriptions: Object.keys(c.subscriptions),
        sqlOnly: c.sqlOnly,
        /** The Secrets Manager secret behind each password variable (ids and ARNs, never values). */
        secrets: Object.fromEntries([
          ...plan.roles.filter((r) => r.login).map((r) => [r.password.env, r.password.id]),
          ...plan.subscriptions.map((s) => [s.publisher.password.env, s.publisher.password.id]),
        ]),
      },
    ];
  }),
);
