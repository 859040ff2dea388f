/**
 * Debezium PostgreSQL connector configuration of each CDC feed (Kafka Connect REST shape: `{name, config}`),
 * with the property names of Debezium's PostgreSQL connector documentation. The feed streams the slot pgtopo
 * owns (it never lets Debezium create a slot or a publication), connects to the global writer endpoint (it
 * follows the primary through a failover and a region promotion) over TLS, and names its password by
 * reference only.
 *
 * Credentials: `${secretsManager:<secret>:password}`, the syntax of the AWS Secrets Manager config provider
 * for Kafka Connect (confluentinc/csid-secrets-provider-aws, `io.confluent.csid.config.provider.aws.
 * SecretsManagerConfigProvider`, registered in the Connect worker as `config.providers=secretsManager`). That
 * provider reads a JSON secret: a logical role's secret holds `{"username": ..., "password": ...}`.
 */
import type { CdcFeedPlan, LogicalPlan } from '../model/logical.js';
import { formatQualifiedTable } from '../model/logical.js';
import { heartbeatActionQuery } from './logical-sql.js';

/** The config-provider name the connector's placeholders use, and the worker class it stands for. */
export const CONFIG_PROVIDER = {
  name: 'secretsManager',
  class: 'io.confluent.csid.config.provider.aws.SecretsManagerConfigProvider',
} as const;

export interface DebeziumOptions {
  /** TLS to PostgreSQL (`security.tls`). Default true: verify-full against `sslrootcert`. */
  readonly tls?: boolean;
  /** Path of the cluster CA certificate on the Kafka Connect workers. */
  readonly sslrootcert?: string;
  /** Overrides the writer endpoint (the rehearsal's loopback address). */
  readonly endpoint?: (feed: CdcFeedPlan) => { readonly host: string; readonly port: number };
}

/** Where the Connect workers keep the cluster CA unless told otherwise. */
export const DEFAULT_SSLROOTCERT = '/etc/kafka/pgtopo/ca.crt';

export interface DebeziumConnector {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
}

/** A Debezium `table.include.list` entry: a regular expression matching exactly `schema.table`. */
function tableRegex(name: string): string {
  return name.replace(/[.$^*+?()[\]{}|\\]/g, (c) => `\\${c}`);
}

export function renderDebeziumConnector(
  plan: LogicalPlan,
  feed: CdcFeedPlan,
  opts: DebeziumOptions = {},
): DebeziumConnector {
  const role = plan.roles.find((r) => r.name === feed.role);
  const publication = plan.publications.find((p) => p.name === feed.publication);
  const heartbeat = formatQualifiedTable(feed.heartbeat.table);
  const tables = (publication?.tables ?? []).map(formatQualifiedTable).filter((t) => t !== heartbeat);
  const endpoint = opts.endpoint?.(feed) ?? { host: feed.host, port: feed.port };
  const tls = opts.tls ?? true;
  return {
    name: feed.name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'slot.name': feed.slot,
      'slot.drop.on.stop': 'false',
      'publication.name': feed.publication,
      'publication.autocreate.mode': 'disabled',
      'database.hostname': endpoint.host,
      'database.port': String(endpoint.port),
      'database.dbname': feed.database,
      'database.user': feed.role,
      'database.password': role
        ? `\${${CONFIG_PROVIDER.name}:${role.password.id}:password}`
        : `\${${CONFIG_PROVIDER.name}:unknown-role-${feed.role}:password}`,
      ...(tls
        ? {
            'database.sslmode': 'verify-full',
            'database.sslrootcert': opts.sslrootcert ?? DEFAULT_SSLROOTCERT,
          }
        : { 'database.sslmode': 'disable' }),
      'topic.prefix': feed.name,
      ...(tables.length > 0 ? { 'table.include.list': tables.map(tableRegex).join(',') } : {}),
      'heartbeat.interval.ms': String(feed.heartbeat.intervalMs),
      'heartbeat.action.query': heartbeatActionQuery(feed),
    },
  };
}

/** Every CDC feed of a plan, in spec order. */
export function renderDebeziumConnectors(plan: LogicalPlan, opts: DebeziumOptions = {}): DebeziumConnector[] {
  return plan.feeds.map((f) => renderDebeziumConnector(plan, f, opts));
}
