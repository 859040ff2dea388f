/**
 * The logical bundle of a topology: per writable cluster, its psql scripts in apply order and one Debezium
 * connector configuration per CDC feed. `pgtopo render --logical` writes it under `logical/`.
 */
import { isEmptyPlan } from '../model/logical.js';
import type { Topology } from '../model/types.js';
import { renderDebeziumConnectors } from './debezium.js';
import { type LogicalSqlOptions, psqlScript, psqlScriptName, renderLogicalSql } from './logical-sql.js';

export interface LogicalFile {
  /** Path relative to the bundle directory: `<cluster>/NN-<side>-<database>.sql`, `<cluster>/debezium/<feed>.json`. */
  readonly rel: string;
  readonly content: string;
}

export function renderLogicalFiles(
  t: Topology,
  opts: LogicalSqlOptions & { readonly sslrootcert?: string } = {},
): LogicalFile[] {
  return t.logical
    .filter((p) => !isEmptyPlan(p))
    .flatMap((plan) => [
      ...renderLogicalSql(plan, opts).map((g, i) => ({
        rel: `${plan.cluster}/${psqlScriptName(g, i)}`,
        content: psqlScript(g, plan.cluster),
      })),
      ...renderDebeziumConnectors(plan, { tls: t.security.tls, sslrootcert: opts.sslrootcert }).map((c) => ({
        rel: `${plan.cluster}/debezium/${c.name}.json`,
        content: `${JSON.stringify(c, null, 2)}\n`,
      })),
    ]);
}
