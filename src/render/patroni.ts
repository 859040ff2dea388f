/**
 * patroni.yml of a member, its pg_hba and pg_ident, and the post-bootstrap
 * script. Keys are those Patroni reads on both releases (3.0.2 on Debian 12, 4.0.7 on Debian 13;
 * patroni/config.py, validator.py); what only Patroni 4 knows is rendered only where the release has it;
 * passwords come from PATRONI_*_PASSWORD environment variables the boot step
 * writes into an EnvironmentFile.
 */
import { ARCHIVE_TIMEOUT_SECONDS, PORTS } from '../model/constants.js';
import type { LogicalPlan } from '../model/logical.js';
import { FAILOVER_SLOT_PARAMETERS, logicalParameters, planOf } from '../model/logical.js';
import type { Cluster, Member, Topology } from '../model/types.js';
import { managedBy } from '../policy/managed-parameters.js';
import { yaml11 } from './format.js';
import { clusterNamed, followersOf, memberNamed, quorumNamed, replicationCapacity } from './lookup.js';
import { BIN, IDENT_MAP, layout, PATRONI_NAMESPACE, REST_API_USER, ROLES, standbySlotName } from './names.js';
import { archiveCommand, archiveStanza, pgbackrestEnvironment, restoreCommand } from './pgbackrest.js';
import type { AddressMap } from './types.js';

const onOff = (b: boolean) => (b ? 'on' : 'off');

/** A spec parameter as PostgreSQL reads it. */
function parameterValue(v: string | number | boolean): string | number {
  return typeof v === 'boolean' ? onOff(v) : v;
}

/** The pg_hba lines of a member: TLS and SCRAM for every network line, peer only over the local socket. */
export function pgHba(t: Topology, memberName: string, map: AddressMap): string[] {
  const m = memberNamed(t, memberName);
  const c = clusterNamed(t, m.cluster);
  const host = t.security.tls ? 'hostssl' : 'host';
  const replicationRegions = [...c.regions, ...followersOf(t, c.scope).flatMap((f) => f.regions)];
  const line = (type: string, db: string, user: string, address: string, method: string) =>
    [type.padEnd(8), db.padEnd(12), user.padEnd(24), address.padEnd(18), method].join(' ').trimEnd();
  const lines = [
    line('local', 'all', `${ROLES.superuser},${ROLES.monitor}`, '', `peer map=${IDENT_MAP}`),
    line('local', 'all', 'all', '', 'scram-sha-256'),
    ...map
      .nodeNetworks(replicationRegions)
      .map((n) => line(host, 'replication', ROLES.replication, n, 'scram-sha-256')),
    // Logical replication (CDC, subscriptions) connects to a database by name: the `replication` keyword does not match it.
    ...t.logical
      .flatMap((p) => p.hba)
      .flatMap((e) => map.clientNetworks().map((n) => line(host, e.database, e.user, n, 'scram-sha-256'))),
    ...map.nodeNetworks(c.regions).map((n) => line(host, 'all', 'all', n, 'scram-sha-256')),
    ...map.clientNetworks().map((n) => line(host, 'all', 'all', n, 'scram-sha-256')),
  ];
  return [...new Set(lines)];
}

/**
 * Patroni's permanent slots: a physical slot per standby cluster, and the logical slots Patroni owns (PostgreSQL
 * before 17), which it creates on the primary and copies to and advances on its replicas.
 */
function permanentSlots(followers: readonly Cluster[], plan: LogicalPlan | undefined) {
  const slots: Record<string, Record<string, string>> = {
    ...Object.fromEntries(followers.map((s) => [standbySlotName(s.scope), { type: 'physical' }])),
    ...Object.fromEntries(
      (plan?.slots ?? [])
        .filter((s) => s.owner === 'patroni-permanent')
        .map((s) => [s.name, { type: 'logical', database: s.database, plugin: s.plugin }]),
    ),
  };
  return Object.keys(slots).length > 0 ? { slots } : {};
}

/**
 * Slots Patroni must leave alone (it drops every slot it does not know; 4.0.7 spares no failover slot): the
 * PostgreSQL 17 failover slots PostgreSQL owns, and the transient table-synchronisation slots subscribers
 * create in a published database (all pgoutput slots there: ignore_slots matches on exact names only).
 */
function ignoredSlots(plan: LogicalPlan | undefined) {
  if (!plan) return {};
  const subscribed = [
    ...new Set(plan.slots.filter((s) => s.usedBy.kind === 'subscriber').map((s) => s.database)),
  ];
  const ignore = [
    ...plan.slots
      .filter((s) => s.owner === 'postgres-failover' && !subscribed.includes(s.database))
      .map((s) => ({ name: s.name, type: 'logical', database: s.database, plugin: s.plugin })),
    ...subscribed.map((database) => ({ type: 'logical', database, plugin: 'pgoutput' })),
  ];
  return ignore.length > 0 ? { ignore_slots: ignore } : {};
}

/** pg_ident: the OS accounts that may log in over the socket without a password, and as whom. */
export function pgIdent(map: AddressMap): string[] {
  const lines = [
    `${IDENT_MAP} ${map.accounts.postgres.user} ${ROLES.superuser}`,
    `${IDENT_MAP} ${map.accounts.exporter.user} ${ROLES.monitor}`,
  ];
  return [...new Set(lines)];
}

/** The etcd client endpoints of a member's quorum. */
export function etcdHosts(t: Topology, memberName: string, map: AddressMap): string[] {
  const c = clusterNamed(t, memberNamed(t, memberName).cluster);
  return quorumNamed(t, c.quorum).members.map((e) => `${map.etcdAddress(e.name)}:${PORTS.etcdClient}`);
}

/** Whether etcd clients use TLS for a member's quorum. */
function etcdClientTls(t: Topology, m: Member): boolean {
  return quorumNamed(t, clusterNamed(t, m.cluster).quorum).tls.client;
}

export function renderPatroni(t: Topology, memberName: string, map: AddressMap): string {
  const m = memberNamed(t, memberName);
  const c = clusterNamed(t, m.cluster);
  const f = layout(map.paths(m.name), t);
  const addr = map.memberAddress(m.name);
  const tls = t.security.tls;
  const capacity = replicationCapacity(t);
  const timers = t.failover.timers;
  const hba = pgHba(t, m.name, map);
  const sslConn = tls ? { sslmode: 'verify-full', sslrootcert: f.tlsCa } : {};

  const userParameters = Object.fromEntries(
    Object.entries(t.postgres.parameters)
      .filter(([k]) => managedBy(k) === undefined)
      .map(([k, v]) => [k, parameterValue(v)]),
  );
  const plan = planOf(t.logical, c.scope);
  const logical = logicalParameters(t.logical);
  const atLeast = (name: string) =>
    logical[name] === undefined
      ? {}
      : { [name]: Math.max(Number(logical[name]), Number(t.postgres.parameters[name] ?? 0)) };
  const dcsParameters = {
    ...userParameters,
    password_encryption: 'scram-sha-256',
    wal_level:
      t.postgres.parameters.wal_level === 'logical' || logical.wal_level === 'logical'
        ? 'logical'
        : 'replica',
    ...atLeast('max_logical_replication_workers'),
    ...atLeast('max_worker_processes'),
    // PostgreSQL 17 failover slots: standbys of the cluster that owns them synchronize them.
    ...Object.fromEntries(
      FAILOVER_SLOT_PARAMETERS.filter((k) => plan?.parameters[k] !== undefined).map((k) => [
        k,
        plan!.parameters[k],
      ]),
    ),
    hot_standby: 'on',
    wal_log_hints: onOff(t.postgres.walLogHints),
    // The spec may raise these (PGT-PG-001 checks they cover the streams); never below what the model needs.
    max_wal_senders: Math.max(capacity.maxWalSenders, Number(t.postgres.parameters.max_wal_senders ?? 0)),
    max_replication_slots: Math.max(
      capacity.maxReplicationSlots,
      Number(t.postgres.parameters.max_replication_slots ?? 0),
    ),
  };
  const localParameters = {
    unix_socket_directories: f.pgSocketDir,
    ...(tls
      ? {
          ssl: 'on',
          ssl_cert_file: f.tlsCert,
          ssl_key_file: f.tlsKey,
          ssl_ca_file: f.tlsCa,
          ssl_min_protocol_version: 'TLSv1.2',
        }
      : {}),
    logging_collector: 'on',
    log_directory: f.pgLogDir,
    log_filename: 'postgresql-%a.log',
    log_truncate_on_rotation: 'on',
    log_rotation_age: '1d',
    // The physical slots of the other failover-eligible members: no logical consumer gets ahead of the standby
    // that would replace this member as primary (PostgreSQL 17 failover slots).
    ...(plan?.synchronizedStandbySlots[m.name]
      ? { synchronized_standby_slots: plan.synchronizedStandbySlots[m.name] }
      : {}),
    ...(t.archive.enabled
      ? {
          archive_mode: 'on',
          archive_command: archiveCommand(t, m.name),
          archive_timeout: `${ARCHIVE_TIMEOUT_SECONDS}s`,
        }
      : { archive_mode: 'off' }),
  };
  const recoveryConf = {
    ...(t.archive.enabled ? { restore_command: restoreCommand(t, m.name) } : {}),
    ...(m.recoveryMinApplyDelaySeconds !== undefined
      ? { recovery_min_apply_delay: `${m.recoveryMinApplyDelaySeconds}s` }
      : {}),
  };

  const sync = c.role === 'primary' ? t.durability.synchronousMode : 'off';
  const followers = followersOf(t, c.scope);
  const dcs = {
    ttl: timers.ttl,
    loop_wait: timers.loopWait,
    retry_timeout: timers.retryTimeout,
    maximum_lag_on_failover: timers.maximumLagOnFailover,
    // Quorum commit (Patroni 4): synchronous_standby_names = ANY n (every eligible standby).
    synchronous_mode: sync === 'quorum' ? 'quorum' : sync !== 'off',
    synchronous_mode_strict: sync === 'strict',
    synchronous_node_count: t.durability.synchronousNodeCount,
    ...permanentSlots(followers, plan),
    ...ignoredSlots(plan),
    ...(c.role === 'standby' && c.follows
      ? {
          standby_cluster: {
            host: map.endpointHost(c.follows, 'writer'),
            port: PORTS.writer,
            primary_slot_name: standbySlotName(c.scope),
            create_replica_methods: ['basebackup'],
            ...(t.archive.enabled ? { restore_command: restoreCommand(t, m.name) } : {}),
          },
        }
      : {}),
    postgresql: {
      use_pg_rewind: t.postgres.usePgRewind,
      use_slots: true,
      parameters: dcsParameters,
    },
  };

  const quorumTls = etcdClientTls(t, m);
  const tags: Record<string, string | boolean | number> = {
    nofailover: !m.failoverEligible,
    nosync: m.tags.nosync,
  };
  // failover_priority: Patroni >= 3.2 breaks ties between equally advanced candidates with it (higher wins);
  // 3.0.2 (debian-12) keeps it as a custom tag and ignores it. Priority 0 is nofailover above.
  if (m.failoverEligible && m.tags.failoverPriority !== undefined)
    tags.failover_priority = m.tags.failoverPriority;
  if (m.replicateFrom !== undefined) tags.replicatefrom = m.replicateFrom;

  const doc = {
    scope: c.scope,
    namespace: PATRONI_NAMESPACE,
    name: m.name,
    restapi: {
      listen: `${addr}:${PORTS.patroniRest}`,
      connect_address: `${addr}:${PORTS.patroniRest}`,
      ...(tls ? { certfile: f.tlsCert, keyfile: f.tlsKey, cafile: f.tlsCa } : {}),
      authentication: { username: REST_API_USER },
    },
    ...(tls ? { ctl: { insecure: false, cacert: f.tlsCa, certfile: f.tlsCert, keyfile: f.tlsKey } } : {}),
    etcd3: {
      hosts: etcdHosts(t, m.name, map),
      protocol: quorumTls ? 'https' : 'http',
      ...(quorumTls ? { cacert: f.tlsCa, cert: f.tlsCert, key: f.tlsKey } : {}),
    },
    bootstrap: {
      dcs,
      initdb: [
        { encoding: 'UTF8' },
        { locale: 'C.UTF-8' },
        { 'auth-local': 'peer' },
        { 'auth-host': 'scram-sha-256' },
        ...(t.postgres.dataChecksums ? ['data-checksums'] : []),
      ],
      pg_hba: hba,
      post_bootstrap: f.postBootstrap,
    },
    postgresql: {
      listen: `${addr}:${PORTS.postgres}`,
      connect_address: `${addr}:${PORTS.postgres}`,
      data_dir: f.pgData,
      bin_dir: map.postgresBinDir(t.postgres.version),
      pgpass: f.pgpass,
      use_unix_socket: true,
      authentication: {
        superuser: { username: ROLES.superuser },
        replication: { username: ROLES.replication, ...sslConn },
        rewind: { username: ROLES.rewind, ...sslConn },
      },
      parameters: localParameters,
      ...(Object.keys(recoveryConf).length > 0 ? { recovery_conf: recoveryConf } : {}),
      pg_hba: hba,
      pg_ident: pgIdent(map),
      create_replica_methods: ['basebackup'],
      basebackup: [{ checkpoint: 'fast' }],
    },
    watchdog: { mode: 'automatic', device: '/dev/watchdog', safety_margin: 5 },
    tags,
  };
  return yaml11(doc, [
    `Patroni ${m.name}: member of ${c.scope} (${c.role}) in ${m.region}/${m.az}. Generated by pgtopo: do not edit.`,
    'Passwords: PATRONI_{SUPERUSER,REPLICATION,REWIND,RESTAPI}_PASSWORD from the EnvironmentFile the boot step writes.',
  ]);
}

/**
 * Runs once on the member that initialises a writable cluster (Patroni passes
 * a superuser connection string): creates the monitoring role, PgBouncer's
 * auth_user with its lookup function, and the pgBackRest stanza.
 */
export function renderPostBootstrap(t: Topology, memberName: string, map: AddressMap): string {
  const m = memberNamed(t, memberName);
  const f = layout(map.paths(m.name), t);
  const env = pgbackrestEnvironment(t, m.name, map);
  const fn = `
CREATE SCHEMA IF NOT EXISTS pgbouncer;
REVOKE ALL ON SCHEMA pgbouncer FROM PUBLIC;
GRANT USAGE ON SCHEMA pgbouncer TO ${ROLES.pgbouncerAuth};
CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text)
  RETURNS TABLE(usename name, passwd text)
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
  $fn$ SELECT usename, passwd FROM pg_catalog.pg_shadow
       WHERE usename = p_usename AND NOT usesuper AND NOT userepl $fn$;
REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO ${ROLES.pgbouncerAuth};`;
  return `#!/bin/bash
# Patroni post_bootstrap for ${m.name} (${m.cluster}). Generated by pgtopo: do not edit.
set -euo pipefail
conn="$1"
${Object.entries(env)
  .map(([k, v]) => `export ${k}=${v}`)
  .join('\n')}
# Roles are global: create them once. The password is read from the file the boot step wrote.
${BIN.psql} "$conn" --no-psqlrc --quiet <<'SQL'
\\set ON_ERROR_STOP on
SET log_statement TO none;
SET log_min_error_statement TO panic;
\\set auth_password \`cat ${f.pgbouncerPassword}\`
CREATE ROLE ${ROLES.monitor} LOGIN IN ROLE pg_monitor;
CREATE ROLE ${ROLES.pgbouncerAuth} LOGIN PASSWORD :'auth_password';
SQL
# PgBouncer runs auth_query in the database a client asks for: the function lives in every database.
for db in template1 postgres; do
  ${BIN.psql} "$conn dbname=$db" --no-psqlrc --quiet -v ON_ERROR_STOP=1 <<'SQL'${fn}
SQL
done
${
  t.archive.enabled && clusterNamed(t, m.cluster).role === 'primary'
    ? `${BIN.pgbackrest} --stanza=${archiveStanza(t, m.name)} stanza-create \\
  || echo "pgtopo: stanza-create failed; the scheduled backup retries it" >&2`
    : '# No stanza to create here (archiving disabled, or a standby cluster reading its upstream stanza).'
}
`;
}
