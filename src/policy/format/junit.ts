/**
 * JUnit XML for CI systems without SARIF: a `spec` suite (schema, cross-references, model), and a `policy`
 * suite with one test case per rule. Unwaived errors are failures; warnings and waived findings pass and
 * are listed in the case's system-out.
 */
import { RULES } from '../engine.js';
import type { CheckReport, ReportFinding } from '../report.js';

/** XML 1.0 allows tab, newline, carriage return and code points from U+0020 on (minus surrogates and U+FFFE/F). */
function xmlChar(c: string): boolean {
  const n = c.codePointAt(0)!;
  return (
    n === 9 ||
    n === 10 ||
    n === 13 ||
    (n >= 0x20 && n <= 0xd7ff) ||
    (n >= 0xe000 && n <= 0xfffd) ||
    n > 0xffff
  );
}

function esc(s: string): string {
  return [...s]
    .filter(xmlChar)
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');

function describe(f: ReportFinding): string {
  const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column} ` : '';
  const waived = f.waived
    ? `\n  waived: ${f.waived.reason}${f.waived.expires ? ` (until ${f.waived.expires})` : ''}`
    : '';
  return `${f.severity} ${where}${f.pathText}\n  found: ${f.found}\n  expected: ${f.expected}\n  fix: ${f.fix}${waived}`;
}

export function toJunit(report: CheckReport): string {
  const lines: string[] = [];
  const specFailed = !report.valid;
  const specCase = [
    `    <testcase${attrs({ classname: 'pgtopo.spec', name: 'schema, cross-references and model', file: report.spec })}>`,
    ...(specFailed
      ? [
          `      <failure${attrs({ type: 'invalid-spec', message: `${report.issues.length} spec issue(s)` })}>${esc(
            report.issues
              .map(
                (i) =>
                  `${i.location ? `${i.location.file}:${i.location.line}:${i.location.column} ` : ''}${i.pathText} [${i.code}] found ${i.found}, expected ${i.expected}`,
              )
              .join('\n'),
          )}</failure>`,
        ]
      : []),
    '    </testcase>',
  ];
  lines.push(
    `  <testsuite${attrs({ name: 'pgtopo.spec', tests: 1, failures: specFailed ? 1 : 0, errors: 0, skipped: 0 })}>`,
    ...specCase,
    '  </testsuite>',
  );
  let failures = specFailed ? 1 : 0;
  let tests = 1;
  if (report.policy) {
    const cases: string[] = [];
    let suiteFailures = 0;
    for (const r of RULES) {
      const mine = report.policy.findings.filter((f) => f.ruleId === r.id);
      const failing = mine.filter((f) => !f.waived && f.severity === 'error');
      const name = `${r.id} ${r.title}`;
      cases.push(
        `    <testcase${attrs({ classname: `pgtopo.policy.${r.group}`, name, file: report.spec })}>`,
      );
      if (failing.length > 0) {
        suiteFailures++;
        cases.push(
          `      <failure${attrs({ type: r.id, message: `${failing.length} finding(s): ${failing[0]!.found}` })}>${esc(
            failing.map(describe).join('\n'),
          )}</failure>`,
        );
      }
      const other = mine.filter((f) => !failing.includes(f));
      if (other.length > 0)
        cases.push(`      <system-out>${esc(other.map(describe).join('\n'))}</system-out>`);
      cases.push('    </testcase>');
    }
    lines.push(
      `  <testsuite${attrs({ name: 'pgtopo.policy', tests: RULES.length, failures: suiteFailures, errors: 0, skipped: 0 })}>`,
      ...cases,
      '  </testsuite>',
    );
    failures += suiteFailures;
    tests += RULES.length;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `pgtopo check ${report.spec}`, tests, failures, errors: 0 })}>`,
    ...lines,
    '</testsuites>',
    '',
  ].join('\n');
}
