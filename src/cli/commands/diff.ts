import { tryLoad } from '../../model/load.js';
import { diffTopologies, formatDiffText, type TopologyDiff } from '../../review/diff.js';
import { STDIN_NAME } from '../../spec/parse.js';
import { oneOf, parse, SPEC_INPUT_OPTIONS, SPEC_INPUT_USAGE, specLimits, str } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

/** The stable JSON document printed by `pgtopo diff --format json`. */
export interface DiffReport extends TopologyDiff {
  readonly version: 1;
  readonly old: string;
  readonly new: string;
}

export const command: Command = {
  name: 'diff',
  summary: 'What a spec change does to the cluster; exit 1 when it destroys data or needs care',
  usage: [
    'Usage: pgtopo diff <old-spec> <new-spec> [--format text|json]',
    '',
    'Compares two specs: members added, removed or moved, role and tag changes, sync set changes,',
    'a primary-region switchover or failback (with the ordered runbook it implies), and changes that',
    'replace or destroy data-bearing resources (data volumes, archive buckets, KMS keys). Every other',
    'changed field is named by its path in the spec and classified: in-place, rolling node replacement,',
    'stateful replacement, irreversible, or needs a procedure.',
    '',
    'Exit codes: 0 in-place changes and rolling node replacements only, 1 a change destroys or replaces',
    'data-bearing resources, cannot be undone or needs a procedure (gate a pipeline on it), 2 invalid',
    'spec, 64 bad command line.',
    ...SPEC_INPUT_USAGE,
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, { format: { type: 'string', short: 'f' }, ...SPEC_INPUT_OPTIONS });
    const format = oneOf('format', str(parsed, 'format'), ['text', 'json'] as const, 'text');
    if (parsed.positionals.length !== 2)
      throw new UsageError('expected two spec files: <old-spec> <new-spec>');
    const [oldSource, newSource] = parsed.positionals as [string, string];
    if (oldSource === '-' && newSource === '-')
      throw new UsageError('only one spec can be read from standard input');
    const name = (s: string) => (s === '-' ? STDIN_NAME : s);
    const [oldFile, newFile] = [name(oldSource), name(newSource)];
    const limits = specLimits(parsed);
    const a = tryLoad(oldSource, limits);
    const b = tryLoad(newSource, limits);
    if (!a.ok || !b.ok) {
      for (const [file, r] of [
        [oldFile, a],
        [newFile, b],
      ] as const) {
        if (r.ok) continue;
        io.err(`${paint(io, 'red', 'invalid')} ${file}: ${r.issues.length} issue(s)`);
        printIssues(io, r.issues);
      }
      return EXIT.invalid;
    }
    const diff = diffTopologies(a.topology, b.topology);
    if (format === 'json') {
      const report: DiffReport = { version: 1, old: oldFile, new: newFile, ...diff };
      io.out(JSON.stringify(report, null, 2));
    } else {
      const text = formatDiffText(diff, oldFile, newFile);
      io.out(
        io.color
          ? text
              .replace(/^DESTROYS DATA$/m, paint(io, 'red', 'DESTROYS DATA'))
              .replace(/^RUNBOOK:/m, paint(io, 'bold', 'RUNBOOK:'))
          : text,
      );
    }
    return diff.needsCare ? EXIT.findings : EXIT.ok;
  },
};
