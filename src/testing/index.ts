/**
 * `pgtopo/testing`: matchers and a snapshot serializer for users' own tests of their topologies, in
 * jest or vitest. Never loaded by `pgtopo check`, `synth` or the stacks.
 *
 * ```ts
 * import { pgtopoMatchers, pgtopoSerializer } from 'pgtopo/testing';
 * expect.extend(pgtopoMatchers);
 * expect.addSnapshotSerializer(pgtopoSerializer);
 * ```
 */
export {
  type FindingQuery,
  type MatcherContext,
  MatcherInputError,
  type MatcherResult,
  type PgtopoMatchers,
  pgtopoMatchers,
  type RecoveryExpectation,
  subsetMismatch,
} from './matchers.js';
export { pgtopoSerializer, stableReview, stableTerraform } from './serializer.js';
export type { SpecSubject } from './subject.js';
export { PLUGIN_DIR_ENV, type TerraformValidateOptions } from './terraform.js';
