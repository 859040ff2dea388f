/**
 * pgtopo's Pulumi layer (`pgtopo/pulumi`): the logical plan of a writable cluster as @pulumi/postgresql
 * resources. A separate entry point: the CLI and the library entry point never load it, and @pulumi/pulumi and
 * @pulumi/postgresql are optional peer dependencies, needed only here.
 */
export {
  LOGICAL_COMPONENT_TYPE,
  type LogicalConnection,
  MissingPasswordError,
  PgtopoLogical,
  type PgtopoLogicalArgs,
  type SqlOnlyObject,
  sqlOnlyObjects,
} from './logical.js';
