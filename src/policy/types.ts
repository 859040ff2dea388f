/**
 * Policy results as data. Printing (text, JSON, SARIF, JUnit) is a separate concern (see format/).
 */
import type { FailureDomainKind, Topology } from '../model/types.js';
import type { PathSegment } from '../spec/issues.js';

export type Severity = 'error' | 'warning';

/** One violation of one rule. */
export interface Finding {
  /** Stable rule id, e.g. `PGT-ETCD-002`. */
  readonly ruleId: string;
  /** `error` fails `check` and synth; `warning` reports. */
  readonly severity: Severity;
  /** Spec path of the offending field (or the nearest object that holds it). */
  readonly path: readonly PathSegment[];
  readonly found: string;
  readonly expected: string;
  readonly fix: string;
  /** The member, region, AZ or quorum the finding is about, when it is about one. Waivers match on it. */
  readonly target?: string;
  /** Present when a waiver in the spec accepts the finding. Waived findings stay in every report. */
  readonly waived?: { readonly reason: string; readonly expires?: string };
}

export interface PolicyReport {
  /** Every finding, waived ones included, in rule order. */
  readonly findings: readonly Finding[];
  /** Unwaived errors. */
  readonly errors: number;
  /** Unwaived warnings. */
  readonly warnings: number;
  /** Waived findings (of either severity). */
  readonly waived: number;
}

export type RuleGroup =
  | 'etcd'
  | 'patroni'
  | 'postgres'
  | 'network'
  | 'hosts'
  | 'archive'
  | 'iam'
  | 'waivers'
  | 'logical'
  | 'fleet';

/** What a rule says about itself: the source of `pgtopo explain`, docs/rules.md and SARIF rule metadata. */
export interface RuleMeta {
  readonly id: string;
  readonly group: RuleGroup;
  /** One line: what the rule protects, phrased as the condition that must hold. */
  readonly title: string;
  readonly severity: Severity;
  /** Why it matters: what breaks when it does not hold. */
  readonly rationale: string;
  /** How to fix a finding, in spec terms. */
  readonly fix: string;
}

/** What a rule returns: the engine adds the rule id, severity and fix. */
export interface Draft {
  readonly path: readonly PathSegment[];
  readonly found: string;
  readonly expected: string;
  readonly target?: string;
  /** Overrides the rule's severity (e.g. PGT-PAT-001 warns below ttl 20 but errors on inconsistent timers). */
  readonly severity?: Severity;
  /** A finding-specific fix; default: the rule's. */
  readonly fix?: string;
}

/** Shared, lazily computed answers rules are phrased over. */
export interface RuleContext {
  /** The failure-domain analysis (NLB endpoint), computed once per run. */
  readonly analysis: () => FailureAnalysis;
  /** Clock for waiver expiry. */
  readonly now: Date;
  /** Every rule id the engine knows (for waivers naming a rule). */
  readonly ruleIds: ReadonlySet<string>;
}

export interface Rule extends RuleMeta {
  readonly check: (t: Topology, ctx: RuleContext) => readonly Draft[];
}

// ---------------------------------------------------------------------------------------------------
// Failure-domain analysis

export type Endpoint = 'nlb' | 'haproxy';

/** Seconds from the fault (or, for a manual recovery, from the operator's decision) until writes resume. */
export interface RtoRange {
  readonly bestSeconds: number;
  readonly typicalSeconds: number;
  readonly worstSeconds: number;
}

/**
 * How much acknowledged data a failure may lose.
 * `zero`: a synchronous standby that holds every acknowledged commit survives and is the one promoted
 * (or the primary survives). `bounded`: at most `bytes` behind the primary's last WAL position published
 * in the DCS (Patroni refuses a candidate further behind; the published position can be up to one
 * loop_wait old). `unbounded`: asynchronous replication with no bound (a standby-cluster promotion, an
 * operator-forced failover, or `rpo: async`).
 */
export interface RpoBound {
  readonly bound: 'zero' | 'bounded' | 'unbounded';
  readonly bytes?: number;
}

/** How writes continue after the failure. */
export type Recovery =
  /** The primary and its synchronous standbys are untouched. */
  | 'unaffected'
  /** The primary survives, but commits wait until Patroni replaces a lost synchronous standby. */
  | 'sync-standby-replaced'
  /** Patroni promotes a replica of the writable cluster. */
  | 'failover'
  /** An operator must act: force a failover to an asynchronous replica, or promote a standby cluster. */
  | 'manual-failover'
  | 'promote-standby-cluster'
  /** Nothing can take writes (lost quorum, no surviving member, or strict synchronous mode without standbys). */
  | 'none';

export interface QuorumState {
  readonly id: string;
  readonly size: number;
  /** Members still running and able to reach a majority side. */
  readonly reachable: number;
  readonly survives: boolean;
}

export interface FailureResult {
  readonly kind: FailureDomainKind | 'double-az';
  /** Member, AZ, region, `regionA<->regionB`, or `azA+azB` for a double AZ failure. */
  readonly id: string;
  readonly lostMembers: readonly string[];
  readonly lostEtcdMembers: readonly string[];
  /**
   * The etcd quorums this failure touches (loses a member of, or cuts). Every quorum not listed keeps
   * all its members and its quorum.
   */
  readonly quorums: readonly QuorumState[];
  /** `auto`: writes resume without a human; `manual`: only after an operator acts; `none`: no writable primary. */
  readonly writable: 'auto' | 'manual' | 'none';
  readonly recovery: Recovery;
  /** Patroni scope of the cluster that takes writes afterwards, when one does. */
  readonly writer?: string;
  readonly rpo: RpoBound;
  /** Undefined when nothing can take writes. For `manual`, counted from the operator's decision. */
  readonly rto?: RtoRange;
  /** Assumptions and caveats behind this answer, in plain words. */
  readonly notes: readonly string[];
}

export interface FailureAnalysis {
  readonly endpoint: Endpoint;
  /** Patroni scope of the writable cluster analysed (the one holding the primary region), if any. */
  readonly writableCluster?: string;
  /** Every single failure: each member, AZ, region and inter-region link, in the model's order. */
  readonly failures: readonly FailureResult[];
  /** Two AZs of the same region lost together. Information only: no rule is phrased over it. */
  readonly doubleAzFailures: readonly FailureResult[];
}
