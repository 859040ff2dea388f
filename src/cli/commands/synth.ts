import { resolve } from 'node:path';
import { SynthesisError, synthesisErrorLines, synthesize } from '../../aws/index.js';
import { SpecError } from '../../spec/issues.js';
import { OutputPathError } from '../../util/staged-output.js';
import { parse, str } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

export const command: Command = {
  name: 'synth',
  summary: 'Synthesize the Terraform JSON of every stack of a spec',
  usage: [
    'Usage: pgtopo synth <spec.yaml|spec.json> [--out <dir>]',
    '',
    'Validates the spec, runs the policy rules and writes one Terraform JSON per stack:',
    '<out>/stacks/<name>-<region>/cdk.tf.json for each region, then <out>/stacks/<name>-global.',
    'Apply region stacks first, the global stack last. Plan any stack offline with',
    '`terraform plan -var offline_plan=true`.',
    '--out   output directory (default: cdktf.out)',
    'Nothing is written unless every stack synthesizes: the stacks go to a staging directory beside',
    '<out> first and move in whole; a failure leaves <out> as it was.',
    'Exit codes: 0 synthesized, 1 policy or resource-rule errors (all of them, each once), 2 invalid spec,',
    '64 bad command line or unusable --out.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, { out: { type: 'string', short: 'o' } });
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const file = parsed.positionals[0]!;
    const outdir = resolve(str(parsed, 'out') ?? 'cdktf.out');
    try {
      const result = synthesize(file, outdir);
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
