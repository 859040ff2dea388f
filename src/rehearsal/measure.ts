/**
 * Measurements as a client sees them, and the verdict of a drill. Pure functions over what the load
 * client and the writer probe recorded, so they are unit-tested without daemons.
 */
import type { Ack } from './load.js';

export const DRILL_NAMES = [
  'kill-primary',
  'switchover',
  'etcd-member-loss',
  'az-loss',
  'dcs-partition',
  'pitr',
  'cdc-failover',
  'subscription-failover',
  'upgrade',
  'region-promotion',
] as const;
export type DrillName = (typeof DRILL_NAMES)[number];

/**
 * Drills that degrade rather than break, asserted through the alerts of the rehearsal's Prometheus
 * (`alert-drills.ts`): run on a rehearsal started with Prometheus, outside `all`.
 */
export const ALERT_DRILL_NAMES = ['lag-spike', 'packet-loss'] as const;
export type AlertDrillName = (typeof ALERT_DRILL_NAMES)[number];

/** Drills of a sharded fleet (`fleet-drills.ts`): run on a booted fleet, not on one cluster. */
export const FLEET_DRILL_NAMES = ['shard-failover', 'coordinator-failover', 'shard-move'] as const;
export type FleetDrillName = (typeof FLEET_DRILL_NAMES)[number];

/** The failure-domain analysis' prediction for the failure a drill injects. */
export interface PredictedRto {
  /** Failure domain the prediction is for, e.g. `member:use1-a`, `az:us-east-1a`. */
  readonly domain: string;
  readonly bestSeconds: number;
  readonly typicalSeconds: number;
  readonly worstSeconds: number;
  /** How writes resume according to the analysis (`auto`, `manual`, `none`). */
  readonly writable?: string;
}

export interface Check {
  readonly id:
    | 'rto-within-prediction'
    | 'no-lost-writes'
    | 'single-writer'
    | 'pitr-rows'
    | 'writes-resumed'
    | 'healthy'
    | 'stream-no-gaps'
    | 'slot-survived'
    | 'lag-above-bound'
    | 'reader-dropped'
    | 'alert-fired'
    | 'alert-resolved'
    | 'no-failover'
    | 'no-paging-alert'
    | 'endpoint-released'
    | 'no-duplicated-writes'
    | 'rows-on-owner'
    | 'move-cutover';
  readonly ok: boolean;
  readonly detail: string;
}

export interface PitrCounts {
  /** Recovery target (ISO timestamp, server clock). */
  readonly target: string;
  readonly beforeWritten: number;
  readonly beforeFound: number;
  readonly afterWritten: number;
  readonly afterFound: number;
  /** Load writes acknowledged before the target that the restore lacks. */
  readonly loadAckedBeforeMissing: number;
  /** Load writes sent after the target that the restore has anyway. */
  readonly loadSentAfterPresent: number;
}

/** What a logical stream (a CDC consumer, a subscription) delivered through a drill. */
export interface LogicalOutcome {
  readonly kind: 'cdc' | 'subscription' | 'upgrade';
  /** The feed's or the subscription's name. */
  readonly name: string;
  readonly slot: string;
  /** Who carried the slot to the new primary: PostgreSQL's slot sync, Patroni's permanent slots, or nobody. */
  readonly slotOwner: string;
  /** Distinct rows received. */
  readonly received: number;
  /** Rows received more than once (allowed: at-least-once delivery). */
  readonly duplicates: number;
  /** Acknowledged writes never received (never allowed). */
  readonly gaps: number;
  readonly reconnects: number;
  /** Fault -> the receiving side held every acknowledged write. */
  readonly caughtUpSeconds: number | null;
  /** Last write acknowledged by the old side -> first by the new one (a cutover). */
  readonly writePauseSeconds?: number | null;
}

/**
 * An alert a drill saw in the rehearsal's Prometheus. Times are seconds after the drill's fault (negative:
 * before it), or after the drill began watching when it has no single fault.
 */
export interface ObservedAlert {
  readonly name: string;
  /** The `member` label of a per-member alert. */
  readonly member?: string;
  /** First went active (pending, or straight to firing). */
  readonly pendingAfterSeconds: number | null;
  /** First seen firing; null: it never outlasted its `for`. */
  readonly firingAfterSeconds: number | null;
  /** Last left the active set; null: still active when the watch stopped. */
  readonly resolvedAfterSeconds: number | null;
  /** How often its condition started to hold: more than 1 is a condition that lapsed and started over. */
  readonly activations: number;
}

/** One active alert of a poll of Prometheus' alerts. */
export interface AlertSample {
  readonly name: string;
  readonly state: 'pending' | 'firing';
  readonly member?: string;
}

/**
 * The alerts seen by successive polls, folded into `ObservedAlert`s. Alerts active at the first poll belong to
 * what came before and are left out, until they resolve: if they come back, they count.
 */
export class AlertTimeline {
  private baseline: Set<string> | undefined;
  private readonly seen = new Map<
    string,
    {
      name: string;
      member?: string;
      pending: number | null;
      firing: number | null;
      resolved: number | null;
      activations: number;
      active: boolean;
    }
  >();

  private static key(a: Pick<AlertSample, 'name' | 'member'>): string {
    return a.member === undefined ? a.name : `${a.name}\u0000${a.member}`;
  }

  /** One poll at `at` (ms epoch): the alerts active then. */
  observe(at: number, active: readonly AlertSample[]): void {
    const now = new Map(active.map((a) => [AlertTimeline.key(a), a]));
    if (!this.baseline) {
      this.baseline = new Set(now.keys());
      return;
    }
    for (const k of [...this.baseline]) if (!now.has(k)) this.baseline.delete(k);
    for (const [k, a] of now) {
      if (this.baseline.has(k)) continue;
      let s = this.seen.get(k);
      if (!s) {
        s = {
          name: a.name,
          ...(a.member !== undefined ? { member: a.member } : {}),
          pending: null,
          firing: null,
          resolved: null,
          activations: 0,
          active: false,
        };
        this.seen.set(k, s);
      }
      if (!s.active) {
        s.active = true;
        s.activations++;
        s.pending ??= at;
        s.resolved = null;
      }
      if (a.state === 'firing') s.firing ??= at;
    }
    for (const [k, s] of this.seen) {
      if (s.active && !now.has(k)) {
        s.active = false;
        s.resolved = at;
      }
    }
  }

  /** What was seen, times in seconds after `origin` (ms epoch), sorted by name and member. */
  result(origin: number): ObservedAlert[] {
    const rel = (x: number | null) => (x === null ? null : round((x - origin) / 1000, 1));
    return [...this.seen.values()]
      .map((s) => ({
        name: s.name,
        ...(s.member !== undefined ? { member: s.member } : {}),
        pendingAfterSeconds: rel(s.pending),
        firingAfterSeconds: rel(s.firing),
        resolvedAfterSeconds: rel(s.resolved),
        activations: s.activations,
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || (a.member ?? '').localeCompare(b.member ?? ''));
  }
}

export interface DrillResult {
  readonly drill: DrillName | AlertDrillName | FleetDrillName;
  readonly status: 'passed' | 'failed' | 'error' | 'skipped';
  /** What was done, in words. */
  readonly fault: string;
  readonly oldPrimary?: string;
  readonly newPrimary?: string;
  /** Fault -> first committed write through the writer endpoint (on the new primary when it moved). */
  readonly rtoSeconds: number | null;
  /** Longest stretch without an acknowledged write after the fault. */
  readonly longestWriteGapSeconds: number | null;
  readonly acknowledgedWrites: number;
  readonly lostAcknowledgedWrites: number | null;
  readonly maxConcurrentWriters: number | null;
  readonly predicted?: PredictedRto;
  readonly pitr?: PitrCounts;
  /** What a logical stream delivered through the drill (`cdc-failover`, `subscription-failover`, `upgrade`). */
  readonly logical?: LogicalOutcome;
  readonly checks: readonly Check[];
  readonly durationSeconds: number;
  readonly error?: string;
  /** Alerts that went pending or fired during the drill (when the rehearsal runs Prometheus). */
  readonly alerts?: readonly ObservedAlert[];
  /** Further figures a drill measured (commit latency, peak lag, alert latency), by name. */
  readonly figures?: Readonly<Record<string, number | null>>;
}

/**
 * RTO as the client sees it: from the fault to the first write acknowledged after it. When the drill
 * moves the primary, only a write committed by a server other than the old primary counts (writes the
 * old primary still acknowledged after the fault do not end the outage).
 */
export function rtoSeconds(
  acks: readonly Ack[],
  faultAt: number,
  opts: { oldServer?: string; moved: boolean },
): number | null {
  const first = acks.find(
    (a) =>
      a.sentAt >= faultAt &&
      (!opts.moved || opts.oldServer === undefined || (a.server !== null && a.server !== opts.oldServer)),
  );
  return first ? round((first.ackAt - faultAt) / 1000) : null;
}

/** Longest interval without an acknowledgement between `from` and `to` (ms epoch). */
export function longestGapSeconds(acks: readonly Ack[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const a of acks) {
    if (a.ackAt < from) continue;
    if (a.ackAt > to) break;
    gap = Math.max(gap, a.ackAt - prev);
    prev = a.ackAt;
  }
  gap = Math.max(gap, to - prev);
  return round(gap / 1000);
}

/** Acknowledged writes missing from what the (new) primary holds. */
export function lostWrites(acked: readonly number[], present: ReadonlySet<number>): number[] {
  return acked.filter((s) => !present.has(s));
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The checks every drill's figures must pass. */
export function evaluate(m: {
  rtoSeconds: number | null;
  lost: number | null;
  maxWriters: number | null;
  predicted?: PredictedRto;
  /** Zero loss is promised (synchronous replication in the region). */
  zeroLossPromised: boolean;
  expectWrites: boolean;
  pitr?: PitrCounts;
}): Check[] {
  const checks: Check[] = [];
  if (m.expectWrites) {
    checks.push({
      id: 'writes-resumed',
      ok: m.rtoSeconds !== null,
      detail: m.rtoSeconds === null ? 'no write was acknowledged after the fault' : `after ${m.rtoSeconds} s`,
    });
    if (m.predicted && m.rtoSeconds !== null) {
      checks.push({
        id: 'rto-within-prediction',
        ok: m.rtoSeconds <= m.predicted.worstSeconds,
        detail: `measured ${m.rtoSeconds} s, predicted worst ${m.predicted.worstSeconds} s (${m.predicted.domain})`,
      });
    }
  }
  if (m.lost !== null) {
    checks.push({
      id: 'no-lost-writes',
      ok: !m.zeroLossPromised || m.lost === 0,
      detail: `${m.lost} acknowledged write(s) missing${m.zeroLossPromised ? ' (zero promised: synchronous mode)' : ' (asynchronous: not promised)'}`,
    });
  }
  if (m.maxWriters !== null) {
    checks.push({
      id: 'single-writer',
      ok: m.maxWriters <= 1,
      detail: `at most ${m.maxWriters} member(s) accepted writes at the same time`,
    });
  }
  if (m.pitr) {
    const p = m.pitr;
    checks.push({
      id: 'pitr-rows',
      ok:
        p.beforeFound === p.beforeWritten &&
        p.afterFound === 0 &&
        p.loadAckedBeforeMissing === 0 &&
        p.loadSentAfterPresent === 0,
      detail:
        `before target ${p.beforeFound}/${p.beforeWritten} rows, after target ${p.afterFound}/0 rows; ` +
        `load: ${p.loadAckedBeforeMissing} acknowledged before missing, ${p.loadSentAfterPresent} sent after present`,
    });
  }
  return checks;
}
