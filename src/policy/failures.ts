/**
 * Failure-domain analysis: for every single failure in the model's `failureDomains` (each member, AZ,
 * region and inter-region link), and for every pair of AZs in one region, answer: which etcd quorums
 * survive, whether a writable primary exists (automatically, after an operator acts, or not at all),
 * the RPO bound and the predicted time until writes resume (see rto.ts for the timing model).
 *
 * The answer is the worst case over where the leader happens to be and over which sync-eligible
 * members Patroni happens to have picked as synchronous standbys:
 * - The leader is any failover-eligible member of the writable cluster; if one sits in the failed
 *   domain, the analysis assumes it is the leader.
 * - Patroni picks `synchronous_node_count` synchronous standbys among the sync-eligible members,
 *   preferring members without `nofailover` (patroni/postgresql/sync.py); within that preference the
 *   analysis assumes it picked those in the failed domain.
 * - With synchronous_mode on, Patroni promotes only a member listed as synchronous (ha.py
 *   is_healthiest_node). If none survives, writes resume only after an operator forces a failover to an
 *   asynchronous replica, losing what it had not received: RPO unbounded.
 * - RPO 0 is claimed only when a surviving synchronous standby is the one promoted (or the primary
 *   survives). Non-strict synchronous_mode is treated like strict for a simultaneous loss (the standby
 *   held every acknowledged commit at the moment of the failure) and the caveat is noted: had the
 *   standby failed first, Patroni would have dropped to asynchronous replication and a later loss of
 *   the primary could lose writes. Strict mode instead blocks commits when no synchronous standby is
 *   left, which the analysis reports as no writable primary.
 * - An etcd quorum survives when a mutually connected group of its surviving members is a majority.
 *   For a link cut between regions A and B, the candidate groups are "everyone not in A" and "everyone
 *   not in B"; a region reaches the quorum when it can reach every majority group that may hold the
 *   etcd leader.
 * - A lost quorum of the writable cluster means no writable primary in that cluster: Patroni demotes
 *   the leader when it cannot update its key, and nobody can take it. Writes can then resume only by
 *   promoting a standby cluster whose own quorum survives (manual, RPO unbounded).
 *
 * Cost: each domain is evaluated in O(members and etcd members it loses), with per-region counts
 * precomputed once, so the 1225 links of 50 regions cost O(1) each.
 */
import type { Cluster, EtcdQuorum, FailureDomain, Member, Topology } from '../model/types.js';
import { majority, primaryCluster } from './facts.js';
import {
  automaticFailover,
  manualFailover,
  NO_INTERRUPTION,
  standbyClusterPromotion,
  syncStandbyReplacement,
} from './rto.js';
import type {
  Endpoint,
  FailureAnalysis,
  FailureResult,
  QuorumState,
  Recovery,
  RpoBound,
  RtoRange,
} from './types.js';

/** Failover-eligible, sync-eligible, and both. */
interface Counts {
  E: number;
  S: number;
  Sf: number;
}

const zero = (): Counts => ({ E: 0, S: 0, Sf: 0 });

function count(c: Counts, m: Member): void {
  if (m.failoverEligible) c.E++;
  if (m.syncEligible) c.S++;
  if (m.failoverEligible && m.syncEligible) c.Sf++;
}

function plus(a: Counts, b: Counts | undefined): Counts {
  return b ? { E: a.E + b.E, S: a.S + b.S, Sf: a.Sf + b.Sf } : a;
}

interface Index {
  readonly t: Topology;
  readonly endpoint: Endpoint;
  readonly members: ReadonlyMap<string, Member>;
  readonly W: Cluster | undefined;
  readonly Wq: EtcdQuorum | undefined;
  readonly total: Counts;
  /** Writable-cluster members per region. */
  readonly byRegion: ReadonlyMap<string, Counts>;
  readonly quorums: ReadonlyMap<string, EtcdQuorum>;
  readonly quorumOfEtcd: ReadonlyMap<string, string>;
  /** Quorums with members in more than one region, with their members per region. */
  readonly spread: readonly { q: EtcdQuorum; perRegion: ReadonlyMap<string, number> }[];
  readonly standbys: readonly Cluster[];
  readonly clusterOfRegion: ReadonlyMap<string, Cluster>;
  /** Failover-eligible members per cluster. */
  readonly eligibleIn: ReadonlyMap<string, number>;
}

function buildIndex(t: Topology, endpoint: Endpoint): Index {
  const members = new Map(t.members.map((m) => [m.name, m]));
  const W = primaryCluster(t);
  const total = zero();
  const byRegion = new Map<string, Counts>();
  const eligibleIn = new Map<string, number>();
  for (const m of t.members) {
    if (m.failoverEligible) eligibleIn.set(m.cluster, (eligibleIn.get(m.cluster) ?? 0) + 1);
    if (!W || m.cluster !== W.scope) continue;
    count(total, m);
    const r = byRegion.get(m.region) ?? zero();
    byRegion.set(m.region, r);
    count(r, m);
  }
  const quorumOfEtcd = new Map<string, string>();
  const spread: { q: EtcdQuorum; perRegion: Map<string, number> }[] = [];
  for (const q of t.etcd) {
    const perRegion = new Map<string, number>();
    for (const e of q.members) {
      quorumOfEtcd.set(e.name, q.id);
      perRegion.set(e.region, (perRegion.get(e.region) ?? 0) + 1);
    }
    if (perRegion.size > 1) spread.push({ q, perRegion });
  }
  const clusterOfRegion = new Map<string, Cluster>();
  for (const c of t.clusters) for (const r of c.regions) clusterOfRegion.set(r, c);
  return {
    t,
    endpoint,
    members,
    W,
    Wq: W ? t.etcd.find((q) => q.id === W.quorum) : undefined,
    total,
    byRegion,
    quorums: new Map(t.etcd.map((q) => [q.id, q])),
    quorumOfEtcd,
    spread,
    standbys: W ? t.clusters.filter((c) => c.role === 'standby' && c.follows === W.scope) : [],
    clusterOfRegion,
    eligibleIn,
  };
}

/** What a failure does to the quorums: survival and, for a cut, which side each region reaches. */
class QuorumView {
  readonly states: QuorumState[] = [];
  private readonly byId = new Map<string, QuorumState>();
  private readonly cutSides = new Map<string, { a: number; b: number; size: number }>();

  constructor(
    private readonly ix: Index,
    etcdLost: readonly string[],
    private readonly cut: readonly [string, string] | undefined,
  ) {
    const lost = new Map<string, number>();
    for (const e of etcdLost) {
      const id = ix.quorumOfEtcd.get(e);
      if (id !== undefined) lost.set(id, (lost.get(id) ?? 0) + 1);
    }
    for (const [id, n] of lost) {
      const size = ix.quorums.get(id)!.members.length;
      this.add({ id, size, reachable: size - n, survives: size - n >= majority(size) });
    }
    if (cut) {
      for (const { q, perRegion } of ix.spread) {
        const a = perRegion.get(cut[0]) ?? 0;
        const b = perRegion.get(cut[1]) ?? 0;
        if (a === 0 || b === 0) continue;
        const size = q.members.length;
        const notA = size - a;
        const notB = size - b;
        this.cutSides.set(q.id, { a, b, size });
        this.add({
          id: q.id,
          size,
          reachable: Math.max(notA, notB),
          survives: Math.max(notA, notB) >= majority(size),
        });
      }
    }
  }

  private add(s: QuorumState): void {
    this.states.push(s);
    this.byId.set(s.id, s);
  }

  /** The failure may take the quorum's etcd leader (a lost member, or a cut with members on both sides). */
  leaderMayBeLost(id: string): boolean {
    return this.byId.has(id);
  }

  survives(id: string): boolean {
    const s = this.byId.get(id);
    return s ? s.survives : this.ix.quorums.has(id);
  }

  /** Whether Patroni in `region` can use the quorum. */
  reachableFrom(id: string, region: string): boolean {
    if (!this.survives(id)) return false;
    const sides = this.cutSides.get(id);
    if (!sides || !this.cut) return true;
    const third = sides.size - sides.a - sides.b;
    const maj = majority(sides.size);
    if (region === this.cut[0]) return !(sides.size - sides.a >= maj && third === 0);
    if (region === this.cut[1]) return !(sides.size - sides.b >= maj && third === 0);
    return true;
  }
}

interface Outcome {
  readonly writable: FailureResult['writable'];
  readonly recovery: Recovery;
  readonly writer?: string;
  readonly rpo: RpoBound;
  readonly rto?: RtoRange;
  readonly notes: readonly string[];
}

const WRITABLE_RANK = { auto: 0, manual: 1, none: 2 } as const;
const RPO_RANK = { zero: 0, bounded: 1, unbounded: 2 } as const;

/** Orders outcomes from best to worst for the database's users. */
function worse(a: Outcome, b: Outcome): Outcome {
  const ka = [WRITABLE_RANK[a.writable], RPO_RANK[a.rpo.bound], a.rto?.worstSeconds ?? Infinity];
  const kb = [WRITABLE_RANK[b.writable], RPO_RANK[b.rpo.bound], b.rto?.worstSeconds ?? Infinity];
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! !== kb[i]!) return ka[i]! > kb[i]! ? a : b;
  }
  return a;
}

interface Domain {
  readonly kind: FailureResult['kind'];
  readonly id: string;
  readonly members: readonly string[];
  readonly etcdMembers: readonly string[];
  readonly link?: readonly [string, string];
}

const NON_STRICT_NOTE =
  'synchronous_mode is not strict: RPO 0 holds for a simultaneous loss; had the synchronous standby failed first, Patroni would have run without one and a later loss of the primary could lose writes';

function evaluate(ix: Index, d: Domain): FailureResult {
  const { t } = ix;
  const quorums = new QuorumView(ix, d.etcdMembers, d.link);
  const base = {
    kind: d.kind,
    id: d.id,
    lostMembers: d.members,
    lostEtcdMembers: d.etcdMembers,
    quorums: quorums.states,
  };
  const W = ix.W;
  if (!W) {
    return {
      ...base,
      writable: 'none',
      recovery: 'none',
      rpo: { bound: 'unbounded' },
      notes: ['no writable cluster (PGT-PAT-010)'],
    };
  }

  // Members lost, per cluster; writable-cluster members lost, as counts.
  const lostW = zero();
  const lostEligible = new Map<string, number>();
  const lostIn = new Map<string, number>();
  for (const name of d.members) {
    const m = ix.members.get(name);
    if (!m) continue;
    lostIn.set(m.cluster, (lostIn.get(m.cluster) ?? 0) + 1);
    if (m.failoverEligible) lostEligible.set(m.cluster, (lostEligible.get(m.cluster) ?? 0) + 1);
    if (m.cluster === W.scope) count(lostW, m);
  }

  const sync = t.durability.synchronousMode !== 'off';
  const strict = t.durability.synchronousMode === 'strict';
  const quorumMode = t.durability.synchronousMode === 'quorum';
  const wanted = t.durability.synchronousNodeCount;
  const Wq = ix.Wq;
  const quorumOk = Wq !== undefined && quorums.survives(Wq.id);
  const etcdLeaderMayBeLost = Wq !== undefined && quorums.leaderMayBeLost(Wq.id);
  const endpointRegion = W.regions[0]!;
  const cut = d.link;
  const dnsMoves =
    W.regions.length > 1 &&
    ((d.kind === 'region' && d.id === endpointRegion) ||
      (cut !== undefined && Wq !== undefined && !quorums.reachableFrom(Wq.id, endpointRegion)));

  const notes: string[] = [];
  if (cut) {
    for (const [from, to] of [cut, [cut[1], cut[0]] as const]) {
      const c = ix.clusterOfRegion.get(to);
      if (c && c.role === 'standby' && W.regions.includes(from)) {
        notes.push(
          `standby cluster ${c.scope} stops streaming from ${W.scope} and falls behind until the link returns`,
        );
      }
    }
    for (const s of quorums.states) {
      notes.push(`etcd quorum ${s.id} is split: elections may repeat under a partial partition`);
    }
  }

  /** When nothing in the writable cluster can take writes: promote a surviving standby cluster, or none. */
  const fallback = (why: string): Outcome => {
    for (const c of ix.standbys) {
      const eligible = (ix.eligibleIn.get(c.scope) ?? 0) - (lostEligible.get(c.scope) ?? 0);
      if (eligible <= 0 || !quorums.survives(c.quorum)) continue;
      if (!c.regions.some((r) => quorums.reachableFrom(c.quorum, r))) continue;
      return {
        writable: 'manual',
        recovery: 'promote-standby-cluster',
        writer: c.scope,
        rpo: { bound: 'unbounded' },
        rto: standbyClusterPromotion(t, ix.endpoint),
        notes: [
          why,
          `writes resume when an operator promotes standby cluster ${c.scope} (asynchronous: RPO unbounded); RTO counted from that decision`,
        ],
      };
    }
    return {
      writable: 'none',
      recovery: 'none',
      rpo: { bound: 'unbounded' },
      notes: [why, 'no standby cluster survives: only a restore from the WAL archive remains'],
    };
  };

  const asyncRpo = (): RpoBound =>
    t.durability.rpo === 'async'
      ? { bound: 'unbounded' }
      : { bound: 'bounded', bytes: t.failover.timers.maximumLagOnFailover };

  const failoverRto = (strictResync = false) =>
    automaticFailover(t, { endpoint: ix.endpoint, etcdLeaderMayBeLost, quorum: Wq, dnsMoves, strictResync });

  /** The leader keeps writing; commits wait until Patroni replaces (or drops) a lost synchronous standby. */
  const syncStandbyReplaced = (notes: string[]): Outcome => ({
    writable: 'auto',
    recovery: 'sync-standby-replaced',
    writer: W.scope,
    rpo: { bound: 'zero' },
    rto: syncStandbyReplacement(t, { quorum: Wq, etcdLost: etcdLeaderMayBeLost }),
    notes,
  });

  /**
   * Patroni will not promote on its own: an operator can force a failover to a surviving member (RPO
   * unbounded: it loses what that member had not received), else only a standby cluster remains.
   */
  const operatorFailover = (bad: Counts, assumed: string, why: string, orElse: string): Outcome =>
    ix.total.E - bad.E > 0
      ? {
          writable: 'manual',
          recovery: 'manual-failover',
          writer: W.scope,
          rpo: { bound: 'unbounded' },
          rto: manualFailover(t, ix.endpoint),
          notes: [
            assumed,
            `${why}: an operator can force a failover (patronictl failover --force), losing what the promoted member had not received; RTO counted from that decision`,
          ],
        }
      : fallback(`${assumed}; ${orElse}`);

  /**
   * Quorum commit (Patroni 4, patroni/quorum.py and ha.py): a commit waits for ANY numsync of the M
   * sync-eligible standbys, numsync = min(synchronous_node_count, M). A standby is promoted automatically only
   * when it and M - numsync other voters answer and none is ahead of it, so every acknowledged commit is on
   * the new primary: RPO 0 whenever Patroni promotes at all; otherwise no automatic failover.
   */
  const quorumLeaderLost = (leaderIsSync: boolean, bad: Counts, assumed: string): Outcome | undefined => {
    const l = leaderIsSync ? 1 : 0;
    const voters = ix.total.S - l;
    if (voters < 1) return undefined;
    const numsync = Math.min(wanted, voters);
    const alive = voters - (bad.S - l);
    const aliveCandidates = ix.total.Sf - l - (bad.Sf - l);
    if (aliveCandidates >= 1 && alive >= voters - numsync + 1) {
      return {
        writable: 'auto',
        recovery: 'failover',
        writer: W.scope,
        rpo: { bound: 'zero' },
        rto: failoverRto(),
        notes: [
          assumed,
          `quorum commit: ${alive} of ${voters} voter(s) answer, ${voters - numsync + 1} needed to promote without loss`,
        ],
      };
    }
    const why = `quorum commit: ${alive} of ${voters} voter(s) answer, ${voters - numsync + 1} needed (with a failover-eligible one) before Patroni promotes`;
    return operatorFailover(bad, assumed, why, why);
  };

  /** Quorum commit with the leader kept: commits stall only when fewer than numsync voters are left. */
  const quorumLeaderKept = (leaderIsSync: boolean, bad: Counts): Outcome | undefined => {
    const l = leaderIsSync ? 1 : 0;
    const voters = ix.total.S - l;
    if (voters < 1) return undefined;
    const numsync = Math.min(wanted, voters);
    const left = voters - bad.S;
    if (left >= numsync) return undefined;
    return syncStandbyReplaced([
      left <= 0
        ? 'quorum commit: no voter left; commits wait until Patroni drops the quorum and runs without one'
        : `quorum commit: ${left} voter(s) left for ANY ${numsync}; commits wait until Patroni lowers the count`,
    ]);
  };

  /** The leader is lost (or cut off from the quorum); `bad` are members that cannot take over. */
  const leaderLost = (leaderIsSync: boolean, bad: Counts): Outcome => {
    const assumed = 'assumes the leader was in the failed domain';
    if (quorumMode) {
      const q = quorumLeaderLost(leaderIsSync, bad, assumed);
      if (q) return q;
    }
    const l = leaderIsSync ? 1 : 0;
    const k = sync ? Math.min(wanted, ix.total.S - l) : 0;
    if (k >= 1) {
      const picked = Math.min(k, ix.total.Sf - l);
      if (picked > bad.Sf - l) {
        // Strict: the promoted standby needs a sync-eligible survivor of its own, or commits block.
        if (strict && ix.total.S - bad.S - 1 <= 0) {
          return {
            writable: 'none',
            recovery: 'none',
            writer: W.scope,
            rpo: { bound: 'zero' },
            notes: [
              assumed,
              'a synchronous standby is promoted, but synchronous_mode_strict leaves it without a synchronous standby of its own: commits block until one returns (or an operator turns strict mode off)',
            ],
          };
        }
        return {
          writable: 'auto',
          recovery: 'failover',
          writer: W.scope,
          rpo: { bound: 'zero' },
          rto: failoverRto(strict),
          notes: strict
            ? [assumed, 'strict: commits resume once a surviving standby follows the new primary']
            : [assumed, NON_STRICT_NOTE],
        };
      }
      return operatorFailover(
        bad,
        assumed,
        'no synchronous standby survives and Patroni promotes only synchronous standbys',
        `no member of ${W.scope} can take over`,
      );
    }
    if (ix.total.E - bad.E > 0) {
      const n = [assumed];
      if (sync) n.push('no other sync-eligible member: Patroni runs without a synchronous standby');
      return {
        writable: 'auto',
        recovery: 'failover',
        writer: W.scope,
        rpo: asyncRpo(),
        rto: failoverRto(),
        notes: n,
      };
    }
    return fallback(`${assumed}; no member of ${W.scope} can take over`);
  };

  /** The leader survives and keeps the quorum; `bad` are members lost to it as synchronous standbys. */
  const leaderKept = (leaderIsSync: boolean, bad: Counts): Outcome => {
    const unaffected: Outcome = {
      writable: 'auto',
      recovery: 'unaffected',
      writer: W.scope,
      rpo: { bound: 'zero' },
      rto: NO_INTERRUPTION,
      notes: [],
    };
    if (quorumMode) return quorumLeaderKept(leaderIsSync, bad) ?? unaffected;
    const l = leaderIsSync ? 1 : 0;
    const k = sync ? Math.min(wanted, ix.total.S - l) : 0;
    if (k < 1) return unaffected;
    const poolSf = ix.total.Sf - l;
    const hit = (bad.Sf >= 1 && Math.min(k, poolSf) >= 1) || (bad.S - bad.Sf >= 1 && k > poolSf);
    if (!hit) return unaffected;
    const left = ix.total.S - l - bad.S;
    if (strict && left <= 0) {
      return {
        writable: 'none',
        recovery: 'none',
        writer: W.scope,
        rpo: { bound: 'zero' },
        notes: [
          'synchronous_mode_strict with no synchronous standby left: commits block until one returns (or an operator turns strict mode off)',
        ],
      };
    }
    return syncStandbyReplaced(
      left <= 0
        ? ['commits wait until Patroni drops the lost synchronous standby; it then runs without one']
        : ['commits wait until Patroni replaces the lost synchronous standby'],
    );
  };

  const outcomes: Outcome[] = [];
  const scenarios = (lost: Counts, keptBad: Counts, kept: Counts) => {
    if (lost.Sf > 0) outcomes.push(leaderLost(true, lost));
    if (lost.E - lost.Sf > 0) outcomes.push(leaderLost(false, lost));
    if (kept.Sf > 0) outcomes.push(leaderKept(true, keptBad));
    if (kept.E - kept.Sf > 0) outcomes.push(leaderKept(false, keptBad));
  };
  if (!cut) {
    const surviving = { E: ix.total.E - lostW.E, S: ix.total.S - lostW.S, Sf: ix.total.Sf - lostW.Sf };
    scenarios(lostW, lostW, surviving);
  } else {
    // Regions of the writable cluster on either side of the cut that cannot use the quorum.
    let unreachable = zero();
    for (const r of cut) {
      if (Wq && !quorums.reachableFrom(Wq.id, r)) unreachable = plus(unreachable, ix.byRegion.get(r));
    }
    scenarios(unreachable, zero(), zero());
    // A leader on one side keeps the quorum but loses the synchronous standbys on the other side.
    let sides = zero();
    for (const [side, other] of [cut, [cut[1], cut[0]] as const]) {
      const here = ix.byRegion.get(side);
      if (!here || !Wq || !quorums.reachableFrom(Wq.id, side)) continue;
      sides = plus(sides, here);
      scenarios(zero(), ix.byRegion.get(other) ?? zero(), here);
    }
    const elsewhere = ix.total.E - sides.E - unreachable.E;
    if (elsewhere > 0) outcomes.push(leaderKept(false, zero()));
  }
  if (outcomes.length === 0) {
    outcomes.push(fallback(`${W.scope} has no failover-eligible member to lead it`));
  }

  let worst = outcomes.reduce(worse);
  if (!quorumOk) {
    const why = Wq
      ? `etcd quorum ${Wq.id} is lost: Patroni demotes the leader of ${W.scope} once it cannot update its key, and nobody can take it`
      : `${W.scope} has no etcd quorum`;
    const f = fallback(why);
    worst = { ...f, rpo: f.writable === 'manual' ? f.rpo : worst.rpo };
  }
  return {
    ...base,
    writable: worst.writable,
    recovery: worst.recovery,
    ...(worst.writer !== undefined ? { writer: worst.writer } : {}),
    rpo: worst.rpo,
    ...(worst.rto ? { rto: worst.rto } : {}),
    notes: [...worst.notes, ...notes],
  };
}

/** Analyses every single failure of the topology and every double AZ failure within a region. */
export function analyzeFailures(t: Topology, opts: { endpoint?: Endpoint } = {}): FailureAnalysis {
  const ix = buildIndex(t, opts.endpoint ?? 'nlb');
  const failures = t.failureDomains.map((d: FailureDomain) =>
    evaluate(ix, { kind: d.kind, id: d.id, members: d.members, etcdMembers: d.etcdMembers, link: d.link }),
  );
  const azDomains = new Map(t.failureDomains.filter((d) => d.kind === 'az').map((d) => [d.id, d]));
  const doubleAzFailures: FailureResult[] = [];
  for (const r of t.regions) {
    const azs = r.azs.map((az) => azDomains.get(az)).filter((d): d is FailureDomain => d !== undefined);
    for (let i = 0; i < azs.length; i++) {
      for (let j = i + 1; j < azs.length; j++) {
        const a = azs[i]!;
        const b = azs[j]!;
        doubleAzFailures.push(
          evaluate(ix, {
            kind: 'double-az',
            id: `${a.id}+${b.id}`,
            members: [...a.members, ...b.members],
            etcdMembers: [...a.etcdMembers, ...b.etcdMembers],
          }),
        );
      }
    }
  }
  return {
    endpoint: ix.endpoint,
    ...(ix.W ? { writableCluster: ix.W.scope } : {}),
    failures,
    doubleAzFailures,
  };
}
