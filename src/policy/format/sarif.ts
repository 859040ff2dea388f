/**
 * SARIF 2.1.0 for GitHub code scanning: stable rule ids with metadata, one result per finding (waived ones
 * carry an in-source suppression), each located in the spec file by line and column.
 */
import type * as Sarif from 'sarif';
import { RULES } from '../engine.js';
import type { CheckReport } from '../report.js';

const SPEC_RULE = (code: string) => `PGT-SPEC/${code}`;

function region(loc: { line: number; column: number } | undefined): Sarif.Region {
  return { startLine: loc?.line ?? 1, startColumn: loc?.column ?? 1 };
}

/** `uri`: the spec file as the repository sees it (relative, forward slashes), or a file:// URI. */
export function toSarif(report: CheckReport, uri: string): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = RULES.map((r) => ({
    id: r.id,
    name: r.id.replace(/-/g, ''),
    shortDescription: { text: r.title },
    fullDescription: { text: r.rationale },
    help: { text: r.fix, markdown: `${r.rationale}\n\n**Fix:** ${r.fix}` },
    defaultConfiguration: { level: r.severity },
    properties: { tags: ['pgtopo', r.group] },
  }));
  const location = (loc: { line: number; column: number } | undefined, pathText: string): Sarif.Location => ({
    physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region: region(loc) },
    logicalLocations: [{ fullyQualifiedName: pathText, kind: 'member' }],
  });
  const results: Sarif.Result[] = [];
  for (const code of new Set(report.issues.map((i) => i.code))) {
    rules.push({
      id: SPEC_RULE(code),
      name: `Spec${code.replace(/(^|_)(\w)/g, (_m, _u, c: string) => c.toUpperCase())}`,
      shortDescription: { text: `The spec is valid (${code})` },
      defaultConfiguration: { level: 'error' },
    });
  }
  const index = new Map(rules.map((r, i) => [r.id, i]));
  for (const i of report.issues) {
    results.push({
      ruleId: SPEC_RULE(i.code),
      ruleIndex: index.get(SPEC_RULE(i.code))!,
      level: 'error',
      message: {
        text: `${i.pathText}: found ${i.found}, expected ${i.expected}${i.hint ? ` (${i.hint})` : ''}`,
      },
      locations: [location(i.location, i.pathText)],
      partialFingerprints: { 'pgtopo/v1': `${SPEC_RULE(i.code)}:${i.pathText}` },
    });
  }
  for (const f of report.policy?.findings ?? []) {
    results.push({
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId)!,
      level: f.severity,
      message: { text: `${f.title}. Found ${f.found}; expected ${f.expected}. Fix: ${f.fix}` },
      locations: [location(f.location, f.pathText)],
      partialFingerprints: { 'pgtopo/v1': `${f.ruleId}:${f.pathText}:${f.target ?? ''}` },
      ...(f.waived ? { suppressions: [{ kind: 'inSource' as const, justification: f.waived.reason }] } : {}),
      properties: { pathText: f.pathText, ...(f.target !== undefined ? { target: f.target } : {}) },
    });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'pgtopo', rules } },
        artifacts: [{ location: { uri, uriBaseId: '%SRCROOT%' } }],
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
}
