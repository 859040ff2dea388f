/**
 * Companion clusters: a second, small Patroni cluster that a logical drill boots beside the rehearsed one,
 * from a spec derived from the rehearsed spec, through the same boot code (`Rehearsal.boot`):
 *
 * - the subscriber of `subscription-failover`: a cluster whose own logical plan subscribes to a publication
 *   of the rehearsed cluster, on a slot the rehearsed cluster owns (`publications[].subscriberSlots`);
 * - the old side of `upgrade`: the rehearsed spec on the previous node release (Debian 12 / PostgreSQL 15),
 *   publishing the same tables, with the migration's slot declared as one of its subscriber slots (so its
 *   owner, Patroni's permanent slots there, keeps it).
 *
 * A companion keeps the rehearsed spec's region, AZs, timers, durability, endpoints and security, with two
 * members and a one-member etcd (cheap to boot), no archive and no monitoring. Its members and name carry a
 * tag, so its processes, logs and cgroups are told apart from the rehearsed cluster's.
 */
import { topologyFrom } from '../model/load.js';
import type { LogicalPlan } from '../model/logical.js';
import type { Topology } from '../model/types.js';
import type { ReleaseName } from '../spec/releases.js';
import type { TopologySpecInput } from '../spec/schema.js';

/** Members of a companion cluster: a leader and a replica, so it is a real Patroni cluster. */
export const COMPANION_MEMBERS = 2;

type Logical = NonNullable<TopologySpecInput['logical']>;

/** The rehearsed spec reduced to a small single-region cluster named `<name>-<tag>`. */
export function companionSpec(
  t: Topology,
  o: { tag: string; logical: Logical; os?: ReleaseName },
): TopologySpecInput {
  const spec = t.spec;
  const region = spec.regions.find((r) => r.name === t.primaryRegion)!;
  const members = region.members.slice(0, COMPANION_MEMBERS).map((m, i) => ({
    name: `${o.tag}-${String.fromCharCode(97 + i)}`,
    az: m.az,
  }));
  return {
    name: `${t.name}-${o.tag}`,
    // On another release the PostgreSQL major is that release's (the spec's version would pin this one's).
    postgres: { parameters: spec.postgres.parameters, ...(o.os ? {} : { version: spec.postgres.version }) },
    primaryRegion: t.primaryRegion,
    dcs: { mode: 'per-region', membersPerRegion: 1 },
    failover: spec.failover,
    durability: spec.durability,
    regions: [{ name: region.name, role: 'primary', cidr: region.cidr, azs: region.azs, members }],
    archive: { enabled: false },
    endpoints: { ...spec.endpoints, dnsZone: undefined },
    security: spec.security,
    hosts: { os: o.os ?? spec.hosts.os },
    logical: o.logical,
  } as TopologySpecInput;
}

/** A secret ARN that resolves in the spec; the rehearsal fills the variable it names, never AWS. */
function rehearsalSecret(t: Topology, role: string): string {
  return `arn:aws:secretsmanager:${t.primaryRegion}:000000000000:secret:pgtopo/${t.name}/logical/${role}-rehearsal`;
}

/**
 * The subscriber of a subscriber slot of the rehearsed cluster's plan: a cluster holding the publication's
 * database (same name and owner) whose plan subscribes to the publication through the rehearsed cluster's
 * writer endpoint, as `role`, on `slot` (create_slot = false: the publisher owns it).
 */
export function subscriberTopology(
  t: Topology,
  plan: LogicalPlan,
  o: { tag: string; slot: string; publication: string; database: string; role: string },
): Topology {
  const owner = plan.databases.find((d) => d.name === o.database)?.owner;
  if (!owner) throw new Error(`database ${o.database} is not in the logical plan of ${plan.cluster}`);
  return topologyFrom(
    companionSpec(t, {
      tag: o.tag,
      logical: {
        roles: [{ name: owner }],
        databases: [{ name: o.database, owner }],
        subscriptions: [
          {
            name: o.slot,
            database: o.database,
            publication: o.publication,
            publisher: {
              cluster: t.name,
              dnsZone: t.spec.endpoints.dnsZone,
              database: o.database,
              user: o.role,
              password: rehearsalSecret(t, o.role),
              os: t.release.name,
            },
            slot: o.slot,
            copyData: true,
          },
        ],
      },
    }),
  );
}

/**
 * The old side of a blue/green upgrade: the rehearsed spec's logical section (roles, databases, grants,
 * publications, CDC feeds; no subscriptions) on release `os`, with `slot` added to the subscriber slots of
 * `publication`.
 */
export function upgradeSourceTopology(
  t: Topology,
  o: { tag: string; os: ReleaseName; publication: string; slot: string },
): Topology {
  const logical = t.spec.logical;
  return topologyFrom(
    companionSpec(t, {
      tag: o.tag,
      os: o.os,
      logical: {
        ...logical,
        subscriptions: [],
        publications: logical.publications.map((p) =>
          p.name === o.publication ? { ...p, subscriberSlots: [...p.subscriberSlots, o.slot] } : p,
        ),
      } as Logical,
    }),
  );
}
