/**
 * The node metrics publisher: one script and a 60-second timer on every
 * PostgreSQL member, an EMF document with exactly the namespace, metric names
 * and dimensions the AWS alarms use, and no AWS call from the local render.
 * (The real run against PostgreSQL is in boot.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { NODE_METRICS } from '../../src/model/constants.js';
import type { Topology } from '../../src/model/types.js';
import {
  awsAddressMap,
  bootableHosts,
  bootScripts,
  haproxyHost,
  layout,
  localAddressMap,
  METRICS_INTERVAL_SECONDS,
  metricsDocument,
  ROLES,
  renderHost,
  renderUserData,
  UNITS,
} from '../../src/render/index.js';
import { EXAMPLE_NAMES, example } from '../helpers/examples.js';

const local = (t: Topology) => localAddressMap(t, { baseDir: '/tmp/pgt-metrics', subnet: '127.0.20' });
const fill = (doc: string, values: Record<string, number>) =>
  JSON.parse(doc.replace(/\$\{(\w+)\}/g, (_, k: string) => String(values[k])));

describe.each(EXAMPLE_NAMES)('%s', (name) => {
  const t = example(name);
  const maps = [awsAddressMap(t), local(t)];

  test('every member has the publisher, its service and a 60 s timer the boot step enables; no other host has', () => {
    for (const map of maps) {
      for (const h of [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))]) {
        const files = renderHost(t, h, map);
        const p = map.paths(h);
        const timer = files.find((f) => f.path === `${p.units}/${UNITS.metrics}.timer`);
        const isMember = t.members.some((m) => m.name === h);
        expect(timer !== undefined, h).toBe(isMember);
        if (!isMember) continue;
        expect(timer!.content).toContain(`OnUnitActiveSec=${METRICS_INTERVAL_SECONDS}s`);
        expect(timer!.content).not.toContain('RandomizedDelaySec');
        const service = files.find((f) => f.path === `${p.units}/${UNITS.metrics}.service`)!.content;
        const f = layout(p, t);
        expect(service).toContain(`User=${map.accounts.exporter.user}`);
        expect(service).toContain(`ExecStart=${f.metricsScript}`);
        expect(service).not.toContain('WantedBy=multi-user.target');
        const script = files.find((x) => x.path === f.metricsScript)!;
        expect(script.mode).toBe(0o755);
        expect(script.content).toContain(`-U ${ROLES.monitor}`);
        expect(script.content).not.toMatch(/PGPASSWORD|password=/i);
        const boot = files.find((x) => x.path === bootScripts(t, h, map).boot)!.content;
        expect(boot).toMatch(new RegExp(`systemctl enable --now .*${UNITS.metrics}\\.timer`));
        expect(boot).toContain(`id -u ${map.accounts.exporter.user} `);
      }
    }
  });

  test('the EMF document carries the alarms namespace, metric names, units and dimensions', () => {
    for (const m of t.members) {
      const doc = fill(metricsDocument(t, m.name), { timestamp_ms: 1700000000000, lag: 42, failures: 3 });
      const scope = t.clusters.find((c) => c.members.includes(m.name))!.scope;
      const directive = doc._aws.CloudWatchMetrics[0];
      expect(directive.Namespace).toBe(NODE_METRICS.namespace);
      expect(directive.Dimensions).toEqual([['Topology', 'Cluster']]);
      expect(directive.Metrics).toEqual([
        { Name: NODE_METRICS.replicaLagBytes, Unit: 'Bytes' },
        { Name: NODE_METRICS.archiveFailures, Unit: 'Count' },
      ]);
      expect(doc.Topology).toBe(t.name);
      expect(doc.Cluster).toBe(scope);
      expect(doc._aws.Timestamp).toBe(1700000000000);
      expect(doc[NODE_METRICS.replicaLagBytes]).toBe(42);
      expect(doc[NODE_METRICS.archiveFailures]).toBe(3);
    }
  });

  test('AWS: put-log-events to the metrics log group, stream = host, own region; local: a file, no AWS call', () => {
    const m = t.members.at(-1)!;
    const awsScript = renderHost(t, m.name, awsAddressMap(t)).find((f) =>
      f.path.endsWith('pgtopo-metrics.sh'),
    )!;
    expect(awsScript.content).toContain(
      `aws logs put-log-events --region ${m.region} --log-group-name ${NODE_METRICS.logGroup(t.name)}`,
    );
    expect(awsScript.content).toContain(`--log-stream-name ${m.name} `);
    expect(awsScript.content).toContain('aws logs create-log-stream');
    const map = local(t);
    const localScript = renderHost(t, m.name, map).find(
      (f) => f.path === layout(map.paths(m.name), t).metricsScript,
    )!;
    expect(localScript.content).not.toMatch(/\baws /);
    expect(localScript.content).toContain(layout(map.paths(m.name), t).metricsLocalOutput);
  });

  test('the AWS user data installs the AWS CLI on every member', () => {
    for (const m of t.members) expect(renderUserData(t, m.name, awsAddressMap(t))).toContain('- awscli\n');
  });
});
