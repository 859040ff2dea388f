/**
 * Which Terraform resources hold data that a replace or destroy would lose.
 * Shared by the plan summary, the AWS inventory and their callouts.
 */

/** Resource types that always hold data, and what is lost with them. */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  aws_ebs_volume: 'EBS volume: the PostgreSQL data directory of a member',
  aws_s3_bucket: 'S3 bucket: WAL archive and backups (or a copy of them)',
  aws_kms_key:
    'KMS key: everything encrypted with it (volumes, archive) becomes unreadable once the key is deleted',
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Tag keys the AWS layer may use to name a node's role. Matched case-insensitively. */
const ROLE_TAG = /(^|[:/_-])role$/i;
const DATA_ROLES = /^(postgres|postgresql|patroni|member|etcd|dcs)$/i;

/**
 * Why an `aws_instance` holds data, or undefined. An instance holds data when it
 * carries an EBS block device inline (replacing the instance replaces the
 * volume), or when its tags mark it as a PostgreSQL member or an etcd member
 * (an etcd member keeps its data directory on the root volume; PostgreSQL
 * members hold WAL and the running primary).
 */
function instanceHoldsData(values: Json | undefined): string | undefined {
  if (!values) return undefined;
  const inline = values.ebs_block_device;
  if (Array.isArray(inline) && inline.length > 0) {
    return 'EC2 instance with an inline EBS data volume: replacing the instance replaces the volume';
  }
  const tags = isObject(values.tags) ? values.tags : isObject(values.tags_all) ? values.tags_all : undefined;
  if (tags) {
    for (const [k, v] of Object.entries(tags)) {
      if (ROLE_TAG.test(k) && typeof v === 'string' && DATA_ROLES.test(v)) {
        return /etcd|dcs/i.test(v)
          ? 'EC2 instance of an etcd member: its data directory (DCS state) lives on the root volume'
          : 'EC2 instance of a PostgreSQL member: replacing it restarts the member and re-attaches or re-clones its data';
      }
    }
  }
  return undefined;
}

/**
 * What a resource of `type` with these attribute `values` holds, or undefined
 * when losing it loses no data. `values` are the resource's arguments (the
 * synthesized config) or its planned/prior values (a plan).
 */
export function statefulReason(type: string, values?: unknown): string | undefined {
  const known = STATEFUL_TYPES[type];
  if (known) return known;
  if (type === 'aws_instance') return instanceHoldsData(isObject(values) ? values : undefined);
  return undefined;
}

/** A human name for a resource: its `Name` tag when it has one. */
export function resourceLabel(values: unknown): string | undefined {
  if (!isObject(values)) return undefined;
  const tags = isObject(values.tags) ? values.tags : undefined;
  const name = tags?.Name ?? tags?.name;
  if (typeof name === 'string') return name;
  if (typeof values.bucket === 'string') return values.bucket;
  if (typeof values.description === 'string') return values.description;
  return undefined;
}
