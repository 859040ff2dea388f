/**
 * `review.md`: one artefact that answers "what will this build, and what
 * happens when something fails", for a pull request. Its first section is
 * what an architect needs to approve or reject; details follow.
 */

import type { Topology } from '../model/types.js';
import type { FailureAnalysis, PolicyReport } from '../policy/types.js';
import { renderAlerts } from './alerts.js';
import { failureHeadline, renderFailures } from './failures.js';
import { EDGE_STYLES, topologyDiagram } from './graph.js';
import type { StackInventory } from './inventory.js';
import { renderInventory } from './inventory.js';
import { renderLogical } from './logical.js';
import { code, duration, plural, table } from './markdown.js';
import { renderMermaid } from './mermaid.js';
import { type PlanSummary, renderPlans, renderStatefulCallout } from './plan.js';
import { renderPolicy } from './policy.js';
import { renderSummary, topologyFacts } from './summary.js';
import { renderDot, renderSvg } from './svg.js';

/** Section headings of review.md, in order. */
export const REVIEW_SECTIONS = [
  'At a glance',
  'Summary',
  'Topology',
  'Failure domains',
  'Policy',
  'Logical replication',
  'Alerts',
  'AWS inventory',
  'Plan',
] as const;

export interface ReviewInput {
  readonly topology: Topology;
  /** The spec file as the reader knows it (shown in the title line). */
  readonly specFile?: string;
  readonly policy?: PolicyReport;
  readonly ruleTitle?: (id: string) => string | undefined;
  readonly failures?: FailureAnalysis;
  readonly inventory?: readonly StackInventory[];
  /** Why the inventory is missing (e.g. synth refused by policy errors). */
  readonly inventoryNote?: string;
  readonly plans?: readonly PlanSummary[];
  /** Clock for waiver expiry. */
  readonly now?: Date;
  /** File name of the SVG written next to review.md. */
  readonly svgFile?: string;
}

export interface ReviewArtefacts {
  readonly markdown: string;
  readonly mermaid: string;
  readonly dot: string;
  readonly svg: string;
}

function glance(input: ReviewInput): string {
  const t = input.topology;
  const rows: [string, string, string][] = [];
  const ok = '✅';
  const warn = '⚠️';
  const bad = '❌';

  if (input.policy) {
    const p = input.policy;
    rows.push([
      p.errors > 0 ? bad : p.warnings > 0 ? warn : ok,
      'Policy',
      `${plural(p.errors, 'error')}, ${plural(p.warnings, 'warning')}, ${p.waived} waived`,
    ]);
  } else {
    rows.push([warn, 'Policy', 'not evaluated']);
  }

  if (input.failures) {
    const h = failureHeadline(input.failures);
    rows.push([
      h.none.length > 0 ? bad : h.manual.length > 0 ? warn : ok,
      'Single failures',
      `${h.auto} of ${h.total} recover automatically` +
        (h.manual.length > 0 ? `; operator needed: ${h.manual.join(', ')}` : '') +
        (h.none.length > 0 ? `; **no writable primary**: ${h.none.join(', ')}` : ''),
    ]);
    const target = t.failover.rtoTargetSeconds;
    if (h.worstAuto) {
      const over = target !== undefined && h.worstAuto.seconds > target;
      rows.push([
        over ? bad : ok,
        'Worst automatic RTO',
        `${duration(h.worstAuto.seconds)} (${h.worstAuto.name})` +
          (target !== undefined ? `; target ${duration(target)}` : '; no RTO target set'),
      ]);
    }
    rows.push([
      h.lossy.length === 0 ? ok : warn,
      'Data loss (RPO)',
      h.lossy.length === 0
        ? 'no single failure loses acknowledged data'
        : `may lose acknowledged data: ${h.lossy.join(', ')}`,
    ]);
  } else {
    rows.push([warn, 'Single failures', 'not analysed']);
  }

  if (input.plans && input.plans.length > 0) {
    const losses = input.plans.reduce((n, p) => n + p.statefulLosses.length, 0);
    const c = (k: 'create' | 'update' | 'replace' | 'destroy') =>
      input.plans!.reduce((n, p) => n + p.counts[k], 0);
    rows.push([
      losses > 0 ? bad : ok,
      'Plan',
      `${c('create')} create, ${c('update')} update, ${c('replace')} replace, ${c('destroy')} destroy` +
        (losses > 0
          ? `; **${plural(losses, 'stateful resource')} replaced or destroyed**`
          : '; no stateful resource lost'),
    ]);
  } else {
    rows.push(['–', 'Plan', 'no plan supplied']);
  }

  if (input.inventory && input.inventory.length > 0) {
    const total = input.inventory.reduce((n, s) => n + s.total, 0);
    const held = input.inventory.reduce((n, s) => n + s.stateful.length, 0);
    rows.push([
      ok,
      'AWS',
      `${plural(input.inventory.length, 'stack')}, ${plural(total, 'resource')}, ${held} stateful`,
    ]);
  } else {
    rows.push([warn, 'AWS', input.inventoryNote ? 'not synthesized (see below)' : 'not synthesized']);
  }
  return table(['', 'Check', 'Result'], rows, ['c', 'l', 'l']);
}

/** Renders review.md, the Mermaid diagram, the DOT source and the SVG. */
export async function buildReview(input: ReviewInput): Promise<ReviewArtefacts> {
  const t = input.topology;
  const now = input.now ?? new Date();
  const diagram = topologyDiagram(t);
  const mermaid = renderMermaid(diagram);
  const dot = renderDot(diagram);
  const svg = await renderSvg(diagram);
  const f = topologyFacts(t);

  const md: string[] = [];
  md.push(
    `# Topology review: ${t.name}`,
    '',
    `${input.specFile ? `${code(input.specFile)} · ` : ''}PostgreSQL ${f.postgresVersion} · primary **${f.primaryRegion}** · ` +
      `${plural(f.regions, 'region')} · ${plural(f.members, 'member')} · ${plural(f.etcdMembers, 'etcd member')}`,
    '',
  );
  const callout = renderStatefulCallout(input.plans ?? []);
  if (callout) md.push(callout, '');
  if (input.policy && input.policy.errors > 0) {
    md.push(
      '> [!WARNING]',
      `> **${plural(input.policy.errors, 'policy error')}**: \`pgtopo check\` and \`cdktf synth\` refuse this spec until fixed or waived (see Policy).`,
      '',
    );
  }
  md.push('## At a glance', '', glance(input), '');
  md.push('## Summary', '', renderSummary(t), '');
  md.push(
    '## Topology',
    '',
    '```mermaid',
    mermaid.trimEnd(),
    '```',
    '',
    `Key: ${diagram.legend.map((k) => `**${EDGE_STYLES[k].short}**: ${EDGE_STYLES[k].legend}`).join('; ')}. ` +
      'Ovals are roles (whichever member holds the leader lock), cylinders are etcd members.' +
      (input.svgFile ? ` The same diagram as SVG: [${input.svgFile}](${input.svgFile}).` : ''),
    '',
  );
  md.push(
    '## Failure domains',
    '',
    input.failures
      ? renderFailures(input.failures, t.failover.rtoTargetSeconds)
      : 'Failure analysis not available.',
    '',
  );
  md.push(
    '## Policy',
    '',
    input.policy
      ? renderPolicy(input.policy, { now, ...(input.ruleTitle ? { ruleTitle: input.ruleTitle } : {}) })
      : 'Policy not evaluated.',
    '',
  );
  md.push('## Logical replication', '', renderLogical(t), '');
  md.push('## Alerts', '', renderAlerts(t), '');
  md.push('## AWS inventory', '', renderInventory(input.inventory, input.inventoryNote), '');
  md.push('## Plan', '', renderPlans(input.plans ?? []), '');
  return { markdown: `${md.join('\n').trimEnd()}\n`, mermaid, dot, svg };
}
