/**
 * IAM policy documents as data, and the wildcard rule (PGT-IAM-001) that every
 * identity policy pgtopo synthesizes must pass.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  const doc: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  return JSON.stringify(doc);
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}

const INTERPOLATION = /\$\{[^}]*\}/g;

/**
 * Wildcards IAM allows in an identity policy resource, each bounded by a concrete parent:
 * - objects under an S3 bucket (and key prefix): `arn:<p>:s3:::<bucket>/<prefix>*`
 * - the random six-character suffix Secrets Manager appends to a secret's name: `...:secret:<name>-??????`
 */
const BOUNDED_WILDCARDS: readonly RegExp[] = [
  /^arn:[A-Za-z-]+:s3:::[^/*?]+\/[^*?]*\*$/,
  /^arn:[A-Za-z-]+:secretsmanager:[A-Za-z0-9-]+:[0-9X]+:secret:[^*?]+-\?\?\?\?\?\?$/,
];

export interface WildcardProblem {
  readonly statement: number;
  readonly field: 'Action' | 'Resource' | 'NotAction' | 'NotResource' | 'Document';
  readonly value: string;
}

/**
 * PGT-IAM-001 on one identity policy: no `*` in any action, no `*` resource, no
 * NotAction/NotResource, and resource wildcards only where bounded by a concrete
 * bucket/prefix or secret name. Terraform interpolations (`${...}`) count as
 * concrete values. A document that is not JSON is itself a problem: it cannot be checked.
 */
export function wildcardProblems(policy: string): WildcardProblem[] {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return [{ statement: -1, field: 'Document', value: policy.slice(0, 80) }];
  }
  const statements = [doc.Statement ?? []].flat() as Record<string, unknown>[];
  const problems: WildcardProblem[] = [];
  statements.forEach((s, i) => {
    if (s.Effect === 'Deny') return;
    for (const field of ['NotAction', 'NotResource'] as const) {
      if (s[field] !== undefined) problems.push({ statement: i, field, value: JSON.stringify(s[field]) });
    }
    for (const a of [s.Action ?? []].flat() as string[]) {
      if (a.replace(INTERPOLATION, 'X').includes('*'))
        problems.push({ statement: i, field: 'Action', value: a });
    }
    for (const r of [s.Resource ?? []].flat() as string[]) {
      const concrete = r.replace(INTERPOLATION, 'X');
      if (!/[*?]/.test(concrete)) continue;
      if (BOUNDED_WILDCARDS.some((re) => re.test(concrete))) continue;
      problems.push({ statement: i, field: 'Resource', value: r });
    }
  });
  return problems;
}
