/**
 * The public entry points from spec to model. A file and a TS object go
 * through the same parse; every problem is collected before anything fails.
 */
import { SpecError, type SpecIssue } from '../spec/issues.js';
import type { SpecLimits } from '../spec/limits.js';
import { type Locator, type ParseResult, parseSpec, parseSpecFile } from '../spec/parse.js';
import type { ParsedSpec, TopologySpecInput } from '../spec/schema.js';
import { resolveTopology } from './resolve.js';
import type { Topology } from './types.js';

export type ResolveResult =
  | {
      readonly ok: true;
      readonly topology: Topology;
      /** The spec as validated (schema defaults applied): synthesizes the same stacks as its source. */
      readonly spec: ParsedSpec;
      readonly locate?: Locator;
    }
  | { readonly ok: false; readonly issues: readonly SpecIssue[]; readonly locate?: Locator };

/** Resolves an already-parsed spec (see parseSpec, parseDecoded) without throwing. */
export function resolveParsed(parsed: ParseResult): ResolveResult {
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, topology: resolveTopology(parsed.spec), spec: parsed.spec, locate: parsed.locate };
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const locate = parsed.locate;
    const issues = locate
      ? e.issues.map((i) => {
          const location = locate(i.path);
          return location ? { ...i, location } : i;
        })
      : e.issues;
    return { ok: false, issues, locate };
  }
}

/** Validates and resolves a spec object without throwing. */
export function tryResolve(input: TopologySpecInput | unknown): ResolveResult {
  return resolveParsed(parseSpec(input));
}

/** Reads, validates and resolves a YAML or JSON spec file (`-`: standard input) without throwing. */
export function tryLoad(path: string, limits?: SpecLimits): ResolveResult {
  return resolveParsed(parseSpecFile(path, limits));
}

/** Validates and resolves a spec object. Throws SpecError listing every issue. */
export function topologyFrom(input: TopologySpecInput): Topology {
  const r = tryResolve(input);
  if (!r.ok) throw new SpecError(r.issues);
  return r.topology;
}

/** Reads, validates and resolves a YAML or JSON spec file. Throws SpecError listing every issue. */
export function loadTopology(path: string): Topology {
  const r = tryLoad(path);
  if (!r.ok) throw new SpecError(r.issues);
  return r.topology;
}
