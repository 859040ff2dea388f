/**
 * Customer-managed KMS keys: rotation on, deletion guarded, and a key policy
 * that lets principals of this account use the key only through the AWS
 * services that need it (the aws/* managed-key pattern), so access to the data
 * is decided by the IAM policies on the secret, bucket or volume.
 */
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { protect } from './guard.js';
import { accountFacts } from './stack.js';

/** What a principal does with a data key: the actions a key policy grants for use (not administration). */
const KEY_USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/** One service allowed to use the key on behalf of principals in the account. */
export interface KeyServiceUse {
  /** Service endpoint prefix: `ec2` (EBS), `secretsmanager`, `s3`, `sns`. */
  readonly service: 'ec2' | 'secretsmanager' | 's3' | 'sns';
  /**
   * Encryption-context condition (`kms:EncryptionContext:<key>` StringLike `<like>`).
   * @default no condition beyond the service and the account
   */
  readonly encryptionContext?: { readonly key: string; readonly like: string };
}

export interface ClusterKeyProps {
  /** Alias name, `alias/...`, deterministic so other stacks and nodes can name the key. */
  readonly alias: string;
  /** Key description shown in the console. */
  readonly description: string;
  /** AWS region of the key (for `kms:ViaService`). */
  readonly region: string;
  /** Services principals of this account may use the key through. */
  readonly services: readonly KeyServiceUse[];
  /**
   * Let CloudWatch alarms publish to an SNS topic encrypted with this key.
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
  /**
   * Let CloudWatch Logs encrypt this log group (by ARN) with the key.
   * @default no log group
   */
  readonly logGroupArn?: string;
  /**
   * Yearly automatic rotation.
   * @default true
   */
  readonly rotation?: boolean;
  /**
   * Provider (region) of the key.
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/** A customer-managed key with rotation, an alias and `prevent_destroy`. */
export class ClusterKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
  /** Full key ARN. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: ClusterKeyProps) {
    super(scope, id);
    const { accountId, partition } = accountFacts(this, props.provider);
    const provider = props.provider ? { provider: props.provider } : {};
    const statements: unknown[] = [
      {
        Sid: 'AccountAdministers',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      ...props.services.map((use) => ({
        Sid: `UseVia${use.service}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [...KEY_USE, ...(use.service === 'ec2' ? ['kms:CreateGrant'] : [])],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:CallerAccount': accountId,
            'kms:ViaService': `${use.service}.${props.region}.amazonaws.com`,
          },
          ...(use.encryptionContext
            ? {
                StringLike: {
                  [`kms:EncryptionContext:${use.encryptionContext.key}`]: use.encryptionContext.like,
                },
              }
            : {}),
        },
      })),
      ...(props.allowCloudWatchAlarms
        ? [
            {
              Sid: 'CloudWatchAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
            },
          ]
        : []),
      ...(props.logGroupArn
        ? [
            {
              Sid: 'CloudWatchLogsEncrypt',
              Effect: 'Allow',
              Principal: { Service: `logs.${props.region}.amazonaws.com` },
              Action: KEY_USE,
              Resource: '*',
              Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': props.logGroupArn } },
            },
          ]
        : []),
    ];
    this.key = new KmsKey(this, 'key', {
      ...provider,
      description: props.description,
      enableKeyRotation: props.rotation ?? true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      lifecycle: { preventDestroy: true },
    });
    this.alias = new KmsAlias(this, 'alias', { ...provider, name: props.alias, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
    protect(this);
  }
}
