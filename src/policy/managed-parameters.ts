/**
 * PostgreSQL parameters pgtopo (through Patroni, pgBackRest and its renderers) sets itself, with who sets
 * them and where the spec controls them. PGT-PG-004 rejects them in `postgres.parameters`: a hand-set value
 * either is overwritten silently or, worse, wins and breaks replication, archiving or TLS.
 * The schema accepts them on purpose, so the finding carries a rule id, a reason and a waiver path.
 */
export const MANAGED_PARAMETERS: Readonly<Record<string, string>> = {
  archive_mode: 'pgBackRest archiving, from `archive.enabled`',
  archive_command: 'pgBackRest archive-push, from `archive`',
  archive_cleanup_command: 'pgBackRest retention, from `archive.retentionDays`',
  restore_command: 'pgBackRest archive-get from the regional archive copy, from `archive.copyTo`',
  recovery_end_command: 'Patroni',
  primary_conninfo: 'Patroni, from the cluster topology and `security.secrets.replication`',
  primary_slot_name: 'Patroni replication slots',
  promote_trigger_file: 'Patroni promotion',
  recovery_min_apply_delay: "the member's `recoveryMinApplyDelay`",
  recovery_target: 'Patroni (point-in-time recovery is a restore, not a parameter)',
  recovery_target_lsn: 'Patroni (point-in-time recovery is a restore, not a parameter)',
  recovery_target_name: 'Patroni (point-in-time recovery is a restore, not a parameter)',
  recovery_target_time: 'Patroni (point-in-time recovery is a restore, not a parameter)',
  recovery_target_xid: 'Patroni (point-in-time recovery is a restore, not a parameter)',
  recovery_target_timeline: 'Patroni',
  hot_standby: 'Patroni (always on)',
  synchronous_standby_names: 'Patroni synchronous mode, from `durability`',
  cluster_name: 'Patroni (the cluster scope)',
  port: 'pgtopo (PORTS.postgres)',
  listen_addresses: "pgtopo (the member's private address)",
  unix_socket_directories: 'pgtopo (Patroni and pgBackRest connect through it)',
  data_directory: 'Patroni',
  config_file: 'Patroni',
  hba_file: 'Patroni (pg_hba from `security`)',
  ident_file: 'Patroni',
  external_pid_file: 'Patroni',
  wal_log_hints: '`postgres.walLogHints`',
  ssl: '`security.tls`',
  ssl_cert_file: '`security.tls` (certificates written at boot)',
  ssl_key_file: '`security.tls` (certificates written at boot)',
  ssl_ca_file: '`security.tls` (certificates written at boot)',
  ssl_crl_file: '`security.tls`',
  ssl_crl_dir: '`security.tls`',
  ssl_passphrase_command: '`security.tls`',
  ssl_passphrase_command_supports_reload: '`security.tls`',
  ssl_min_protocol_version: '`security.tls` (TLS 1.2 or later)',
  password_encryption: 'pgtopo (scram-sha-256 for every generated credential)',
  logging_collector: 'pgtopo (logs go where the node ships them from)',
  log_directory: 'pgtopo (logs go where the node ships them from)',
};

/** Who manages `name`, or undefined when the spec may set it. */
export function managedBy(name: string): string | undefined {
  return Object.hasOwn(MANAGED_PARAMETERS, name.toLowerCase())
    ? MANAGED_PARAMETERS[name.toLowerCase()]
    : undefined;
}
