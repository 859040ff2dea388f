/** pgtopo check output: one report model, four formats (text, JSON, SARIF 2.1.0, JUnit XML), exit codes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, test } from 'vitest';
import { command as check } from '../../src/cli/commands/check.js';
import { command as explain } from '../../src/cli/commands/explain.js';
import { memoryIo } from '../../src/cli/io.js';
import { tryLoad } from '../../src/model/load.js';
import { failureTable } from '../../src/policy/format/text.js';
import { analyzeFailures, RULES } from '../../src/policy/index.js';
import { checkReport } from '../../src/policy/report.js';
import { EXAMPLE_NAMES, EXAMPLES, example } from '../helpers/examples.js';
import { NOW } from './helpers.js';

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The SARIF 2.1.0 schema shipped with @microsoft/jest-sarif (draft-04 style `id`), compiled with ajv 8. */
function sarifValidator() {
  const schema = structuredClone(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  // The schema's language-tag pattern has a stray ']' that only non-unicode regular expressions accept.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}
const validateSarif = sarifValidator();

const dir = mkdtempSync(join(tmpdir(), 'pgtopo-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A spec with a policy error, a warning and a waived finding; lines matter for SARIF locations. */
const FAILING = [
  'name: orders',
  'primaryRegion: us-east-1',
  'durability: { rpo: async }',
  'regions:',
  '  - name: us-east-1',
  '    cidr: 10.10.0.0/16',
  '    azs: [us-east-1a, us-east-1b, us-east-1c]',
  '    members:',
  '      - { name: use1-a, az: us-east-1a }',
  '      - { name: use1-b, az: us-east-1b }',
  '      - { name: use1-c, az: us-east-1c, replicateFrom: use1-b }',
  'endpoints: { healthCheckProtocol: tcp }',
  'waivers:',
  '  - { rule: PGT-NET-004, reason: "legacy load balancer kept until Q3 & <then> removed" }',
  '',
].join('\n');
const failingFile = join(dir, 'failing.yaml');
writeFileSync(failingFile, FAILING);
const invalidFile = join(dir, 'invalid.yaml');
writeFileSync(invalidFile, 'name: orders\nprimaryRegion: us-east-1\nregions: []\n');

async function run(cmd: typeof check, ...args: string[]) {
  const io = memoryIo();
  const code = await cmd.run(args, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('exit codes', () => {
  test.each(EXAMPLE_NAMES)('example %s: exit 0, no warnings, nothing on stderr', async (name) => {
    const r = await run(check, EXAMPLES[name]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('passed: 0 error(s), 0 warning(s), 0 waived');
  });

  test.each([
    ['text', 1],
    ['json', 1],
    ['sarif', 1],
    ['junit', 1],
  ])('unwaived policy errors exit 1 (--format %s)', async (format, code) => {
    expect((await run(check, failingFile, '--format', format)).code).toBe(code);
  });

  test.each(['text', 'json', 'sarif', 'junit'])('an invalid spec exits 2 (--format %s)', async (format) => {
    expect((await run(check, invalidFile, '--format', format)).code).toBe(2);
  });

  test('warnings alone exit 0', async () => {
    const file = join(dir, 'warning.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLES.singleRegion, 'utf8').replace('profile: balanced', 'profile: fast'),
    );
    const r = await run(check, file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('passed with warnings: 0 error(s), 1 warning(s)');
  });

  test('a bad --endpoint is a usage error', async () => {
    await expect(run(check, EXAMPLES.singleRegion, '--endpoint', 'alb')).rejects.toThrow(
      /--endpoint must be one of/,
    );
  });
});

describe('text', () => {
  test('findings with locations, the failure-domain table and the verdict', async () => {
    const r = await run(check, failingFile);
    expect(r.out).toContain(`error   PGT-PAT-007 ${failingFile}:11:9: regions[0].members[2].tags`);
    expect(r.out).toContain(`warning PGT-PAT-008 ${failingFile}:3:15: durability.rpo`);
    expect(r.out).toContain('waived  PGT-NET-004');
    expect(r.out).toContain('waived:   legacy load balancer kept until Q3 & <then> removed');
    expect(r.out).toMatch(
      /^member use1-a\s+1 pg, 0 etcd\s+ok\s+auto: failover\s+unbounded\s+20\/25\/42\.5$/m,
    );
    expect(r.out).toMatch(/^region us-east-1\s+3 pg, 3 etcd\s+LOST 0\/3\s+none\s+unbounded\s+-$/m);
    expect(r.out).toContain('Double AZ failures (information):');
    expect(r.out).toContain('policy errors: 1 error(s), 1 warning(s), 1 waived');
  });

  test('--endpoint haproxy changes the prediction', async () => {
    const r = await run(check, EXAMPLES.singleRegion, '--endpoint', 'haproxy');
    expect(r.out).toMatch(/^member use1-a .* 16\/20\/36\.5$/m);
  });

  test('an invalid spec lists its issues on stderr', async () => {
    const r = await run(check, invalidFile);
    expect(r.out).toBe('');
    expect(r.err).toContain('regions [too_small]');
  });
});

describe('JSON', () => {
  test('the documented document: summary, policy with located findings, failures', async () => {
    const r = await run(check, failingFile, '--format', 'json');
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({
      version: 1,
      spec: failingFile,
      valid: true,
      exitCode: 1,
      issues: [],
      summary: { name: 'orders', regions: 1, members: 3 },
      policy: { errors: 1, warnings: 1, waived: 1 },
      failures: { endpoint: 'nlb', writableCluster: 'orders-us-east-1' },
    });
    expect(doc.policy.findings.find((f: { ruleId: string }) => f.ruleId === 'PGT-PAT-007')).toMatchObject({
      severity: 'error',
      title: RULES.find((x) => x.id === 'PGT-PAT-007')!.title,
      pathText: 'regions[0].members[2].tags',
      target: 'use1-c',
      location: { file: failingFile, line: 11, column: 9 },
    });
    expect(doc.failures.failures).toHaveLength(7);
    expect(doc.failures.doubleAzFailures).toHaveLength(3);
  });

  test('an invalid spec keeps the issue list and exit code 2', async () => {
    const doc = JSON.parse((await run(check, invalidFile, '--format', 'json')).out);
    expect(doc).toMatchObject({ valid: false, exitCode: 2 });
    expect(doc.policy).toBeUndefined();
    expect(doc.issues[0]).toMatchObject({ code: 'too_small', pathText: 'regions' });
  });

  test('the report is deterministic for a fixed clock', () => {
    const a = checkReport(failingFile, tryLoad(failingFile), { now: NOW });
    const b = checkReport(failingFile, tryLoad(failingFile), { now: NOW });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('SARIF 2.1.0', () => {
  test.each([
    ['a failing spec', () => failingFile],
    ['an invalid spec', () => invalidFile],
    ['example 3', () => EXAMPLES.threeRegionStretched],
  ])('%s validates against the SARIF 2.1.0 schema', async (_what, file) => {
    const log = JSON.parse((await run(check, file(), '--format', 'sarif')).out);
    const ok = validateSarif(log);
    expect(validateSarif.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the validator rejects what the schema forbids', async () => {
    const log = JSON.parse((await run(check, failingFile, '--format', 'sarif')).out);
    log.runs[0].results[0].level = 'fatal';
    expect(validateSarif(log)).toBe(false);
  });

  test('carries what GitHub code scanning needs', async () => {
    const log = JSON.parse((await run(check, failingFile, '--format', 'sarif')).out);
    expect(log.version).toBe('2.1.0');
    const run0 = log.runs[0];
    expect(run0.tool.driver.name).toBe('pgtopo');
    expect(run0.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const r of run0.tool.driver.rules) expect(r.shortDescription.text.length).toBeGreaterThan(0);
    const byRule = new Map(run0.results.map((x: { ruleId: string }) => [x.ruleId, x]));
    const pat7 = byRule.get('PGT-PAT-007') as any;
    expect(pat7).toMatchObject({ level: 'error', ruleIndex: RULES.findIndex((r) => r.id === 'PGT-PAT-007') });
    expect(pat7.message.text).toContain('tags.nosync: true');
    const loc = pat7.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/failing\.yaml$/);
    expect(loc.region).toEqual({ startLine: 11, startColumn: 9 });
    expect(byRule.get('PGT-PAT-008')).toMatchObject({ level: 'warning' });
    expect(byRule.get('PGT-NET-004')).toMatchObject({
      suppressions: [
        { kind: 'inSource', justification: 'legacy load balancer kept until Q3 & <then> removed' },
      ],
    });
  });

  test('inside the working directory the artifact URI is relative with forward slashes', async () => {
    const log = JSON.parse((await run(check, 'examples/single-region.yaml', '--format', 'sarif')).out);
    expect(log.runs[0].artifacts[0].location.uri).toBe('examples/single-region.yaml');
    expect(log.runs[0].results).toEqual([]);
  });

  test('spec issues are results too, located', async () => {
    const log = JSON.parse((await run(check, invalidFile, '--format', 'sarif')).out);
    const [result] = log.runs[0].results;
    expect(result).toMatchObject({ ruleId: 'PGT-SPEC/too_small', level: 'error' });
    expect(result.locations[0].physicalLocation.region).toEqual({ startLine: 3, startColumn: 1 });
  });
});

describe('JUnit XML', () => {
  test.each([
    // One test case per rule, plus the spec check.
    ['a failing spec', () => failingFile, 1, RULES.length + 1],
    ['an invalid spec', () => invalidFile, 1, 1],
    ['example 2', () => EXAMPLES.twoRegionStandby, 0, RULES.length + 1],
  ])('%s: well-formed, %s failure(s) in %s test(s)', async (_what, file, failures, tests) => {
    const xml = (await run(check, file(), '--format', 'junit')).out;
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ failures: String(failures), tests: String(tests) });
  });

  test('a rule with unwaived errors fails; warnings and waived findings are reported, escaped', async () => {
    const xml = (await run(check, failingFile, '--format', 'junit')).out;
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const cases = doc.testsuites.testsuite[1].testcase as any[];
    const byId = (id: string) => cases.find((c) => c.name.startsWith(`${id} `));
    expect(byId('PGT-PAT-007').failure).toMatchObject({ type: 'PGT-PAT-007' });
    expect(byId('PGT-PAT-008').failure).toBeUndefined();
    expect(byId('PGT-PAT-008')['system-out']).toContain('warning');
    expect(byId('PGT-NET-004')['system-out']).toContain(
      'waived: legacy load balancer kept until Q3 & <then> removed',
    );
    expect(byId('PGT-ETCD-001').failure).toBeUndefined();
  });
});

describe('pgtopo explain', () => {
  test('prints the rule: title, severity, rationale, fix', async () => {
    const r = await run(explain, 'pgt-etcd-002');
    expect(r.code).toBe(0);
    const rule = RULES.find((x) => x.id === 'PGT-ETCD-002')!;
    expect(r.out).toContain(`# PGT-ETCD-002: ${rule.title}`);
    expect(r.out).toContain('Severity: **error**');
    expect(r.out).toContain(rule.rationale);
    expect(r.out).toContain(rule.fix);
  });

  test('--list prints every rule', async () => {
    const r = await run(explain, '--list');
    expect(r.out.split('\n')).toHaveLength(RULES.length);
  });

  test.each([
    [['PGT-ETCD-02'], /unknown rule "PGT-ETCD-02"; did you mean PGT-ETCD-002\?/],
    [['nonsense'], /unknown rule "nonsense"/],
    [[], /expected one rule id/],
  ])('%j is a usage error', async (args, message) => {
    await expect(run(explain, ...args)).rejects.toThrow(message);
  });
});

describe('failure table footnote', () => {
  test.each([
    ['singleRegion', false],
    ['twoRegionStandby', true],
  ] as const)(
    'example %s: the manual-recovery footnote appears only with manual rows (%s)',
    (name, expected) => {
      const lines = failureTable(analyzeFailures(example(name)));
      expect(lines.some((l) => l.startsWith('* manual:'))).toBe(expected);
    },
  );
});
