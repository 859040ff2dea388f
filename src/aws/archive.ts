/**
 * The WAL archive (pgBackRest repository) in S3: one bucket per region, the
 * primary region's being the source that S3 replication copies to the buckets
 * of the copy regions.
 */
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { Topology } from '../model/types.js';
import { protect } from './guard.js';
import { assumeRolePolicy, type PolicyStatement, policyDocument } from './iam.js';
import { ClusterKey } from './kms.js';
import { archiveBucketName, archiveKeyAlias } from './names.js';
import { accountFacts } from './stack.js';

export interface WalArchiveProps {
  readonly topology: Topology;
  /** Region of the bucket. */
  readonly region: string;
  /**
   * Bucket name.
   * @default archiveBucketName(topology, region): `<name>-pgtopo-wal-<region>`, shortened with a hash past 63 characters
   */
  readonly bucketName?: string;
  /**
   * Customer-managed KMS key ARN for the bucket.
   * @default the spec's `archive.kmsKeyArn` for the primary region, else a new key with rotation (alias `alias/pgtopo/<name>/<region>/archive`)
   */
  readonly kmsKeyArn?: string;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * A WAL archive bucket: SSE-KMS under a customer-managed key (rotated yearly),
 * bucket keys, versioning, ACLs disabled, all four Block Public Access settings,
 * a bucket policy denying requests without TLS (or below TLS 1.2), lifecycle
 * tiers and expiry from the spec, optional Object Lock with default retention.
 * The bucket and its key carry `prevent_destroy`.
 */
export class WalArchive extends Construct {
  readonly bucket: S3Bucket;
  /** Full ARN of the key encrypting the bucket. */
  readonly keyArn: string;
  readonly key?: ClusterKey;
  readonly versioning: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: WalArchiveProps) {
    super(scope, id);
    const t = props.topology;
    const a = t.archive;
    const p = props.provider;
    const pp = p ? { provider: p } : {};
    const name = props.bucketName ?? archiveBucketName(t, props.region);
    const { partition } = accountFacts(this, p);
    const bucketArn = `arn:${partition}:s3:::${name}`;

    const given = props.kmsKeyArn ?? (props.region === t.primaryRegion ? a.kmsKeyArn : undefined);
    if (given) {
      this.keyArn = given;
    } else {
      this.key = new ClusterKey(this, 'key', {
        alias: archiveKeyAlias(t, props.region),
        description: `pgtopo ${t.name} WAL archive in ${props.region}`,
        region: props.region,
        rotation: a.keyRotation,
        services: [{ service: 's3', encryptionContext: { key: 'aws:s3:arn', like: `${bucketArn}*` } }],
        ...pp,
      });
      this.keyArn = this.key.arn;
    }

    this.bucket = new S3Bucket(this, 'bucket', {
      ...pp,
      bucket: name,
      objectLockEnabled: a.objectLock !== 'none',
      forceDestroy: false,
      tags: { Name: name, 'pgtopo:topology': t.name, 'pgtopo:archive': props.region },
      lifecycle: { preventDestroy: true },
    });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, 'ownership', {
      ...pp,
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketPublicAccessBlock(this, 'public-access', {
      ...pp,
      bucket,
      blockPublicAcls: a.blockPublicAccess,
      blockPublicPolicy: a.blockPublicAccess,
      ignorePublicAcls: a.blockPublicAccess,
      restrictPublicBuckets: a.blockPublicAccess,
    });
    this.versioning = new S3BucketVersioningA(this, 'versioning', {
      ...pp,
      bucket,
      versioningConfiguration: { status: a.versioning ? 'Enabled' : 'Suspended' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      ...pp,
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault:
            a.sse === 'aws:kms'
              ? { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.keyArn }
              : { sseAlgorithm: a.sse },
          bucketKeyEnabled: a.sse === 'aws:kms',
        },
      ],
    });
    if (a.tlsOnlyPolicy) {
      new S3BucketPolicy(this, 'policy', {
        ...pp,
        bucket,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyWithoutTls',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
            {
              Sid: 'DenyOldTls',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
              Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
            },
          ],
        }),
      });
    }
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      ...pp,
      bucket,
      rule: [
        {
          id: 'pitr-window',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          transition: a.tiers.map((tier) => ({ days: tier.afterDays, storageClass: tier.storageClass })),
          expiration: [{ days: a.expireAfterDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: a.expireAfterDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      dependsOn: [this.versioning],
    });
    if (a.objectLock !== 'none') {
      new S3BucketObjectLockConfigurationA(this, 'object-lock', {
        ...pp,
        bucket,
        rule: {
          defaultRetention: {
            mode: a.objectLock === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE',
            days: a.objectLockDays,
          },
        },
        dependsOn: [this.versioning],
      });
    }
    protect(this);
  }
}

/** One bucket replication reads from or writes to. */
export interface ArchiveBucketRef {
  readonly region: string;
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Full ARN of the bucket's KMS key (in the bucket's region). */
  readonly keyArn: string;
}

export interface ArchiveReplicationProps {
  readonly topology: Topology;
  readonly source: ArchiveBucketRef;
  /** One replica per copy region, encrypted there with that region's key. */
  readonly copies: readonly ArchiveBucketRef[];
  /**
   * S3 Replication Time Control (15-minute SLA, with replication metrics).
   * @default the spec's `archive.replicationTimeControl`
   */
  readonly replicationTimeControl?: boolean;
  /** Provider of the source bucket's region. */
  readonly provider: TerraformProvider;
}

/**
 * Replication of the source archive to every copy: one rule per destination
 * (SSE-KMS objects only, delete markers too), each re-encrypting with the
 * destination's own key by full ARN (PGT-ARC-005), Replication Time Control when
 * asked, and a role that can read exactly the source bucket and write exactly
 * the destination buckets, with exactly those keys.
 */
export class ArchiveReplication extends Construct {
  readonly role: IamRole;
  readonly configuration: S3BucketReplicationConfigurationA;

  constructor(scope: Construct, id: string, props: ArchiveReplicationProps) {
    super(scope, id);
    const t = props.topology;
    const { source, copies } = props;
    const rtc = props.replicationTimeControl ?? t.archive.replicationTimeControl;
    const pp = { provider: props.provider };
    this.role = new IamRole(this, 'role', {
      ...pp,
      namePrefix: `${t.name.slice(0, 20)}-wal-repl-`,
      assumeRolePolicy: assumeRolePolicy('s3.amazonaws.com'),
      description: `pgtopo ${t.name}: replicate the WAL archive from ${source.region}`,
    });
    const statements: PolicyStatement[] = [
      {
        Sid: 'ReadSourceConfiguration',
        Effect: 'Allow',
        Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        Resource: source.bucketArn,
      },
      {
        Sid: 'ReadSourceVersions',
        Effect: 'Allow',
        Action: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        Resource: `${source.bucketArn}/*`,
      },
      {
        Sid: 'WriteCopies',
        Effect: 'Allow',
        Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        Resource: copies.map((c) => `${c.bucketArn}/*`),
      },
      {
        Sid: 'DecryptSource',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: source.keyArn,
        Condition: { StringEquals: { 'kms:ViaService': `s3.${source.region}.amazonaws.com` } },
      },
      ...copies.map(
        (c): PolicyStatement => ({
          Sid: `EncryptCopy${c.region.replace(/-/g, '')}`,
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: c.keyArn,
          Condition: { StringEquals: { 'kms:ViaService': `s3.${c.region}.amazonaws.com` } },
        }),
      ),
    ];
    new IamRolePolicy(this, 'policy', {
      ...pp,
      name: 'replicate',
      role: this.role.id,
      policy: policyDocument(statements),
    });
    this.configuration = new S3BucketReplicationConfigurationA(this, 'configuration', {
      ...pp,
      bucket: source.bucketName,
      role: this.role.arn,
      rule: copies.map((c, i) => ({
        id: `copy-${c.region}`,
        priority: i + 1,
        status: 'Enabled',
        filter: { prefix: '' },
        deleteMarkerReplication: { status: 'Enabled' },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        destination: {
          bucket: c.bucketArn,
          storageClass: 'STANDARD',
          encryptionConfiguration: { replicaKmsKeyId: c.keyArn },
          ...(rtc
            ? {
                replicationTime: { status: 'Enabled', time: { minutes: 15 } },
                metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
              }
            : {}),
        },
      })),
    });
    protect(this);
  }
}
