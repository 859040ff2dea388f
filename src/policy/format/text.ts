/** The human-readable check report: issues or findings, the failure-domain table, a summary line. */
import type { CheckReport, ReportFinding } from '../report.js';
import type { FailureAnalysis, FailureResult, RpoBound, RtoRange } from '../types.js';

export type Style = 'red' | 'yellow' | 'green' | 'dim' | 'bold';
export type Paint = (style: Style, text: string) => string;
const plain: Paint = (_s, text) => text;

function where(f: { pathText: string; location?: { file: string; line: number; column: number } }): string {
  return f.location
    ? `${f.location.file}:${f.location.line}:${f.location.column}: ${f.pathText}`
    : f.pathText;
}

/** Lines describing the spec issues of an invalid spec (printed on stderr). */
export function issueLines(report: Pick<CheckReport, 'issues'>, paint: Paint = plain): string[] {
  return report.issues.flatMap((i) => [
    `${where(i)} ${paint('red', `[${i.code}]`)}`,
    `    found:    ${i.found}`,
    `    expected: ${i.expected}${i.hint ? `\n    hint:     ${i.hint}` : ''}`,
  ]);
}

/** The lines of one finding, as `pgtopo check` prints it. */
export function findingLines(f: ReportFinding, paint: Paint = plain): string[] {
  const label = f.waived
    ? paint('dim', 'waived ')
    : f.severity === 'error'
      ? paint('red', 'error  ')
      : paint('yellow', 'warning');
  const lines = [
    `${label} ${paint('bold', f.ruleId)} ${where(f)}`,
    `        ${f.title}`,
    `        found:    ${f.found}`,
    `        expected: ${f.expected}`,
    `        fix:      ${f.fix}`,
  ];
  if (f.waived) {
    lines.push(
      `        waived:   ${f.waived.reason}${f.waived.expires ? ` (until ${f.waived.expires})` : ''}`,
    );
  }
  return lines;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}

export function rpoText(r: RpoBound): string {
  return r.bound === 'zero' ? '0' : r.bound === 'bounded' ? `<= ${formatBytes(r.bytes ?? 0)}` : 'unbounded';
}

export function rtoText(r: RtoRange | undefined, manual: boolean): string {
  if (!r) return '-';
  return `${r.bestSeconds}/${r.typicalSeconds}/${r.worstSeconds}${manual ? '*' : ''}`;
}

function etcdText(f: FailureResult): string {
  if (f.quorums.length === 0) return 'ok';
  return f.quorums.map((q) => `${q.survives ? 'ok' : 'LOST'} ${q.reachable}/${q.size}`).join(', ');
}

function writableText(f: FailureResult): string {
  if (f.writable === 'none') return 'none';
  if (f.recovery === 'unaffected') return 'yes';
  const how = f.recovery === 'promote-standby-cluster' ? `promote ${f.writer}` : f.recovery;
  return `${f.writable}: ${how}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The failure-domain table (also used by the review report). */
export function failureTable(a: FailureAnalysis): string[] {
  const header = ['failure', 'lost', 'etcd', 'writable', 'RPO', 'RTO s best/typ/worst'];
  const row = (f: FailureResult) => [
    `${f.kind} ${f.id}`,
    `${f.lostMembers.length} pg, ${f.lostEtcdMembers.length} etcd`,
    etcdText(f),
    writableText(f),
    rpoText(f.rpo),
    rtoText(f.rto, f.writable === 'manual'),
  ];
  const out = [
    `Single failures (writable cluster ${a.writableCluster ?? 'none'}, endpoint ${a.endpoint}; worst case over where the leader is):`,
    ...table(header, a.failures.map(row)),
  ];
  if (a.doubleAzFailures.length > 0) {
    out.push('', 'Double AZ failures (information):', ...table(header, a.doubleAzFailures.map(row)));
  }
  if ([...a.failures, ...a.doubleAzFailures].some((f) => f.writable === 'manual')) {
    out.push('* manual: seconds after the operator acts (promotes a standby cluster or forces a failover).');
  }
  return out;
}

/** Lines of a valid spec's report (printed on stdout). */
export function reportLines(report: CheckReport, paint: Paint = plain): string[] {
  const s = report.summary!;
  const p = report.policy!;
  const out = [
    `${paint('green', 'spec valid')} ${report.spec}: ${s.name}, ${s.regions} region(s), ${s.members} member(s), ` +
      `${s.etcdQuorums} etcd quorum(s) with ${s.etcdMembers} member(s)`,
  ];
  const ordered = [
    ...p.findings.filter((f) => !f.waived && f.severity === 'error'),
    ...p.findings.filter((f) => !f.waived && f.severity === 'warning'),
    ...p.findings.filter((f) => f.waived),
  ];
  if (ordered.length > 0) out.push('', ...ordered.flatMap((f) => findingLines(f, paint)));
  if (report.failures) out.push('', ...failureTable(report.failures));
  out.push('', verdictLine(p, paint));
  return out;
}

/** The last line of a check: the verdict and the counts. */
export function verdictLine(
  p: { readonly errors: number; readonly warnings: number; readonly waived: number },
  paint: Paint = plain,
): string {
  const verdict =
    p.errors > 0
      ? paint('red', 'policy errors')
      : p.warnings > 0
        ? paint('yellow', 'passed with warnings')
        : paint('green', 'passed');
  return `${verdict}: ${p.errors} error(s), ${p.warnings} warning(s), ${p.waived} waived`;
}
