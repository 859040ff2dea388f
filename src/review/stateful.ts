/**
 * Which Terraform resources hold data that a replace or destroy would lose.
 * Shared by the plan summary, the AWS inventory and their callouts.
 */
import { NODE_TAGS } from '../model/constants.js';

/** Resource types that always hold data, and what is lost with them. */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  aws_ebs_volume: 'EBS volume: the PostgreSQL data directory of a member',
  aws_s3_bucket: 'S3 bucket: WAL archive and backups (or a copy of them)',
  aws_kms_key:
    'KMS key: everything encrypted with it (volumes, archive, secrets) becomes unreadable once the key is deleted',
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function tagsOf(values: Json): Json | undefined {
  return isObject(values.tags) ? values.tags : isObject(values.tags_all) ? values.tags_all : undefined;
}

/**
 * Why an `aws_instance` holds data, or undefined. An instance holds data when it
 * carries an EBS block device inline (replacing the instance replaces the
 * volume), or when it is a dedicated etcd member (its data directory lives on
 * the root volume, which is deleted with the instance). A PostgreSQL member's
 * instance does not: its data volume is a separate `aws_ebs_volume`.
 */
function instanceHoldsData(values: Json | undefined): string | undefined {
  if (!values) return undefined;
  const inline = values.ebs_block_device;
  if (Array.isArray(inline) && inline.length > 0) {
    return 'EC2 instance with an inline EBS volume: replacing the instance replaces the volume';
  }
  const etcd = tagsOf(values)?.[NODE_TAGS.etcd];
  if (typeof etcd === 'string') {
    return 'EC2 instance of an etcd member: its data directory is on the root volume, deleted with the instance';
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

/**
 * What replacing a stateless resource still disrupts, or undefined. A member's
 * instance restarts PostgreSQL (a failover when it leads) while its data volume
 * is detached and re-attached.
 */
export function disruption(type: string, values?: unknown): string | undefined {
  if (!isObject(values)) return undefined;
  if (type === 'aws_instance') {
    const member = tagsOf(values)?.[NODE_TAGS.member];
    if (typeof member === 'string') {
      return `member ${member} restarts (a failover if it leads); its data volume is re-attached`;
    }
  }
  if (type === 'aws_volume_attachment') return 'the data volume is detached while the instance is stopped';
  return undefined;
}

/** A human name for a resource: its `Name` tag, bucket name or description. */
export function resourceLabel(values: unknown): string | undefined {
  if (!isObject(values)) return undefined;
  const tags = isObject(values.tags) ? values.tags : undefined;
  const literal = (v: unknown) => (typeof v === 'string' && !v.includes('${') ? v : undefined);
  return literal(tags?.Name ?? tags?.name) ?? literal(values.bucket) ?? literal(values.description);
}
