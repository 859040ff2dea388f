import { resolveParsed } from '../../model/load.js';
import { diffTopologies, formatDiffText, type TopologyDiff } from '../../review/diff.js';
import type { FleetDiff } from '../../review/fleet-diff.js';
import { isFleetDocument } from '../../spec/fleet-kind.js';
import type { SpecIssue } from '../../spec/issues.js';
import { type Decoded, decodeSpecFile, parseDecoded, STDIN_NAME } from '../../spec/parse.js';
import { oneOf, parse, SPEC_INPUT_OPTIONS, SPEC_INPUT_USAGE, specLimits, str } from '../args.js';
import type { Command } from '../command.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

/** The stable JSON document of `pgtopo diff --format json` for two fleet documents. */
export interface FleetDiffReport extends FleetDiff {
  readonly version: 1;
  readonly old: string;
  readonly new: string;
}

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
    'Two fleet documents (kind: fleet): the moves the change implies (slots, ranges or tenants changing',
    "owner; shards added or removed), each cluster tier's changes, and REFUSED entries for a reassignment",
    'the new document does not declare under `moves:` (code undeclared-move, with the spec path of the',
    'reassignment) or a change no move can make (strategy-changed, slot-count-changed, ...).',
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
    const docs = [decodeSpecFile(oldSource, limits), decodeSpecFile(newSource, limits)] as const;
    const fleets = docs.map((d) => d.ok && isFleetDocument(d.value));
    if (fleets[0] !== fleets[1] && docs[0].ok && docs[1].ok) {
      const [fleet, other] = fleets[0] ? [oldFile, newFile] : [newFile, oldFile];
      return invalid(io, [
        [
          other,
          [
            {
              code: 'inconsistent',
              path: ['kind'],
              found: `a cluster spec, compared with the fleet document ${fleet}`,
              expected: 'two fleet documents (kind: fleet) or two cluster specs',
            },
          ],
        ],
      ]);
    }
    // A fleet beside an undecodable document: the fleet path reports the decoding issues.
    if (fleets[0] || fleets[1]) return diffFleetDocs(docs, [oldFile, newFile], format, io);
    const a = resolveParsed(parseDecoded(docs[0]));
    const b = resolveParsed(parseDecoded(docs[1]));
    if (!a.ok || !b.ok) {
      return invalid(io, [
        [oldFile, a.ok ? [] : a.issues],
        [newFile, b.ok ? [] : b.issues],
      ]);
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

function invalid(io: CliIo, files: readonly (readonly [string, readonly SpecIssue[]])[]): number {
  for (const [file, issues] of files) {
    if (issues.length === 0) continue;
    io.err(`${paint(io, 'red', 'invalid')} ${file}: ${issues.length} issue(s)`);
    printIssues(io, issues);
  }
  return EXIT.invalid;
}

/** `pgtopo diff` of two fleet documents: loaded only for them, so a cluster diff starts as before. */
async function diffFleetDocs(
  docs: readonly [Decoded, Decoded],
  [oldFile, newFile]: readonly [string, string],
  format: 'text' | 'json',
  io: CliIo,
): Promise<number> {
  const [{ resolveFleetDecoded }, { diffFleets, formatFleetDiffText }] = await Promise.all([
    import('../../model/fleet.js'),
    import('../../review/fleet-diff.js'),
  ]);
  const a = resolveFleetDecoded(docs[0]);
  const b = resolveFleetDecoded(docs[1]);
  if (!a.ok || !b.ok) {
    return invalid(io, [
      [oldFile, a.ok ? [] : a.issues],
      [newFile, b.ok ? [] : b.issues],
    ]);
  }
  const diff = diffFleets(a.fleet, b.fleet);
  if (format === 'json') {
    const report: FleetDiffReport = { version: 1, old: oldFile, new: newFile, ...diff };
    io.out(JSON.stringify(report, null, 2));
  } else {
    const text = formatFleetDiffText(diff, oldFile, newFile);
    io.out(io.color ? text.replace(/^REFUSED$/m, paint(io, 'red', 'REFUSED')) : text);
  }
  return diff.needsCare ? EXIT.findings : EXIT.ok;
}
