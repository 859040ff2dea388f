/**
 * Citus on Patroni, from the same fleet model: every shard cluster is a Citus worker group and the
 * coordinator cluster is group 0. Patroni manages Citus natively (`citus: {group, database}`): all groups
 * share one scope (the fleet's name) and one etcd (the coordinator's quorum), each group's leader key
 * living under `/<namespace>/<scope>/<group>/`; Patroni registers workers with the coordinator and adds
 * `citus` to shared_preload_libraries itself.
 *
 * Each member's patroni.yml is the ordinary rendering of its cluster (every cluster rule still applies)
 * with three changes: the shared scope, the `citus` section, and the coordinator quorum's etcd hosts.
 * Citus is not packaged in Debian, so this rendering is checked by Patroni's own `--validate-config` and
 * the policy rules, but never rehearsed here.
 */
import { parse } from 'yaml';
import type { Fleet, Shard } from '../model/fleet.js';
import { etcdHosts, renderPatroni } from './patroni.js';
import type { AddressMap } from './types.js';
import { toYaml11 } from './yaml.js';

/** The Citus group of a fleet cluster: the coordinator is 0, shard i is i + 1. */
export function citusGroup(of: 'coordinator' | Shard): number {
  return of === 'coordinator' ? 0 : of.index + 1;
}

/**
 * The patroni.yml of one member of a Citus fleet. `map` places the member's own cluster;
 * `coordinatorMap` places the coordinator cluster, whose etcd quorum every group uses.
 */
export function renderCitusPatroni(
  f: Fleet,
  of: 'coordinator' | Shard,
  memberName: string,
  map: AddressMap,
  coordinatorMap: AddressMap = map,
): string {
  const t = of === 'coordinator' ? f.coordinator : of.topology;
  const doc = parse(renderPatroni(t, memberName, map), { version: '1.1' }) as Record<string, unknown> & {
    etcd3: Record<string, unknown>;
  };
  const coordinatorMember = f.coordinator.members.find((m) => m.region === f.coordinator.primaryRegion)!;
  return toYaml11({
    ...doc,
    scope: f.name,
    citus: { group: citusGroup(of), database: f.router.database },
    etcd3: { ...doc.etcd3, hosts: etcdHosts(f.coordinator, coordinatorMember.name, coordinatorMap) },
  });
}
