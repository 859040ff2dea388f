import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveParsed } from '../../model/load.js';
import { toJunit } from '../../policy/format/junit.js';
import { toSarif } from '../../policy/format/sarif.js';
import { issueLines, reportLines } from '../../policy/format/text.js';
import { type CheckReport, checkReport, summarize, type TopologySummary } from '../../policy/report.js';
import { isFleetDocument } from '../../spec/fleet-kind.js';
import type { SpecIssue } from '../../spec/issues.js';
import { type Decoded, decodeSpecFile, parseDecoded, STDIN_NAME } from '../../spec/parse.js';
import { oneOf, parse, SPEC_INPUT_OPTIONS, SPEC_INPUT_USAGE, specLimits, str } from '../args.js';
import type { Command } from '../command.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';

/** The stable JSON document of `--format json`; its fields are documented beside CheckReport (src/policy/report.ts). */
export type { CheckReport, TopologySummary };
export { summarize };

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;

export function printIssues(io: CliIo, issues: readonly SpecIssue[]): void {
  const report = checkReport('', { ok: false, issues });
  for (const line of issueLines(report, (s, t) => paint(io, s, t))) io.err(line);
}

/** The spec file as a SARIF artifact URI: relative to the working directory when inside it. */
function artifactUri(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel.startsWith('..') || isAbsolute(rel)
    ? pathToFileURL(resolve(file)).href
    : rel.split(sep).join('/');
}

export const command: Command = {
  name: 'check',
  summary: 'Validate a spec and run the policy rules',
  usage: [
    'Usage: pgtopo check <spec.yaml|spec.json> [--format text|json|sarif|junit] [--endpoint nlb|haproxy]',
    '',
    'Validates the spec (schema, cross-references, model), runs every policy rule with the waivers the',
    'spec declares, and analyses every single failure (member, AZ, region, inter-region link): etcd',
    'quorum, writable primary, RPO bound and predicted RTO. `pgtopo explain <rule-id>` explains a rule.',
    '',
    'Formats: text (default; findings and the failure-domain table), json (the stable document),',
    'sarif (SARIF 2.1.0 for GitHub code scanning), junit (JUnit XML for other CI systems).',
    '--endpoint: the load balancer the RTO prediction assumes (default nlb; haproxy for rehearsals).',
    '',
    ...SPEC_INPUT_USAGE,
    '',
    'Exit codes: 0 valid (clean or warnings only), 1 unwaived policy errors, 2 invalid spec (in every',
    'format), 64 bad command line.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, {
      format: { type: 'string', short: 'f' },
      endpoint: { type: 'string' },
      ...SPEC_INPUT_OPTIONS,
    });
    const format = oneOf('format', str(parsed, 'format'), FORMATS, 'text');
    const endpoint = oneOf('endpoint', str(parsed, 'endpoint'), ['nlb', 'haproxy'] as const, 'nlb');
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const source = parsed.positionals[0]!;
    const file = source === '-' ? STDIN_NAME : source;
    const doc = decodeSpecFile(source, specLimits(parsed));
    const color = (s: Parameters<typeof paint>[1], t: string) => paint(io, s, t);
    if (doc.ok && isFleetDocument(doc.value)) return checkFleet(doc, file, format, endpoint, io, color);
    const report = checkReport(file, resolveParsed(parseDecoded(doc)), { endpoint });
    if (format === 'json') {
      io.out(JSON.stringify(report, null, 2));
    } else if (format === 'sarif') {
      io.out(JSON.stringify(toSarif(report, artifactUri(file)), null, 2));
    } else if (format === 'junit') {
      io.out(toJunit(report));
    } else if (!report.valid) {
      io.err(`${paint(io, 'red', 'invalid')} ${file}: ${report.issues.length} issue(s)`);
      for (const line of issueLines(report, color)) io.err(line);
    } else {
      io.out(reportLines(report, color).join('\n'));
    }
    return report.exitCode === 2 ? EXIT.invalid : report.exitCode === 1 ? EXIT.findings : EXIT.ok;
  },
};

/** `pgtopo check` of a fleet document (`kind: fleet`): loaded only for one, so a cluster check starts as before. */
async function checkFleet(
  doc: Decoded,
  file: string,
  format: (typeof FORMATS)[number],
  endpoint: 'nlb' | 'haproxy',
  io: CliIo,
  color: (s: Parameters<typeof paint>[1], t: string) => string,
): Promise<number> {
  const [{ resolveFleetDecoded }, { fleetCheckReport, flatFleetReport }, { fleetReportLines }] =
    await Promise.all([
      import('../../model/fleet.js'),
      import('../../policy/fleet.js'),
      import('../../policy/format/fleet-text.js'),
    ]);
  const report = fleetCheckReport(file, resolveFleetDecoded(doc), { endpoint });
  if (format === 'json') io.out(JSON.stringify(report, null, 2));
  else if (format === 'sarif')
    io.out(JSON.stringify(toSarif(flatFleetReport(report), artifactUri(file)), null, 2));
  else if (format === 'junit') io.out(toJunit(flatFleetReport(report)));
  else if (!report.valid) {
    io.err(`${paint(io, 'red', 'invalid')} ${file}: ${report.issues.length} issue(s)`);
    for (const line of issueLines(report, color)) io.err(line);
  } else io.out(fleetReportLines(report, color).join('\n'));
  return report.exitCode === 2 ? EXIT.invalid : report.exitCode === 1 ? EXIT.findings : EXIT.ok;
}
