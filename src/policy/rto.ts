/**
 * The recovery-time model: how long until writes resume through the writer endpoint, as a
 * best / typical / worst range in seconds. Every term comes from a timer the topology sets or from
 * a documented allowance below; the worst case adds the terms up rather than overlapping them, so a
 * measured recovery (bench/rehearsal: kill the leader, time the first committed write through HAProxy)
 * must land at or below it.
 *
 * Automatic failover after the leader's node dies (Patroni 3.0 with etcd v3):
 *
 *   worst = ttl + etcdElection + leaseGranularity     the leader key outlives the leader: its lease was
 *                                                     refreshed at most ttl ago; if the etcd leader died
 *                                                     too, a new one is elected (up to 2 x election
 *                                                     timeout) and extends every lease by one election
 *                                                     timeout; etcd revokes expired leases every 0.5 s
 *         + loop_wait                                 replicas wake on the key's deletion through their
 *                                                     watch; if the watch broke with the failure they
 *                                                     notice on their next HA loop
 *         + memberStatusTimeout                       the leader race asks every member's REST API
 *                                                     (2 s timeout per unreachable member, in parallel)
 *         + promote.worst                             lock taken, pg_ctl promote, end of recovery
 *         + lb.worst                                  the load balancer marks the new primary up
 *         (+ dns.worst when the writer's DNS name must move to another region)
 *   best  = ttl - loop_wait + max(promote.best, lb.best)
 *           (the lease was refreshed a full loop_wait before the fault, the watch fires at once,
 *           and Patroni's /primary answers 200 as soon as the lock is held, so promotion and the
 *           load balancer's checks overlap)
 *   typical = ttl - loop_wait / 2 + max(promote.typical, lb.typical)
 *
 * Load balancer, from the moment /primary answers 200 on the new leader:
 *   NLB:     checks every `interval`; `healthyThreshold` passes needed:
 *            best (h - 1) x interval, worst h x interval.
 *   HAProxy: the new leader was DOWN (a replica answers 503), checked every `downinter`; `rise` passes
 *            needed: best (rise - 1) x fastinter, worst rise x downinter + inter (a check in flight at
 *            the old interval).
 *   The old leader being marked down happens during the ttl wait and adds nothing.
 *
 * A lost synchronous standby while the leader survives: commits wait until Patroni drops or replaces
 * it in synchronous_standby_names. The leader sees it go when its walsender exits (at once for a
 * crashed process, after wal_sender_timeout for a silent network) or when its member key expires
 * (ttl), then acts on its next HA loop:
 *   worst = min(wal_sender_timeout, ttl + etcdElection + leaseGranularity) + loop_wait + reload
 *   best  = 0; typical = loop_wait / 2 + reload
 *
 * In strict synchronous mode the new primary starts with synchronous_standby_names = '*': commits block
 * until a surviving sync-eligible replica follows it and Patroni names it. That adds
 *   worst = loop_wait (the replica notices the new leader) + wal_retrieve_retry_interval (its walreceiver
 *           retries) + loop_wait (the leader's next HA loop picks it) + reload;  best = reload.
 *
 * Manual recoveries are counted from the operator's decision (their own time is not modelled):
 *   forced failover:          loop_wait (wake) + promote + lb
 *   standby-cluster promotion: loop_wait (wake on the config change) + promote + lb + dns, where dns is
 *   the writer record's TTL plus Route 53 propagation (up to 60 s), because the global writer name moves.
 *
 * etcd quorum loss: no member can hold or take the leader key; the leader demotes itself when it cannot
 * update the key within retry_timeout (before ttl runs out), so there is no writable primary at all.
 */
import type { EtcdQuorum, Topology } from '../model/types.js';
import { walRetrieveRetrySeconds, walSenderTimeoutSeconds } from './facts.js';
import type { Endpoint, RtoRange } from './types.js';

interface Span {
  readonly best: number;
  readonly typical: number;
  readonly worst: number;
}

/** pg_ctl promote until end of recovery, plus Patroni taking the lock (an allowance, not a timer). */
export const PROMOTE_SECONDS: Span = { best: 0.5, typical: 1.5, worst: 5 };
/** Patroni's timeout for each member's REST status during the leader race (ha.py fetch_node_status). */
export const MEMBER_STATUS_TIMEOUT_SECONDS = 2;
/** etcd checks lease expiry every 500 ms. */
export const LEASE_GRANULARITY_SECONDS = 0.5;
/** PostgreSQL reload after Patroni rewrites synchronous_standby_names. */
export const RELOAD_SECONDS = 1;
/** Route 53 propagates a record change to its authoritative servers within 60 s. */
export const DNS_PROPAGATION_SECONDS: Span = { best: 0, typical: 30, worst: 60 };

const round = (n: number) => Math.round(n * 10) / 10;
const range = (best: number, typical: number, worst: number): RtoRange => ({
  bestSeconds: round(best),
  typicalSeconds: round(typical),
  worstSeconds: round(worst),
});

export const NO_INTERRUPTION: RtoRange = range(0, 0, 0);

/** Time for the load balancer to send traffic to a new primary once its /primary check passes. */
export function loadBalancerSeconds(t: Topology, endpoint: Endpoint): Span {
  if (endpoint === 'nlb') {
    const { intervalSeconds: i, healthyThreshold: h } = t.failover.healthCheck;
    return { best: (h - 1) * i, typical: (h - 0.5) * i, worst: h * i };
  }
  const { interMs, fastInterMs, downInterMs, rise } = t.failover.haproxy;
  const best = ((rise - 1) * fastInterMs) / 1000;
  const worst = (rise * downInterMs + interMs) / 1000;
  return { best, typical: (best + worst) / 2, worst };
}

/** Seconds the leader key can outlive its lease when the etcd leader is lost too. */
export function etcdElectionSeconds(q: EtcdQuorum | undefined): number {
  return q ? (3 * q.electionTimeoutMs) / 1000 : 0;
}

function dnsSeconds(t: Topology): Span {
  const ttl = t.endpoints.dnsTtlSeconds;
  return {
    best: DNS_PROPAGATION_SECONDS.best,
    typical: ttl / 2 + DNS_PROPAGATION_SECONDS.typical,
    worst: ttl + DNS_PROPAGATION_SECONDS.worst,
  };
}

export interface FailoverTiming {
  readonly endpoint: Endpoint;
  /** The failure may take the etcd leader of the cluster's quorum with it. */
  readonly etcdLeaderMayBeLost: boolean;
  readonly quorum: EtcdQuorum | undefined;
  /** The writer's DNS name must move to another region. */
  readonly dnsMoves: boolean;
  /** Strict synchronous mode: commits wait for a standby to attach to the new primary. */
  readonly strictResync?: boolean;
}

/** Automatic failover after the leader is lost (or cut off from the quorum). */
export function automaticFailover(t: Topology, o: FailoverTiming): RtoRange {
  const { ttl, loopWait } = t.failover.timers;
  const lb = loadBalancerSeconds(t, o.endpoint);
  const dns = o.dnsMoves ? dnsSeconds(t) : { best: 0, typical: 0, worst: 0 };
  const election = o.etcdLeaderMayBeLost ? etcdElectionSeconds(o.quorum) : 0;
  const retry = walRetrieveRetrySeconds(t);
  const resync = o.strictResync
    ? {
        best: RELOAD_SECONDS,
        typical: loopWait + retry / 2 + RELOAD_SECONDS,
        worst: 2 * loopWait + retry + RELOAD_SECONDS,
      }
    : { best: 0, typical: 0, worst: 0 };
  return range(
    Math.max(0, ttl - loopWait) + Math.max(PROMOTE_SECONDS.best, lb.best) + dns.best + resync.best,
    Math.max(0, ttl - loopWait / 2) +
      Math.max(PROMOTE_SECONDS.typical, lb.typical) +
      dns.typical +
      resync.typical,
    resync.worst +
      ttl +
      election +
      LEASE_GRANULARITY_SECONDS +
      loopWait +
      MEMBER_STATUS_TIMEOUT_SECONDS +
      PROMOTE_SECONDS.worst +
      lb.worst +
      dns.worst,
  );
}

/** Commits wait while Patroni replaces a lost synchronous standby; the primary itself stays. */
export function syncStandbyReplacement(
  t: Topology,
  o: Pick<FailoverTiming, 'quorum'> & { etcdLost: boolean },
) {
  const { ttl, loopWait } = t.failover.timers;
  const keyExpiry = ttl + (o.etcdLost ? etcdElectionSeconds(o.quorum) : 0) + LEASE_GRANULARITY_SECONDS;
  const noticed = Math.min(walSenderTimeoutSeconds(t), keyExpiry);
  return range(0, loopWait / 2 + RELOAD_SECONDS, noticed + loopWait + RELOAD_SECONDS);
}

/** An operator forces a failover to an asynchronous replica: counted from the decision. */
export function manualFailover(t: Topology, endpoint: Endpoint): RtoRange {
  const { loopWait } = t.failover.timers;
  const lb = loadBalancerSeconds(t, endpoint);
  return range(
    Math.max(PROMOTE_SECONDS.best, lb.best),
    loopWait / 2 + Math.max(PROMOTE_SECONDS.typical, lb.typical),
    loopWait + PROMOTE_SECONDS.worst + lb.worst,
  );
}

/** An operator promotes a standby cluster: counted from the decision; the global writer name moves. */
export function standbyClusterPromotion(t: Topology, endpoint: Endpoint): RtoRange {
  const { loopWait } = t.failover.timers;
  const lb = loadBalancerSeconds(t, endpoint);
  const dns = dnsSeconds(t);
  return range(
    Math.max(PROMOTE_SECONDS.best, lb.best) + dns.best,
    loopWait / 2 + Math.max(PROMOTE_SECONDS.typical, lb.typical) + dns.typical,
    loopWait + PROMOTE_SECONDS.worst + lb.worst + dns.worst,
  );
}
