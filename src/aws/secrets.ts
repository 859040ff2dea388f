/**
 * The dataset's credentials in Secrets Manager.
 *
 * Decision (no secret value in Terraform JSON, state or plan): pgtopo creates
 * the secrets without any version. At first boot a node of the primary region
 * that finds no value generates it and stores it with PutSecretValue (one
 * client request token on every node, so exactly one value wins), then removes
 * the secret's AWAITING_VALUE_TAG: nodes may store a value only while that tag
 * is there and cannot add it back, so no node can rewrite a credential after
 * bootstrap (rotation is an operator's act: re-tag, then put); every node
 * reads the values by name through its instance role (render/boot). Terraform
 * never sees a value, so none reaches the JSON, the plan or the state.
 *
 * Why not what the provider offers (hashicorp/aws 5.100.0, Terraform 1.11):
 * `aws_secretsmanager_secret_version.secret_string_wo` is write-only (kept out
 * of state and plan) but needs a value source. The ephemeral
 * `aws_secretsmanager_random_password` calls GetRandomPassword while planning,
 * which breaks offline plans, and cdktf 0.21 cannot declare ephemeral resources;
 * the `data` source of the same name would put the value in state; a literal
 * would put it in the JSON.
 *
 * Physical replication copies PostgreSQL's roles to every cluster, so the
 * credentials belong to the dataset, not to one regional cluster: one set lives
 * in the primary region, replicated (Secrets Manager replicas) to every other
 * region under that region's cluster key, so each node reads them locally.
 */
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { Topology } from '../model/types.js';
import {
  AWAITING_VALUE_TAG,
  generatedSecretName,
  type SecretKey,
  secretKeysOf,
  secretSource,
} from '../render/index.js';
import { protect } from './guard.js';
import { clusterKeyAlias } from './names.js';

/** Credentials pgtopo creates: the spec's `generate` ones plus the self-managed cluster TLS CA. */
export function generatedKeys(t: Topology): SecretKey[] {
  return secretKeysOf(t).filter((k) => secretSource(t, k, t.primaryRegion).generate);
}

export interface ClusterSecretsProps {
  readonly topology: Topology;
  /**
   * Region of the primary secrets.
   * @default the topology's primary region
   */
  readonly region?: string;
  /**
   * KMS key (ARN, id, alias name or alias ARN) of the primary secrets.
   * @default the cluster key alias of `region` (created by that region's stack)
   */
  readonly kmsKeyId?: string;
  /**
   * Regions that get a replica, each under its own key.
   * @default every other region of the topology, under that region's cluster key alias
   */
  readonly replicas?: readonly { readonly region: string; readonly kmsKeyId: string }[];
  /**
   * Days a deleted secret can be restored.
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * One secret (no value, no version) per generated credential of the dataset
 * (superuser, replication, rewind, PgBouncer, REST API, archive cipher, TLS CA)
 * under the cluster key, replicated to every region, with `prevent_destroy`.
 * Credentials the spec names by ARN are used as they are.
 */
export class ClusterSecrets extends Construct {
  /** Secret resource per generated credential. */
  readonly secrets: Readonly<Partial<Record<SecretKey, SecretsmanagerSecret>>>;

  constructor(scope: Construct, id: string, props: ClusterSecretsProps) {
    super(scope, id);
    const t = props.topology;
    const region = props.region ?? t.primaryRegion;
    const replicas =
      props.replicas ??
      t.regions
        .filter((r) => r.name !== region)
        .map((r) => ({ region: r.name, kmsKeyId: clusterKeyAlias(t, r.name) }));
    const secrets: Partial<Record<SecretKey, SecretsmanagerSecret>> = {};
    for (const key of generatedKeys(t)) {
      secrets[key] = new SecretsmanagerSecret(this, key, {
        ...(props.provider ? { provider: props.provider } : {}),
        name: generatedSecretName(t, key),
        description: `pgtopo ${t.name} ${key}: generated at first boot in ${region}; no value passes through Terraform`,
        kmsKeyId: props.kmsKeyId ?? clusterKeyAlias(t, region),
        recoveryWindowInDays: props.recoveryWindowInDays ?? 30,
        ...(replicas.length > 0
          ? { replica: replicas.map((r) => ({ region: r.region, kmsKeyId: r.kmsKeyId })) }
          : {}),
        // Write once: nodes store a value only while this tag is there, and remove it once a value exists.
        // Terraform must not put it back (that would reopen the window), so it ignores tag drift.
        tags: { 'pgtopo:topology': t.name, 'pgtopo:credential': key, [AWAITING_VALUE_TAG]: 'true' },
        lifecycle: { preventDestroy: true, ignoreChanges: ['tags', 'tags_all'] },
      });
    }
    this.secrets = secrets;
    protect(this);
  }
}
