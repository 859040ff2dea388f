import type { PathSegment } from '../../spec/issues.js';
import type { Draft, Rule } from '../types.js';

/** What a credential looks like in a string. Each names what it found, never the value. */
const PATTERNS: readonly { what: string; re: RegExp }[] = [
  { what: 'an AWS access key id', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: 'an AWS secret access key', re: /aws_secret_access_key/i },
  { what: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: 'a password in a URL', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i },
  { what: 'a password assignment', re: /\b(password|passwd|pwd|passphrase|secret|token)\s*[=:]\s*\S+/i },
];
/** Keys whose value is a credential whatever it looks like. */
const SECRET_KEY = /(password|passwd|passphrase|secret|token|api_?key|private_?key)/i;

function* strings(
  value: unknown,
  path: PathSegment[],
): Generator<{ path: PathSegment[]; key: string; text: string }> {
  if (typeof value === 'string') {
    yield { path, key: String(path[path.length - 1] ?? ''), text: value };
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
    'Credentials belong in Secrets Manager: the spec names them (`generate` or an ARN), nodes read them at boot.',
  fix: 'Remove the value, rotate the credential (it has been exposed), and reference it through `security.secrets` (a Secrets Manager ARN or `generate`).',
  check(t) {
    const drafts: Draft[] = [];
    for (const s of strings(t.spec, [])) {
      if (s.path[0] === 'security' && s.path[1] === 'secrets') continue; // `generate` or an ARN, by schema
      const hit =
        PATTERNS.find((p) => p.re.test(s.text)) ??
        (SECRET_KEY.test(s.key) && s.text.trim() !== '' ? { what: `a value for ${s.key}` } : undefined);
      if (!hit) continue;
      drafts.push({
        path: s.path,
        found: `${hit.what} (value withheld)`,
        expected: 'no credential values in the spec',
      });
    }
    return drafts;
  },
};
