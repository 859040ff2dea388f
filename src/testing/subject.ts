/**
 * What the matchers accept as "a spec": a spec object, or the path of a YAML/JSON spec file. Both go
 * through the same parse → resolve → policy → failure analysis as `pgtopo check`.
 */
import { tryLoad, tryResolve } from '../model/load.js';
import { type CheckOptions, type CheckReport, checkReport } from '../policy/report.js';
import type { TopologySpecInput } from '../spec/schema.js';

export type SpecSubject = TopologySpecInput | string;

/** The check report of a spec subject (as `pgtopo check --format json` writes it). */
export function reportOf(subject: SpecSubject, opts: CheckOptions = {}): CheckReport {
  const label = typeof subject === 'string' ? subject : '<spec object>';
  const result = typeof subject === 'string' ? tryLoad(subject) : tryResolve(subject);
  return checkReport(label, result, opts);
}

export function isSpecSubject(v: unknown): v is SpecSubject {
  return typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v));
}
