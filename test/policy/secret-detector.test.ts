/** Issue 15, class 7: the secret detector (PGT-EC2-004) fires on values that can carry a secret, and only there. */
import { describe, expect, test } from 'vitest';
import { hits, layout } from './helpers.js';

const parameters = (p: Record<string, unknown>) => layout((s) => (s.postgres = { parameters: p }));
const waiver = (reason: string) =>
  layout((s) => (s.waivers = [{ rule: 'PGT-PAT-008', reason, target: 'us-east-1' }]));

describe('PGT-EC2-004', () => {
  test.each([
    // No false positives: formats, prose, words.
    ["log_line_prefix with 'token=%u'", parameters({ log_line_prefix: '%m [%p] token=%u db=%d ' }), []],
    ["log_line_prefix with 'secret: %a'", parameters({ log_line_prefix: 'secret: %a ' }), []],
    [
      'a waiver reason about a token',
      waiver('token: rotated by the platform team, see OPS-123 for details'),
      [],
    ],
    [
      'a waiver reason about a password policy',
      waiver('password=policy is enforced upstream by the IdP; ticket OPS-9'),
      [],
    ],
    ['application_name mentioning a secret', parameters({ application_name: 'secret-santa' }), []],
    ['a parameter named like a timeout', parameters({ 'myext.token_ttl_note': '' }), []],
    ['an extension setting with a placeholder format', parameters({ 'audit.format': 'password=%p' }), []],
    // Values that can carry a secret: unknown (extension) parameters.
    [
      'an extension password assignment',
      parameters({ 'myext.conninfo': 'host=db password=hunter2' }),
      ['postgres.parameters.myext.conninfo'],
    ],
    [
      'an extension api key by name',
      parameters({ 'myext.api_key': 'abc123' }),
      ['postgres.parameters.myext.api_key'],
    ],
    [
      'an extension token by name',
      parameters({ 'vault.token': 's.abcdef' }),
      ['postgres.parameters.vault.token'],
    ],
    // Unmistakable credentials, anywhere.
    [
      'a URL with a password in a known parameter',
      parameters({ application_name: 'postgres://u:hunter2@db/x' }),
      ['postgres.parameters.application_name'],
    ],
    [
      'an AWS access key in a waiver reason',
      waiver('temporary key AKIAABCDEFGHIJKLMNOP for the migration window'),
      ['waivers[0].reason'],
    ],
    [
      'a private key block',
      parameters({ 'myext.key': '-----BEGIN RSA PRIVATE KEY-----' }),
      ['postgres.parameters.myext.key'],
    ],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-EC2-004')).toEqual(paths);
  });
});
