// Writes schema/pgtopo.schema.json from the zod schema (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { topologyJsonSchema } from '../dist/spec/json-schema.js';

const target = new URL('../schema/pgtopo.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
