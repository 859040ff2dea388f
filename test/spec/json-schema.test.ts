import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { topologyJsonSchema } from '../../src/spec/json-schema.js';
import { EXAMPLE_NAMES, EXAMPLES } from '../helpers/examples.js';
import { type SchemaNode, undocumented } from '../helpers/json-schema.js';

describe('JSON Schema for YAML users', () => {
  const schema = topologyJsonSchema();

  test('every field has a description', () => {
    expect(undocumented(schema as SchemaNode)).toEqual([]);
  });

  test('the shipped schema/pgtopo.schema.json is current (regenerate: npm run schema)', () => {
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/pgtopo.schema.json', import.meta.url), 'utf8'),
    );
    expect(shipped).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

  test.each(EXAMPLE_NAMES)('example %s validates against it', (name) => {
    const ok = validate(parse(readFileSync(EXAMPLES[name], 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('it rejects unknown keys as the parser does', () => {
    const doc = parse(readFileSync(EXAMPLES.singleRegion, 'utf8'));
    doc.regions[0].memebrs = [];
    expect(validate(doc)).toBe(false);
  });
});
