/**
 * Names and file locations every renderer, the boot step and the rehearsal
 * share. Defined once here; paths derive from the address map's roots.
 */
import type { Topology } from '../model/types.js';
import type { NodePaths } from './types.js';

/** Database roles pgtopo creates. Passwords come from secrets, never from here. */
export const ROLES = {
  /** Patroni superuser. */
  superuser: 'postgres',
  /** Streaming replication (members, standby clusters). */
  replication: 'replicator',
  /** pg_rewind (Patroni grants it the needed functions). */
  rewind: 'rewinder',
  /** PgBouncer's `auth_user`: may only call `pgbouncer.get_auth(text)`. */
  pgbouncerAuth: 'pgbouncer_auth',
  /** postgres_exporter: member of pg_monitor, peer authentication over the local socket only. */
  monitor: 'pgtopo_monitor',
} as const;

/** Patroni REST API basic-auth user (password from the `restApi` secret). */
export const REST_API_USER = 'patroni';

/** pg_ident map that lets local OS accounts log in as database roles over the socket. */
export const IDENT_MAP = 'pgtopo';

/** Patroni's DCS namespace. */
export const PATRONI_NAMESPACE = '/pgtopo/';

/** systemd units pgtopo installs (package units are masked). */
export const UNITS = {
  patroni: 'pgtopo-patroni',
  pgbouncer: 'pgtopo-pgbouncer',
  etcd: 'pgtopo-etcd',
  postgresExporter: 'pgtopo-postgres-exporter',
  nodeExporter: 'pgtopo-node-exporter',
  pgbouncerExporter: 'pgtopo-pgbouncer-exporter',
  backup: 'pgtopo-backup',
  haproxy: 'pgtopo-haproxy',
  metrics: 'pgtopo-metrics',
} as const;

/** Package units the boot step stops and masks so that only pgtopo's units run. */
export const PACKAGE_UNITS = [
  'patroni',
  'postgresql',
  'pgbouncer',
  'etcd',
  'prometheus-postgres-exporter',
  'prometheus-node-exporter',
  'prometheus-pgbouncer-exporter',
  'haproxy',
] as const;

/** Binaries of the Debian packages. */
export const BIN = {
  patroni: '/usr/bin/patroni',
  patronictl: '/usr/bin/patronictl',
  pgbouncer: '/usr/sbin/pgbouncer',
  etcd: '/usr/bin/etcd',
  pgbackrest: '/usr/bin/pgbackrest',
  postgresExporter: '/usr/bin/prometheus-postgres-exporter',
  nodeExporter: '/usr/bin/prometheus-node-exporter',
  pgbouncerExporter: '/usr/bin/prometheus-pgbouncer-exporter',
  haproxy: '/usr/sbin/haproxy',
  psql: '/usr/bin/psql',
  curl: '/usr/bin/curl',
  python3: '/usr/bin/python3',
  install: '/usr/bin/install',
} as const;

/** Every file location of a host, derived from its roots. */
export function layout(p: NodePaths, t: Topology) {
  return {
    patroniYml: `${p.config}/patroni.yml`,
    postBootstrap: `${p.config}/patroni-post-bootstrap.sh`,
    pgDataRoot: `${p.data}/postgresql`,
    pgData: `${p.data}/postgresql/${t.postgres.version}/data`,
    pgSocketDir: `${p.run}/postgresql`,
    pgLogDir: `${p.log}/postgresql`,
    patroniRunDir: `${p.run}/patroni`,
    pgpass: `${p.run}/patroni/pgpass`,
    pgbackrestDir: `${p.config}/pgbackrest`,
    pgbackrestConf: `${p.config}/pgbackrest/pgbackrest.conf`,
    /** Include path pgBackRest reads next to its config: only the cipher file the boot step writes. */
    pgbackrestSecretsDir: `${p.secrets}/pgbackrest`,
    pgbackrestCipherConf: `${p.secrets}/pgbackrest/cipher.conf`,
    pgbackrestSpool: `${p.spool}/pgbackrest`,
    pgbackrestLog: `${p.log}/pgbackrest`,
    pgbackrestLock: `${p.run}/pgbackrest`,
    backupScript: `${p.config}/pgtopo-backup.sh`,
    pgbouncerDir: `${p.config}/pgbouncer`,
    pgbouncerIni: `${p.config}/pgbouncer/pgbouncer.ini`,
    pgbouncerHba: `${p.config}/pgbouncer/pg_hba.conf`,
    pgbouncerSecretsDir: `${p.secrets}/pgbouncer`,
    pgbouncerAuthFile: `${p.secrets}/pgbouncer/userlist.txt`,
    pgbouncerSocketDir: `${p.run}/pgbouncer`,
    pgbouncerPid: `${p.run}/pgbouncer/pgbouncer.pid`,
    pgbouncerLogDir: `${p.log}/pgbouncer`,
    pgbouncerLog: `${p.log}/pgbouncer/pgbouncer.log`,
    etcdDir: `${p.config}/etcd`,
    etcdEnv: `${p.config}/etcd/etcd.env`,
    etcdDataRoot: `${p.data}/etcd`,
    postgresExporterEnv: `${p.config}/postgres-exporter.env`,
    /** Publishes NODE_METRICS every minute (CloudWatch EMF through CloudWatch Logs; a file locally). */
    metricsScript: `${p.config}/pgtopo-metrics.sh`,
    /** The publisher's state: the archiver's failed_count of the previous run. */
    metricsStateDir: `${p.data}/metrics`,
    metricsArchiveState: `${p.data}/metrics/archive-failed-count`,
    /** Local (rehearsal) render: the EMF documents the publisher would send, one per line. */
    metricsLocalOutput: `${p.data}/metrics/emf.jsonl`,
    haproxyDir: `${p.config}/haproxy`,
    haproxyCfg: `${p.config}/haproxy/haproxy.cfg`,
    haproxyRunDir: `${p.run}/haproxy`,
    haproxySocket: `${p.run}/haproxy/admin.sock`,
    haproxyPid: `${p.run}/haproxy/haproxy.pid`,
    bootDir: `${p.config}/boot`,
    bootScript: `${p.config}/boot/pgtopo-boot.sh`,
    secretTemplatesDir: `${p.config}/boot/secrets`,
    /** Patroni credentials as environment (systemd EnvironmentFile, read as root before privileges drop). */
    patroniEnv: `${p.secrets}/patroni.env`,
    /** The PgBouncer auth_user password, read by the post-bootstrap script to create the role. */
    pgbouncerPassword: `${p.secrets}/pgbouncer/auth_user.password`,
    tlsCa: `${p.tls}/ca.crt`,
    tlsCert: `${p.tls}/node.crt`,
    tlsKey: `${p.tls}/node.key`,
  };
}

export type Layout = ReturnType<typeof layout>;

/** Host name of the HAProxy node of a cluster (client-side routing host on AWS, rehearsal endpoint locally). */
export function haproxyHost(scope: string): string {
  return `haproxy-${scope}`;
}

/** pgBackRest stanza of a cluster's WAL: a cluster archives under its own scope. */
export function stanzaOf(scope: string): string {
  return scope;
}

/** Physical replication slot a standby cluster's leader uses on the cluster it follows. */
export function standbySlotName(standbyScope: string): string {
  return `standby_${standbyScope.replace(/[^a-z0-9]/g, '_')}`;
}
