/** Fields of a JSON Schema without a description (for the schema tests). */
export type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  description?: string;
};

export function undocumented(node: SchemaNode, path = ''): string[] {
  const own = Object.entries(node.properties ?? {}).flatMap(([k, v]) => [
    ...(v.description ? [] : [`${path}.${k}`]),
    ...undocumented(v, `${path}.${k}`),
  ]);
  const nested = [...(node.items ? [node.items] : []), ...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return [...own, ...nested.flatMap((n) => undocumented(n, path))];
}
