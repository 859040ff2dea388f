/**
 * The rehearsal report: a table for people, a stable JSON document for machines.
 */
import type { DrillResult, ObservedAlert } from './measure.js';

export interface RehearsalReport {
  readonly version: 1;
  readonly spec: string;
  readonly topology: string;
  readonly cluster: string;
  readonly profile: string;
  readonly timers: { readonly ttl: number; readonly loopWait: number; readonly retryTimeout: number };
  readonly synchronousMode: string;
  /** The node release the daemons ran, with the Debian package versions of its root. */
  readonly release: { readonly name: string; readonly packages: Readonly<Record<string, string>> };
  readonly startedAt: string;
  readonly bootSeconds: number;
  readonly drills: readonly DrillResult[];
  readonly passed: boolean;
  /** Where the cluster's files and logs are. */
  readonly runDir: string;
  /** The run's id: its cgroups are `pgtopo-<runId>*`, its iptables chain `PGTOPO-<runId>`. */
  readonly runId: string;
  /** The cluster was left running (`--keep`). */
  readonly kept: boolean;
  /** Files and logs were left for inspection (a drill failed). */
  readonly filesKept: boolean;
}

const fmt = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined ? '-' : x.toFixed(digits);

/** 20 -> "20", 36.5 -> "36.5". */
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** +12.3 s / -0.5 s. */
const rel = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)} s`;

/** One line of an alert a drill saw: when it went pending, fired and resolved, relative to the fault. */
export function formatAlert(a: ObservedAlert): string {
  return (
    `alert ${a.name}${a.member ? ` (${a.member})` : ''}: ` +
    `pending ${a.pendingAfterSeconds === null ? '-' : rel(a.pendingAfterSeconds)}, ` +
    `firing ${a.firingAfterSeconds === null ? 'never' : rel(a.firingAfterSeconds)}, ` +
    `resolved ${a.resolvedAfterSeconds === null ? 'not yet' : rel(a.resolvedAfterSeconds)} after the fault` +
    (a.activations > 1 ? `; its condition started ${a.activations} times` : '')
  );
}

export function formatTable(r: RehearsalReport): string {
  const head = [
    'drill',
    'result',
    'RTO s',
    'predicted s (best/typ/worst)',
    'lost',
    'writers',
    'acked',
    'primary',
  ];
  const rows = r.drills.map((d) => [
    d.drill,
    d.status,
    fmt(d.rtoSeconds),
    d.predicted
      ? [d.predicted.bestSeconds, d.predicted.typicalSeconds, d.predicted.worstSeconds].map(num).join('/')
      : '-',
    d.lostAcknowledgedWrites === null ? '-' : String(d.lostAcknowledgedWrites),
    d.maxConcurrentWriters === null ? '-' : String(d.maxConcurrentWriters),
    String(d.acknowledgedWrites),
    !d.oldPrimary
      ? '-'
      : d.newPrimary && d.newPrimary !== d.oldPrimary
        ? `${d.oldPrimary} -> ${d.newPrimary}`
        : `${d.oldPrimary} (kept)`,
  ]);
  const lines = [
    `rehearsal of ${r.topology} (${r.cluster}), profile ${r.profile} ` +
      `(ttl ${r.timers.ttl}, loop_wait ${r.timers.loopWait}, retry_timeout ${r.timers.retryTimeout}), ` +
      `synchronous_mode ${r.synchronousMode}; booted in ${fmt(r.bootSeconds)} s`,
    `release ${r.release.name}: ${Object.entries(r.release.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    ...pad([head, ...rows]),
    '',
  ];
  for (const d of r.drills) {
    const bad = d.checks.filter((c) => !c.ok);
    if (d.status === 'skipped') lines.push(`${d.drill}: ${d.fault}`);
    if (d.error) lines.push(`${d.drill}: ${d.error}`);
    for (const c of bad) lines.push(`${d.drill}: ${c.id} failed: ${c.detail}`);
    for (const a of d.alerts ?? []) lines.push(`${d.drill}: ${formatAlert(a)}`);
    if (d.pitr) {
      lines.push(
        `${d.drill}: target ${d.pitr.target}: ${d.pitr.beforeFound}/${d.pitr.beforeWritten} rows before, ` +
          `${d.pitr.afterFound} of ${d.pitr.afterWritten} rows after`,
      );
    }
    if (d.logical) {
      const l = d.logical;
      lines.push(
        `${d.drill}: ${l.kind} ${l.name} (slot ${l.slot}, ${l.slotOwner}): ${l.received} row(s) received, ` +
          `${l.gaps} missing, ${l.duplicates} duplicate(s)` +
          (l.caughtUpSeconds !== null ? `, caught up ${l.caughtUpSeconds} s after the fault` : '') +
          (l.writePauseSeconds != null ? `, write pause ${l.writePauseSeconds} s` : ''),
      );
    }
  }
  lines.push(r.passed ? 'all drills passed' : 'some drills FAILED');
  if (r.kept) lines.push(`cluster left running; files and logs in ${r.runDir}`);
  else if (r.filesKept) lines.push(`cluster stopped; files and logs kept in ${r.runDir}`);
  return lines.join('\n');
}
