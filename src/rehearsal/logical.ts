/**
 * The logical layer on the rehearsed cluster: the stand-in tables the plan publishes, the plan's SQL,
 * and the change feeds the drills follow.
 */
import type { LocalCluster } from './cluster.js';
import type { Layout } from './layout.js';
import type { ConnInfo } from './load.js';

export interface RehearsedFeed {
  readonly name: string;
  /** Patroni scope of the writable cluster the feed reads. */
  readonly cluster: string;
  readonly database: string;
  readonly publication: string;
  readonly slot: string;
  /** The published table the drill writes (schema-qualified). */
  readonly table: string;
  readonly role: string;
  /** Who carries the slot across a failover. */
  readonly owner: string;
}

export function rehearsedFeeds(_layout: Layout): RehearsedFeed[] {
  return []; // wired to the logical plan once the model has it
}

export function cdcConn(cluster: LocalCluster, _layout: Layout, feed: RehearsedFeed): ConnInfo {
  const e = cluster.endpoint(feed.cluster);
  return { ...cluster.writerDirectConn(feed.cluster, feed.database), host: e.address };
}
