/**
 * A Grafana dashboard (JSON model) per Patroni cluster. Panels read the same metric names and expressions as
 * the alert rules, and draw each alert's threshold where it has one.
 */
import type { Cluster, Topology } from '../model/types.js';
import { dcsAgeExpr, lagBoundBytes, replicaLagExpr, slotCapBytes } from './alerts.js';
import { METRICS, selector } from './prometheus.js';

interface Panel {
  readonly title: string;
  readonly exprs: readonly { readonly expr: string; readonly legend: string }[];
  readonly unit: string;
  readonly threshold?: number;
}

/** The panels of a cluster's dashboard. */
export function dashboardPanels(t: Topology, c: Cluster, dataMount: string): Panel[] {
  const sel = selector(t, { cluster: c.scope });
  const panels: Panel[] = [
    {
      title: 'Leader (1 = holds the leader lock)',
      exprs: [
        { expr: `${METRICS.primary}${sel}`, legend: 'primary {{member}}' },
        { expr: `${METRICS.standbyLeader}${sel}`, legend: 'standby leader {{member}}' },
      ],
      unit: 'none',
    },
    {
      title: 'Synchronous standbys',
      exprs: [
        { expr: `${METRICS.syncStandby}${sel}`, legend: 'sync {{member}}' },
        { expr: `${METRICS.quorumStandby}${sel}`, legend: 'quorum {{member}}' },
      ],
      unit: 'none',
    },
    {
      title: 'Replica replay lag',
      exprs: [{ expr: replicaLagExpr(t, c), legend: '{{member}}' }],
      unit: 'bytes',
      threshold: lagBoundBytes(t),
    },
    {
      title: 'Seconds since last etcd contact',
      exprs: [{ expr: dcsAgeExpr(t, { cluster: c.scope }), legend: '{{member}}' }],
      unit: 's',
      threshold: t.failover.timers.loopWait + t.failover.timers.retryTimeout,
    },
  ];
  if (t.observability.exporters.postgres) {
    panels.push({
      title: 'WAL archive: failed attempts (5 min) and seconds since the last archived segment',
      exprs: [
        { expr: `increase(${METRICS.archiveFailed}${sel}[5m])`, legend: 'failed {{member}}' },
        { expr: `${METRICS.archiveAge}${sel}`, legend: 'age {{member}}' },
      ],
      unit: 'none',
    });
  }
  if (t.observability.exporters.postgres && t.release.features.slotSafeWalMetric) {
    panels.push({
      title: 'Replication slots: WAL left before max_slot_wal_keep_size',
      exprs: [{ expr: `${METRICS.slotSafeWal}${sel}`, legend: '{{member}} {{slot_name}}' }],
      unit: 'bytes',
      ...(slotCapBytes(t) !== undefined ? { threshold: slotCapBytes(t)! } : {}),
    });
  }
  if (t.observability.exporters.node) {
    const disk = selector(t, { cluster: c.scope, mountpoint: dataMount });
    panels.push({
      title: `Free space on the data volume (${dataMount})`,
      exprs: [{ expr: `${METRICS.fsAvail}${disk} / ${METRICS.fsSize}${disk}`, legend: '{{member}}' }],
      unit: 'percentunit',
    });
  }
  return panels;
}

/** Grafana dashboard JSON of a cluster (import it, choosing the Prometheus data source). */
export function renderDashboard(t: Topology, c: Cluster, dataMount: string): string {
  // Grafana's variable syntax, filled by the data source chosen on import.
  const ds = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };
  const panels = dashboardPanels(t, c, dataMount).map((p, i) => ({
    id: i + 1,
    type: 'timeseries',
    title: p.title,
    datasource: ds,
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: {
      defaults: {
        unit: p.unit,
        ...(p.threshold !== undefined
          ? {
              thresholds: {
                mode: 'absolute',
                steps: [
                  { color: 'green', value: null },
                  { color: 'red', value: p.threshold },
                ],
              },
              custom: { thresholdsStyle: { mode: 'line' } },
            }
          : {}),
      },
      overrides: [],
    },
    targets: p.exprs.map((e, k) => ({
      refId: String.fromCharCode(65 + k),
      datasource: ds,
      expr: e.expr,
      legendFormat: e.legend,
    })),
  }));
  const dashboard = {
    uid: `pgtopo-${c.scope}`.slice(0, 40),
    title: `pgtopo ${c.scope}`,
    tags: ['pgtopo', t.name],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }],
    },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
