/**
 * A fleet's address space and its routing tier's network paths.
 *
 * Numbering: shard i's VPC in a template region gets the i-th block of the template CIDR's size counting
 * up from the template CIDR itself (template 10.10.0.0/16: shard 0 10.10.0.0/16, shard 1 10.11.0.0/16, ...).
 * A shard's address depends only on its index and the template, never on the shard count, so growing the
 * fleet keeps every existing shard's VPC (a VPC's CIDR cannot change in place). Blocks stay inside the
 * private block (RFC 1918 or shared CGNAT space) that holds the template CIDR; an entry of the fleet's
 * `addresses` replaces one shard's block in one region (an adopted VPC); the catalog and the coordinator
 * keep the CIDRs their own specs give. Every VPC of the fleet must be disjoint from every other:
 * the routing tier peers them, and a peering or a route cannot join overlapping ranges.
 */
import { contains, formatCidr, overlaps, parseCidr, size, tryParseIpv4Cidr } from '../spec/cidr.js';
import type { PathSegment, SpecIssue } from '../spec/issues.js';
import { PORTS } from './constants.js';
import type { Topology } from './types.js';

/** Private blocks a template CIDR is numbered within: RFC 1918 and shared CGNAT space (RFC 6598). */
export const FLEET_ADDRESS_BLOCKS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
];

/** The private block holding `cidr` (one of FLEET_ADDRESS_BLOCKS), or undefined. */
export function addressBlockOf(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  return FLEET_ADDRESS_BLOCKS.find((b) => contains(parseCidr(b), c));
}

/**
 * Shard `index`'s CIDR for a template region CIDR: the index-th block of the template's size from the
 * template CIDR, or undefined when it leaves the template's private block (or the template is not in one).
 */
export function shardCidr(templateCidr: string, index: number): string | undefined {
  const t = parseCidr(templateCidr);
  const block = addressBlockOf(templateCidr);
  if (block === undefined) return index === 0 ? formatCidr(t) : undefined;
  const b = parseCidr(block);
  const base = t.base + index * size(t);
  if (base + size(t) > b.base + size(b)) return undefined;
  return formatCidr({ base, prefix: t.prefix });
}

/** How many shards a template region CIDR can number (its private block's room from the template on). */
export function shardCapacity(templateCidr: string): number {
  const t = parseCidr(templateCidr);
  const block = addressBlockOf(templateCidr);
  if (block === undefined) return 1;
  const b = parseCidr(block);
  return (b.base + size(b) - t.base) / size(t);
}

/** A template region whose CIDR gets numbered per shard. */
interface TemplateRegion {
  readonly index: number;
  readonly name: unknown;
  readonly cidr: string;
}

/** A shard's CIDR in one region that replaces its numbered block (the fleet's `addresses`). */
export interface ShardAddressOverride {
  readonly shard: number;
  readonly region: string;
  readonly cidr: string;
}

function templateRegions(template: Readonly<Record<string, unknown>>): TemplateRegion[] {
  const regions = template.regions;
  if (!Array.isArray(regions)) return [];
  return regions.flatMap((r, index) => {
    const { cidr, name } = (r ?? {}) as { cidr?: unknown; name?: unknown };
    return typeof cidr === 'string' && tryParseIpv4Cidr(cidr) ? [{ index, name, cidr }] : [];
  });
}

/**
 * The template with every region's CIDR renumbered for shard `index` (regions whose CIDR is missing or
 * malformed stay as they are: the shard's own parse reports them). Throws nothing; a shard that cannot be
 * numbered keeps the template CIDR (fleetNumberingIssues reports it).
 */
export function numberedTemplate(
  template: Readonly<Record<string, unknown>>,
  index: number,
  addresses: readonly ShardAddressOverride[] = [],
): Readonly<Record<string, unknown>> {
  const numbered = templateRegions(template);
  const own = addresses.filter((a) => a.shard === index);
  if (numbered.length === 0 || (index === 0 && own.length === 0)) return template;
  const regions = (template.regions as unknown[]).map((r, i) => {
    const t = numbered.find((x) => x.index === i);
    const cidr = t ? (own.find((a) => a.region === t.name)?.cidr ?? shardCidr(t.cidr, index)) : undefined;
    return cidr ? { ...(r as Record<string, unknown>), cidr } : r;
  });
  return { ...template, regions };
}

/** Issues of a fleet whose shards cannot all be numbered: the template's private block is too small. */
export function fleetNumberingIssues(
  template: Readonly<Record<string, unknown>>,
  shards: number,
  addresses: readonly ShardAddressOverride[] = [],
): SpecIssue[] {
  return templateRegions(template).flatMap(({ index, name, cidr }) => {
    const capacity = shardCapacity(cidr);
    // Shards whose address in this region is given need no numbered block.
    let needed = shards;
    while (needed > 0 && addresses.some((a) => a.shard === needed - 1 && a.region === name)) needed--;
    if (capacity >= needed) return [];
    const block = addressBlockOf(cidr);
    const prefix = parseCidr(cidr).prefix;
    return [
      {
        code: 'cidr_too_small' as const,
        path: ['template', 'regions', index, 'cidr'],
        found: block
          ? `${cidr} numbers ${capacity} shard(s) before leaving ${block}; the fleet numbers ${needed}`
          : `${cidr}, outside private address space (${FLEET_ADDRESS_BLOCKS.join(', ')}): only shard 0 can use it`,
        expected: `a template CIDR from which ${needed} consecutive /${prefix} blocks stay inside one of ${FLEET_ADDRESS_BLOCKS.join(', ')} (lower the template CIDR, make the VPCs smaller, or give the last shards \`addresses\`)`,
      },
    ];
  });
}

/** One VPC of the fleet: a cluster's region, with where its CIDR comes from in the fleet document. */
export interface FleetVpc {
  readonly cluster: string;
  readonly role: 'shard' | 'catalog' | 'coordinator';
  readonly region: string;
  readonly cidr: string;
  /** The spec path that sets it (`template.regions[i].cidr` for every shard). */
  readonly path: readonly PathSegment[];
}

/**
 * Every VPC of the clusters, in cluster order. `given` names the spec path of a CIDR the fleet's
 * `addresses` set, by `<cluster> <region>`.
 */
export function fleetVpcs(
  clusters: readonly {
    readonly role: FleetVpc['role'];
    readonly topology: Topology;
    readonly specPath: readonly PathSegment[];
  }[],
  given: ReadonlyMap<string, readonly PathSegment[]> = new Map(),
): FleetVpc[] {
  return clusters.flatMap((c) =>
    c.topology.regions.map((r) => ({
      cluster: c.topology.name,
      role: c.role,
      region: r.name,
      cidr: r.cidr,
      path: given.get(`${c.topology.name} ${r.name}`) ?? [...c.specPath, ...r.path, 'cidr'],
    })),
  );
}

/**
 * `cidr_overlap` for every pair of the fleet's VPCs in different clusters whose CIDRs overlap, reported at
 * the explicit CIDR (the catalog's or coordinator's) when one is involved, else at the template's. A
 * cluster's own regions are judged by the cluster's rules (PGT-NET-001).
 */
export function fleetOverlapIssues(vpcs: readonly FleetVpc[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  const seen = new Set<string>();
  const parsed = vpcs.map((v) => ({ v, c: parseCidr(v.cidr) }));
  parsed.forEach((a, i) => {
    for (const b of parsed.slice(i + 1)) {
      if (a.v.cluster === b.v.cluster || !overlaps(a.c, b.c)) continue;
      // Report at the CIDR someone wrote down: an address, the catalog's or coordinator's, else the template's.
      const explicit = (v: FleetVpc) => v.role !== 'shard' || v.path[0] === 'addresses';
      const [at, other] = explicit(b.v) ? [b.v, a.v] : [a.v, b.v];
      const key = `${at.path.join('.')} ${other.cluster}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        code: 'cidr_overlap',
        path: at.path,
        found: `${at.cidr} (${at.cluster}, ${at.region}) overlaps ${other.cidr} (${other.cluster}, ${other.region})`,
        expected:
          at.role === 'shard' && at.path[0] !== 'addresses'
            ? 'shard VPCs disjoint from every other VPC of the fleet (shard i is numbered from the template CIDR plus i blocks)'
            : `a CIDR disjoint from every other VPC of the fleet (shards use ${other.role === 'shard' ? 'consecutive blocks from the template CIDR' : 'their own'})`,
      });
    }
  });
  return out;
}

/** Active VPC peering connections per VPC: AWS's default quota, and the most it can be raised to. */
export const PEERINGS_PER_VPC = { default: 50, max: 125 } as const;

/** A network path the routing tier needs: a routing cluster's VPC to a shard's writer endpoint. */
export interface RoutingPath {
  /** The routing cluster (the coordinator, or the catalog when it is a separate cluster). */
  readonly from: {
    readonly cluster: string;
    /** `shard`: the target of a declared move, whose subscription dials the source shard's writer. */
    readonly role: 'catalog' | 'coordinator' | 'shard';
    readonly region: string;
    readonly cidr: string;
  };
  /** The shard's VPC that holds its writer endpoint (the NLB postgres_fdw connects to). */
  readonly to: {
    readonly shard: number;
    readonly cluster: string;
    /** The Patroni scope of the shard's writable cluster (whose load balancer takes the connections). */
    readonly scope: string;
    readonly region: string;
    readonly cidr: string;
  };
  /** TCP port the routing cluster connects to (the writer listener). */
  readonly port: number;
}

/** Where a shard takes the routing tier's connections: its writable cluster's writer name and port. */
export function shardWriterEndpoint(t: Topology): {
  readonly scope: string;
  readonly region: string;
  readonly host: string;
  readonly port: number;
} {
  const c = t.clusters.find((x) => x.role === 'primary')!;
  return {
    scope: c.scope,
    region: c.regions[0]!,
    host: t.endpoints.names[c.scope]!.writer,
    port: PORTS.writer,
  };
}

/** The VPC of a shard's writer endpoint, as the `to` side of a path. */
function writerSide(s: { readonly index: number; readonly topology: Topology }): {
  to: RoutingPath['to'];
  port: number;
} {
  const e = shardWriterEndpoint(s.topology);
  const cidr = s.topology.regions.find((x) => x.name === e.region)!.cidr;
  return {
    to: { shard: s.index, cluster: s.topology.name, scope: e.scope, region: e.region, cidr },
    port: e.port,
  };
}

/**
 * The routing tier's network paths: from every region of the coordinator (and of the catalog, when it is a
 * separate cluster) to the VPC of each shard's writer endpoint, on the writer port postgres_fdw dials;
 * then, for each move the document declares, from the target shard's writer VPC to the source shard's
 * (the target's subscription dials the source's writer), once per ordered pair of shards.
 */
export function routingPaths(f: {
  readonly shards: readonly { readonly index: number; readonly topology: Topology }[];
  readonly catalog: Topology;
  readonly coordinator: Topology;
  readonly spec: { readonly moves: readonly { readonly from: number; readonly to: number }[] };
}): RoutingPath[] {
  const routers: ['catalog' | 'coordinator', Topology][] = [['coordinator', f.coordinator]];
  if (f.catalog !== f.coordinator) routers.push(['catalog', f.catalog]);
  const fromRouters = routers.flatMap(([role, t]) =>
    t.regions.flatMap((r) =>
      f.shards.map((s) => ({
        from: { cluster: t.name, role, region: r.name, cidr: r.cidr },
        ...writerSide(s),
      })),
    ),
  );
  const pairs = new Map<string, [number, number]>();
  for (const m of f.spec.moves) {
    if (f.shards[m.from] && f.shards[m.to]) pairs.set(`${m.to} ${m.from}`, [m.to, m.from]);
  }
  const fromShards = [...pairs.values()].map(([subscriber, source]) => {
    const sub = writerSide(f.shards[subscriber]!).to;
    return {
      from: { cluster: sub.cluster, role: 'shard' as const, region: sub.region, cidr: sub.cidr },
      ...writerSide(f.shards[source]!),
    };
  });
  return [...fromRouters, ...fromShards];
}

/** Every cluster of a fleet (shards, catalog, coordinator) by name: the clusters paths name. */
export function clustersByName(f: {
  readonly shards: readonly { readonly topology: Topology }[];
  readonly catalog: Topology;
  readonly coordinator: Topology;
}): Map<string, Topology> {
  return new Map([...f.shards.map((s) => s.topology), f.catalog, f.coordinator].map((t) => [t.name, t]));
}

/** A VPC of a path's side, as `<cluster> <region>`. */
export const vpcKey = (side: { readonly cluster: string; readonly region: string }): string =>
  `${side.cluster} ${side.region}`;

/**
 * The VPC peerings the paths need: one per unordered pair of VPCs (AWS allows one active peering between
 * two VPCs; a move each way between two shards shares it), requested by the first path that joins them.
 */
export function routingPeerings(paths: readonly RoutingPath[]): RoutingPath[] {
  const seen = new Map<string, RoutingPath>();
  for (const p of paths) {
    const key = [vpcKey(p.from), vpcKey(p.to)].sort().join(' | ');
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}
