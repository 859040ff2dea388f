/** The review's list of alerts: the rules `pgtopo render --monitoring` writes, their thresholds and runbooks. */
import type { Topology } from '../model/types.js';
import { alertsOf, awsAddressMap, dataMountOf, runbookUrl } from '../render/index.js';
import { code, raw, table } from './markdown.js';

export function renderAlerts(t: Topology): string {
  const alerts = alertsOf(t, dataMountOf(t, awsAddressMap(t)));
  const rows = alerts.map((a) => [
    raw(code(a.name)),
    a.severity,
    a.labels.cluster ?? 'every member',
    a.threshold,
    raw(`[runbook](${runbookUrl(t, a.name)})`),
  ]);
  const sources = [
    ...t.observability.prometheus.allowedCidrs,
    ...Object.entries(t.observability.prometheus.allowedSecurityGroupIds).flatMap(([r, ids]) =>
      ids.map((id) => `${id} (${r})`),
    ),
  ];
  return [
    `${alerts.length} Prometheus alert rules (\`pgtopo render --monitoring\`), routed by \`severity\` (page or ticket), \`topology\`, \`cluster\` and \`region\`.`,
    sources.length > 0
      ? `Prometheus scrapes the members from ${sources.join(', ')}.`
      : 'No Prometheus source is declared (`observability.prometheus`): nothing outside the cluster reaches the exporters, so these rules have nothing to evaluate on AWS.',
    '',
    table(['Alert', 'Severity', 'Scope', 'Fires when', 'Runbook'], rows),
  ].join('\n');
}
