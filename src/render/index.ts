/**
 * Node configuration renderers: pure functions from the resolved model, a
 * host name and an address map to files. The AWS render and the rehearsal
 * render differ only in the map.
 */
export {
  type AwsAddressMapOptions,
  awsAddressMap,
  defaultArchiveBucket,
  type LocalAddressMapOptions,
  localAddressMap,
  UnknownNodeError,
} from './address-map.js';
export {
  type Alert,
  type AlertSeverity,
  alertsOf,
  lagBoundBytes,
  renderAlertRules,
  renderAlertTests,
  renderRunbook,
  runbookUrl,
  slotCapBytes,
} from './alerts.js';
export {
  bootScripts,
  hostPackages,
  hostRegion,
  nodeDirectories,
  nodePackages,
  renderBootScript,
  renderIssueCert,
  renderWriteSecrets,
  secretEnvName,
} from './boot.js';
export {
  CERT_RENEWAL_UNIT,
  certTemplateArn,
  NODE_CERT_SIGNING_ALGORITHM,
  NODE_CERT_TEMPLATE,
  renewCertPath,
  tlsParameters,
  usesPrivateCa,
} from './ca.js';
export { renderDashboard } from './dashboard.js';
export {
  CONFIG_PROVIDER,
  DEFAULT_SSLROOTCERT,
  type DebeziumConnector,
  type DebeziumOptions,
  renderDebeziumConnector,
  renderDebeziumConnectors,
} from './debezium.js';
export { etcdDataDir, etcdHost, etcdSettings, renderEtcdEnv } from './etcd.js';
export {
  pgbouncerExporterService,
  postgresExporterSettings,
  renderPostgresExporterEnv,
  runsPgbouncerExporter,
} from './exporter.js';
export { envFile, parseEnvFile } from './format.js';
export { haproxyListeners, renderHaproxy } from './haproxy.js';
export { type LogicalFile, renderLogicalFiles } from './logical.js';
export {
  heartbeatActionQuery,
  type LogicalSide,
  type LogicalSqlGroup,
  type LogicalSqlOptions,
  type LogicalStatement,
  MAINTENANCE_DATABASE,
  psqlScript,
  psqlScriptName,
  quoteConninfoValue,
  quoteIdent,
  quoteLiteral,
  renderLogicalSql,
} from './logical-sql.js';
export { etcdOnMember, replicationCapacity, SENDER_HEADROOM, SLOT_HEADROOM } from './lookup.js';
export {
  METRICS_INTERVAL_SECONDS,
  metricsDocument,
  metricsService,
  renderMetricsPublisher,
} from './metrics.js';
export { dataMountOf, type MonitoringFile, renderMonitoring } from './monitoring.js';
export {
  BIN,
  haproxyHost,
  IDENT_MAP,
  type Layout,
  layout,
  PACKAGE_UNITS,
  PATRONI_NAMESPACE,
  REST_API_USER,
  ROLES,
  standbySlotName,
  stanzaOf,
  UNITS,
} from './names.js';
export { bootableHosts, renderEtcdNode, renderHost, renderMember, renderUserData } from './node.js';
export {
  etcdHosts,
  pgHba,
  pgIdent,
  renderPatroni,
  renderPostBootstrap,
} from './patroni.js';
export {
  archiveCommand,
  archiveStanza,
  type MemberRepository,
  pgbackrestEnvironment,
  renderBackupScript,
  renderPgbackrest,
  repositoriesOf,
  restoreCommand,
} from './pgbackrest.js';
export { AUTH_QUERY, renderPgbouncer, renderPgbouncerHba } from './pgbouncer.js';
export {
  METRICS,
  PROMETHEUS_CA_FILE,
  renderEc2ScrapeConfig,
  renderFileScrapeConfig,
  type ScrapeJob,
  scrapeJobs,
} from './prometheus.js';
export {
  ALL_SECRET_KEYS,
  AWAITING_VALUE_TAG,
  type CertificateSubjects,
  certificateSubjects,
  fillSecretTemplate,
  generatedSecretName,
  SECRET_KEYS,
  SECRET_MAX_LENGTH,
  SECRET_VALUE_PATTERN,
  type SecretFileTemplate,
  type SecretKey,
  type SecretSource,
  secretFiles,
  secretKeysOf,
  secretSource,
  secretsNeeded,
} from './secrets.js';
export { etcdEnvPath, hostKind, renderUnits, scheduled, servicesOf } from './services.js';
export type {
  Account,
  AddressMap,
  NodeDirectory,
  NodePaths,
  RenderedFile,
  RepoLocation,
  ServiceSpec,
} from './types.js';
