/**
 * What changing each spec field does to a deployed cluster: one row per leaf field of the schema
 * (test/review/consequences.test.ts walks the schema, so a field without a row fails). Adding a field
 * is one line here.
 *
 * Classes:
 * - `in-place`: Terraform updates resources in place or adds/removes stateless ones; no node restarts.
 * - `rolling-replacement`: the change is rendered into the nodes' files, which running nodes keep
 *   (user data, image and launch template are ignored after boot): it reaches them only when each node
 *   is replaced, one at a time, replicas first (README, "Changing a deployed cluster").
 * - `stateful-replacement`: data-bearing resources (VPC-bound etcd nodes, volumes, buckets, keys) are
 *   replaced or destroyed.
 * - `irreversible`: cannot be undone once applied.
 * - `procedure`: Terraform alone does not apply it safely: an operator procedure is needed (Patroni's
 *   dynamic configuration lives in the DCS and changes through `patronictl edit-config`; a major
 *   upgrade; moving clients).
 *
 * Which attribute changes replace an AWS resource was read from offline plans against the AWS
 * provider (test/review/fixtures/README.md): a VPC's `cidr_block`, a subnet's `cidr_block`, an
 * instance's `private_ip` and `associate_public_ip_address`, an S3 bucket's name, a load balancer's
 * `internal`, a Route 53 zone's `name` force replacement; health checks, lifecycle rules, alarm
 * thresholds, security group rules and metadata options change in place.
 */

export const CONSEQUENCES = [
  'in-place',
  'rolling-replacement',
  'stateful-replacement',
  'irreversible',
  'procedure',
] as const;
export type Consequence = (typeof CONSEQUENCES)[number];

/** Consequences a pipeline must stop on (`pgtopo diff` exits 1). */
export const GATED: ReadonlySet<Consequence> = new Set(['stateful-replacement', 'irreversible', 'procedure']);

/**
 * A field's consequence: fixed, or from the old and new value. `reported` means the diff's own
 * comparison of the resolved model reports the change (members, regions, volumes, buckets by region,
 * keys, etcd quorums), with its own words and class.
 */
export type FieldRule =
  | readonly [Consequence, string]
  | 'reported'
  | ((from: unknown, to: unknown) => readonly [Consequence, string] | 'reported');

const DCS =
  "lives in Patroni's dynamic configuration (the DCS): rendered only for a new cluster, so change it with `patronictl edit-config` on the running cluster";
const NODE =
  "rendered into each node's files, which running nodes keep: replace the nodes one at a time, replicas first";
const ETCD =
  'rendered into each etcd member: replace the members one at a time (`etcdctl member remove` / `member add`) so the quorum keeps a majority';
const POLICY = 'checked by pgtopo only; nothing deployed changes';
const SECRET: FieldRule = [
  'procedure',
  "the credential moves to another secret: set the PostgreSQL password to the new secret's value first (a generated secret is deleted with its resource)",
];

const LOGICAL_SQL = 'applied by re-running the logical SQL (`pgtopo render --logical`, idempotent)';
const LOGICAL_MOVE =
  'the object moves: the logical SQL creates the new one but never drops the old, and the consumer must be re-pointed (and may re-snapshot)';
const SUBSCRIPTION =
  "the logical SQL never alters an existing subscription: ALTER SUBSCRIPTION (or drop it with slot_name = NONE, keeping the publisher's slot, and re-apply)";

/** Patterns: `regions[].members[].az` (lists of named objects by `[]`); every other value is one leaf. */
export const FIELD_RULES: Readonly<Record<string, FieldRule>> = {
  $schema: ['in-place', 'an editor hint; nothing deployed changes'],
  name: 'reported',
  'postgres.version': [
    'procedure',
    'a PostgreSQL major version change: the data directory needs a major upgrade (pg_upgrade, or new nodes fed by logical replication), not a restart',
  ],
  'postgres.parameters': [
    'procedure',
    `parameters are split between the DCS and each node's patroni.yml: apply them with \`patronictl edit-config\` (and replace nodes for local ones); some need a restart`,
  ],
  'postgres.dataChecksums': [
    'procedure',
    'data checksums are chosen at initdb: a running cluster needs `pg_checksums --enable` with each member stopped, or re-initialised members',
  ],
  'postgres.usePgRewind': ['procedure', `use_pg_rewind ${DCS}`],
  'postgres.walLogHints': ['procedure', `wal_log_hints ${DCS}; PostgreSQL restarts`],
  'postgres.maxCascadeDepth': ['in-place', POLICY],
  primaryRegion: 'reported',
  'dcs.mode': [
    'procedure',
    'every cluster moves to another etcd quorum: Patroni re-registers and its DCS state (leader key, dynamic configuration) is rebuilt',
  ],
  'dcs.membersPerRegion': 'reported',
  'dcs.placement': 'reported',
  'dcs.instanceType': 'reported',
  'dcs.heartbeatIntervalMs': ['procedure', `etcd's heartbeat interval is ${ETCD}`],
  'dcs.electionTimeoutMs': ['procedure', `etcd's election timeout is ${ETCD}`],
  'dcs.tls.client': [
    'procedure',
    'every Patroni and etcd member switches between http and https together: roll etcd first, then Patroni',
  ],
  'dcs.tls.peer': ['procedure', `etcd peer TLS is ${ETCD}; peer URLs change with \`etcdctl member update\``],
  'dcs.members': 'reported',
  'dcs.regions': 'reported',
  'dcs.interRegionRttMs': ['procedure', `the stretched quorum's default timings follow it, and are ${ETCD}`],
  'failover.profile': [
    'procedure',
    `the profile's ttl, loop_wait and retry_timeout ${DCS.replace('lives', 'live')}; health checks change in place`,
  ],
  'failover.ttl': ['procedure', `ttl ${DCS}`],
  'failover.loopWait': ['procedure', `loop_wait ${DCS}`],
  'failover.retryTimeout': ['procedure', `retry_timeout ${DCS}`],
  'failover.maximumLagOnFailover': ['procedure', `maximum_lag_on_failover ${DCS}`],
  'failover.rtoTargetSeconds': ['in-place', POLICY],
  'failover.healthCheck.intervalSeconds': ['in-place', 'target group health checks change in place'],
  'failover.healthCheck.healthyThreshold': ['in-place', 'target group health checks change in place'],
  'failover.healthCheck.unhealthyThreshold': ['in-place', 'target group health checks change in place'],
  'durability.rpo': [
    'procedure',
    `the synchronous replication settings it implies ${DCS.replace('lives', 'live')}`,
  ],
  'durability.synchronousMode': ['procedure', `synchronous_mode ${DCS}`],
  'durability.synchronousNodeCount': ['procedure', `synchronous_node_count ${DCS}`],
  'durability.allowCrossRegionSync': ['rolling-replacement', `the members' nosync tags are ${NODE}`],
  'regions[].name': 'reported',
  'regions[].role': 'reported',
  'regions[].cidr': [
    'stateful-replacement',
    "a VPC's CIDR forces a new VPC: its subnets and every node (fixed private addresses) are replaced, etcd members lose their data directory, and members re-clone",
  ],
  'regions[].azs': (from, to) =>
    Array.isArray(from) && Array.isArray(to) && from.every((az, i) => to[i] === az)
      ? ['in-place', 'AZs added at the end: new subnets, existing ones unchanged']
      : [
          'stateful-replacement',
          'subnets are carved by AZ position: a removed or reordered AZ replaces subnets and the nodes in them',
        ],
  'regions[].members[].name': 'reported',
  'regions[].members[].az': 'reported',
  'regions[].members[].instanceType': 'reported',
  'regions[].members[].volume.sizeGiB': 'reported',
  'regions[].members[].volume.type': 'reported',
  'regions[].members[].volume.iops': 'reported',
  'regions[].members[].volume.throughputMiBps': 'reported',
  'regions[].members[].tags.nosync': 'reported',
  'regions[].members[].tags.nofailover': 'reported',
  'regions[].members[].tags.failoverPriority': 'reported',
  'regions[].members[].replicateFrom': 'reported',
  'regions[].members[].recoveryMinApplyDelay': 'reported',
  'archive.enabled': 'reported',
  'archive.retentionDays': [
    'rolling-replacement',
    `pgBackRest's retention is ${NODE}; the bucket lifecycle changes in place`,
  ],
  'archive.fullBackupEveryDays': ['rolling-replacement', `the backup schedule is ${NODE}`],
  'archive.backupHourUtc': ['rolling-replacement', `the backup schedule is ${NODE}`],
  'archive.copyTo': 'reported',
  'archive.objectLock': (from, to) =>
    (from === 'none') !== (to === 'none')
      ? 'reported'
      : to === 'compliance'
        ? [
            'irreversible',
            'compliance mode cannot be turned back or shortened for objects already written, not even by the root user',
          ]
        : [
            'in-place',
            'the default retention mode changes for new objects; objects already locked keep their mode',
          ],
  'archive.objectLockDays': ['in-place', 'the default retention changes for new objects only'],
  'archive.expireAfterDays': ['in-place', 'the bucket lifecycle changes in place'],
  'archive.tiers': ['in-place', 'the bucket lifecycle changes in place'],
  'archive.bucket': [
    'stateful-replacement',
    "an S3 bucket's name forces a new bucket: the archive (WAL and backups) stays in the old one, which the new nodes no longer read",
  ],
  'archive.kmsKeyArn': 'reported',
  'archive.sse': ['in-place', 'the bucket default encryption changes in place; archived objects keep theirs'],
  'archive.keyRotation': ['in-place', 'key rotation changes in place'],
  'archive.versioning': (from, to) =>
    from === false && to === true
      ? ['irreversible', 'a bucket once versioned can only be suspended, never unversioned']
      : ['in-place', 'versioning is suspended in place; versions already kept stay'],
  'archive.blockPublicAccess': ['in-place', 'the bucket setting changes in place'],
  'archive.tlsOnlyPolicy': ['in-place', 'the bucket policy changes in place'],
  'archive.replicationTimeControl': ['in-place', 'the replication rule changes in place'],
  'endpoints.internal': [
    'procedure',
    "a load balancer's scheme forces a new load balancer: clients reconnect through new addresses",
  ],
  'endpoints.pooler': ['rolling-replacement', `PgBouncer is ${NODE}; the target groups change with it`],
  'endpoints.pgbouncer.poolMode': ['rolling-replacement', `PgBouncer's settings are ${NODE}`],
  'endpoints.pgbouncer.defaultPoolSize': ['rolling-replacement', `PgBouncer's settings are ${NODE}`],
  'endpoints.pgbouncer.reservePoolSize': ['rolling-replacement', `PgBouncer's settings are ${NODE}`],
  'endpoints.pgbouncer.maxClientConn': ['rolling-replacement', `PgBouncer's settings are ${NODE}`],
  'endpoints.pgbouncer.maxDbConnections': ['rolling-replacement', `PgBouncer's settings are ${NODE}`],
  'endpoints.dnsZone': [
    'procedure',
    "a hosted zone's name forces a new zone: every writer and reader name changes, so clients must move to the new names",
  ],
  'endpoints.dnsTtlSeconds': ['in-place', 'record TTLs change in place'],
  'endpoints.readerMaxLagBytes': ['in-place', 'the reader health check changes in place'],
  'endpoints.healthCheckProtocol': ['in-place', 'target group health checks change in place'],
  'security.allowedCidrs': ['in-place', 'security group rules are replaced; no node restarts'],
  'security.allowedSecurityGroupIds': ['in-place', 'security group rules are replaced; no node restarts'],
  'security.adminCidrs': ['in-place', 'security group rules are replaced; no node restarts'],
  'security.tls': [
    'procedure',
    'TLS for clients, replication and the REST API changes on every member together (pg_hba, sslmode): clients and replicas must follow in step',
  ],
  'security.secrets.superuser': SECRET,
  'security.secrets.replication': SECRET,
  'security.secrets.rewind': SECRET,
  'security.secrets.pgbouncer': SECRET,
  'security.secrets.restApi': SECRET,
  'security.secrets.archiveCipher': [
    'irreversible',
    "the archive's cipher passphrase: backups and WAL already written stay readable only with the old one",
  ],
  'security.ca.mode': [
    'procedure',
    "another signer: nodes trust only their own CA's certificates, so replaced nodes and running nodes cannot verify each other: replace every node together",
  ],
  'security.ca.certificateValidityHours': ['rolling-replacement', `the renewal script is ${NODE}`],
  'hosts.os': [
    'procedure',
    "another node release: every node is replaced with the new release's image and packages, and the PostgreSQL major follows the release (17 on debian-13, 15 on debian-12): a major upgrade (new nodes fed by logical replication), not a rolling restart",
  ],
  'hosts.imageId': [
    'rolling-replacement',
    'running nodes keep the image they booted: new nodes get the new one; replace them one at a time',
  ],
  'hosts.egress': ['in-place', 'NAT gateways are added or removed; nodes keep running'],
  'hosts.requireImdsV2': ['in-place', 'instance metadata options change in place'],
  'hosts.imdsHopLimit': ['in-place', 'instance metadata options change in place'],
  'hosts.associatePublicIp': [
    'stateful-replacement',
    'forces a new instance for every node at once: etcd members lose their data directory and every member restarts',
  ],
  'hosts.ebsKmsKeyArn': 'reported',
  'hosts.ebsEncrypted': 'reported',
  'observability.exporters.postgres': ['rolling-replacement', `the exporters are ${NODE}`],
  'observability.exporters.node': ['rolling-replacement', `the exporters are ${NODE}`],
  'observability.exporters.pgbouncer': ['rolling-replacement', `the exporters are ${NODE}`],
  'observability.alarms.replicaLagBytes': ['in-place', 'alarm thresholds change in place'],
  'observability.alarms.archiveFailures': ['in-place', 'alarm thresholds change in place'],
  'observability.alarms.snsTopicArn': [
    'in-place',
    "alarm actions change in place (pgtopo's own topic is added or removed)",
  ],
  'observability.prometheus.allowedCidrs': [
    'in-place',
    'security group rules are replaced; no node restarts',
  ],
  'observability.prometheus.allowedSecurityGroupIds': [
    'in-place',
    'security group rules are replaced; no node restarts',
  ],
  'observability.prometheus.runbookBaseUrl': [
    'in-place',
    'only the rendered alert rules change (`pgtopo render --monitoring`); reload Prometheus',
  ],
  waivers: ['in-place', POLICY],
  // The logical layer: applied by its idempotent SQL (`pgtopo render --logical`), which creates and converges
  // but never drops; dropped slots, publications and CDC feeds are reported by the diff itself (data-losing).
  'logical.databases[].name': [
    'in-place',
    `${LOGICAL_SQL}; a new database is created, the old one is not dropped`,
  ],
  'logical.databases[].owner': ['in-place', LOGICAL_SQL],
  'logical.databases[].extensions': ['in-place', `${LOGICAL_SQL}; removed extensions are not dropped`],
  'logical.roles[].name': ['in-place', `${LOGICAL_SQL}; a new role is created, the old one is not dropped`],
  'logical.roles[].login': ['in-place', LOGICAL_SQL],
  'logical.roles[].replication': ['in-place', LOGICAL_SQL],
  'logical.roles[].password': SECRET,
  'logical.grants': ['in-place', `${LOGICAL_SQL}; privileges no longer listed are not revoked`],
  'logical.publications[].name': 'reported',
  'logical.publications[].database': ['procedure', LOGICAL_MOVE],
  'logical.publications[].tables': [
    'in-place',
    `${LOGICAL_SQL} (ALTER PUBLICATION ... SET TABLE); a table left out stops reaching every consumer`,
  ],
  'logical.publications[].subscriberSlots': 'reported',
  'logical.cdc[].name': 'reported',
  'logical.cdc[].slot': 'reported',
  'logical.cdc[].database': ['procedure', LOGICAL_MOVE],
  'logical.cdc[].publication': ['procedure', LOGICAL_MOVE],
  'logical.cdc[].role': [
    'procedure',
    'the connector connects as another role: update its configuration and secret together',
  ],
  'logical.cdc[].heartbeat.table': ['procedure', LOGICAL_MOVE],
  'logical.cdc[].heartbeat.intervalMs': [
    'in-place',
    'only the rendered connector configuration changes: update the connector',
  ],
  'logical.cdc[].maxRetainedWalGiB': ['procedure', `max_slot_wal_keep_size ${DCS}`],
  'logical.subscriptions[].name': [
    'in-place',
    `${LOGICAL_SQL}; a new subscription is created, the old one is not dropped`,
  ],
  'logical.subscriptions[].database': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publication': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].slot': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].copyData': ['in-place', 'read only when the subscription is created'],
  'logical.subscriptions[].publisher.cluster': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.dnsZone': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.host': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.port': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.database': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.user': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.password': SECRET,
  'logical.subscriptions[].publisher.os': ['procedure', SUBSCRIPTION],
  'logical.subscriptions[].publisher.slotFailover': ['procedure', SUBSCRIPTION],
};

/** The consequence of changing the field at `pattern` from `from` to `to`; undefined for an unknown field. */
export function fieldConsequence(
  pattern: string,
  from: unknown,
  to: unknown,
): readonly [Consequence, string] | 'reported' | undefined {
  const rule = FIELD_RULES[pattern];
  return typeof rule === 'function' ? rule(from, to) : rule;
}
