import { ruleMarkdown, rulesMarkdown } from '../../policy/docs.js';
import { RULES, ruleById } from '../../policy/engine.js';
import { closest } from '../../spec/suggest.js';
import { flag, parse } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../io.js';

export const command: Command = {
  name: 'explain',
  summary: 'Explain a policy rule: what it protects, why, and how to fix a finding',
  usage: [
    'Usage: pgtopo explain <rule-id>      e.g. pgtopo explain PGT-ETCD-002',
    '       pgtopo explain --list         every rule id with its severity and title',
    '       pgtopo explain --all          every rule as Markdown (the content of docs/rules.md)',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, { list: { type: 'boolean' }, all: { type: 'boolean' } });
    if (flag(parsed, 'all')) {
      io.out(rulesMarkdown());
      return EXIT.ok;
    }
    if (flag(parsed, 'list')) {
      const width = Math.max(...RULES.map((r) => r.id.length));
      for (const r of RULES) io.out(`${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}`);
      return EXIT.ok;
    }
    if (parsed.positionals.length !== 1) throw new UsageError('expected one rule id (or --list / --all)');
    const id = parsed.positionals[0]!;
    const rule = ruleById(id);
    if (!rule) {
      const s = closest(
        id.toUpperCase(),
        RULES.map((r) => r.id),
      );
      throw new UsageError(
        `unknown rule ${JSON.stringify(id)}${s ? `; did you mean ${s}?` : ''} (pgtopo explain --list shows every rule)`,
      );
    }
    io.out(ruleMarkdown(rule, '#').trimEnd());
    return EXIT.ok;
  },
};
