/**
 * The monitoring bundle of a topology: scrape configuration (EC2 service discovery and file_sd), alert rules
 * with their promtool tests, a runbook per alert and a Grafana dashboard per cluster, as files relative to a
 * `monitoring/` directory.
 */
import type { Topology } from '../model/types.js';
import { alertsOf, renderAlertRules, renderAlertTests, renderRunbook } from './alerts.js';
import { renderDashboard } from './dashboard.js';
import { RULES_FILE, renderEc2ScrapeConfig, renderFileScrapeConfig, targetsFiles } from './prometheus.js';
import type { AddressMap } from './types.js';

export interface MonitoringFile {
  /** Path relative to the monitoring directory. */
  readonly rel: string;
  readonly content: string;
}

/** The data volume's mount point on a node of `map` (the disk alerts and panels watch it). */
export function dataMountOf(t: Topology, map: AddressMap): string {
  return map.paths(t.members[0]!.name).data;
}

/**
 * Every monitoring file. `map` gives the file_sd targets and the data mount point: the AWS map for a deployed
 * topology (then `prometheus.yml` uses EC2 discovery), the local map for the rehearsal. `intervalSeconds`: the
 * file_sd variant's scrape and evaluation interval (the rehearsal scrapes more often than production; the
 * rules' `for` durations stay those of production).
 */
export function renderMonitoring(
  t: Topology,
  map: AddressMap,
  opts: { readonly intervalSeconds?: number } = {},
): MonitoringFile[] {
  const mount = dataMountOf(t, map);
  const rules = RULES_FILE(t);
  return [
    ...(map.target === 'aws' ? [{ rel: 'prometheus.yml', content: renderEc2ScrapeConfig(t) }] : []),
    { rel: 'prometheus-file-sd.yml', content: renderFileScrapeConfig(t, map, opts.intervalSeconds) },
    ...targetsFiles(t, map),
    { rel: rules, content: renderAlertRules(t, mount) },
    {
      rel: rules.replace(/\.rules\.yml$/, '.test.yml'),
      content: renderAlertTests(t, mount, rules.replace(/^rules\//, '')),
    },
    ...alertsOf(t, mount)
      .filter((a, i, all) => all.findIndex((b) => b.name === a.name) === i)
      .map((a) => ({ rel: `runbooks/${a.name}.md`, content: renderRunbook(t, a) })),
    ...t.clusters.map((c) => ({ rel: `dashboards/${c.scope}.json`, content: renderDashboard(t, c, mount) })),
  ];
}
