/**
 * Names of AWS things pgtopo creates, derived from the model once. Names other
 * stacks or the nodes' boot step must know (buckets, secrets, key aliases) are
 * deterministic; everything else lets Terraform choose.
 */
import { createHash } from 'node:crypto';
import type { Topology } from '../model/types.js';
import { defaultArchiveBucket } from '../render/index.js';

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

/** Fits `parts` joined by '-' into `max` characters, shortening the first part and adding a hash when needed. */
function fitName(parts: readonly string[], max: number): string {
  const full = parts.join('-');
  if (full.length <= max) return full;
  const rest = parts.slice(1).join('-');
  const room = max - rest.length - 10;
  // Keep the distinguishing tail (a region, a node) when it leaves room; otherwise cut the whole name.
  if (room >= 1) return `${parts[0]!.slice(0, room)}-${shortHash(full)}-${rest}`;
  return `${full.slice(0, max - 9).replace(/-+$/, '')}-${shortHash(full)}`;
}

/** Stack id of a region's stack. */
export const regionStackId = (t: Topology, region: string): string => `${t.name}-${region}`;
/** Stack id of the topology-wide stack (DNS, peering, archive replication, secrets). */
export const globalStackId = (t: Topology): string => `${t.name}-global`;

/**
 * S3 bucket holding the WAL archive and backups in `region` (the source in the
 * primary region, copies elsewhere): the spec's `archive.bucket` for the region,
 * else the renderer's default name (`pgtopo-<name>-archive-<region>`), shortened
 * with a hash past S3's 63 characters.
 */
export function archiveBucketName(t: Topology, region: string): string {
  const name = defaultArchiveBucket(t, region);
  return name.length <= 63 ? name : fitName([`pgtopo-${t.name}`, 'archive', region], 63);
}

/** Prefix of every secret name of the topology (render's `generatedSecretName`), for key-policy encryption contexts. */
export const secretPrefix = (t: Topology): string => `pgtopo/${t.name}/`;

/** Alias of the region's cluster key (data volumes, secrets, alarm topic). */
export const clusterKeyAlias = (t: Topology, region: string): string =>
  `alias/pgtopo/${t.name}/${region}/cluster`;
/** Alias of the region's archive key (the archive bucket). */
export const archiveKeyAlias = (t: Topology, region: string): string =>
  `alias/pgtopo/${t.name}/${region}/archive`;

/** Prefix for IAM role names (Terraform appends a unique suffix; IAM allows 38 characters of prefix). */
export const rolePrefix = (t: Topology, node: string): string => `${fitName([t.name, node], 37)}-`;
