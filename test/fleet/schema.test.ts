import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { fleetJsonSchema } from '../../src/spec/fleet.js';
import { type SchemaNode, undocumented } from '../helpers/json-schema.js';
import { FLEET_EXAMPLE, fleetVariant } from './helpers.js';

describe('JSON Schema of the fleet document', () => {
  const schema = fleetJsonSchema();
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

  test('the shipped schema/fleet.schema.json is current (regenerate: npm run schema)', () => {
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/fleet.schema.json', import.meta.url), 'utf8'),
    );
    expect(shipped).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  test('every fleet field has a description', () => {
    expect(undocumented(schema as SchemaNode)).toEqual([]);
  });

  test('the example fleet validates, moves included', () => {
    expect(validate(parse(readFileSync(FLEET_EXAMPLE, 'utf8')))).toBe(true);
    expect(validate(fleetVariant((s) => (s.moves = [{ slots: '0-3', from: 0, to: 1 }])))).toBe(true);
  });

  test.each([
    ['an unknown fleet key', (s: Record<string, any>) => (s.shardz = 4)],
    ['a misspelt key in a move', (s: Record<string, any>) => (s.moves = [{ slot: 1, from: 0, to: 1 }])],
    ['a name in the template', (s: Record<string, any>) => (s.template.name = 'x')],
    ['an unknown key in the catalog cluster', (s: Record<string, any>) => (s.catalog.regoins = [])],
  ])('rejects %s, as the parser does', (_, edit) => {
    expect(validate(fleetVariant(edit))).toBe(false);
  });
});
