/**
 * `pgtopo check` of a fleet: the fleet rules over the whole fleet, plus every cluster's own check (rules
 * and failure-domain analysis) for each shard, the catalog and the coordinator. Findings of a cluster
 * carry their path in the fleet document (`template...` for a shard) and the cluster they are about.
 */
import type { FleetResult } from '../model/fleet.js';
import { formatPath } from '../spec/issues.js';
import { findingOf, tally } from './engine.js';
import {
  type CheckOptions,
  type CheckReport,
  checkReport,
  type ReportFinding,
  reportFinding,
} from './report.js';
import { FLEET_RULES } from './rules/fleet-rules.js';

export interface FleetSummary {
  readonly name: string;
  readonly shards: number;
  readonly strategy: 'hash' | 'range' | 'directory';
  /** Hash fleets: the slot count. */
  readonly slots?: number;
  readonly tables: number;
  readonly engine: string;
  readonly catalog: string;
  readonly coordinator: string;
}

/** One cluster of the fleet as checked: its role, its name and its own report (paths in the fleet document). */
export interface FleetClusterReport {
  readonly role: 'shard' | 'catalog' | 'coordinator';
  readonly name: string;
  readonly report: CheckReport;
}

/**
 * The stable JSON document of `pgtopo check --format json` for a fleet. Fields are only ever added.
 * `policy` counts the fleet rules' findings and every cluster's; `clusters[].report` is each cluster's
 * CheckReport (its findings' paths prefixed with where its spec sits in the fleet document).
 */
export interface FleetCheckReport extends Omit<CheckReport, 'summary' | 'failures' | 'policy'> {
  readonly kind: 'fleet';
  readonly summary?: FleetSummary;
  /** Counts over every finding (the fleet rules' and each cluster's); `findings`: the fleet rules' (PGT-SHD-*). */
  readonly policy?: CheckReport['policy'];
  readonly clusters?: readonly FleetClusterReport[];
}

/** The fleet rules' findings (PGT-SHD-*) over a resolved fleet, located in the fleet document. */
export function fleetFindings(result: FleetResult & { ok: true }): ReportFinding[] {
  return FLEET_RULES.flatMap((rule) =>
    rule.check(result.fleet).map((d) => reportFinding(findingOf(rule, d), result.locate)),
  );
}

export function fleetCheckReport(
  spec: string,
  result: FleetResult,
  opts: CheckOptions = {},
): FleetCheckReport {
  if (!result.ok) {
    return {
      version: 1,
      kind: 'fleet',
      spec,
      valid: false,
      exitCode: 2,
      issues: result.issues.map((i) => ({ ...i, pathText: formatPath(i.path) })),
    };
  }
  const f = result.fleet;
  const findings = fleetFindings(result);
  const clusters = result.clusters.map((c) => {
    const locate = result.locate;
    const report = checkReport(
      c.topology.name,
      {
        ok: true,
        topology: c.topology,
        spec: c.topology.spec,
        ...(locate ? { locate: (p) => locate([...c.specPath, ...p]) } : {}),
      },
      opts,
    );
    const prefixed = report.policy!.findings.map((x) => {
      const path = [...c.specPath, ...x.path];
      return { ...x, path, pathText: formatPath(path) };
    });
    return {
      role: c.role,
      name: c.topology.name,
      report: { ...report, policy: { ...report.policy!, findings: prefixed } },
    };
  });
  const { errors, warnings, waived } = tally([
    ...findings,
    ...clusters.flatMap((c) => c.report.policy.findings),
  ]);
  const st = f.spec.strategy;
  return {
    version: 1,
    kind: 'fleet',
    spec,
    valid: true,
    exitCode: errors > 0 ? 1 : 0,
    issues: [],
    summary: {
      name: f.name,
      shards: f.shards.length,
      strategy: st.kind,
      ...(st.kind === 'hash' ? { slots: st.slots } : {}),
      tables: f.tables.length,
      engine: f.router.engine,
      catalog: f.catalog.name,
      coordinator: f.coordinator.name,
    },
    policy: { errors, warnings, waived, findings },
    clusters,
  };
}

/**
 * Every finding of a fleet (the fleet rules' and each cluster's) in one CheckReport, for the formats that
 * list findings only (SARIF, JUnit).
 */
export function flatFleetReport(r: FleetCheckReport): CheckReport {
  return {
    version: 1,
    spec: r.spec,
    valid: r.valid,
    exitCode: r.exitCode,
    issues: r.issues,
    ...(r.policy
      ? {
          policy: {
            ...r.policy,
            findings: [...r.policy.findings, ...(r.clusters ?? []).flatMap((c) => c.report.policy!.findings)],
          },
        }
      : {}),
  };
}
