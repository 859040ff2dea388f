import { tryLoad } from '../../model/load.js';
import type { Topology } from '../../model/types.js';
import { formatPath, type SpecIssue } from '../../spec/issues.js';
import { oneOf, parse, str } from '../args.js';
import type { Command } from '../command.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';

/** The stable JSON document printed by `pgtopo check --format json` (see README, "check output"). */
export interface CheckReport {
  readonly version: 1;
  readonly spec: string;
  readonly valid: boolean;
  readonly issues: readonly (SpecIssue & { readonly pathText: string })[];
  readonly summary?: TopologySummary;
}

export interface TopologySummary {
  readonly name: string;
  readonly primaryRegion: string;
  readonly regions: number;
  readonly members: number;
  readonly etcdQuorums: number;
  readonly etcdMembers: number;
}

export function summarize(t: Topology): TopologySummary {
  return {
    name: t.name,
    primaryRegion: t.primaryRegion,
    regions: t.regions.length,
    members: t.members.length,
    etcdQuorums: t.etcd.length,
    etcdMembers: t.etcd.reduce((n, q) => n + q.members.length, 0),
  };
}

export function printIssues(io: CliIo, issues: readonly SpecIssue[]): void {
  for (const i of issues) {
    const where = i.location ? `${i.location.file}:${i.location.line}:${i.location.column}: ` : '';
    io.err(`${where}${paint(io, 'bold', formatPath(i.path))} ${paint(io, 'red', `[${i.code}]`)}`);
    io.err(`    found:    ${i.found}`);
    io.err(`    expected: ${i.expected}${i.hint ? `\n    hint:     ${i.hint}` : ''}`);
  }
}

export const command: Command = {
  name: 'check',
  summary: 'Validate a spec and run the policy rules',
  usage: [
    'Usage: pgtopo check <spec.yaml|spec.json> [--format text|json]',
    '',
    'Validates the spec against the schema and its cross-references and resolves the topology.',
    'Exit codes: 0 valid, 2 invalid spec.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, { format: { type: 'string', short: 'f' } });
    const { positionals } = parsed;
    const format = oneOf('format', str(parsed, 'format'), ['text', 'json'] as const, 'text');
    if (positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const file = positionals[0]!;
    const result = tryLoad(file);
    const report: CheckReport = result.ok
      ? { version: 1, spec: file, valid: true, issues: [], summary: summarize(result.topology) }
      : {
          version: 1,
          spec: file,
          valid: false,
          issues: result.issues.map((i) => ({ ...i, pathText: formatPath(i.path) })),
        };
    if (format === 'json') {
      io.out(JSON.stringify(report, null, 2));
    } else if (!result.ok) {
      io.err(`${paint(io, 'red', 'invalid')} ${file}: ${result.issues.length} issue(s)`);
      printIssues(io, result.issues);
    } else {
      const s = report.summary!;
      io.out(
        `${paint(io, 'green', 'valid')} ${file}: ${s.name}, ${s.regions} region(s), ${s.members} member(s), ` +
          `${s.etcdQuorums} etcd quorum(s) with ${s.etcdMembers} member(s)`,
      );
    }
    return result.ok ? EXIT.ok : EXIT.invalid;
  },
};
