import { topologyJsonSchema } from '../../spec/json-schema.js';
import { parse } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../io.js';

export const command: Command = {
  name: 'schema',
  summary: 'Print the JSON Schema of the spec',
  usage: [
    'Usage: pgtopo schema',
    '',
    'Prints the JSON Schema (draft 2020-12) of the topology spec. The package also ships it as',
    '`pgtopo/schema.json`; point YAML editors at it with',
    '  # yaml-language-server: $schema=<path to node_modules/pgtopo/schema/pgtopo.schema.json>',
  ].join('\n'),
  async run(args, io) {
    parse(args, {});
    io.out(JSON.stringify(topologyJsonSchema(), null, 2));
    return EXIT.ok;
  },
};
