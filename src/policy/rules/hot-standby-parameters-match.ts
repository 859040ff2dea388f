import type { Member, Topology } from '../../model/types.js';
import { type CmdlineParameter, effectiveCmdlineParameter, parameterPath, primaryCluster } from '../facts.js';
import type { Draft, Rule } from '../types.js';

/** Parameters a hot standby must run with at least the primary's values (PostgreSQL refuses to start otherwise). */
export const HOT_STANDBY_PARAMETERS: readonly CmdlineParameter[] = [
  'max_connections',
  'max_worker_processes',
  'max_prepared_transactions',
  'max_locks_per_transaction',
  'max_wal_senders',
];

/**
 * The values a member starts PostgreSQL with. The model holds one parameter set for every member (Patroni
 * passes these on the command line from the cluster-wide configuration), so today they agree by
 * construction; this is the one place that would learn per-member or per-cluster values.
 */
export function hotStandbyValues(t: Topology, _member: Member): Readonly<Record<CmdlineParameter, number>> {
  return Object.fromEntries(
    HOT_STANDBY_PARAMETERS.map((p) => [p, effectiveCmdlineParameter(t, p)]),
  ) as Record<CmdlineParameter, number>;
}

/** Parameters for which `standby` is lower than `primary`. */
export function lowerOnStandby(
  primary: Readonly<Partial<Record<CmdlineParameter, number>>>,
  standby: Readonly<Partial<Record<CmdlineParameter, number>>>,
): CmdlineParameter[] {
  return HOT_STANDBY_PARAMETERS.filter((p) => (standby[p] ?? 0) < (primary[p] ?? 0));
}

export const rule: Rule = {
  id: 'PGT-PG-002',
  group: 'postgres',
  title:
    'Hot-standby parameters (max_connections, max_worker_processes, max_prepared_transactions, max_locks_per_transaction, max_wal_senders) are not lower on any standby',
  severity: 'error',
  rationale:
    'PostgreSQL records these settings in the WAL and a hot standby with a lower value stops replaying (and ' +
    'will not start) until it is raised: a replica silently stops being a failover target, and a standby ' +
    'cluster stops following.',
  fix: 'Set these parameters once in `postgres.parameters` (they apply to every member and every standby cluster).',
  check(t) {
    const w = primaryCluster(t);
    const leader = w && t.members.find((m) => m.cluster === w.scope && m.failoverEligible);
    if (!leader) return [];
    const primary = hotStandbyValues(t, leader);
    const drafts: Draft[] = [];
    for (const m of t.members) {
      if (m === leader) continue;
      const values = hotStandbyValues(t, m);
      for (const p of lowerOnStandby(primary, values)) {
        drafts.push({
          path: parameterPath(p),
          target: m.name,
          found: `${p} ${values[p]} on ${m.name}, ${primary[p]} on the primary`,
          expected: `at least ${primary[p]}`,
        });
      }
    }
    return drafts;
  },
};
