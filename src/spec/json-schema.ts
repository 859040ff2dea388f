/** The spec's JSON Schema (for YAML editors) and key look-ups derived from it. */
import { z } from 'zod';
import type { PathSegment } from './issues.js';
import { TopologySpec } from './schema.js';

export const SCHEMA_ID = 'https://pgtopo.dev/schema/pgtopo.schema.json';

export type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [k: string]: unknown;
};

let cached: JsonSchema | undefined;

/** JSON Schema (draft 2020-12) of the spec input: defaults are shown, defaulted fields optional. */
export function topologyJsonSchema(): JsonSchema {
  cached ??= {
    ...(z.toJSONSchema(TopologySpec, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
    $id: SCHEMA_ID,
    title: 'pgtopo topology spec',
  };
  return cached;
}

/**
 * The keys an object at `path` accepts. Union branches are merged, except that
 * a branch whose constant discriminator disagrees with `value` is left out.
 */
export function knownKeysAt(
  path: readonly PathSegment[],
  value?: unknown,
  root: JsonSchema = topologyJsonSchema(),
): string[] {
  let nodes: JsonSchema[] = [root];
  for (const seg of path) {
    const next: JsonSchema[] = [];
    for (const node of nodes.flatMap(expand)) {
      if (typeof seg === 'number' && node.items) next.push(node.items);
      else if (typeof seg === 'string' && node.properties?.[seg]) next.push(node.properties[seg]);
    }
    nodes = next;
  }
  const branches = nodes.flatMap(expand).filter((n) => n.properties && matchesConstants(n, value));
  return [...new Set(branches.flatMap((n) => Object.keys(n.properties ?? {})))];
}

function expand(node: JsonSchema): JsonSchema[] {
  const branches = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return branches.length ? [node, ...branches.flatMap(expand)] : [node];
}

function matchesConstants(node: JsonSchema, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.entries(node.properties ?? {}).every(([key, prop]) => {
    const actual = (value as Record<string, unknown>)[key];
    return prop.const === undefined || actual === undefined || prop.const === actual;
  });
}

/**
 * Every leaf field of the spec, as a pattern: `regions[].members[].volume.sizeGiB`. Lists of named
 * objects (regions, members) are walked with `[]`; any other list, map or scalar is one leaf. Union
 * branches (dcs) contribute the fields of every branch.
 */
export function specLeafFields(): string[] {
  const out = new Set<string>();
  const walk = (node: JsonSchema, path: string) => {
    const branches = expand(node).filter((n) => n.properties);
    const items = expand(node).find((n) => n.items)?.items;
    if (branches.length > 0) {
      for (const b of branches)
        for (const [k, v] of Object.entries(b.properties!)) walk(v, path ? `${path}.${k}` : k);
    } else if (items && expand(items).some((n) => n.properties?.name)) {
      walk(items, `${path}[]`);
    } else {
      out.add(path);
    }
  };
  walk(topologyJsonSchema(), '');
  return [...out];
}
