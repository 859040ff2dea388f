import { resolve } from 'node:path';
import {
  type S3StateOptions,
  StateOptionsError,
  SynthesisError,
  stateOptionsFrom,
  synthesisErrorLines,
  synthesize,
} from '../../aws/index.js';
import { isFleetDocument } from '../../spec/fleet-kind.js';
import { SpecError } from '../../spec/issues.js';
import { decodeSpecFile } from '../../spec/parse.js';
import { OutputPathError } from '../../util/staged-output.js';
import { type ParsedArgs, parse, str } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

export const command: Command = {
  name: 'synth',
  summary: 'Synthesize the Terraform JSON of every stack of a spec',
  usage: [
    'Usage: pgtopo synth <spec.yaml|spec.json> [--out <dir>] [--state-bucket <bucket> [--state-region <region>] [--state-prefix <prefix>]]',
    '',
    'Validates the spec, runs the policy rules and writes one Terraform JSON per stack:',
    '<out>/stacks/<name>-<region>/cdk.tf.json for each region, then <out>/stacks/<name>-global.',
    'Apply region stacks first, the global stack last. Plan any stack offline with',
    'A fleet document (kind: fleet) synthesizes every cluster (each shard, the catalog, the coordinator)',
    'into <out>/<cluster>/stacks/..., all or nothing; a fleet rule error (PGT-SHD-*) stops it.',
    '`terraform plan -var offline_plan=true`.',
    '--out            output directory (default: cdktf.out)',
    "--state-bucket   keep every stack's state in this S3 bucket (encrypted, locked with an S3 lock file),",
    '                 one key per stack: <prefix>/<stack>.tfstate; the global stack reads the region',
    "                 stacks' outputs from it. Default: local state beside <out>.",
    "--state-region   the state bucket's region (default: the spec's primary region)",
    '--state-prefix   key prefix of the state objects (default: pgtopo)',
    'Nothing is written unless every stack synthesizes: the stacks go to a staging directory beside',
    '<out> first and move in whole; a failure leaves <out> as it was.',
    'Exit codes: 0 synthesized, 1 policy or resource-rule errors (all of them, each once), 2 invalid spec,',
    '64 bad command line or unusable --out.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, {
      out: { type: 'string', short: 'o' },
      'state-bucket': { type: 'string' },
      'state-region': { type: 'string' },
      'state-prefix': { type: 'string' },
    });
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const file = parsed.positionals[0]!;
    const outdir = resolve(str(parsed, 'out') ?? 'cdktf.out');
    const state = stateOptions(parsed);
    try {
      const doc = decodeSpecFile(file);
      if (doc.ok && isFleetDocument(doc.value)) {
        const [{ synthFleet }, { resolveFleetDecoded }] = await Promise.all([
          import('../fleet.js'),
          import('../../model/fleet.js'),
        ]);
        return await synthFleet(resolveFleetDecoded(doc), outdir, state ? { state } : {}, io);
      }
      const result = synthesize(file, outdir, state ? { state } : {});
      for (const s of result.stacks) io.out(`${paint(io, 'green', 'synthesized')} ${s.id}: ${s.file}`);
      if (result.policy.warnings > 0)
        io.err(`${result.policy.warnings} policy warning(s): see \`pgtopo check ${file}\``);
      return EXIT.ok;
    } catch (e) {
      if (e instanceof SpecError) {
        io.err(`${paint(io, 'red', 'invalid')} ${file}: ${e.issues.length} issue(s)`);
        printIssues(io, e.issues);
        return EXIT.invalid;
      }
      if (e instanceof SynthesisError) {
        io.err(`${paint(io, 'red', 'not synthesized')} ${file}: ${e.messages.length} error(s)`);
        for (const line of synthesisErrorLines(e, (s, t) => paint(io, s, t))) io.err(line);
        return EXIT.findings;
      }
      if (e instanceof OutputPathError) {
        io.err(`pgtopo synth: ${e.message}`);
        return EXIT.usage;
      }
      throw e;
    }
  },
};

/** Remote-state options of the command line; an unusable one is a usage error naming the option. */
function stateOptions(parsed: ParsedArgs): S3StateOptions | undefined {
  try {
    return stateOptionsFrom({
      bucket: str(parsed, 'state-bucket'),
      region: str(parsed, 'state-region'),
      prefix: str(parsed, 'state-prefix'),
    });
  } catch (e) {
    if (!(e instanceof StateOptionsError)) throw e;
    throw new UsageError(
      e.problems.map((p) => `--state-${p.option}: found ${p.found}; expected ${p.expected}`).join('\n'),
    );
  }
}
