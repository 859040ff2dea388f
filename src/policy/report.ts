/**
 * The one result model of `pgtopo check`: schema and cross-reference issues, the resolved summary, policy
 * findings and the failure-domain analysis. Text, JSON, SARIF and JUnit are all printed from it.
 */
import type { ResolveResult } from '../model/load.js';
import type { Topology } from '../model/types.js';
import { formatPath, type SourceLocation, type SpecIssue } from '../spec/issues.js';
import type { Locator } from '../spec/parse.js';
import { ruleById, runPolicy } from './engine.js';
import { analyzeFailures } from './failures.js';
import type { Endpoint, FailureAnalysis, Finding } from './types.js';

export interface TopologySummary {
  readonly name: string;
  readonly primaryRegion: string;
  readonly regions: number;
  readonly members: number;
  readonly etcdQuorums: number;
  readonly etcdMembers: number;
}

export function summarize(t: Topology): TopologySummary {
  return {
    name: t.name,
    primaryRegion: t.primaryRegion,
    regions: t.regions.length,
    members: t.members.length,
    etcdQuorums: t.etcd.length,
    etcdMembers: t.etcd.reduce((n, q) => n + q.members.length, 0),
  };
}

/** A finding as reported: with its rule's title, its path as text and, for a file, its line and column. */
export interface ReportFinding extends Finding {
  readonly title: string;
  readonly pathText: string;
  readonly location?: SourceLocation;
}

/**
 * The stable JSON document printed by `pgtopo check --format json`. Fields are only ever added.
 *
 * ```
 * {
 *   version: 1,
 *   spec: string,                     // the spec file as given
 *   valid: boolean,                   // schema, cross-references and model resolution passed
 *   exitCode: 0 | 1 | 2,              // 0 clean or warnings only, 1 unwaived policy errors, 2 invalid spec
 *   issues: [{ code, path, pathText, found, expected, hint?, location?: { file, line, column } }],
 *   summary?: { name, primaryRegion, regions, members, etcdQuorums, etcdMembers },      // valid specs only
 *   policy?: {                                                                           // valid specs only
 *     errors, warnings, waived,       // unwaived errors, unwaived warnings, waived findings
 *     findings: [{ ruleId, severity: 'error' | 'warning', title, path, pathText, found, expected, fix,
 *                  target?, waived?: { reason, expires? }, location? }]
 *   },
 *   failures?: {                                                                         // valid specs only
 *     endpoint: 'nlb' | 'haproxy', writableCluster?,
 *     failures: [FailureResult], doubleAzFailures: [FailureResult]
 *   }
 * }
 * FailureResult = { kind: 'member' | 'az' | 'region' | 'link' | 'double-az', id, lostMembers, lostEtcdMembers,
 *   quorums: [{ id, size, reachable, survives }],   // quorums the failure touches; the others are intact
 *   writable: 'auto' | 'manual' | 'none', recovery, writer?,
 *   rpo: { bound: 'zero' | 'bounded' | 'unbounded', bytes? },
 *   rto?: { bestSeconds, typicalSeconds, worstSeconds },  // manual: from the operator's decision
 *   notes: string[] }
 * ```
 */
export interface CheckReport {
  readonly version: 1;
  readonly spec: string;
  readonly valid: boolean;
  readonly exitCode: 0 | 1 | 2;
  readonly issues: readonly (SpecIssue & { readonly pathText: string })[];
  readonly summary?: TopologySummary;
  readonly policy?: {
    readonly errors: number;
    readonly warnings: number;
    readonly waived: number;
    readonly findings: readonly ReportFinding[];
  };
  readonly failures?: FailureAnalysis;
}

export interface CheckOptions {
  /** Clock for waiver expiry. Default: now. */
  readonly now?: Date;
  /** Load balancer the RTO prediction assumes. Default: nlb (AWS). */
  readonly endpoint?: Endpoint;
}

/** A finding as every report prints it: with its rule's title, its path as text and, located, its line. */
export function reportFinding(f: Finding, locate?: Locator): ReportFinding {
  const location = locate?.(f.path);
  return {
    ...f,
    title: ruleById(f.ruleId)?.title ?? f.ruleId,
    pathText: formatPath(f.path),
    ...(location ? { location } : {}),
  };
}

/** Builds the report for a spec file (or object) already passed through tryLoad / tryResolve. */
export function checkReport(spec: string, result: ResolveResult, opts: CheckOptions = {}): CheckReport {
  if (!result.ok) {
    return {
      version: 1,
      spec,
      valid: false,
      exitCode: 2,
      issues: result.issues.map((i) => ({ ...i, pathText: formatPath(i.path) })),
    };
  }
  const t = result.topology;
  const policy = runPolicy(t, opts.now ? { now: opts.now } : {});
  const findings = policy.findings.map((f) => reportFinding(f, result.locate));
  return {
    version: 1,
    spec,
    valid: true,
    exitCode: policy.errors > 0 ? 1 : 0,
    issues: [],
    summary: summarize(t),
    policy: { errors: policy.errors, warnings: policy.warnings, waived: policy.waived, findings },
    failures: analyzeFailures(t, opts.endpoint ? { endpoint: opts.endpoint } : {}),
  };
}
