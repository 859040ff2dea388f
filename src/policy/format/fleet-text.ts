/** The human-readable check report of a fleet: its own findings, each cluster's, one failure table per tier. */
import type { FleetCheckReport } from '../fleet.js';
import { failureTable, findingLines, type Paint, verdictLine } from './text.js';

const plain: Paint = (_s, text) => text;

export function fleetReportLines(report: FleetCheckReport, paint: Paint = plain): string[] {
  const s = report.summary!;
  const p = report.policy!;
  const clusters = report.clusters ?? [];
  const strategy = s.strategy === 'hash' ? `hash over ${s.slots} slots` : s.strategy;
  const out = [
    `${paint('green', 'fleet valid')} ${report.spec}: ${s.name}, ${s.shards} shard(s), ${strategy}, ` +
      `${s.tables} table(s), router ${s.engine}, catalog ${s.catalog}, coordinator ${s.coordinator}`,
  ];
  const all = [
    ...p.findings.map((f) => ({ cluster: undefined as string | undefined, f })),
    ...clusters.flatMap((c) => c.report.policy!.findings.map((f) => ({ cluster: c.name, f }))),
  ];
  const ordered = [
    ...all.filter(({ f }) => !f.waived && f.severity === 'error'),
    ...all.filter(({ f }) => !f.waived && f.severity === 'warning'),
    ...all.filter(({ f }) => f.waived),
  ];
  for (const { cluster, f } of ordered) {
    const lines = findingLines(f, paint);
    out.push('', ...(cluster ? [`cluster ${cluster}:`] : []), ...lines);
  }
  const firstShard = clusters.find((c) => c.role === 'shard');
  for (const c of clusters) {
    if (c.role === 'shard' && c !== firstShard) continue;
    const what =
      c.role === 'shard'
        ? `Shard clusters (all ${s.shards} built from the template; shown for ${c.name}):`
        : `The ${c.role} cluster ${c.name}:`;
    if (c.report.failures) out.push('', what, ...failureTable(c.report.failures));
  }
  out.push('', verdictLine(p, paint));
  return out;
}
