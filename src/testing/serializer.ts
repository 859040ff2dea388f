/**
 * A snapshot serializer (`{ test, serialize }`, the plugin shape of pretty-format that jest-snapshot and
 * vitest both take) that keeps users' snapshots about their topology, not about the tool versions that
 * produced it:
 * - Terraform JSON synthesized by cdktf or CDK Terrain: the synthesizer's version stamp
 *   (`"//".metadata.version`) is dropped, and each instance's `user_data_base64` (pgtopo's rendered
 *   node configuration, which changes with pgtopo's renderer) becomes `<rendered user data of <Name tag>>`.
 * - Review artefacts (`buildReview()`): the SVG (Graphviz's layout, which changes with Graphviz) is
 *   left out and the Terraform version in the plan section is masked.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Terraform JSON as cdktf and cdktn write it: a `"//"` block with the stack's metadata. */
function isSynthesizedTerraform(v: unknown): v is Json {
  return isObject(v) && isObject(v['//']) && isObject(v['//'].metadata) && 'stackName' in v['//'].metadata;
}

function isReviewArtefacts(v: unknown): v is { markdown: string; mermaid: string; dot: string; svg: string } {
  return isObject(v) && ['markdown', 'mermaid', 'dot', 'svg'].every((k) => typeof v[k] === 'string');
}

/** Terraform JSON without what changes with the synthesizer's and pgtopo's versions (a deep copy). */
export function stableTerraform<T>(json: T): T {
  const copy = structuredClone(json) as unknown;
  if (!isSynthesizedTerraform(copy)) return copy as T;
  delete (copy['//'] as { metadata: Json }).metadata.version;
  const instances =
    isObject(copy.resource) && isObject(copy.resource.aws_instance) ? copy.resource.aws_instance : {};
  for (const i of Object.values(instances)) {
    if (!isObject(i) || typeof i.user_data_base64 !== 'string') continue;
    const tags = isObject(i.tags) ? i.tags : {};
    i.user_data_base64 = `<rendered user data of ${String(tags.Name ?? 'an instance')}>`;
  }
  return copy as T;
}

/** Review artefacts without the Graphviz layout and with the Terraform version masked. */
export function stableReview(r: { markdown: string; mermaid: string; dot: string }): {
  markdown: string;
  mermaid: string;
  dot: string;
  svg: string;
} {
  return {
    markdown: r.markdown.replace(/\bTerraform \d+\.\d+\.\d+(?:[-+][\w.]+)?:/g, 'Terraform <version>:'),
    mermaid: r.mermaid,
    dot: r.dot,
    svg: '[svg: Graphviz layout of the dot source above, not snapshotted]',
  };
}

/** Values this serializer produced: printed as they are (the printer calls `test` on them again). */
const stable = new WeakSet<object>();

export const pgtopoSerializer = {
  test(val: unknown): boolean {
    return (isSynthesizedTerraform(val) || isReviewArtefacts(val)) && !stable.has(val);
  },
  serialize<Config, Refs>(
    val: unknown,
    config: Config,
    indentation: string,
    depth: number,
    refs: Refs,
    printer: (val: unknown, config: Config, indentation: string, depth: number, refs: Refs) => string,
  ): string {
    const out = isReviewArtefacts(val) ? stableReview(val) : stableTerraform(val);
    stable.add(out as object);
    return printer(out, config, indentation, depth, refs);
  },
};
