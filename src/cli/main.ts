/**
 * `pgtopo`: thin commands over the layers. Each command module is imported
 * only when it runs, so `pgtopo check` never loads cdktf or provider bindings.
 */
import { readFileSync } from 'node:fs';
import { config as configureZod } from 'zod/v4/core';
import { SPEC_LIMITS } from '../spec/limits.js';
import type { Command } from './command.js';
import { type CliIo, EXIT, processIo, UsageError } from './io.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  check: { summary: 'Validate a spec and run the policy rules', load: () => import('./commands/check.js') },
  explain: {
    summary: 'Explain a policy rule: what it protects, why, how to fix',
    load: () => import('./commands/explain.js'),
  },
  synth: {
    summary: 'Synthesize the Terraform JSON of every stack of a spec',
    load: () => import('./commands/synth.js'),
  },
  schema: { summary: 'Print the JSON Schema of the spec', load: () => import('./commands/schema.js') },
  render: {
    summary: "Write one node's rendered configuration for inspection",
    load: () => import('./commands/render.js'),
  },
  rehearse: {
    summary: 'Boot the rendered cluster locally and rehearse failures',
    load: () => import('./commands/rehearse.js'),
  },
  review: {
    summary: 'Write review artefacts: report, diagrams, failure table, plan summary',
    load: () => import('./commands/review.js'),
  },
  diff: {
    summary: 'What a spec change does to the cluster; exit 1 when it destroys data or needs care',
    load: () => import('./commands/diff.js'),
  },
};

/** The package version. Both dist/cli/main.js and the bundled dist/bin/main.js sit two levels below the root. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'pgtopo: typed multi-region PostgreSQL (Patroni + etcd) topologies on AWS',
    '',
    'Usage: pgtopo <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show help (also after a command)',
    '  --version, -v  print the version',
    '',
    'Exit codes (every command): 0 passed, 1 policy errors (diff: a change that destroys data or needs',
    'care), 2 invalid spec, 64 bad command line or output path, 70 internal error (a bug: please report it).',
    `A spec argument of \`-\` reads standard input; specs are capped at ${SPEC_LIMITS.maxBytes} bytes (\`--max-bytes\` raises it).`,
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`pgtopo: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return EXIT.usage;
  }
  const { command } = await entry.load();
  // A run parses one spec: zod's JIT (one compiled parser per object schema) costs more than it saves,
  // about 5% of `pgtopo check` (bench/check.mjs --baseline). Set here, not in spec/: a library must not
  // change its users' zod. A static import: a dynamic one is one more bundle chunk to load on every run.
  configureZod({ jitless: true });
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`pgtopo ${name}: ${e.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    io.err(`pgtopo ${name}: internal error: ${(e as Error).message}`);
    if (process.env.PGTOPO_DEBUG) io.err(String((e as Error).stack));
    return EXIT.internal;
  }
}
