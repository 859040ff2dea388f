// Writes schema/pgtopo.schema.json and schema/fleet.schema.json from the zod schemas (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { fleetJsonSchema } from '../dist/spec/fleet.js';
import { topologyJsonSchema } from '../dist/spec/json-schema.js';

for (const [file, schema] of [
  ['pgtopo.schema.json', topologyJsonSchema()],
  ['fleet.schema.json', fleetJsonSchema()],
]) {
  const target = new URL(`../schema/${file}`, import.meta.url);
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
