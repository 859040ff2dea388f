import type { PathSegment } from '../../spec/issues.js';
import { POSTGRES_PARAMETERS } from '../postgres-parameters.js';
import type { Draft, Rule } from '../types.js';

/** Credentials that look like nothing else: checked in every string of the spec, prose included. */
const UNMISTAKABLE: readonly { what: string; re: RegExp }[] = [
  { what: 'an AWS access key id', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: 'an AWS secret access key', re: /aws_secret_access_key\s*[=:]\s*\S/i },
  { what: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: 'a password in a URL', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i },
];
/**
 * `password=...`-style assignments: checked only where a secret can be configured, the values of parameters
 * pgtopo does not know (extension settings, connection strings). Known parameters have a type and a meaning
 * (`log_line_prefix: 'token=%u'` is a format, not a token), and prose (waiver reasons) is not configuration.
 */
const ASSIGNMENT = {
  what: 'a password assignment',
  re: /(?:^|[\s;,&?])(password|passwd|pwd|passphrase|secret|token|api_?key)\s*[=:]\s*(?!%)[^\s%]/i,
};
/** A parameter name whose value is a credential whatever it looks like: a whole word of the name. */
const SECRET_NAME = /(^|[._-])(password|passwd|passphrase|secret|token|api_?key|private_?key)($|[._-])/i;

function* strings(value: unknown, path: PathSegment[]): Generator<{ path: PathSegment[]; text: string }> {
  if (typeof value === 'string') {
    yield { path, text: value };
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k]);
  }
}

export const rule: Rule = {
  id: 'PGT-EC2-004',
  group: 'hosts',
  title: 'No secret values anywhere in the spec (and so in user data)',
  severity: 'error',
  rationale:
    'The spec is committed to version control, and everything in it can reach Terraform state, plans, ' +
    'rendered files and EC2 user data, which any principal with ec2:DescribeInstanceAttribute can read. ' +
    'Credentials belong in Secrets Manager: the spec names them (`generate` or an ARN), nodes read them at boot. ' +
    'Unmistakable credentials (AWS keys, private keys, passwords in URLs) are found in every string; ' +
    "assignments and credential-named settings only in values that can configure one (parameters pgtopo doesn't " +
    'know the type of), so a format such as `log_line_prefix` or a waiver reason that mentions a token is no finding.',
  fix: 'Remove the value, rotate the credential (it has been exposed), and reference it through `security.secrets` (a Secrets Manager ARN or `generate`).',
  check(t) {
    const drafts: Draft[] = [];
    const report = (path: PathSegment[], what: string) =>
      drafts.push({ path, found: `${what} (value withheld)`, expected: 'no credential values in the spec' });
    const parameters = t.spec.postgres.parameters;
    for (const s of strings(t.spec, [])) {
      if (s.path[0] === 'security' && s.path[1] === 'secrets') continue; // `generate` or an ARN, by schema
      const hit = UNMISTAKABLE.find((p) => p.re.test(s.text));
      if (hit) {
        report(s.path, hit.what);
        continue;
      }
      const name = s.path[0] === 'postgres' && s.path[1] === 'parameters' ? String(s.path[2]) : undefined;
      if (name === undefined || Object.hasOwn(POSTGRES_PARAMETERS, name) || !(name in parameters)) continue;
      if (ASSIGNMENT.re.test(s.text)) report(s.path, ASSIGNMENT.what);
      else if (SECRET_NAME.test(name) && s.text.trim() !== '') report(s.path, `a value for ${name}`);
    }
    return drafts;
  },
};
