/**
 * Matchers for users' own tests, in the shape both `expect.extend` of jest and of vitest take:
 * `function (this: { isNot }, received, ...expected): { pass, message }`. They use nothing of either
 * framework beyond `this.isNot`, so one object serves both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingLines, issueLines, rpoText, rtoText } from '../policy/format/text.js';
import type { CheckOptions, CheckReport } from '../policy/report.js';
import type { FailureResult, RpoBound, Severity } from '../policy/types.js';
import { isSpecSubject, reportOf } from './subject.js';
import { stackDirs, type TerraformValidateOptions, validateStacks } from './terraform.js';

export interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/** What jest and vitest pass as `this` (only `isNot` is used). */
export interface MatcherContext {
  readonly isNot?: boolean;
}

export interface FindingQuery {
  /** Only findings of this severity. @default any */
  readonly severity?: Severity;
  /** Only findings about this member, AZ, region or quorum. @default any */
  readonly target?: string;
  /** `true`: only waived findings; `false`: only unwaived ones. @default either */
  readonly waived?: boolean;
}

export interface RecoveryExpectation {
  /** Writes must resume without an operator within this many seconds, in the worst case predicted. */
  readonly withinSeconds: number;
  /** The data loss allowed: `zero` (the default), `bounded` (zero or bounded) or `any`. */
  readonly rpo?: RpoBound['bound'] | 'any';
}

/** The matchers, typed for `expect(x).toPassPolicy()` etc.; augment your framework's interface with it. */
export interface PgtopoMatchers<R = unknown> {
  /** The spec (object or YAML/JSON path) is valid and has no unwaived policy error. Warnings pass. */
  toPassPolicy(options?: CheckOptions): R;
  /** The spec's policy report has a finding of `ruleId` (matching the query, when given). */
  toHaveFinding(ruleId: string, query?: FindingQuery): R;
  /**
   * The loss of `failure` (a member, AZ or region name, `regionA<->regionB`, or `azA+azB`) is predicted
   * to recover automatically, within `withinSeconds` in the worst case, losing no more than `rpo`.
   */
  toRecoverFrom(failure: string, expectation: RecoveryExpectation, options?: CheckOptions): R;
  /**
   * Synthesized Terraform has a resource of `type` whose configuration contains `props` (a deep
   * subset; asymmetric matchers such as `expect.any(String)` work). Received: a `synthesize()` result,
   * a stack's Terraform JSON object, or the path of a `cdk.tf.json`.
   */
  toSynthesizeResource(type: string, props?: Record<string, unknown>): R;
  /**
   * Every synthesized stack passes `terraform init -backend=false` and `terraform validate` with the
   * real AWS provider. Received: a `synthesize()` result, a cdktf output directory, a stack directory
   * or a `cdk.tf.json` path. Providers from `pluginDir` (or PGTOPO_TERRAFORM_PLUGIN_DIR) offline,
   * otherwise a plain `terraform init`. Asynchronous: `await expect(x).toPassTerraformValidate()`,
   * and allow it tens of seconds per stack.
   */
  toPassTerraformValidate(options?: TerraformValidateOptions): Promise<R>;
}

type Json = Record<string, unknown>;

const not = (ctx: MatcherContext) => (ctx.isNot ? 'not ' : '');

/**
 * Input the matcher cannot judge (no spec, an invalid spec, an unknown failure, unreadable Terraform
 * JSON) throws instead of failing: a failure would turn into a pass under `.not`.
 */
export class MatcherInputError extends Error {
  override readonly name = 'MatcherInputError';
}

/** The valid check report of a spec subject; throws MatcherInputError with the issues otherwise. */
function validReport(
  matcher: string,
  received: unknown,
  options: CheckOptions = {},
): CheckReport & { valid: true } {
  if (!isSpecSubject(received)) {
    throw new MatcherInputError(
      `${matcher}: expected a spec object or a spec file path, received ${typeof received}`,
    );
  }
  const report = reportOf(received, options);
  if (!report.valid) {
    throw new MatcherInputError(
      [
        `${matcher}: ${report.spec} is not a valid pgtopo spec (${report.issues.length} issue(s)):`,
        ...issueLines(report),
      ].join('\n'),
    );
  }
  return report as CheckReport & { valid: true };
}

function toPassPolicy(this: MatcherContext, received: unknown, options: CheckOptions = {}): MatcherResult {
  const report = validReport('toPassPolicy', received, options);
  const findings = report.policy!.findings;
  const errors = findings.filter((f) => f.severity === 'error' && !f.waived);
  return {
    pass: errors.length === 0,
    message: () =>
      errors.length === 0
        ? `expected ${report.spec} ${not(this)}to pass policy; it has no unwaived error (${findings.length} finding(s))`
        : [
            `expected ${report.spec} ${not(this)}to pass policy; ${errors.length} unwaived error(s):`,
            ...errors.flatMap((f) => findingLines(f)),
          ].join('\n'),
  };
}

function toHaveFinding(
  this: MatcherContext,
  received: unknown,
  ruleId: string,
  query: FindingQuery = {},
): MatcherResult {
  const report = validReport('toHaveFinding', received);
  const findings = report.policy!.findings;
  const matching = findings.filter(
    (f) =>
      f.ruleId === ruleId &&
      (query.severity === undefined || f.severity === query.severity) &&
      (query.target === undefined || f.target === query.target) &&
      (query.waived === undefined || Boolean(f.waived) === query.waived),
  );
  const wanted = `${ruleId}${Object.keys(query).length > 0 ? ` ${JSON.stringify(query)}` : ''}`;
  return {
    pass: matching.length > 0,
    message: () =>
      matching.length > 0
        ? [
            `expected ${report.spec} ${not(this)}to have finding ${wanted}; found:`,
            ...matching.flatMap((f) => findingLines(f)),
          ].join('\n')
        : `expected ${report.spec} ${not(this)}to have finding ${wanted}; its findings: ${
            findings.length > 0
              ? findings.map((f) => `${f.ruleId} (${f.severity}${f.waived ? ', waived' : ''})`).join(', ')
              : 'none'
          }`,
  };
}

const RPO_ORDER: Record<RpoBound['bound'], number> = { zero: 0, bounded: 1, unbounded: 2 };

function recoveryProblems(f: FailureResult, e: RecoveryExpectation): string[] {
  const problems: string[] = [];
  if (f.writable !== 'auto')
    problems.push(
      `writes resume ${f.writable === 'manual' ? 'only after an operator acts' : 'never'} (${f.recovery})`,
    );
  else if (f.rto && f.rto.worstSeconds > e.withinSeconds)
    problems.push(`worst-case RTO ${f.rto.worstSeconds} s is over ${e.withinSeconds} s`);
  const rpo = e.rpo ?? 'zero';
  if (rpo !== 'any' && RPO_ORDER[f.rpo.bound] > RPO_ORDER[rpo])
    problems.push(`RPO ${rpoText(f.rpo)}, allowed ${rpo}`);
  return problems;
}

function toRecoverFrom(
  this: MatcherContext,
  received: unknown,
  failure: string,
  expectation: RecoveryExpectation,
  options: CheckOptions = {},
): MatcherResult {
  const report = validReport('toRecoverFrom', received, options);
  const a = report.failures!;
  const result = [...a.failures, ...a.doubleAzFailures].find((f) => f.id === failure);
  if (!result) {
    throw new MatcherInputError(
      `toRecoverFrom: ${report.spec} has no failure ${JSON.stringify(failure)}; known: ${a.failures.map((f) => f.id).join(', ')}`,
    );
  }
  const problems = recoveryProblems(result, expectation);
  const predicted = `${result.recovery}, RTO ${rtoText(result.rto, result.writable === 'manual')}, RPO ${rpoText(result.rpo)}`;
  return {
    pass: problems.length === 0,
    message: () =>
      `expected ${report.spec} ${not(this)}to recover from ${result.kind} ${failure} automatically within ${
        expectation.withinSeconds
      } s with RPO ${expectation.rpo ?? 'zero'}; predicted: ${predicted}${problems.length > 0 ? `\n  ${problems.join('\n  ')}` : ''}`,
  };
}

/** Terraform JSON documents of the received value, by stack id (or file). */
function terraformDocs(received: unknown): Map<string, Json> | string {
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Json;
  if (typeof received === 'string') {
    try {
      return new Map([
        [received, read(received.endsWith('.json') ? received : join(received, 'cdk.tf.json'))],
      ]);
    } catch (e) {
      return `cannot read Terraform JSON from ${received}: ${(e as Error).message}`;
    }
  }
  if (typeof received !== 'object' || received === null) return `received ${typeof received}`;
  const r = received as { stacks?: { id: string; file: string }[]; resource?: unknown };
  if (Array.isArray(r.stacks)) return new Map(r.stacks.map((s) => [s.id, read(s.file)]));
  if ('resource' in r || '//' in r || 'terraform' in r)
    return new Map([['<terraform json>', received as Json]]);
  return 'received an object that is neither a synthesize() result nor Terraform JSON';
}

/** Where `actual` departs from the deep subset `expected` (first difference), or undefined when it contains it. */
export function subsetMismatch(actual: unknown, expected: unknown, path = ''): string | undefined {
  const at = path || '(root)';
  if (
    expected !== null &&
    typeof expected === 'object' &&
    typeof (expected as { asymmetricMatch?: unknown }).asymmetricMatch === 'function'
  ) {
    return (expected as { asymmetricMatch: (v: unknown) => boolean }).asymmetricMatch(actual)
      ? undefined
      : `${at}: ${JSON.stringify(actual)} does not match ${String(expected)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${at}: found ${JSON.stringify(actual)}, expected an array of ${expected.length}`;
    for (const [i, e] of expected.entries()) {
      const m = subsetMismatch(actual[i], e, `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${at}: found ${JSON.stringify(actual)}, expected an object`;
    for (const [k, e] of Object.entries(expected)) {
      const m = subsetMismatch((actual as Json)[k], e, path ? `${path}.${k}` : k);
      if (m) return m;
    }
    return undefined;
  }
  return Object.is(actual, expected)
    ? undefined
    : `${at}: found ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}

function toSynthesizeResource(
  this: MatcherContext,
  received: unknown,
  type: string,
  props: Record<string, unknown> = {},
): MatcherResult {
  const docs = terraformDocs(received);
  if (typeof docs === 'string') throw new MatcherInputError(`toSynthesizeResource: ${docs}`);
  const candidates: { where: string; mismatch: string | undefined }[] = [];
  for (const [stack, doc] of docs) {
    const ofType = ((doc.resource ?? {}) as Record<string, Record<string, unknown>>)[type] ?? {};
    for (const [name, config] of Object.entries(ofType)) {
      candidates.push({ where: `${stack}: ${type}.${name}`, mismatch: subsetMismatch(config, props) });
    }
  }
  const hits = candidates.filter((c) => c.mismatch === undefined);
  const wanted = `${type}${Object.keys(props).length > 0 ? ` with ${JSON.stringify(props)}` : ''}`;
  return {
    pass: hits.length > 0,
    message: () =>
      hits.length > 0
        ? `expected ${not(this)}to synthesize ${wanted}; found ${hits.map((h) => h.where).join(', ')}`
        : candidates.length === 0
          ? `expected ${not(this)}to synthesize ${wanted}; no resource of type ${type} in ${[...docs.keys()].join(', ')}`
          : [
              `expected ${not(this)}to synthesize ${wanted}; ${candidates.length} resource(s) of that type differ:`,
              ...candidates.map((c) => `  ${c.where}: ${c.mismatch}`),
            ].join('\n'),
  };
}

async function toPassTerraformValidate(
  this: MatcherContext,
  received: unknown,
  options: TerraformValidateOptions = {},
): Promise<MatcherResult> {
  const stacks = stackDirs(received);
  if (typeof stacks === 'string') throw new MatcherInputError(`toPassTerraformValidate: ${stacks}`);
  if (stacks.length === 0) throw new MatcherInputError('toPassTerraformValidate: no stack to validate');
  let results: Awaited<ReturnType<typeof validateStacks>>;
  try {
    results = await validateStacks(stacks, options);
  } catch (e) {
    throw new MatcherInputError(`toPassTerraformValidate: ${(e as Error).message}`);
  }
  const invalid = results.filter((r) => !r.valid);
  return {
    pass: invalid.length === 0,
    message: () =>
      invalid.length === 0
        ? `expected ${results.map((r) => r.id).join(', ')} ${not(this)}to pass terraform validate; every stack is valid`
        : [
            `expected ${not(this)}to pass terraform validate; ${invalid.length} of ${results.length} stack(s) invalid:`,
            ...invalid.flatMap((r) => [`  ${r.id}:`, ...r.diagnostics.map((d) => `    ${d}`)]),
          ].join('\n'),
  };
}

/** Pass to `expect.extend(...)` in jest or vitest. */
export const pgtopoMatchers = {
  toPassPolicy,
  toHaveFinding,
  toRecoverFrom,
  toSynthesizeResource,
  toPassTerraformValidate,
};
