/** Lookups over the resolved model shared by the renderers. */
import type { Cluster, EtcdMember, EtcdQuorum, Member, Topology } from '../model/types.js';
import { UnknownNodeError } from './address-map.js';

export function memberNamed(t: Topology, name: string): Member {
  const m = t.members.find((x) => x.name === name);
  if (!m) throw new UnknownNodeError('member', name);
  return m;
}

export function clusterNamed(t: Topology, scope: string): Cluster {
  const c = t.clusters.find((x) => x.scope === scope);
  if (!c) throw new UnknownNodeError('cluster', scope);
  return c;
}

export function quorumNamed(t: Topology, id: string): EtcdQuorum {
  const q = t.etcd.find((x) => x.id === id);
  if (!q) throw new UnknownNodeError('cluster', id);
  return q;
}

export function etcdMemberNamed(t: Topology, name: string): { member: EtcdMember; quorum: EtcdQuorum } {
  for (const quorum of t.etcd) {
    const member = quorum.members.find((e) => e.name === name);
    if (member) return { member, quorum };
  }
  throw new UnknownNodeError('etcd member', name);
}

/** Standby clusters that follow `scope`. */
export function followersOf(t: Topology, scope: string): Cluster[] {
  return t.clusters.filter((c) => c.follows === scope);
}

/** etcd members co-located on a PostgreSQL member. */
export function etcdOnMember(t: Topology, member: string): { member: EtcdMember; quorum: EtcdQuorum }[] {
  return t.etcd.flatMap((quorum) =>
    quorum.members.filter((e) => e.colocatedWith === member).map((e) => ({ member: e, quorum })),
  );
}

/** Downstream replication streams a cluster's leader may feed: its other members plus one per standby cluster. */
export function downstreamStreams(t: Topology, c: Cluster): number {
  return c.members.length - 1 + followersOf(t, c.scope).length;
}

/** Senders beyond the downstream streams: a base backup (2 with WAL streaming), pg_rewind, one spare. */
export const SENDER_HEADROOM = 4;
/** Slots beyond the downstream streams: room to add a member or a standby cluster without a restart. */
export const SLOT_HEADROOM = 4;

/**
 * `max_wal_senders` and `max_replication_slots`, one value for the whole
 * topology: a hot standby refuses to start when its max_wal_senders is below
 * its upstream's, and standby clusters stream from the primary cluster.
 */
export function replicationCapacity(t: Topology): { maxWalSenders: number; maxReplicationSlots: number } {
  // Logical slots (CDC feeds, other clusters' subscriptions) each take a slot and, while streaming, a sender.
  const logical = Math.max(0, ...t.logical.map((p) => p.slots.length));
  const streams = Math.max(...t.clusters.map((c) => downstreamStreams(t, c))) + logical;
  return { maxWalSenders: streams + SENDER_HEADROOM, maxReplicationSlots: streams + SLOT_HEADROOM };
}
