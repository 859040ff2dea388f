/**
 * The failure-domain table: every single failure with etcd quorum, writability,
 * RPO bound and predicted RTO range; double-AZ failures as information. Reads
 * the policy layer's FailureAnalysis; computes nothing itself.
 */
import { formatBytes } from '../policy/format/text.js';
import type { FailureAnalysis, FailureResult, RpoBound } from '../policy/types.js';
import { code, duration, plural, raw, table } from './markdown.js';

const KIND_TEXT: Record<FailureResult['kind'], string> = {
  member: 'member',
  az: 'AZ',
  region: 'region',
  link: 'link',
  'double-az': 'AZs',
};

export function failureName(f: FailureResult): string {
  return `${KIND_TEXT[f.kind]} ${f.kind === 'link' ? f.id.replace('<->', ' ↔ ') : f.id}`;
}

export function rpoText(r: RpoBound): string {
  switch (r.bound) {
    case 'zero':
      return 'zero';
    case 'bounded':
      return r.bytes !== undefined ? `≤ ${formatBytes(r.bytes)}` : 'bounded';
    case 'unbounded':
      return 'unbounded (async)';
  }
}

function writableText(f: FailureResult, writableCluster?: string): string {
  const other = f.writer && f.writer !== writableCluster ? ` (${f.writer})` : '';
  switch (f.recovery) {
    case 'unaffected':
      return `✅ unaffected${other}`;
    case 'sync-standby-replaced':
      return `✅ sync standby replaced${other}`;
    case 'failover':
      return `✅ automatic failover${other}`;
    case 'manual-failover':
      return `⚠️ manual: operator forces a failover${other}`;
    case 'promote-standby-cluster':
      return `⚠️ manual: operator promotes standby cluster${f.writer ? ` ${f.writer}` : ''}`;
    case 'none':
      return '❌ none';
  }
}

function quorumText(f: FailureResult): string {
  if (f.quorums.length === 0) return 'unaffected';
  return f.quorums.map((q) => `${q.survives ? '✅' : '❌'} ${q.id} ${q.reachable}/${q.size}`).join('<br>');
}

function rtoText(f: FailureResult, target?: number): string {
  if (!f.rto) return '–';
  const r = f.rto;
  if (r.worstSeconds === 0) return 'no interruption';
  const over = target !== undefined && r.worstSeconds > target ? ' ⚠️ over target' : '';
  const range = `${duration(r.bestSeconds)} / ${duration(r.typicalSeconds)} / ${duration(r.worstSeconds)}`;
  return `${f.writable === 'manual' ? 'after the decision: ' : ''}${range}${over}`;
}

function lostText(f: FailureResult): string {
  const parts = [
    ...(f.lostMembers.length > 0 ? [f.lostMembers.map(code).join(', ')] : []),
    ...(f.lostEtcdMembers.length > 0 ? [`etcd: ${f.lostEtcdMembers.map(code).join(', ')}`] : []),
  ];
  return parts.length > 0 ? parts.join('<br>') : f.kind === 'link' ? 'network only' : 'nothing';
}

function failureTable(rows: readonly FailureResult[], writableCluster?: string, target?: number): string {
  return table(
    ['Failure', 'Lost', 'etcd quorum', 'Writable primary', 'RPO', 'RTO best / typical / worst'],
    rows.map((f) => [
      raw(`**${failureName(f)}**`),
      raw(lostText(f)),
      raw(quorumText(f)),
      writableText(f, writableCluster),
      rpoText(f.rpo),
      rtoText(f, target),
    ]),
  );
}

/** Headline numbers for the report's first section. */
export interface FailureHeadline {
  readonly total: number;
  readonly auto: number;
  readonly manual: readonly string[];
  readonly none: readonly string[];
  /** Worst predicted RTO of a failure that recovers automatically. */
  readonly worstAuto?: { readonly name: string; readonly seconds: number };
  /** Failures that may lose acknowledged data. */
  readonly lossy: readonly string[];
}

export function failureHeadline(a: FailureAnalysis): FailureHeadline {
  const auto = a.failures.filter((f) => f.writable === 'auto');
  let worst: FailureHeadline['worstAuto'];
  for (const f of auto) {
    if (f.rto && (!worst || f.rto.worstSeconds > worst.seconds)) {
      worst = { name: failureName(f), seconds: f.rto.worstSeconds };
    }
  }
  return {
    total: a.failures.length,
    auto: auto.length,
    manual: a.failures.filter((f) => f.writable === 'manual').map(failureName),
    none: a.failures.filter((f) => f.writable === 'none').map(failureName),
    ...(worst ? { worstAuto: worst } : {}),
    lossy: a.failures
      .filter((f) => f.rpo.bound !== 'zero')
      .map((f) => `${failureName(f)}: ${rpoText(f.rpo)}`),
  };
}

const verb = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** The `## Failure domains` section body. */
export function renderFailures(a: FailureAnalysis, rtoTargetSeconds?: number): string {
  const out: string[] = [];
  const h = failureHeadline(a);
  out.push(
    `${plural(h.total, 'single failure')} analysed for the ${a.endpoint === 'nlb' ? 'NLB' : 'HAProxy'} endpoint` +
      (a.writableCluster ? ` of ${code(a.writableCluster)}` : '') +
      `: ${h.auto} ${verb(h.auto, 'recovers', 'recover')} automatically, ${h.manual.length} ${verb(h.manual.length, 'needs', 'need')} an operator, ` +
      `${h.none.length} ${verb(h.none.length, 'leaves', 'leave')} no writable primary. ` +
      'RTO is counted from the fault to the first committed write through the writer endpoint; RPO is acknowledged data that may be lost.',
    '',
    failureTable(a.failures, a.writableCluster, rtoTargetSeconds),
    '',
  );
  // Notes grouped: failures that share an explanation are listed together.
  const byNote = new Map<string, string[]>();
  for (const f of a.failures) {
    for (const n of f.notes) byNote.set(n, [...(byNote.get(n) ?? []), failureName(f)]);
  }
  if (byNote.size > 0) {
    out.push('<details><summary>Assumptions behind these answers</summary>', '');
    for (const [note, names] of byNote) out.push(`- **${names.join(', ')}**: ${note.replace(/\.?$/, '.')}`);
    out.push('', '</details>', '');
  }
  if (a.doubleAzFailures.length > 0) {
    const none = a.doubleAzFailures.filter((f) => f.writable === 'none').length;
    out.push(
      `<details><summary>Double-AZ failures (information only: ${plural(a.doubleAzFailures.length, 'pair')}, ${none} without a writable primary)</summary>`,
      '',
      failureTable(a.doubleAzFailures, a.writableCluster, rtoTargetSeconds),
      '',
      '</details>',
    );
  } else {
    out.push('Double-AZ failures: none to analyse (no region has two AZs).');
  }
  return out.join('\n').trimEnd();
}
