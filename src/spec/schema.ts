/**
 * The topology spec: the one document an engineer writes.
 *
 * Every field states its unit and its default beside its declaration. Defaults
 * that depend on other fields (for example the failover profile's timers) are
 * left undefined here and resolved once, in `model/`.
 */
import { z } from 'zod';
import { DEFAULT_RELEASE, RELEASE_NAMES, RELEASES } from './releases.js';

const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
/** An AWS region name such as us-east-1 or us-gov-west-1. */
export const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const AZ = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const RULE_ID = /^PGT-[A-Z0-9]+-\d{3}$/;
/**
 * An EC2 instance type: a family with a generation digit (r6i, m7gd, u-6tb1, c7i-flex), a dot, and a size
 * (nano ... xlarge, Nxlarge, metal, metal-Nxl).
 */
const INSTANCE_TYPE =
  /^(?=[a-z][a-z0-9-]*\d)[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(-[1-9]\d*xl)?)$/;
/** Control characters (newline, tab, NUL, ...): never valid in a value written into a configuration file. */
const hasControl = (v: string) => [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const instanceType = (example: string) =>
  z.string().regex(INSTANCE_TYPE, `an EC2 instance type such as ${example}`);

const name = (what: string) =>
  z
    .string()
    .regex(NAME, `a ${what} name: 2-40 lowercase letters, digits or '-', starting with a letter`)
    .describe(`Name of the ${what}: 2-40 lowercase letters, digits or '-', starting with a letter.`);

export const Ipv4Cidr = z
  .string()
  .regex(CIDR, 'an IPv4 CIDR such as 10.10.0.0/16')
  .refine((s) => {
    const m = CIDR.exec(s);
    if (!m) return true; // the format issue is already reported
    return m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  }, 'an IPv4 CIDR with octets 0-255 and a prefix length 0-32')
  .describe('IPv4 CIDR block, e.g. 10.10.0.0/16.');

const positiveInt = (description: string) => z.number().int().positive().describe(description);

export const MemberTags = z
  .strictObject({
    nosync: z
      .boolean()
      .default(false)
      .describe('Patroni tag `nosync`: never chosen as a synchronous standby. Default false.'),
    nofailover: z
      .boolean()
      .default(false)
      .describe('Patroni tag `nofailover`: never promoted automatically. Default false.'),
    failoverPriority: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe(
        'Patroni tag `failover_priority` (0-1000, higher wins among equally fresh candidates; 0 means never). Default: unset, Patroni treats it as 1.',
      ),
  })
  .describe('Patroni member tags. Default: no tags.');

export const DataVolume = z
  .strictObject({
    sizeGiB: z
      .number()
      .int()
      .min(20)
      .max(65536)
      .default(100)
      .describe('Size of the PostgreSQL data volume in GiB (20-65536). Default 100.'),
    type: z.enum(['gp3', 'io2']).default('gp3').describe('EBS volume type. Default gp3.'),
    iops: z
      .number()
      .int()
      .min(3000)
      .max(256000)
      .optional()
      .describe('Provisioned IOPS. Default: 3000 for gp3; required for io2.'),
    throughputMiBps: z
      .number()
      .int()
      .min(125)
      .max(1000)
      .optional()
      .describe('gp3 throughput in MiB/s (125-1000). Default 125.'),
  })
  .describe('Data volume of a member. Default: 100 GiB gp3, 3000 IOPS, 125 MiB/s.');

export const Member = z
  .strictObject({
    name: name('member'),
    az: z
      .string()
      .regex(AZ, 'an availability zone name such as us-east-1a')
      .describe("Availability zone of the member; must be in its region's `azs`."),
    instanceType: instanceType('r6i.xlarge')
      .default('r6i.large')
      .describe('EC2 instance type. Default r6i.large.'),
    volume: DataVolume.prefault({}),
    tags: MemberTags.prefault({}),
    replicateFrom: z
      .string()
      .optional()
      .describe(
        'Name of a member in the same region to stream from (cascading replica, Patroni tag `replicatefrom`). Default: stream from the regional leader.',
      ),
    recoveryMinApplyDelay: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .describe(
        'Delayed replica: `recovery_min_apply_delay` in seconds (0-604800). Default: unset (no delay).',
      ),
  })
  .describe('One PostgreSQL node managed by Patroni.');

export const Region = z
  .strictObject({
    name: z
      .string()
      .regex(REGION, 'an AWS region name such as us-east-1')
      .describe('AWS region name, e.g. us-east-1.'),
    role: z
      .enum(['primary', 'standby'])
      .optional()
      .describe(
        '`primary` hosts the writable cluster; `standby` runs a Patroni standby cluster following it. Default: `primary` for `primaryRegion`, `standby` otherwise.',
      ),
    cidr: Ipv4Cidr.describe(
      "VPC CIDR of the region, e.g. 10.10.0.0/16: /16 to /28 (AWS's limits; the subnet plan also needs a private and a public /26 per AZ). Must not overlap another region.",
    ),
    azs: z
      .array(z.string().regex(AZ, 'an availability zone name such as us-east-1a'))
      .min(1)
      .max(6)
      .describe('Availability zones used in the region (1-6). Subnets are carved for each.'),
    members: z.array(Member).min(1).max(64).describe('PostgreSQL members of the regional cluster (1-64).'),
  })
  .describe('One AWS region and the regional Patroni cluster in it.');

const etcdCommon = {
  placement: z
    .enum(['dedicated', 'co-located'])
    .default('dedicated')
    .describe(
      '`dedicated`: etcd runs on its own small instances; `co-located`: on the PostgreSQL members. Default dedicated.',
    ),
  instanceType: instanceType('t3.small')
    .default('t3.small')
    .describe('EC2 instance type of dedicated etcd members. Default t3.small.'),
  heartbeatIntervalMs: z
    .number()
    .int()
    .min(10)
    .max(5000)
    .optional()
    .describe(
      'etcd `heartbeat-interval` in ms. Default: 100 in a region; for a stretched quorum, the inter-region round trip (at least 100).',
    ),
  electionTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(50000)
    .optional()
    .describe('etcd `election-timeout` in ms. Default: 10x the heartbeat interval.'),
  tls: z
    .strictObject({
      client: z.boolean().default(true).describe('TLS between Patroni and etcd. Default true.'),
      peer: z.boolean().default(true).describe('TLS between etcd members. Default true.'),
    })
    .prefault({})
    .describe('etcd transport security. Default: TLS for clients and peers.'),
};

export const Dcs = z
  .discriminatedUnion('mode', [
    z
      .strictObject({
        mode: z.literal('per-region').describe('One etcd quorum in each region.'),
        membersPerRegion: z
          .number()
          .int()
          .min(1)
          .max(9)
          .default(3)
          .describe('etcd members in each region (3, 5 or 7 keep a safe quorum). Default 3.'),
        ...etcdCommon,
      })
      .describe('One etcd quorum per region; standby clusters keep their own DCS.'),
    z
      .strictObject({
        mode: z.literal('stretched').describe('One etcd quorum spread over several regions.'),
        members: z
          .number()
          .int()
          .min(1)
          .max(9)
          .default(3)
          .describe('Total etcd members, spread round-robin over `regions`. Default 3.'),
        regions: z
          .array(z.string())
          .optional()
          .describe('Regions holding etcd members. Default: every region in the spec.'),
        interRegionRttMs: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(80)
          .describe('Worst inter-region round trip in ms between etcd regions. Default 80.'),
        ...etcdCommon,
      })
      .describe('One etcd quorum stretched across at least three regions.'),
  ])
  .describe('Distributed configuration store (etcd v3) used by Patroni.');

export const FailoverProfileName = z.enum(['conservative', 'balanced', 'fast']);

export const Failover = z
  .strictObject({
    profile: FailoverProfileName.default('balanced').describe(
      'Timer preset. conservative = Patroni defaults (ttl 30 s, loop_wait 10 s, retry_timeout 10 s); balanced = 20/5/5; fast = 10/2/4. Default balanced.',
    ),
    ttl: positiveInt('Patroni `ttl`: leader lock lifetime in seconds. Default: from the profile.').optional(),
    loopWait: positiveInt('Patroni `loop_wait` in seconds. Default: from the profile.').optional(),
    retryTimeout: positiveInt(
      'Patroni `retry_timeout` for DCS and PostgreSQL operations, in seconds. Default: from the profile.',
    ).optional(),
    maximumLagOnFailover: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Patroni `maximum_lag_on_failover` in bytes: a replica further behind is not promoted. Default 1048576 (1 MiB); with rpo async no bound (9007199254740991): availability first, as that RPO declares.',
      ),
    rtoTargetSeconds: positiveInt(
      'Recovery time objective in seconds: the predicted worst case of every single failure must fit. Default: unset.',
    ).optional(),
    healthCheck: z
      .strictObject({
        intervalSeconds: z
          .number()
          .int()
          .min(5)
          .max(300)
          .optional()
          .describe(
            'Load-balancer health-check interval in seconds (NLB: 5-300). Default: from the profile.',
          ),
        healthyThreshold: z
          .number()
          .int()
          .min(2)
          .max(10)
          .optional()
          .describe('Consecutive passes before a target is healthy (2-10). Default: from the profile.'),
        unhealthyThreshold: z
          .number()
          .int()
          .min(2)
          .max(10)
          .optional()
          .describe('Consecutive failures before a target is unhealthy (2-10). Default: from the profile.'),
      })
      .optional()
      .describe('Health checks of the writer and reader target groups. Default: from the profile.'),
  })
  .describe('How fast and how cautiously Patroni fails over. Default: the balanced profile.');

export const Durability = z
  .strictObject({
    rpo: z
      .enum(['zero-in-region', 'bounded', 'async'])
      .default('bounded')
      .describe(
        '`zero-in-region`: a synchronous standby in another AZ, no committed write lost to a single AZ failure; `bounded`: async, failover refused beyond `maximumLagOnFailover`; `async`: no bound. Default bounded.',
      ),
    synchronousMode: z
      .enum(['off', 'on', 'strict', 'quorum'])
      .optional()
      .describe(
        'Patroni `synchronous_mode`: `on`, `on` with `synchronous_mode_strict` (`strict`), or quorum commit (`quorum`: a commit waits for any `synchronousNodeCount` of the sync candidates; Patroni 4, debian-13). Default: `on` when rpo is zero-in-region, otherwise `off`.',
      ),
    synchronousNodeCount: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe('Patroni `synchronous_node_count`. Default 1.'),
    allowCrossRegionSync: z
      .boolean()
      .default(false)
      .describe(
        'Allow members outside the primary region to be synchronous standbys (adds a region round trip to every commit). Default false.',
      ),
  })
  .describe('How much committed data a failure may lose. Default: bounded lag, asynchronous.');

export const StorageTier = z.strictObject({
  afterDays: positiveInt('Days after creation when objects move to this class.'),
  storageClass: z
    .enum(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'])
    .describe('S3 storage class.'),
});

/** An S3 bucket name pgtopo accepts (no dots: TLS to the virtual-hosted endpoint), and how to say so. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
export const BUCKET_NAME_EXPECTED =
  'an S3 bucket name: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit';

const BucketName = z.string().regex(BUCKET_NAME, BUCKET_NAME_EXPECTED);

export const Archive = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Archive WAL and backups with pgBackRest. Default true.'),
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(14)
      .describe('Point-in-time-recovery window in days (1-3650). Default 14.'),
    fullBackupEveryDays: z
      .number()
      .int()
      .min(1)
      .max(35)
      .default(7)
      .describe('Days between full backups; differential backups run on the other days. Default 7.'),
    backupHourUtc: z
      .number()
      .int()
      .min(0)
      .max(23)
      .default(1)
      .describe('Hour of day (UTC) when scheduled backups start. Default 1.'),
    copyTo: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe(
        'Region(s) that receive a replicated copy of the archive. Default: every standby region (none in a single-region layout).',
      ),
    objectLock: z
      .enum(['none', 'governance', 'compliance'])
      .default('none')
      .describe('S3 Object Lock mode of the archive bucket and its copies. Default none.'),
    objectLockDays: positiveInt(
      'Object Lock default retention in days. Default: `retentionDays`.',
    ).optional(),
    expireAfterDays: positiveInt(
      'Lifecycle expiry of archived objects in days. Default: retentionDays + fullBackupEveryDays + 1.',
    ).optional(),
    tiers: z
      .array(StorageTier)
      .default([])
      .describe('Lifecycle transitions to colder storage classes. Default: none.'),
    bucket: z
      .union([BucketName, z.record(z.string(), BucketName)])
      .optional()
      .describe(
        "Archive bucket names (S3 names are global; each region has its own bucket): one name for a single-region spec, else a map from each region's name to its bucket. Default: pgtopo-<name>-archive-<region>.",
      ),
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a full KMS key ARN')
      .optional()
      .describe('Existing customer-managed KMS key ARN for the source bucket. Default: pgtopo creates one.'),
    sse: z
      .enum(['aws:kms', 'AES256'])
      .default('aws:kms')
      .describe('Server-side encryption. Default aws:kms with a customer-managed key.'),
    keyRotation: z
      .boolean()
      .default(true)
      .describe('Yearly rotation of pgtopo-created KMS keys. Default true.'),
    versioning: z
      .boolean()
      .default(true)
      .describe('S3 versioning on the bucket and its copies. Default true.'),
    blockPublicAccess: z
      .boolean()
      .default(true)
      .describe('All four S3 Block Public Access settings. Default true.'),
    tlsOnlyPolicy: z
      .boolean()
      .default(true)
      .describe('Bucket policy denying requests without TLS. Default true.'),
    replicationTimeControl: z
      .boolean()
      .default(false)
      .describe('S3 Replication Time Control (15-minute SLA) on copies. Default false.'),
  })
  .describe('WAL archive and backups (pgBackRest to S3). Default: enabled, 14-day PITR window.');

export const Pgbouncer = z
  .strictObject({
    poolMode: z
      .enum(['session', 'transaction', 'statement'])
      .default('transaction')
      .describe('Default transaction.'),
    defaultPoolSize: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(20)
      .describe('Server connections per user/database pair. Default 20.'),
    reservePoolSize: z
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(5)
      .describe('Extra connections under load. Default 5.'),
    maxClientConn: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(1000)
      .describe('Client connections. Default 1000.'),
    maxDbConnections: z
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(80)
      .describe(
        "Server connections per database, 0 = unlimited. Default 80: below PostgreSQL's default max_connections (100), leaving room for superuser, replication and monitoring.",
      ),
  })
  .describe('PgBouncer settings on every member. Default: transaction pooling, 20 per pool.');

export const Endpoints = z
  .strictObject({
    internal: z
      .boolean()
      .default(true)
      .describe('Network load balancers are internal (no public address). Default true.'),
    pooler: z
      .enum(['pgbouncer', 'none'])
      .default('pgbouncer')
      .describe('Connection pooler. Default pgbouncer.'),
    pgbouncer: Pgbouncer.prefault({}),
    dnsZone: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z0-9-]+$/, 'a DNS zone such as db.internal')
      .optional()
      .describe('Route 53 private hosted zone for writer/reader names. Default `<name>.pgtopo.internal`.'),
    dnsTtlSeconds: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(30)
      .describe('TTL of the records that move on a region promotion, in seconds. Default 30.'),
    readerMaxLagBytes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "Readers further behind than this leave the reader pool, in bytes. Default: `failover.maximumLagOnFailover`, at most the profile's bound (1 MiB) where rpo async leaves failover unbounded.",
      ),
    healthCheckProtocol: z
      .enum(['http', 'tcp'])
      .default('http')
      .describe(
        'Target health checks: HTTP on the Patroni REST API (`/primary`, `/replica?lag=`), or plain TCP (unsafe). Default http.',
      ),
  })
  .describe('How clients reach the cluster. Default: internal NLB, PgBouncer, private DNS.');

const secretRef = z
  .string()
  .regex(
    /^(generate|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)$/,
    '`generate`, or the ARN of an existing Secrets Manager secret (values never go in the spec)',
  );

/** The ARN of an existing Secrets Manager secret (a credential another system owns). */
const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'the ARN of an existing Secrets Manager secret (values never go in the spec)',
  );

const SecurityGroupId = z
  .string()
  .regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0123456789abcdef0');

export const Security = z
  .strictObject({
    allowedCidrs: z
      .array(Ipv4Cidr)
      .default([])
      .describe(
        'Client CIDRs allowed to reach PostgreSQL and PgBouncer. Default: none (only allowed groups).',
      ),
    allowedSecurityGroupIds: z
      .union([z.array(SecurityGroupId), z.record(z.string(), z.array(SecurityGroupId))])
      .default([])
      .describe(
        "Security groups allowed to reach PostgreSQL and PgBouncer. Security group ids are regional: a map from each region's name to the groups in that region (regions may be left out), or a plain list in a single-region spec only. Default: none.",
      ),
    adminCidrs: z
      .array(Ipv4Cidr)
      .default([])
      .describe('CIDRs allowed to reach SSH (22) and the Patroni REST API. Default: none (use SSM).'),
    tls: z
      .boolean()
      .default(true)
      .describe('TLS for client, replication and REST API traffic. Default true.'),
    secrets: z
      .strictObject({
        superuser: secretRef
          .default('generate')
          .describe(
            'PostgreSQL superuser (postgres) password: `generate` or a secret ARN. Default generate.',
          ),
        replication: secretRef
          .default('generate')
          .describe('replication user password: `generate` or a secret ARN. Default generate.'),
        rewind: secretRef
          .default('generate')
          .describe('pg_rewind user password: `generate` or a secret ARN. Default generate.'),
        pgbouncer: secretRef
          .default('generate')
          .describe('PgBouncer auth_user password: `generate` or a secret ARN. Default generate.'),
        restApi: secretRef
          .default('generate')
          .describe('Patroni REST API basic-auth password: `generate` or a secret ARN. Default generate.'),
        archiveCipher: secretRef
          .default('generate')
          .describe('pgBackRest repository cipher passphrase: `generate` or a secret ARN. Default generate.'),
      })
      .prefault({})
      .describe(
        'Where each credential comes from: `generate` (the first node generates it into Secrets Manager) or an existing secret ARN. Never a value. Default: generate all.',
      ),
    ca: z
      .discriminatedUnion('mode', [
        z
          .strictObject({
            mode: z
              .literal('self-managed')
              .describe(
                'A CA key generated at first boot into Secrets Manager; every node reads it to issue its own certificate, so every node can mint a certificate for any host.',
              ),
          })
          .describe('Self-managed CA in Secrets Manager (every node can mint certificates).'),
        z
          .strictObject({
            mode: z
              .literal('aws-private-ca')
              .describe(
                'One AWS Private CA per region in short-lived certificate mode: no node holds a CA key; each node requests its own certificate from its region’s CA at boot and renews it.',
              ),
            certificateValidityHours: z
              .number()
              .int()
              .min(24)
              .max(168)
              .default(168)
              .describe(
                'Validity of each node certificate in hours (short-lived mode allows at most 7 days). Nodes renew once half of it has passed. Default 168.',
              ),
          })
          .describe('AWS Private CA in short-lived certificate mode (nodes never hold a CA key).'),
      ])
      .default({ mode: 'self-managed' })
      .describe(
        'Who signs the TLS certificates of members and etcd nodes. Default: self-managed (a CA key in Secrets Manager).',
      ),
  })
  .describe('Who may connect, and where credentials come from. Default: closed, TLS on, generated secrets.');

const SnsTopicArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
    'an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alarms',
  );
const AmiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'an AMI id such as ami-0123456789abcdef0');

export const Hosts = z
  .strictObject({
    os: z
      .enum(RELEASE_NAMES)
      .default(DEFAULT_RELEASE)
      .describe(
        `Node release: the Debian release every node boots, which fixes the package versions and the PostgreSQL major (${RELEASE_NAMES.map((n) => `${n}: PostgreSQL ${RELEASES[n].postgresMajor}, Patroni ${RELEASES[n].packages.patroni}`).join('; ')}). Default ${DEFAULT_RELEASE}.`,
      ),
    imageId: z
      .union([AmiId, z.record(z.string(), AmiId)])
      .optional()
      .describe(
        "AMI of every node, built from the release of `os`. AMI ids are regional: one id for a single-region spec, else a map from each region's name to its AMI id. Default: the release's image from Debian's public SSM parameter in each region.",
      ),
    egress: z
      .enum(['nat', 'none'])
      .default('nat')
      .describe(
        'Internet egress: a NAT gateway per AZ, or none (pre-built image, VPC endpoints only). Default nat.',
      ),
    requireImdsV2: z
      .boolean()
      .default(true)
      .describe('Instance metadata requires IMDSv2 tokens. Default true.'),
    imdsHopLimit: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe('IMDS PUT response hop limit. Default 1.'),
    associatePublicIp: z.boolean().default(false).describe('Give nodes public IPs (unsafe). Default false.'),
    ebsKmsKeyArn: z
      .string()
      .optional()
      .describe('Customer-managed KMS key for data volumes. Default: the cluster key pgtopo creates.'),
    ebsEncrypted: z.boolean().default(true).describe('Encrypt data volumes. Default true.'),
  })
  .describe('EC2 host settings. Default: IMDSv2, hop limit 1, private, encrypted.');

export const Observability = z
  .strictObject({
    exporters: z
      .strictObject({
        postgres: z.boolean().default(true).describe('Run postgres_exporter on every member. Default true.'),
        node: z.boolean().default(true).describe('Run node_exporter on every member. Default true.'),
        pgbouncer: z
          .boolean()
          .default(true)
          .describe(
            "Run Debian's prometheus-pgbouncer-exporter on every member that runs PgBouncer (`endpoints.pooler: pgbouncer`), where the node release has one that works with its PgBouncer (Debian 13; Debian 12's exits at start against its PgBouncer 1.18). Default true.",
          ),
      })
      .prefault({})
      .describe(
        'Prometheus exporters on every member. Default: postgres_exporter, node_exporter and, with PgBouncer, its exporter.',
      ),
    alarms: z
      .strictObject({
        replicaLagBytes: z
          .number()
          .int()
          .min(1)
          .default(16 * 1024 * 1024)
          .describe('Alarm when a replica lags more than this many bytes. Default 16777216 (16 MiB).'),
        archiveFailures: z
          .number()
          .int()
          .min(1)
          .default(1)
          .describe('Alarm on this many failed WAL archive attempts in 5 minutes. Default 1.'),
        snsTopicArn: z
          .union([SnsTopicArn, z.record(z.string(), SnsTopicArn)])
          .optional()
          .describe(
            "Existing SNS topic the alarms notify. Alarms notify only topics in their own region: one ARN for a single-region spec, else a map from each region's name to a topic ARN in that region. Default: a new topic per region.",
          ),
      })
      .prefault({})
      .describe('CloudWatch alarm thresholds. Default: 16 MiB replica lag, 1 archive failure.'),
    prometheus: z
      .strictObject({
        allowedCidrs: z
          .array(Ipv4Cidr)
          .default([])
          .describe(
            "CIDRs of the user's Prometheus (or Prometheus agent) servers: they alone reach the exporters (9187, 9100, 9127), Patroni's /metrics (8008) and etcd's metrics listener (2381). Default: none.",
          ),
        allowedSecurityGroupIds: z
          .union([z.array(SecurityGroupId), z.record(z.string(), z.array(SecurityGroupId))])
          .default([])
          .describe(
            "Security groups of the user's Prometheus servers, reaching the same ports. Security group ids are regional: a map from each region's name to the groups in that region (regions may be left out), or a plain list in a single-region spec only. Default: none.",
          ),
        runbookBaseUrl: z
          .string()
          .regex(/^https:\/\/[^\s]+\/$/, 'an https URL ending in /, such as https://wiki.example.com/pgtopo/')
          .optional()
          .describe(
            'Where the rendered runbooks are published: each alert links `<runbookBaseUrl><AlertName>.md`. Default: the relative path `runbooks/<AlertName>.md` of the rendered monitoring directory.',
          ),
      })
      .prefault({})
      .describe(
        'Where the Prometheus that scrapes the nodes runs (EC2 service discovery by pgtopo tags, or file_sd). Default: no source; nothing outside the cluster reaches the exporters.',
      ),
  })
  .describe(
    'Exporters, alarms and Prometheus. Default: both exporters, lag and archive alarms, no Prometheus source.',
  );

export const Waiver = z
  .strictObject({
    rule: z.string().regex(RULE_ID, 'a rule id such as PGT-ETCD-002').describe('Rule id to waive.'),
    target: z
      .string()
      .optional()
      .describe('Member, region or spec path the waiver covers. Default: every finding of the rule.'),
    reason: z.string().describe('Why the finding is accepted (at least 20 characters).'),
    expires: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2027-03-31')
      .optional()
      .describe('Date (YYYY-MM-DD, UTC) after which the waiver is an error. Default: never.'),
  })
  .describe('An accepted policy finding.');

export const ParameterValue = z.union([
  z
    .string()
    .refine(
      (v) => !hasControl(v),
      'a value without newlines or other control characters (it is written into postgresql.conf)',
    ),
  z.number().refine(Number.isFinite, 'a finite number'),
  z.boolean(),
]);

export const Postgres = z
  .strictObject({
    version: z
      .number()
      .int()
      .min(13)
      .max(17)
      .optional()
      .describe(
        "PostgreSQL major version: the one the node release (`hosts.os`) ships. Default: the release's major (17 on debian-13, 15 on debian-12).",
      ),
    parameters: z
      .record(z.string().regex(/^[a-z_][a-z0-9_.]*$/, 'a PostgreSQL parameter name'), ParameterValue)
      .prefault({})
      .describe(
        'postgresql.conf parameters. Parameters pgtopo manages are rejected (PGT-PG-004). Default: none.',
      ),
    dataChecksums: z.boolean().default(true).describe('initdb with data checksums. Default true.'),
    usePgRewind: z
      .boolean()
      .default(true)
      .describe('Patroni `use_pg_rewind`: rewind a failed primary instead of re-cloning it. Default true.'),
    walLogHints: z
      .boolean()
      .default(true)
      .describe('`wal_log_hints`, needed by pg_rewind without checksums. Default true.'),
    maxCascadeDepth: z
      .number()
      .int()
      .min(1)
      .max(3)
      .default(2)
      .describe('Deepest allowed cascade below the regional leader (1-3). Default 2.'),
  })
  .describe("PostgreSQL settings. Default: the release's major, checksums, pg_rewind.");

// ---------------------------------------------------------------------------------------------------
// Logical layer: what lives inside the writable cluster (issue #14).

/**
 * A PostgreSQL identifier pgtopo accepts for databases, roles, schemas, tables, publications, subscriptions
 * and slots: lowercase, unquoted-safe, at most 63 bytes (NAMEDATALEN - 1). Replication slot names allow only
 * [a-z0-9_], so every logical name fits a slot name and a pg_hba field without quoting.
 */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const pgIdentifiers = new Map<string, z.ZodString>();
/** One schema per kind of name, built once: every zod method call clones, and `check` builds the schema at start-up. */
const pgIdentifier = (what: string): z.ZodString => {
  let schema = pgIdentifiers.get(what);
  if (schema === undefined) {
    schema = z
      .string()
      .regex(
        PG_IDENTIFIER,
        `a ${what} name: 1-63 lowercase letters, digits or '_', not starting with a digit`,
      )
      .refine((v) => !v.startsWith('pg_'), `a ${what} name not starting with pg_ (reserved by PostgreSQL)`)
      .describe(`Name of the ${what}: 1-63 lowercase letters, digits or '_' (a PostgreSQL identifier).`);
    pgIdentifiers.set(what, schema);
  }
  return schema;
};

/** A schema-qualified table name, `schema.table`. */
export const QUALIFIED_TABLE = /^([a-z_][a-z0-9_]{0,62})\.([a-z_][a-z0-9_]{0,62})$/;
/** Table privileges PostgreSQL grants (GRANT ... ON TABLE). */
export const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
] as const;
/** Schema privileges PostgreSQL grants (GRANT ... ON SCHEMA). */
export const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'] as const;

/**
 * The logical section's schemas, built on the first parse of a spec that has a `logical` section: zod builds
 * every schema object (and clones it at each method call) when it is defined, and a spec without the section
 * should not pay for it at start-up (`pgtopo check` of such a spec costs what it cost before the logical layer).
 */
function buildLogicalSchemas() {
  const qualifiedTable = z
    .string()
    .regex(QUALIFIED_TABLE, 'a schema-qualified table name such as public.orders')
    .describe('Schema-qualified table name, e.g. public.orders.');

  const LogicalDatabase = z
    .strictObject({
      name: pgIdentifier('database'),
      owner: pgIdentifier('role').describe('Role that owns the database; one of `logical.roles`.'),
      extensions: z
        .array(pgIdentifier('extension'))
        .max(32)
        .default([])
        .describe('Extensions created in the database (CREATE EXTENSION IF NOT EXISTS). Default: none.'),
    })
    .describe('An application database on the writable cluster.');

  const LogicalRole = z
    .strictObject({
      name: pgIdentifier('role'),
      login: z.boolean().default(true).describe('The role may log in (LOGIN). Default true.'),
      replication: z
        .boolean()
        .default(false)
        .describe(
          'REPLICATION attribute: needed by CDC users (Debezium) that stream a slot. Default false (subscriptions from other clusters connect as a replication role too).',
        ),
      password: secretRef
        .default('generate')
        .describe(
          'Password source: `generate` (pgtopo creates a Secrets Manager secret pgtopo/<name>/logical/<role>) or the ARN of an existing secret. Never a value. Default generate.',
        ),
    })
    .describe('A database role the logical layer creates.');

  const LogicalGrant = z
    .strictObject({
      role: pgIdentifier('role').describe('Grantee; one of `logical.roles`.'),
      database: pgIdentifier('database').describe('Database; one of `logical.databases`.'),
      schema: pgIdentifier('schema').default('public').describe('Schema the grant covers. Default public.'),
      tables: z
        .array(z.enum(TABLE_PRIVILEGES))
        .max(TABLE_PRIVILEGES.length * 2)
        .default([])
        .describe(
          'Privileges on every table of the schema, now and created later by the database owner (ALTER DEFAULT PRIVILEGES). Default: none.',
        ),
      schemaPrivileges: z
        .array(z.enum(SCHEMA_PRIVILEGES))
        .max(SCHEMA_PRIVILEGES.length * 2)
        .default(['USAGE'])
        .describe('Privileges on the schema itself. Default [USAGE].'),
    })
    .describe('Privileges of a role on one schema of one database.');

  const LogicalPublication = z
    .strictObject({
      name: pgIdentifier('publication'),
      database: pgIdentifier('database').describe(
        'Database the publication lives in; one of `logical.databases`.',
      ),
      tables: z
        .array(qualifiedTable)
        .min(1)
        .max(1000)
        .describe('Published tables, schema-qualified, sorted, each once (PGT-LOG-006).'),
      subscriberSlots: z
        .array(pgIdentifier('replication slot'))
        .max(64)
        .default([])
        .describe(
          'Logical slots that subscriptions in other clusters stream from (they subscribe with create_slot = false): this cluster creates and owns them so that they survive its failovers. Default: none.',
        ),
    })
    .describe('A publication (CREATE PUBLICATION ... FOR TABLE ...).');

  const LogicalSubscription = z
    .strictObject({
      name: pgIdentifier('subscription'),
      database: pgIdentifier('database').describe(
        'Subscriber database on this cluster; one of `logical.databases`.',
      ),
      publication: pgIdentifier('publication').describe("Publication name on the publisher's database."),
      publisher: z
        .union([
          z
            .strictObject({
              cluster: name('cluster').describe('`name` of the publishing pgtopo spec.'),
              dnsZone: z
                .string()
                .regex(/^([a-z0-9-]+\.)+[a-z0-9-]+$/, 'a DNS zone such as db.internal')
                .optional()
                .describe(
                  "The publisher's `endpoints.dnsZone`. Default `<cluster>.pgtopo.internal` (pgtopo's default zone).",
                ),
              database: pgIdentifier('database').describe("Publisher's database."),
              user: pgIdentifier('role').describe(
                'Replication role on the publisher the subscription connects as.',
              ),
              password: secretArn.describe(
                "ARN of the Secrets Manager secret holding that role's password (the publisher's secret). Never a value.",
              ),
              os: z
                .enum(RELEASE_NAMES)
                .default(DEFAULT_RELEASE)
                .describe(
                  `The publisher's node release (\`hosts.os\` of its spec): on a release with failover slots its slot is a failover slot, and the subscription says so (a PostgreSQL 17 subscriber sets the publisher slot's failover property to its own \`failover\` option). Default ${DEFAULT_RELEASE}.`,
                ),
            })
            .describe(
              'Another pgtopo cluster: the subscription connects to its global writer endpoint (writer.<zone>).',
            ),
          z
            .strictObject({
              host: z
                .string()
                .regex(/^[A-Za-z0-9.-]{1,253}$/, 'a DNS name or IPv4 address')
                .describe('Writer endpoint of the publisher.'),
              port: z.number().int().min(1).max(65535).default(5432).describe('Port. Default 5432.'),
              database: pgIdentifier('database').describe("Publisher's database."),
              user: pgIdentifier('role').describe('Replication role on the publisher.'),
              password: secretArn.describe("ARN of the secret holding that role's password. Never a value."),
              slotFailover: z
                .boolean()
                .default(false)
                .describe(
                  "Whether the publisher's slot is a PostgreSQL 17 failover slot (a PostgreSQL 17 subscriber sets the slot's failover property to this value). Default false.",
                ),
            })
            .describe('An explicit publisher host.'),
        ])
        .describe('Where the publication lives.'),
      slot: pgIdentifier('replication slot')
        .optional()
        .describe(
          "Slot on the publisher (declared in the publisher's `subscriberSlots`, which owns it). Default: the subscription's name.",
        ),
      copyData: z.boolean().default(true).describe('copy_data: copy existing rows first. Default true.'),
    })
    .describe('A subscription on this cluster to a publication of another cluster.');

  const CdcFeed = z
    .strictObject({
      name: pgIdentifier('CDC feed').describe('Feed name: the Debezium connector name and its topic.prefix.'),
      database: pgIdentifier('database').describe('Database; one of `logical.databases`.'),
      publication: pgIdentifier('publication').describe(
        'Publication streamed; one of `logical.publications`.',
      ),
      slot: pgIdentifier('replication slot').describe(
        'Logical slot (pgoutput) the feed reads; pgtopo owns it.',
      ),
      role: pgIdentifier('role').describe(
        'Role Debezium connects as; one of `logical.roles`, with `replication: true`.',
      ),
      heartbeat: z
        .strictObject({
          table: qualifiedTable.describe(
            'Heartbeat table Debezium writes to (heartbeat.action.query); must be in the publication. Created by pgtopo.',
          ),
          intervalMs: z
            .number()
            .int()
            .min(1000)
            .max(3_600_000)
            .default(10_000)
            .describe('heartbeat.interval.ms (1000-3600000). Default 10000.'),
        })
        .describe('Keeps the slot advancing while the published tables are idle.'),
      maxRetainedWalGiB: z
        .number()
        .int()
        .min(1)
        .max(16384)
        .default(5)
        .describe(
          'WAL the slot may hold back before PostgreSQL invalidates it (max_slot_wal_keep_size), in GiB. Default 5.',
        ),
    })
    .describe('A change-data-capture feed for Debezium (PostgreSQL connector, pgoutput).');

  const Logical = z
    .strictObject({
      databases: z
        .array(LogicalDatabase)
        .max(64)
        .default([])
        .describe('Application databases. Default: none.'),
      roles: z.array(LogicalRole).max(256).default([]).describe('Roles. Default: none.'),
      grants: z.array(LogicalGrant).max(1024).default([]).describe('Grants. Default: none.'),
      publications: z.array(LogicalPublication).max(64).default([]).describe('Publications. Default: none.'),
      subscriptions: z
        .array(LogicalSubscription)
        .max(64)
        .default([])
        .describe('Subscriptions. Default: none.'),
      cdc: z.array(CdcFeed).max(64).default([]).describe('CDC feeds for Debezium. Default: none.'),
    })
    .describe(
      'Roles, databases, grants, publications, subscriptions and CDC feeds of the writable cluster, rendered as SQL and Debezium connector configuration. Default: empty.',
    );
  return {
    LogicalDatabase,
    LogicalRole,
    LogicalGrant,
    LogicalPublication,
    LogicalSubscription,
    CdcFeed,
    Logical,
  };
}

let logicalSchemas: ReturnType<typeof buildLogicalSchemas> | undefined;
/** The logical section's schemas (built once, on first use). */
function logicalSchema(): ReturnType<typeof buildLogicalSchemas> {
  if (logicalSchemas === undefined) logicalSchemas = buildLogicalSchemas();
  return logicalSchemas;
}

export const Logical = z.lazy(() => logicalSchema().Logical);

export const TopologySpec = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors. Ignored.'),
    name: name('cluster'),
    postgres: Postgres.prefault({}),
    primaryRegion: z.string().describe('Region that holds the writable cluster; must be one of `regions`.'),
    dcs: Dcs.prefault({ mode: 'per-region' }),
    failover: Failover.prefault({}),
    durability: Durability.prefault({}),
    regions: z.array(Region).min(1).max(64).describe('Regions, one Patroni cluster each (1-64).'),
    archive: Archive.prefault({}),
    endpoints: Endpoints.prefault({}),
    security: Security.prefault({}),
    hosts: Hosts.prefault({}),
    observability: Observability.prefault({}),
    waivers: z
      .array(Waiver)
      .default([])
      .describe('Accepted policy findings, each with a reason. Default: none.'),
    // `.default`, not `.prefault`: an absent section is the empty plan without building the section's schemas.
    logical: Logical.default(() => ({
      databases: [],
      roles: [],
      grants: [],
      publications: [],
      subscriptions: [],
      cdc: [],
    })),
  })
  .describe('A multi-region PostgreSQL (Patroni + etcd) topology on AWS.');

/** What a TypeScript user writes: every defaulted field optional, with completion. */
export type TopologySpecInput = z.input<typeof TopologySpec>;
/** The spec after schema defaults: what `model/` resolves. */
export type ParsedSpec = z.output<typeof TopologySpec>;
export type MemberSpec = z.output<typeof Member>;
export type RegionSpec = z.output<typeof Region>;
export type FailoverProfile = z.output<typeof FailoverProfileName>;
export type LogicalSpec = z.output<typeof Logical>;
