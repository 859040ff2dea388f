/**
 * Prometheus alert rules of a topology, each with its runbook and its own `promtool test rules` cases:
 * one definition feeds the rules file, the unit tests, the runbooks, the dashboard and the review.
 *
 * Thresholds come from the model: the failover timers, `maximum_lag_on_failover`, the reader pool's lag
 * bound, `max_slot_wal_keep_size`, the alarm settings. Routing labels: `severity` (`page` wakes someone,
 * `ticket` is work for business hours), `topology`, `cluster` and `region`.
 */
import { ARCHIVE_TIMEOUT_SECONDS, UNBOUNDED_LAG_BYTES } from '../model/constants.js';
import type { Cluster, Topology } from '../model/types.js';
import { numberIn } from '../policy/postgres-parameters.js';
import { runsPgbouncerExporter } from './exporter.js';
import { METRICS, SCRAPE_INTERVAL_SECONDS, selector } from './prometheus.js';
import { toYaml11 } from './yaml.js';

export type AlertSeverity = 'page' | 'ticket';

/** One input series of a rule test: its labels (with `__name__`) and promtool's expanding notation. */
export interface TestSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly values: string;
}

export interface AlertCase {
  readonly series: readonly TestSeries[];
  /** When to evaluate. */
  readonly at: string;
  /** Label sets of the alerts expected to fire then (rule labels added by the test writer); empty: none. */
  readonly fires: readonly Readonly<Record<string, string>>[];
  /** What the case is about, when an alert has more than one firing or quiet case. */
  readonly title?: string;
  /** Seconds between the input samples; default 15 (the rendered scrape interval). */
  readonly intervalSeconds?: number;
}

export interface Alert {
  readonly name: string;
  readonly severity: AlertSeverity;
  readonly expr: string;
  /** Seconds the condition must hold. */
  readonly forSeconds: number;
  /** Static labels besides severity and topology (cluster, region for cluster-wide rules). */
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly description: string;
  /** The threshold in words, for the review. */
  readonly threshold: string;
  readonly runbook: {
    readonly meaning: string;
    readonly impact: string;
    readonly diagnose: readonly string[];
    readonly mitigate: readonly string[];
  };
  /** promtool cases: one where the alert fires, one where it stays quiet. */
  readonly cases: readonly AlertCase[];
}

const MIB = 1024 * 1024;
/** Seconds without an archived segment while WAL is written before the archive counts as stale (10 x archive_timeout). */
export const ARCHIVE_STALE_SECONDS = 10 * ARCHIVE_TIMEOUT_SECONDS;
/** The slot alert fires when less than this share of max_slot_wal_keep_size is left to a slot. */
export const SLOT_HEADROOM_SHARE = 0.2;
/** Hours ahead the disk-filling alert extrapolates the last hour's trend. */
export const DISK_FORECAST_HOURS = 4;
/** The data disk counts as almost full below this free share. */
export const DISK_FREE_SHARE = 0.05;
/** Seconds clients must queue in a PgBouncer pool before it counts as exhausted. */
export const PGBOUNCER_WAIT_SECONDS = 120;
/** Seconds an etcd member may see no leader (many election timeouts) before it pages. */
export const ETCD_NO_LEADER_SECONDS = 60;
/** Leader changes in 15 min that count as churn (etcd's own mixin uses 4). */
export const ETCD_LEADER_CHANGES = 4;
/** p99 WAL fsync latency that counts as slow (etcd's own mixin warns at 0.5 s). */
export const ETCD_FSYNC_P99_SECONDS = 0.5;

/** Replica lag bound: `maximum_lag_on_failover` where the RPO bounds it, and the reader pool's bound. */
export function lagBoundBytes(t: Topology): number {
  const failover = t.failover.timers.maximumLagOnFailover;
  return failover === UNBOUNDED_LAG_BYTES
    ? t.endpoints.readerMaxLagBytes
    : Math.min(failover, t.endpoints.readerMaxLagBytes);
}

/** `max_slot_wal_keep_size` in bytes, or undefined when unbounded (-1). */
export function slotCapBytes(t: Topology): number | undefined {
  const v = t.postgres.parameters.max_slot_wal_keep_size;
  const mb = v === undefined ? undefined : numberIn(v, 'MB');
  return mb === undefined || mb < 0 ? undefined : mb * MIB;
}

/**
 * How far back the lag reaches for each input's newest good sample. The WAL positions only grow (a leader's
 * flush position, a replica's replay position), so the largest sample of the window is the newest good one: a
 * failed scrape (which leaves the series stale), or Patroni's /metrics answering 0 when its status query fails,
 * no longer empties or inflates the lag. Four scrapes at the rendered 15 s interval.
 */
export const LAG_GAP_WINDOW = '1m';
/** The lag alert holds when the lag was above the bound in most of this window (its median). */
export const LAG_MEDIAN_WINDOW_SECONDS = 180;
/** ... and has held for this long. */
export const LAG_FOR_SECONDS = 60;

/**
 * Replay lag in bytes of each replica of a cluster behind its leader (shared by the alert and the dashboard):
 * the newest leader flush position (`patroni_xlog_location`, 0 on other members) minus the replica's newest
 * replay position (`patroni_xlog_replayed_location`), the quantity Patroni's reader check `/replica?lag=`
 * compares with its bound (leader's last LSN minus replayed location). A replica that reported no replay
 * position for the whole window (0: PostgreSQL starting, or Patroni's status query failing) has an unknown lag,
 * not one of the whole WAL: it is left out until it reports one.
 */
export function replicaLagExpr(t: Topology, c: Cluster): string {
  const sel = selector(t, { cluster: c.scope });
  const w = LAG_GAP_WINDOW;
  return `max by (topology, cluster) (max_over_time(${METRICS.walLocation}${sel}[${w}])) - on (topology, cluster) group_right () ((max_over_time(${METRICS.walReplayed}${sel}[${w}]) > 0) and on (topology, cluster, member) last_over_time(${METRICS.replica}${sel}[${w}]) == 1)`;
}

/** Seconds since each member last reached etcd (shared by the alert and the dashboard). */
export function dcsAgeExpr(t: Topology, extra: Readonly<Record<string, string>> = {}): string {
  return `time() - ${METRICS.dcsLastSeen}${selector(t, extra)}`;
}

/** The data volume's mount point label selector part. */
function diskSel(t: Topology, dataMount: string): string {
  return selector(t, { mountpoint: dataMount });
}

/** Labels of a scraped series of `member`, as relabeling gives them. */
function target(t: Topology, member: string, job: string): Record<string, string> {
  const m = t.members.find((x) => x.name === member)!;
  return {
    topology: t.name,
    cluster: m.cluster,
    member: m.name,
    region: m.region,
    instance: m.name,
    job: `pgtopo-${t.name}-${job}`,
  };
}

const series = (name: string, labels: Record<string, string>, values: string): TestSeries => ({
  labels: { __name__: name, ...labels },
  values,
});

/** promtool's notation of explicit samples: numbers, `_` for a failed scrape. */
const samples = (xs: readonly (number | null)[]) => xs.map((x) => (x === null ? '_' : String(x))).join(' ');

type Pat = (m: string) => Record<string, string>;

/** A lag alert case from the leader's flush positions and the replica's replay positions (null: no sample). */
function lagCase(
  pat: Pat,
  leader: string,
  replica: string,
  c: {
    title: string;
    lead: readonly (number | null)[];
    replayed: readonly (number | null)[];
    isReplica?: readonly (number | null)[];
    at: string;
    fires: boolean;
  },
): AlertCase {
  const n = c.lead.length;
  return {
    title: c.title,
    series: [
      series(METRICS.walLocation, pat(leader), samples(c.lead)),
      series(METRICS.walLocation, pat(replica), `0x${n}`),
      series(METRICS.walReplayed, pat(replica), samples(c.replayed)),
      series(METRICS.replica, pat(replica), samples(c.isReplica ?? c.lead.map(() => 1))),
    ],
    at: c.at,
    fires: c.fires ? [pat(replica)] : [],
  };
}

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/**
 * The failure mode the lag alert must fire through, seen in the `lag-spike` drill: the replica's stream is
 * stalled, it catches up from the archive every 105 s (7 scrapes) to where the leader was, so its lag climbs
 * from 0 to 6 x the bound and drops again; one scrape of the leader fails (stale), one answers Patroni's
 * fallback 0. Above the bound in 5 of 7 scrapes, never for 2 minutes at a stretch: an instant condition with
 * `for: 2m` stays pending for ever.
 */
function lagSawtoothCase(pat: Pat, leader: string, replica: string, bound: number): AlertCase {
  const pos = (i: number) => 100 * bound + i * bound;
  return lagCase(pat, leader, replica, {
    title: 'lag above the bound most of the time, dipping below it every 105 s, a failed scrape',
    lead: range(50, (i) => (i === 20 ? null : i === 30 ? 0 : pos(i))),
    replayed: range(50, (i) => pos(7 * Math.floor(i / 7))),
    at: '10m',
    fires: true,
  });
}

/** A bulk write the replica replays within a minute: above the bound for 60 s, then caught up. Quiet. */
function lagSpikeCase(pat: Pat, leader: string, replica: string, bound: number): AlertCase {
  const pos = (i: number) => 100 * bound + i * Math.floor(bound / 10) + (i >= 10 ? 4 * bound : 0);
  return lagCase(pat, leader, replica, {
    title: 'a 60 s spike the replica catches up on',
    lead: range(30, pos),
    replayed: range(30, (i) => (i >= 10 && i < 14 ? pos(9) : pos(i))),
    at: '4m',
    fires: false,
  });
}

/**
 * A member rejoining as a replica (after a failover, a restart): Patroni reports it a replica with replay
 * position 0 while its PostgreSQL starts (90 s here), then a caught-up position. Its lag was unknown, not the
 * whole WAL: quiet.
 */
function lagRejoinCase(pat: Pat, leader: string, replica: string, bound: number): AlertCase {
  const pos = 100 * bound;
  return lagCase(pat, leader, replica, {
    title: 'a replica rejoining, with no replay position while it starts',
    lead: range(30, () => pos),
    replayed: range(30, (i) => (i < 10 ? null : i < 16 ? 0 : pos)),
    isReplica: range(30, (i) => (i < 10 ? null : 1)),
    at: '4m',
    fires: false,
  });
}

/** promtool's rule evaluation interval in the rendered unit tests: fine enough to resolve a `for` of one loop_wait. */
export const TEST_EVALUATION_SECONDS = 5;
/** Where the leader's series ends in the no-leader tests (an evaluation time). */
const GAP_START_SECONDS = 30;

/**
 * Longer than an automatic failover takes: ttl (the lost leader's key expires) + 2 x loop_wait (a candidate's
 * next loop sees the key gone, and it has promoted by the one after). Past it, Patroni is not ending it by itself.
 */
export function noLeaderBoundSeconds(t: Topology): number {
  const { ttl, loopWait } = t.failover.timers;
  return ttl + 2 * loopWait;
}

const ceilTo = (x: number, step: number) => Math.ceil(x / step) * step;

interface LeaderGap {
  readonly series: TestSeries[];
  /** Seconds without a leader (when it ends). */
  readonly seconds: number;
  /** The last evaluation without a leader, and the first with one again (when it ends). */
  readonly lastInside: number;
  readonly end: number;
}

/**
 * The leader series of cluster `c`, one sample per test evaluation: the leader's node is killed at
 * GAP_START_SECONDS (its scrape fails and Prometheus marks its series stale), the other members report 0. With
 * `ends`, a failover: the next member (the leader itself in a one-member cluster) reports the lock once the dead
 * leader's key has expired (ttl; at least one loop_wait and one evaluation), which is always before
 * ttl + 2 x loop_wait. Other clusters keep their leader.
 */
function leaderGapSeries(t: Topology, c: Cluster, ends: boolean): LeaderGap {
  const step = TEST_EVALUATION_SECONDS;
  const { ttl, loopWait } = t.failover.timers;
  const seconds = ceilTo(Math.max(ttl, loopWait + step), step);
  const end = GAP_START_SECONDS + seconds;
  const n = (GAP_START_SECONDS + ceilTo(noLeaderBoundSeconds(t), step) + 120) / step;
  const [k, e] = [GAP_START_SECONDS / step, end / step];
  const leader = c.members[0]!;
  const next = c.members[1] ?? leader;
  const values = (m: string) =>
    range(n, (i) => {
      if (ends && m === next && i >= e) return '1';
      if (m === leader) return i < k ? '1' : i === k ? 'stale' : '_';
      return '0';
    }).join(' ');
  return { series: leaderSeries(t, c, values, n), seconds, lastInside: end - step, end };
}

/** One failed scrape of the leader (stale for one scrape interval, as long as an evaluation interval). */
function leaderBlipSeries(t: Topology, c: Cluster): TestSeries[] {
  const step = TEST_EVALUATION_SECONDS;
  const n = (GAP_START_SECONDS + 120) / step;
  const k = GAP_START_SECONDS / step;
  const values = (m: string) =>
    range(n, (i) => (m !== c.members[0] ? '0' : i === k ? 'stale' : '1')).join(' ');
  return leaderSeries(t, c, values, n);
}

/**
 * The leader series of cluster `c` (`values` of each member), and of every other cluster, whose leader stays in
 * the tests (their no-leader rules share the alert name): `n` samples.
 */
function leaderSeries(t: Topology, c: Cluster, values: (m: string) => string, n: number): TestSeries[] {
  const metric = (x: Cluster) => (x.role === 'primary' ? METRICS.primary : METRICS.standbyLeader);
  const pat = (m: string) => target(t, m, 'patroni');
  return [
    ...t.clusters.filter((o) => o !== c).map((o) => series(metric(o), pat(o.members[0]!), `1x${n}`)),
    ...c.members.map((m) => series(metric(c), pat(m), values(m))),
  ];
}

/** The cases of the alert on no leader past ttl + 2 x loop_wait: quiet through a failover, fires only past the bound. */
function leaderGapProlongedCases(gap: (ends: boolean) => LeaderGap, bound: number): AlertCase[] {
  const step = TEST_EVALUATION_SECONDS;
  const [failover, stuck] = [gap(true), gap(false)];
  const past = GAP_START_SECONDS + ceilTo(bound, step);
  const at = (title: string, g: LeaderGap, s: number, fires: boolean): AlertCase => ({
    title,
    series: g.series,
    intervalSeconds: step,
    at: `${s}s`,
    fires: fires ? [{}] : [],
  });
  return [
    at(
      `a failover: the leader gone for ${failover.seconds} s, then a new leader`,
      failover,
      failover.lastInside,
      false,
    ),
    at(`no leader returns: quiet until ${bound} s`, stuck, past - step, false),
    at(`no leader returns: fires past ${bound} s`, stuck, past, true),
  ];
}

/** Every alert of a topology. `dataMount` is the data volume's mount point on a node. */
export function alertsOf(t: Topology, dataMount: string): Alert[] {
  const alerts: Alert[] = [];
  const { ttl, loopWait, retryTimeout } = t.failover.timers;
  for (const c of t.clusters) {
    const sel = selector(t, { cluster: c.scope });
    const labels = { cluster: c.scope, region: c.regions[0]! };
    const [m1, m2] = c.members;
    const pat = (m: string) => target(t, m, 'patroni');
    const leaderMetric = c.role === 'primary' ? METRICS.primary : METRICS.standbyLeader;
    const leaderWord = c.role === 'primary' ? 'writable leader' : 'standby leader';
    const noLeaderExpr = `(sum(${leaderMetric}${sel}) or vector(0)) < 1`;
    const oneLeader = leaderSeries(t, c, (m) => (m === m1 ? '1x40' : '0x40'), 40);
    const bound = noLeaderBoundSeconds(t);
    const gap = (ends: boolean) => leaderGapSeries(t, c, ends);
    const prolonged = leaderGapProlongedCases(gap, bound);
    const stillLeader = { title: 'a leader is reported', series: oneLeader, fires: [] };
    const diagnoseNoLeader = [
      '`patronictl -c /etc/pgtopo/patroni.yml list <cluster>` on any member: who is running, who lags, is the cluster paused?',
      'Is etcd reachable from the members (`PgtopoEtcdQuorumAtRisk`)? Without the DCS no leader can be elected.',
      'Are the members up (`up{job=~"pgtopo-.*-patroni"}`)? All scrapes failing looks the same as no leader.',
      'Is every failover candidate refused for lag beyond `maximum_lag_on_failover` (Patroni log: "is lagging")?',
    ];
    const mitigateNoLeader = [
      'If the cluster is paused (maintenance mode), `patronictl resume` it.',
      'If candidates lag too far, accept the loss deliberately: `patronictl failover --candidate <member>` after weighing the RPO.',
      'If etcd lost quorum, restore etcd first (see PgtopoEtcdQuorumAtRisk).',
    ];
    const boundWords = `ttl ${ttl} s + 2 x loop_wait ${loopWait} s = ${bound} s`;
    if (c.role === 'primary') {
      // The writer is down from the first Patroni loop without a leader: an outage even when a failover ends
      // it, so it fires (and resolves by itself). What wakes someone is a failover that does not finish.
      const gapSeries = gap(true);
      alerts.push({
        name: 'PgtopoNoWritableLeader',
        severity: 'ticket',
        expr: noLeaderExpr,
        forSeconds: loopWait,
        labels,
        summary: `No writable leader in ${c.scope}: writes fail`,
        description: `No member of ${c.scope} has reported holding the leader lock for ${loopWait} s (one Patroni loop_wait): writes through the writer endpoint fail. An automatic failover ends this within ${boundWords}; past that, PgtopoNoWritableLeaderProlonged pages.`,
        threshold: `no ${leaderMetric} = 1 for ${loopWait} s (loop_wait)`,
        runbook: {
          meaning: `No member of the cluster (label \`cluster\`) reports holding the leader lock for longer than one Patroni loop: there is no writable primary. Most often an automatic failover is under way (the primary crashed, or lost etcd), which Patroni ends within ${boundWords}; the alert then resolves by itself. A planned switchover that takes longer than one loop fires it too. Prometheus sees it at its scrape and evaluation interval (${SCRAPE_INTERVAL_SECONDS} s as rendered): it fires at the second evaluation in a row without a leader, so a gap shorter than one interval can pass unseen, and one failed scrape of the leader fires nothing.`,
          impact: `Writes through the writer endpoint fail while it lasts: an outage, usually as long as a failover. It is a ticket, not a page: the follow-up (why the primary was lost, whether it rejoined, whether writes were lost) is work for business hours. If no leader is back within ${bound} s, PgtopoNoWritableLeaderProlonged pages.`,
          diagnose: [
            'Resolved already? A failover completed: `patronictl -c /etc/pgtopo/patroni.yml list <cluster>` shows the new leader, the new timeline, and whether the old primary runs again as a replica.',
            'Why was the primary lost: its node (`up`, node_exporter), its Patroni log (`journalctl -u pgtopo-patroni`), its etcd contact (`PgtopoEtcdQuorumAtRisk`)?',
            'Were acknowledged writes lost: with a synchronous standby none; otherwise the old primary\u2019s Patroni log shows what pg_rewind discarded.',
          ],
          mitigate: [
            `While it lasts less than ${bound} s: nothing, Patroni is electing a leader (see PgtopoNoWritableLeaderProlonged past that).`,
            'Afterwards, if the old primary did not rejoin: `patronictl -c /etc/pgtopo/patroni.yml reinit <cluster> <member>`.',
            'For a planned switchover, silence the alert in Alertmanager for the maintenance window.',
          ],
        },
        cases: [
          {
            title: `a failover: the leader gone for ${gapSeries.seconds} s, then a new leader`,
            series: gapSeries.series,
            intervalSeconds: TEST_EVALUATION_SECONDS,
            at: `${gapSeries.lastInside}s`,
            fires: [{}],
          },
          {
            title: 'a failover: resolved once the new leader reports',
            series: gapSeries.series,
            intervalSeconds: TEST_EVALUATION_SECONDS,
            at: `${gapSeries.end}s`,
            fires: [],
          },
          {
            title: 'one failed scrape of the leader',
            series: leaderBlipSeries(t, c),
            intervalSeconds: TEST_EVALUATION_SECONDS,
            at: `${GAP_START_SECONDS}s`,
            fires: [],
          },
          { ...stillLeader, at: `${loopWait + 60}s` },
        ],
      });
    }
    alerts.push({
      name: c.role === 'primary' ? 'PgtopoNoWritableLeaderProlonged' : 'PgtopoNoStandbyLeader',
      severity: c.role === 'primary' ? 'page' : 'ticket',
      expr: noLeaderExpr,
      forSeconds: bound,
      labels,
      summary: `No ${leaderWord} in ${c.scope} for longer than a failover takes`,
      description: `No member of ${c.scope} has reported holding the ${leaderWord} lock for ${bound} s (${boundWords}: longer than an automatic failover takes).`,
      threshold: `no ${leaderMetric} = 1 for ${bound} s (ttl + 2 x loop_wait)`,
      runbook: {
        meaning: `Patroni reports no ${leaderWord} for the cluster (label \`cluster\`) for longer than an automatic failover takes: it cannot elect one by itself.`,
        impact:
          c.role === 'primary'
            ? 'Writes fail through the writer endpoint, and Patroni will not end it by itself: an outage that needs someone now.'
            : // No fast twin for a standby cluster: nothing writes through its leader, so a gap during its own
              // failover is no outage; only a leader that stays away matters.
              'The standby cluster does not follow its source: the disaster-recovery copy is falling behind. Nothing writes through a standby leader, so a gap shorter than this is no outage and raises nothing.',
        diagnose: diagnoseNoLeader,
        mitigate: mitigateNoLeader,
      },
      cases: [...prolonged, { ...stillLeader, at: `${bound + 60}s` }],
    });
    if (c.role === 'primary') {
      const twoFor = 2 * loopWait;
      alerts.push({
        name: 'PgtopoMultipleLeaders',
        severity: 'page',
        expr: `sum(${METRICS.primary}${sel}) > 1`,
        forSeconds: twoFor,
        labels,
        summary: `More than one member of ${c.scope} claims to be the primary`,
        description: `More than one member of ${c.scope} has reported patroni_primary = 1 for ${twoFor} s: split brain is possible.`,
        threshold: `sum(${METRICS.primary}) > 1 for ${twoFor} s`,
        runbook: {
          meaning: 'Two or more members report themselves as the primary at once.',
          impact:
            'Writes may land on two timelines; the writes on the losing side are lost when it is rewound.',
          diagnose: [
            '`patronictl list`: which member holds the leader key in etcd?',
            'Is a member cut off from etcd (its `patroni_dcs_last_seen` stops)? Patroni demotes a leader that cannot renew its key within ttl.',
            'Did someone start PostgreSQL outside Patroni (`pg_ctl`, systemd unit of PostgreSQL itself)?',
          ],
          mitigate: [
            'Stop the member that does not hold the leader key (`systemctl stop patroni` on it), then let Patroni rewind or reinitialise it.',
            'Compare the writes on both timelines before discarding any.',
          ],
        },
        cases: m2
          ? [
              {
                series: [series(METRICS.primary, pat(m1!), '1x40'), series(METRICS.primary, pat(m2), '1x40')],
                at: `${twoFor + 60}s`,
                fires: [{}],
              },
              { series: oneLeader, at: `${twoFor + 60}s`, fires: [] },
            ]
          : [{ series: oneLeader, at: `${twoFor + 60}s`, fires: [] }],
      });
      if (m2) {
        const bound = lagBoundBytes(t);
        const leaderAt = String(bound * 4);
        const window = `${LAG_MEDIAN_WINDOW_SECONDS / 60} min`;
        alerts.push({
          name: 'PgtopoReplicaLagAboveBound',
          severity: 'ticket',
          // The median over the window, not the instant lag: a replica whose stream is stalled catches up from
          // the archive (restore_command) one segment at a time, so its lag dips below the bound for a few
          // seconds after each archived segment and rises again; an instant condition restarts at every dip
          // (and at every failed scrape) and its `for` never runs out, while the replica is behind most of
          // the time. A short spike stays quiet: it is not most of the window.
          expr: `quantile_over_time(0.5, (${replicaLagExpr(t, c)})[${LAG_MEDIAN_WINDOW_SECONDS}s:]) > ${bound}`,
          forSeconds: LAG_FOR_SECONDS,
          labels: {},
          summary: 'Replica {{ $labels.member }} lags beyond the declared bound',
          description: `Replica {{ $labels.member }} of ${c.scope} has replayed more than ${bound} bytes less WAL than its leader during most of the last ${window}, for ${LAG_FOR_SECONDS} s; the bound is ${bound} bytes (maximum_lag_on_failover ${t.failover.timers.maximumLagOnFailover === UNBOUNDED_LAG_BYTES ? 'unbounded (rpo async)' : t.failover.timers.maximumLagOnFailover}, reader pool ${t.endpoints.readerMaxLagBytes}).`,
          threshold: `replay lag > ${bound} bytes in most of the last ${window} (median), for ${LAG_FOR_SECONDS} s`,
          runbook: {
            meaning:
              'A replica is further behind the leader than the topology promises: it would be refused promotion, and it has left the reader pool.',
            impact:
              'Fewer failover candidates; if it is the last one, a failover loses data or does not happen. Readers see fewer replicas.',
            diagnose: [
              '`patronictl list`: the lag of each member.',
              'On the replica: is it streaming (`patroni_postgres_streaming`) or replaying from the archive (`patroni_postgres_in_archive_recovery`)? A replica that lost its stream catches up one archived segment at a time: its lag drops below the bound after each segment and climbs again (the alert looks at most of the window, not at the dips).',
              'Is replay paused (`patroni_xlog_paused`)? Patroni resumes a paused replay on its next loop unless the cluster is in maintenance mode.',
              'Disk or CPU saturation on the replica (node_exporter), or a long query holding replay (`max_standby_streaming_delay`).',
              'Network between the leader and the replica (loss, bandwidth for the write rate).',
            ],
            mitigate: [
              'Restore the stream (network, `pg_hba.conf`, the replication slot on the leader): restoring from the archive alone never keeps a replica within the bound.',
              'In maintenance mode, resume a paused replay: `SELECT pg_wal_replay_resume()`.',
              'Cancel queries holding replay, or move the replica to a larger instance or volume.',
              'If it cannot catch up, `patronictl reinit` the replica.',
            ],
          },
          cases: [
            {
              series: [
                series(METRICS.walLocation, pat(m1!), `${leaderAt}x40`),
                series(METRICS.walLocation, pat(m2), '0x40'),
                // Stuck a bound behind where the leader is 4 bounds on (0 would be "no position yet").
                series(METRICS.walReplayed, pat(m2), `${bound}x40`),
                series(METRICS.replica, pat(m2), '1x40'),
              ],
              at: '5m',
              fires: [pat(m2)],
            },
            {
              series: [
                series(METRICS.walLocation, pat(m1!), `${leaderAt}x40`),
                series(METRICS.walLocation, pat(m2), '0x40'),
                series(METRICS.walReplayed, pat(m2), `${leaderAt}x40`),
                series(METRICS.replica, pat(m2), '1x40'),
              ],
              at: '5m',
              fires: [],
            },
            lagSawtoothCase(pat, m1!, m2, bound),
            lagSpikeCase(pat, m1!, m2, bound),
            lagRejoinCase(pat, m1!, m2, bound),
          ],
        });
      }
      if (t.durability.rpo === 'zero-in-region' && m2) {
        const e = (metric: string) => `(sum(${metric}${sel}) or vector(0))`;
        alerts.push({
          name: 'PgtopoSyncStandbyMissing',
          severity: 'page',
          expr: `(${e(METRICS.syncStandby)} + ${e(METRICS.quorumStandby)}) < 1 and on () sum(${METRICS.primary}${sel}) >= 1`,
          forSeconds: 60,
          labels,
          summary: `${c.scope} has a leader but no synchronous standby`,
          description: `The spec promises rpo zero-in-region, but no member of ${c.scope} has been a synchronous (or quorum) standby for 1 min.`,
          threshold: 'no sync or quorum standby for 1 min while a leader runs',
          runbook: {
            meaning:
              'Commits are acknowledged by the leader alone: the zero-data-loss promise within the region does not hold right now.',
            impact: 'Losing the leader now loses the commits it acknowledged since the standby went away.',
            diagnose: [
              '`patronictl list`: which members are running and streaming? Sync candidates are the members without `nosync`.',
              'Are the sync candidates lagging or down (PgtopoReplicaLagAboveBound, node health)?',
            ],
            mitigate: [
              'Bring a sync candidate back (start Patroni, `patronictl reinit` a broken one).',
              'Do not switch `synchronous_mode` off to silence this: that makes the loss permanent policy.',
            ],
          },
          cases: [
            {
              series: [
                series(METRICS.primary, pat(m1!), '1x40'),
                series(METRICS.syncStandby, pat(m2), '0x40'),
                series(METRICS.quorumStandby, pat(m2), '0x40'),
              ],
              at: '3m',
              fires: [{}],
            },
            {
              series: [
                series(METRICS.primary, pat(m1!), '1x40'),
                series(METRICS.syncStandby, pat(m2), '0x40'),
                series(METRICS.quorumStandby, pat(m2), '1x40'),
              ],
              at: '3m',
              fires: [],
            },
          ],
        });
      }
    }
  }

  const first = t.members[0]!.name;
  const pg = target(t, first, 'postgres');
  const pat = target(t, first, 'patroni');
  const node = target(t, first, 'node');
  if (t.observability.exporters.postgres && t.archive.enabled) {
    const n = t.observability.alarms.archiveFailures;
    alerts.push({
      name: 'PgtopoWalArchivingFailing',
      severity: 'ticket',
      expr: `increase(${METRICS.archiveFailed}${selector(t)}[5m]) >= ${n}`,
      forSeconds: 0,
      labels: {},
      summary: 'WAL archiving fails on {{ $labels.member }}',
      description: `archive_command failed at least ${n} time(s) in 5 min on {{ $labels.member }} (observability.alarms.archiveFailures).`,
      threshold: `>= ${n} failed archive attempts in 5 min`,
      runbook: {
        meaning: 'pgBackRest could not push WAL to the archive bucket.',
        impact:
          'Point-in-time recovery and replicas that restore from the archive stop at the last archived segment; unarchived WAL accumulates on the data volume.',
        diagnose: [
          'PostgreSQL log on the member: the archive_command error (pgBackRest prints the cause).',
          '`pgbackrest --stanza=<cluster> check` as postgres on the leader.',
          'S3 reachability (VPC endpoint, IAM role, KMS key policy) and the bucket policy.',
        ],
        mitigate: ['Fix the cause; PostgreSQL retries and archives the backlog by itself.'],
      },
      cases: [
        { series: [series(METRICS.archiveFailed, pg, '0+1x40')], at: '5m', fires: [pg] },
        { series: [series(METRICS.archiveFailed, pg, '5x40')], at: '5m', fires: [] },
      ],
    });
    alerts.push({
      name: 'PgtopoWalArchiveStale',
      severity: 'page',
      expr: `${METRICS.archiveAge}${selector(t)} > ${ARCHIVE_STALE_SECONDS} and on (topology, cluster, member) (${METRICS.primary}${selector(t)} == 1) and on (topology, cluster, member) increase(${METRICS.walLocation}${selector(t)}[5m]) > 0`,
      forSeconds: 120,
      labels: {},
      summary: 'No WAL archived from leader {{ $labels.member }} while it writes WAL',
      description: `Leader {{ $labels.member }} writes WAL but archived no segment for more than ${ARCHIVE_STALE_SECONDS} s (archive_timeout forces a segment every ${ARCHIVE_TIMEOUT_SECONDS} s under writes).`,
      threshold: `last archive older than ${ARCHIVE_STALE_SECONDS} s on a leader that writes WAL, for 2 min`,
      runbook: {
        meaning:
          'The archive is not keeping up with the leader: the recovery point in the archive is getting old.',
        impact:
          'A region loss now loses everything since the last archived segment; the data volume fills with WAL.',
        diagnose: [
          'See PgtopoWalArchivingFailing: failing attempts, or none at all (archiver process stuck, archive_mode off)?',
          '`SELECT * FROM pg_stat_archiver` on the leader.',
        ],
        mitigate: ['Fix the archive path; watch `pg_stat_archiver.last_archived_time` move again.'],
      },
      cases: [
        {
          series: [
            series(METRICS.archiveAge, pg, '700+15x40'),
            series(METRICS.primary, pat, '1x40'),
            series(METRICS.walLocation, pat, '0+1000x40'),
          ],
          at: '5m',
          fires: [pg],
        },
        {
          series: [
            series(METRICS.archiveAge, pg, '30x40'),
            series(METRICS.primary, pat, '1x40'),
            series(METRICS.walLocation, pat, '0+1000x40'),
          ],
          at: '5m',
          fires: [],
        },
      ],
    });
  }
  const cap = slotCapBytes(t);
  if (
    t.observability.exporters.postgres &&
    t.release.features.slotSafeWalMetric &&
    cap !== undefined &&
    cap > 0
  ) {
    const slot = { ...pg, slot_name: 'standby_slot' };
    const left = Math.floor(cap * SLOT_HEADROOM_SHARE);
    alerts.push({
      name: 'PgtopoSlotWalRetentionNearCap',
      severity: 'ticket',
      expr: `${METRICS.slotSafeWal}${selector(t)} < ${left}`,
      forSeconds: 300,
      labels: {},
      summary: 'Slot {{ $labels.slot_name }} on {{ $labels.member }} nears max_slot_wal_keep_size',
      description: `Less than ${left} bytes (${SLOT_HEADROOM_SHARE * 100}% of max_slot_wal_keep_size ${cap} bytes) are left before slot {{ $labels.slot_name }} on {{ $labels.member }} is invalidated.`,
      threshold: `safe_wal_size < ${left} bytes (${SLOT_HEADROOM_SHARE * 100}% of max_slot_wal_keep_size) for 5 min`,
      runbook: {
        meaning: 'A replication slot holds back WAL and is close to the cap after which PostgreSQL drops it.',
        impact:
          'When the slot is invalidated its consumer (a replica, a standby cluster, a subscription) must restore from the archive or be rebuilt.',
        diagnose: [
          '`SELECT slot_name, active, wal_status, safe_wal_size FROM pg_replication_slots` on the leader.',
          'Is the consumer connected and keeping up? See PgtopoReplicaLagAboveBound.',
        ],
        mitigate: ['Bring the consumer back or drop a slot that is no longer needed.'],
      },
      cases: [
        {
          series: [series(METRICS.slotSafeWal, slot, `${Math.floor(left / 2)}x40`)],
          at: '7m',
          fires: [slot],
        },
        { series: [series(METRICS.slotSafeWal, slot, `${cap}x40`)], at: '7m', fires: [] },
      ],
    });
  }
  const dcsBound = loopWait + retryTimeout;
  alerts.push({
    name: 'PgtopoEtcdQuorumAtRisk',
    severity: 'page',
    expr: `${dcsAgeExpr(t)} > ${dcsBound}`,
    forSeconds: 30,
    labels: {},
    summary: '{{ $labels.member }} cannot reach etcd',
    description: `Patroni on {{ $labels.member }} has not reached its etcd quorum for more than ${dcsBound} s (loop_wait + retry_timeout). A leader that cannot renew its key within ttl ${ttl} s demotes itself.`,
    threshold: `no etcd contact for > ${dcsBound} s (loop_wait + retry_timeout), for 30 s`,
    runbook: {
      meaning:
        'A member cannot talk to the DCS: etcd lost members or quorum, or the member is cut off from it. Measured from Patroni; etcd itself reports its leader (PgtopoEtcdNoLeader).',
      impact:
        'If the leader is affected, it demotes itself within ttl and writes stop; if every member is, no failover can happen.',
      diagnose: [
        '`etcdctl endpoint health --cluster` with the node certificate on an etcd member.',
        'Which members are affected: one (its network) or all of a cluster (etcd itself)?',
        'etcd disk latency and the etcd nodes\u2019 health (node_exporter).',
      ],
      mitigate: [
        'Restore the failed etcd members; never add members while quorum is lost.',
        'If quorum is gone for good, follow etcd disaster recovery (snapshot restore) and let Patroni re-elect.',
      ],
    },
    cases: [
      { series: [series(METRICS.dcsLastSeen, pat, '0x40')], at: '5m', fires: [pat] },
      { series: [series(METRICS.dcsLastSeen, pat, '0+15x40')], at: '5m', fires: [] },
    ],
  });
  alerts.push(...etcdAlerts(t));
  const x = t.release.pgbouncerExporter;
  if (x && runsPgbouncerExporter(t)) {
    const waiting = x.metrics.waitingClients;
    const pool = { ...target(t, first, 'pgbouncer'), database: 'app', user: 'app' };
    alerts.push({
      name: 'PgtopoPgbouncerClientsWaiting',
      severity: 'ticket',
      expr: `${waiting}${selector(t)} > 0`,
      forSeconds: PGBOUNCER_WAIT_SECONDS,
      labels: {},
      summary: 'Clients wait for a server connection in PgBouncer on {{ $labels.member }}',
      description: `Clients of pool {{ $labels.database }}/{{ $labels.user }} on {{ $labels.member }} have been waiting for a server connection for ${PGBOUNCER_WAIT_SECONDS} s: the pool (default_pool_size ${t.endpoints.pgbouncer.defaultPoolSize}, max_db_connections ${t.endpoints.pgbouncer.maxDbConnections}) is exhausted.`,
      threshold: `${waiting} > 0 for ${PGBOUNCER_WAIT_SECONDS} s`,
      runbook: {
        meaning:
          'Every server connection of a PgBouncer pool is busy and clients queue for one (`SHOW POOLS` cl_waiting).',
        impact:
          'Queries wait before they start: latency grows for every client of the pool, and clients time out (query_wait_timeout).',
        diagnose: [
          '`SHOW POOLS;` and `SHOW CLIENTS;` on the admin console (`psql -h <socket dir> -p 6432 pgbouncer`): which database and user, how long (maxwait)?',
          'On PostgreSQL: long transactions or locks holding server connections (`pg_stat_activity`, wait events).',
          'A burst of new clients after a failover or a deploy.',
        ],
        mitigate: [
          'End what holds the server connections (long idle-in-transaction sessions, blocked queries).',
          'Raise `endpoints.pgbouncer.defaultPoolSize` (within max_connections) if the load is real.',
        ],
      },
      cases: [
        { series: [series(waiting, pool, '3x40')], at: '5m', fires: [pool] },
        { series: [series(waiting, pool, '0x40')], at: '5m', fires: [] },
      ],
    });
  }
  if (t.observability.exporters.node) {
    const disk = { ...node, mountpoint: dataMount };
    const sel = diskSel(t, dataMount);
    const horizon = DISK_FORECAST_HOURS * 3600;
    alerts.push({
      name: 'PgtopoDataDiskFilling',
      severity: 'ticket',
      expr: `predict_linear(${METRICS.fsAvail}${sel}[1h], ${horizon}) < 0`,
      forSeconds: 900,
      labels: {},
      summary: 'Data volume of {{ $labels.member }} fills within ' + `${DISK_FORECAST_HOURS} h`,
      description: `At the last hour's rate the data volume (${dataMount}) of {{ $labels.member }} is full within ${DISK_FORECAST_HOURS} h.`,
      threshold: `free space on ${dataMount} reaches 0 within ${DISK_FORECAST_HOURS} h (1 h trend), for 15 min`,
      runbook: diskRunbook,
      cases: [
        { series: [series(METRICS.fsAvail, disk, '1000000000-1000000x400')], at: '90m', fires: [disk] },
        { series: [series(METRICS.fsAvail, disk, '1000000000x400')], at: '90m', fires: [] },
      ],
    });
    alerts.push({
      name: 'PgtopoDataDiskAlmostFull',
      severity: 'page',
      expr: `${METRICS.fsAvail}${sel} / ${METRICS.fsSize}${sel} < ${DISK_FREE_SHARE}`,
      forSeconds: 300,
      labels: {},
      summary: 'Data volume of {{ $labels.member }} is almost full',
      description: `Less than ${DISK_FREE_SHARE * 100}% of the data volume (${dataMount}) of {{ $labels.member }} is free.`,
      threshold: `free space on ${dataMount} < ${DISK_FREE_SHARE * 100}% for 5 min`,
      runbook: diskRunbook,
      cases: [
        {
          series: [series(METRICS.fsAvail, disk, '1000000x40'), series(METRICS.fsSize, disk, '100000000x40')],
          at: '7m',
          fires: [disk],
        },
        {
          series: [
            series(METRICS.fsAvail, disk, '50000000x40'),
            series(METRICS.fsSize, disk, '100000000x40'),
          ],
          at: '7m',
          fires: [],
        },
      ],
    });
  }
  return alerts;
}

/** etcd's own alerts, over its metrics listener: a member without a leader, leader churn, slow WAL fsync. */
function etcdAlerts(t: Topology): Alert[] {
  const q = t.etcd[0];
  const e = q?.members[0];
  if (!q || !e) return [];
  const sel = selector(t);
  const tgt = {
    topology: t.name,
    quorum: q.id,
    etcd: e.name,
    region: e.region,
    instance: e.name,
    job: `pgtopo-${t.name}-etcd`,
  };
  const bucket = (le: string, values: string) => series(METRICS.etcdWalFsync, { ...tgt, le }, values);
  const etcdDiagnose = [
    '`etcdctl endpoint status --cluster -w table` with the node certificate on an etcd member: leader, raft term, DB size.',
    'etcd log on each member (`journalctl -u pgtopo-etcd`): "lost leader", "elected leader", "slow fdatasync", heartbeat warnings.',
    'Disk latency on the etcd nodes (node_exporter), and the network between them (for a stretched quorum, the inter-region link).',
  ];
  return [
    {
      name: 'PgtopoEtcdNoLeader',
      severity: 'page',
      expr: `${METRICS.etcdHasLeader}${sel} == 0`,
      forSeconds: ETCD_NO_LEADER_SECONDS,
      labels: {},
      summary: 'etcd member {{ $labels.etcd }} has no leader',
      description: `etcd member {{ $labels.etcd }} of quorum {{ $labels.quorum }} has seen no raft leader for ${ETCD_NO_LEADER_SECONDS} s: it serves no writes, and Patroni cannot renew or take a leader key through it.`,
      threshold: `${METRICS.etcdHasLeader} == 0 for ${ETCD_NO_LEADER_SECONDS} s`,
      runbook: {
        meaning:
          'An etcd member is cut off from its quorum, or the quorum itself has lost its majority and elects no leader.',
        impact:
          'If the majority is lost, no Patroni leader can renew its key: the primary demotes itself within ttl and writes stop.',
        diagnose: etcdDiagnose,
        mitigate: [
          'Bring the lost etcd members back (start the node, repair its disk or network); never add members while quorum is lost.',
          'If the majority is gone for good, restore the quorum from a snapshot (etcd disaster recovery).',
        ],
      },
      cases: [
        { series: [series(METRICS.etcdHasLeader, tgt, '0x40')], at: '3m', fires: [tgt] },
        { series: [series(METRICS.etcdHasLeader, tgt, '1x40')], at: '3m', fires: [] },
      ],
    },
    {
      name: 'PgtopoEtcdLeaderChanges',
      severity: 'ticket',
      expr: `increase(${METRICS.etcdLeaderChanges}${sel}[15m]) >= ${ETCD_LEADER_CHANGES}`,
      forSeconds: 0,
      labels: {},
      summary: 'etcd quorum {{ $labels.quorum }} changes its leader often',
      description: `etcd member {{ $labels.etcd }} has seen at least ${ETCD_LEADER_CHANGES} leader changes in 15 min: heartbeats are missed (disk, CPU or network), and each election stalls the DCS for an election timeout.`,
      threshold: `>= ${ETCD_LEADER_CHANGES} leader changes in 15 min`,
      runbook: {
        meaning: 'The etcd quorum keeps re-electing its leader.',
        impact:
          'Every election pauses etcd writes; if elections take longer than Patroni retry_timeout, leaders demote themselves.',
        diagnose: etcdDiagnose,
        mitigate: [
          'Fix the slow disk or network of the members involved.',
          'For a stretched quorum, check that heartbeat interval and election timeout fit the measured round trip (`dcs.interRegionRttMs`).',
        ],
      },
      cases: [
        { series: [series(METRICS.etcdLeaderChanges, tgt, '0+1x40')], at: '5m', fires: [tgt] },
        { series: [series(METRICS.etcdLeaderChanges, tgt, '1x40')], at: '5m', fires: [] },
      ],
    },
    {
      name: 'PgtopoEtcdSlowFsync',
      severity: 'ticket',
      expr: `histogram_quantile(0.99, rate(${METRICS.etcdWalFsync}${sel}[5m])) > ${ETCD_FSYNC_P99_SECONDS}`,
      forSeconds: 600,
      labels: {},
      summary: 'etcd member {{ $labels.etcd }} syncs its WAL slowly',
      description: `The 99th percentile of etcd WAL fsync on {{ $labels.etcd }} has been above ${ETCD_FSYNC_P99_SECONDS} s for 10 min (etcd wants under 10 ms): heartbeats and elections suffer.`,
      threshold: `p99 WAL fsync > ${ETCD_FSYNC_P99_SECONDS} s over 5 min, for 10 min`,
      runbook: {
        meaning: "The etcd member's disk is too slow for etcd's write-ahead log.",
        impact:
          'Slow fsync delays raft heartbeats: leader elections, and with them Patroni leader key renewals, fail.',
        diagnose: etcdDiagnose,
        mitigate: [
          'Move etcd to a faster volume (gp3 with provisioned IOPS, or io2) or a less loaded node (dedicated placement).',
        ],
      },
      cases: [
        {
          series: [bucket('0.008', '0x100'), bucket('1', '0+10x100'), bucket('+Inf', '0+10x100')],
          at: '20m',
          fires: [tgt],
        },
        {
          series: [bucket('0.008', '0+10x100'), bucket('1', '0+10x100'), bucket('+Inf', '0+10x100')],
          at: '20m',
          fires: [],
        },
      ],
    },
  ];
}

const diskRunbook: Alert['runbook'] = {
  meaning: "The data volume (PostgreSQL's data directory and WAL) is filling.",
  impact:
    'A full volume stops PostgreSQL: on the leader, writes stop; Patroni cannot fail over to a full replica.',
  diagnose: [
    '`df -h` and `du -sh pg_wal base` in the data directory.',
    'WAL held back: archiving failing (PgtopoWalArchivingFailing), a slot behind (PgtopoSlotWalRetentionNearCap).',
    'Table or index growth: `pg_database_size`, bloat after a mass update or delete.',
  ],
  mitigate: [
    'Fix what holds WAL back first.',
    'Grow the EBS volume (`volume.sizeGiB` in the spec; gp3/io2 grow online) and the file system.',
  ],
};

/** The runbook link of an alert: under the spec's runbookBaseUrl, else relative to the monitoring directory. */
export function runbookUrl(t: Topology, name: string): string {
  return `${t.observability.prometheus.runbookBaseUrl ?? 'runbooks/'}${name}.md`;
}

function ruleLabels(t: Topology, a: Alert): Record<string, string> {
  return { severity: a.severity, topology: t.name, ...a.labels };
}

/** The Prometheus rules file. */
export function renderAlertRules(t: Topology, dataMount: string): string {
  const rules = alertsOf(t, dataMount).map((a) => ({
    alert: a.name,
    expr: a.expr,
    ...(a.forSeconds > 0 ? { for: `${a.forSeconds}s` } : {}),
    labels: ruleLabels(t, a),
    annotations: { summary: a.summary, description: a.description, runbook_url: runbookUrl(t, a.name) },
  }));
  return `# Alert rules of topology ${t.name}. Generated by pgtopo: do not edit.\n${toYaml11({
    groups: [{ name: `pgtopo-${t.name}`, rules }],
  })}`;
}

/** `{{ $labels.x }}` expanded as Prometheus would for `labels` (annotations use no `$value`: tests compare them whole). */
function expand(text: string, labels: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '');
}

function seriesText(s: TestSeries): string {
  const { __name__: name, ...rest } = s.labels;
  const body = Object.entries(rest)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${name}{${body}}`;
}

/** `promtool test rules` file: each alert's cases, with the labels and annotations it must fire with. */
export function renderAlertTests(t: Topology, dataMount: string, rulesFile: string): string {
  const tests = alertsOf(t, dataMount).flatMap((a) =>
    a.cases.map((c) => ({
      name: `${a.name} ${c.fires.length > 0 ? 'fires' : 'stays quiet'}${c.title ? `: ${c.title}` : ''}`,
      interval: `${c.intervalSeconds ?? SCRAPE_INTERVAL_SECONDS}s`,
      input_series: c.series.map((s) => ({ series: seriesText(s), values: s.values })),
      alert_rule_test: [
        {
          eval_time: c.at,
          alertname: a.name,
          exp_alerts: c.fires.map((f) => {
            const labels = { ...f, ...ruleLabels(t, a) };
            return {
              exp_labels: labels,
              exp_annotations: {
                summary: expand(a.summary, labels),
                description: expand(a.description, labels),
                runbook_url: runbookUrl(t, a.name),
              },
            };
          }),
        },
      ],
    })),
  );
  return `# promtool test rules of topology ${t.name}. Generated by pgtopo: do not edit.\n${toYaml11({
    rule_files: [rulesFile],
    evaluation_interval: `${TEST_EVALUATION_SECONDS}s`,
    tests,
  })}`;
}

/** The runbook of an alert (Markdown). */
export function renderRunbook(t: Topology, a: Alert): string {
  const list = (xs: readonly string[]) => xs.map((x) => `- ${x}`).join('\n');
  return `# ${a.name}

Topology \`${t.name}\`. Severity \`${a.severity}\`. Generated by pgtopo.

**Fires when:** ${a.threshold}.

\`\`\`promql
${a.expr}
\`\`\`

## What it means

${a.runbook.meaning}

## Impact

${a.runbook.impact}

## Diagnose

${list(a.runbook.diagnose)}

## Mitigate

${list(a.runbook.mitigate)}
`;
}
