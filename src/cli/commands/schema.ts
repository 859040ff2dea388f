import { topologyJsonSchema } from '../../spec/json-schema.js';
import { flag, parse } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../io.js';

export const command: Command = {
  name: 'schema',
  summary: 'Print the JSON Schema of the spec',
  usage: [
    'Usage: pgtopo schema [--fleet]',
    '',
    'Prints the JSON Schema (draft 2020-12) of the topology spec. The package also ships it as',
    '`pgtopo/schema.json`; point YAML editors at it with',
    '  # yaml-language-server: $schema=<path to node_modules/pgtopo/schema/pgtopo.schema.json>',
    "--fleet prints the fleet document's schema (kind: fleet) instead, shipped as `pgtopo/fleet.schema.json`",
    '(schema/fleet.schema.json); its template, catalog and coordinator are the topology schema.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, { fleet: { type: 'boolean' } });
    if (flag(parsed, 'fleet')) {
      const { fleetJsonSchema } = await import('../../spec/fleet.js');
      io.out(JSON.stringify(fleetJsonSchema(), null, 2));
    } else io.out(JSON.stringify(topologyJsonSchema(), null, 2));
    return EXIT.ok;
  },
};
