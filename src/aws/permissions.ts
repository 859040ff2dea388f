/**
 * What each node's role may do, derived from what its rendered boot step and
 * services actually call: the secrets it fetches (render/secrets), the
 * pgBackRest repositories it reads or writes (render/pgbackrest) and the log
 * stream its metrics go to. Keys are not granted here: each key policy lets the
 * account use the key only through S3 or Secrets Manager for pgtopo's own
 * buckets and secrets, so the S3 and Secrets Manager grants below decide.
 */
import { NODE_METRICS } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import {
  type AddressMap,
  AWAITING_VALUE_TAG,
  awsAddressMap,
  certTemplateArn,
  hostKind,
  hostRegion,
  repositoriesOf,
  secretSource,
  secretsNeeded,
  tlsParameters,
  usesPrivateCa,
} from '../render/index.js';
import type { PolicyStatement } from './iam.js';
import { archiveBucketName } from './names.js';
import type { AccountFacts } from './stack.js';

/** The address map pgtopo renders AWS nodes with: buckets named by the AWS layer, copies made by S3 replication. */
export function pgtopoAddressMap(t: Topology): AddressMap {
  return awsAddressMap(t, {
    archiveBucket: (region) => archiveBucketName(t, region),
    archiveCopies: 'storage',
  });
}

export interface NodePermissionContext {
  readonly facts: AccountFacts;
  /**
   * ARN of the AWS Private CA of the node's region (RegionCertificateAuthority); required when the topology
   * uses `security.ca.mode: aws-private-ca`, ignored otherwise.
   */
  readonly certificateAuthorityArn?: string;
  /**
   * @default pgtopoAddressMap(topology)
   */
  readonly map?: AddressMap;
}

/** Name-bound ARN of a Secrets Manager secret (the service appends six random characters). */
export function secretNameArn(facts: AccountFacts, region: string, name: string): string {
  return `arn:${facts.partition}:secretsmanager:${region}:${facts.accountId}:secret:${name}-??????`;
}

/** ARN of an SSM parameter by name (pgtopo's names start with `/`). */
export function parameterArn(facts: AccountFacts, region: string, name: string): string {
  return `arn:${facts.partition}:ssm:${region}:${facts.accountId}:parameter${name}`;
}

/**
 * AWS Private CA mode: request certificates only from the region's CA and only with the end-entity
 * template (acm-pca:TemplateArn; acm-pca offers no condition key on a CSR's names), fetch them, and read
 * the CA's ARN and the trust bundle. No CA key to read anywhere.
 */
function certificateStatements(t: Topology, region: string, ctx: NodePermissionContext): PolicyStatement[] {
  const ca = ctx.certificateAuthorityArn;
  if (!ca) {
    throw new Error(
      `${t.name}: security.ca.mode is aws-private-ca; expected the certificate authority ARN of ${region} (certificateAuthorityArn)`,
    );
  }
  const params = tlsParameters(t);
  return [
    {
      Sid: 'RequestNodeCertificate',
      Effect: 'Allow',
      Action: ['acm-pca:IssueCertificate'],
      Resource: ca,
      Condition: { StringEquals: { 'acm-pca:TemplateArn': certTemplateArn(ctx.facts.partition) } },
    },
    { Sid: 'FetchNodeCertificate', Effect: 'Allow', Action: ['acm-pca:GetCertificate'], Resource: ca },
    {
      Sid: 'ReadTlsIssuer',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: [params.issuer, params.trust].map((n) => parameterArn(ctx.facts, region, n)),
    },
  ];
}

/** ARN of the log stream a member publishes its metric events to. */
export function metricStreamArn(t: Topology, facts: AccountFacts, region: string, host: string): string {
  return `arn:${facts.partition}:logs:${region}:${facts.accountId}:log-group:${NODE_METRICS.logGroup(t.name)}:log-stream:${host}`;
}

/**
 * Least-privilege statements of one bootable host (a member or a dedicated etcd
 * node): read exactly the secrets it fetches at boot (the self-managed TLS CA among them; with AWS
 * Private CA, request end-entity certificates from its region's CA instead), store the generated ones
 * only where the boot step generates them (primary region) and only once (while
 * the secret carries AWAITING_VALUE_TAG, which nodes can remove but never add),
 * list and read the
 * archive prefixes of its repositories and write them only in a writable
 * cluster (its own prefix), publish metrics to its own log stream. No wildcard
 * action, no `*` resource (PGT-IAM-001).
 */
export function nodeStatements(t: Topology, host: string, ctx: NodePermissionContext): PolicyStatement[] {
  const map = ctx.map ?? pgtopoAddressMap(t);
  const { facts } = ctx;
  const region = hostRegion(t, host);
  const sources = secretsNeeded(t, host, map).map((k) => secretSource(t, k, region));
  const arnOf = (s: (typeof sources)[number]) => (s.generate ? secretNameArn(facts, s.region, s.id) : s.id);
  const statements: PolicyStatement[] = [];
  if (sources.length > 0) {
    statements.push({
      Sid: 'ReadCredentials',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: sources.map(arnOf),
    });
  }
  const generating = sources.filter((s) => s.generate && region === t.primaryRegion);
  if (generating.length > 0) {
    // Write once: a value may be stored only while the secret still carries the tag it is created with, and
    // nodes may remove that tag (the boot step does once a value exists) but never add it back.
    statements.push(
      {
        Sid: 'StoreGeneratedCredentialsOnce',
        Effect: 'Allow',
        Action: ['secretsmanager:PutSecretValue'],
        Resource: generating.map(arnOf),
        Condition: { StringEquals: { [`aws:ResourceTag/${AWAITING_VALUE_TAG}`]: 'true' } },
      },
      {
        Sid: 'CloseGeneratedCredentials',
        Effect: 'Allow',
        Action: ['secretsmanager:UntagResource'],
        Resource: generating.map(arnOf),
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [AWAITING_VALUE_TAG] } },
      },
    );
  }
  if (usesPrivateCa(t)) statements.push(...certificateStatements(t, region, ctx));
  const kind = hostKind(t, host);
  if (kind.kind !== 'member') return statements;
  const member = t.members.find((m) => m.name === host)!;
  const cluster = t.clusters.find((c) => c.scope === member.cluster)!;
  const writes = cluster.role === 'primary';
  repositoriesOf(t, host, map.archiveCopies).forEach((repo) => {
    const loc = map.repository(repo.region);
    if (loc.kind !== 's3') return;
    const bucket = `arn:${facts.partition}:s3:::${loc.bucket}`;
    const n = repo.index;
    statements.push(
      {
        Sid: `ListRepo${n}`,
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': [repo.prefix, `${repo.prefix}*`] } },
      },
      {
        Sid: writes ? `ReadWriteRepo${n}` : `ReadRepo${n}`,
        Effect: 'Allow',
        Action: writes
          ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']
          : ['s3:GetObject'],
        Resource: `${bucket}/${repo.prefix}*`,
      },
    );
  });
  statements.push({
    Sid: 'PublishMetrics',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: metricStreamArn(t, facts, region, host),
  });
  return statements;
}
