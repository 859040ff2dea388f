/**
 * A fleet resolved: each shard, the catalog and the coordinator as a full Topology (through the same
 * parse and resolve as any cluster), and who owns which slot, range or tenant. One ownership map feeds the
 * catalog DDL, the coordinator's partitions and (later) the diff.
 */
import {
  type FleetSpecInput,
  fleetIssues,
  type ParsedFleetSpec,
  type ShardedTableSpec,
} from '../spec/fleet.js';
import { slotClaims } from '../spec/fleet-kind.js';
import type { PathSegment, SpecIssue } from '../spec/issues.js';
import { type Decoded, type Locator, parseSpec } from '../spec/parse.js';
import { fleetNumberingIssues, fleetOverlapIssues, fleetVpcs, numberedTemplate } from './fleet-network.js';
import { type ResolveResult, resolveParsed } from './load.js';
import type { Topology } from './types.js';

export interface Shard {
  /** 0 .. shards-1: the index assignments, bounds and tenants refer to. */
  readonly index: number;
  /** The shard cluster's name (its Patroni scope prefix): `<fleet>-s<NN>`. */
  readonly name: string;
  readonly topology: Topology;
}

/** A range bound: integers for int4/int8 keys, strings for text/uuid keys. */
export type Bound = number | string;

export type Ownership =
  | {
      readonly kind: 'hash';
      readonly slots: number;
      /** Slot -> every shard that claims it (exactly one when the assignment is sound, PGT-SHD-002). */
      readonly owners: readonly (readonly number[])[];
    }
  | {
      readonly kind: 'range';
      /** Shard i owns [from, to): `from` undefined is MINVALUE, `to` undefined is MAXVALUE. */
      readonly ranges: readonly { readonly shard: number; readonly from?: Bound; readonly to?: Bound }[];
    }
  | {
      readonly kind: 'directory';
      readonly tenants: readonly { readonly tenant: string; readonly shard: number }[];
      readonly defaultShard?: number;
    };

export type ClusterRole = 'shard' | 'catalog' | 'coordinator';

/** A cluster of the fleet with where its spec sits in the fleet document. */
export interface FleetCluster {
  readonly role: ClusterRole;
  readonly topology: Topology;
  /** Prefix of the cluster spec's paths in the fleet document (`template`, `catalog`, `coordinator`). */
  readonly specPath: readonly PathSegment[];
}

export interface Fleet {
  readonly name: string;
  readonly shards: readonly Shard[];
  readonly ownership: Ownership;
  readonly tables: readonly ShardedTableSpec[];
  readonly colocation: ParsedFleetSpec['colocation'];
  readonly catalog: Topology;
  /** The coordinator cluster; the catalog cluster when the spec declares none. */
  readonly coordinator: Topology;
  readonly router: ParsedFleetSpec['router'];
  readonly spec: ParsedFleetSpec;
}

/** The name of shard `index` of a fleet: `<fleet>-s<NN>` (at least two digits). */
export function shardName(fleet: string, index: number, shards: number): string {
  return `${fleet}-s${String(index).padStart(Math.max(2, String(shards - 1).length), '0')}`;
}

/** Who owns what, from the spec's strategy. */
export function resolveOwnership(spec: ParsedFleetSpec): Ownership {
  const st = spec.strategy;
  if (st.kind === 'hash') {
    return { kind: 'hash', slots: st.slots, owners: slotClaims(st.slots, spec.shards, st.assignments) };
  }
  if (st.kind === 'range') {
    return {
      kind: 'range',
      ranges: Array.from({ length: spec.shards }, (_, i) => ({
        shard: i,
        ...(i > 0 && st.bounds[i - 1] !== undefined ? { from: st.bounds[i - 1] } : {}),
        ...(i < spec.shards - 1 && st.bounds[i] !== undefined ? { to: st.bounds[i] } : {}),
      })),
    };
  }
  return {
    kind: 'directory',
    tenants: st.tenants,
    ...(st.defaultShard !== undefined ? { defaultShard: st.defaultShard } : {}),
  };
}

export type FleetResult =
  | {
      readonly ok: true;
      readonly fleet: Fleet;
      readonly clusters: readonly FleetCluster[];
      readonly locate?: Locator;
    }
  | { readonly ok: false; readonly issues: readonly SpecIssue[]; readonly locate?: Locator };

function prefixed(issues: readonly SpecIssue[], prefix: readonly PathSegment[]): SpecIssue[] {
  return issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
}

/**
 * A shard's cluster spec: the template with the shard's name, and a template's DNS zone narrowed to
 * `<shard>.<zone>` so shards' writer and reader names never collide.
 */
export function shardInput(
  template: Readonly<Record<string, unknown>>,
  name: string,
): Record<string, unknown> {
  const endpoints = template.endpoints;
  if (endpoints === null || typeof endpoints !== 'object') return { ...template, name };
  const zone = (endpoints as { dnsZone?: unknown }).dnsZone;
  return typeof zone === 'string'
    ? { ...template, name, endpoints: { ...endpoints, dnsZone: `${name}.${zone}` } }
    : { ...template, name };
}

/** Resolves an embedded cluster spec through the ordinary parse and model; issues come back under `prefix`. */
function resolveEmbedded(input: unknown, prefix: readonly PathSegment[]): ResolveResult {
  const r = resolveParsed(parseSpec(input));
  if (r.ok) return r;
  return { ok: false, issues: prefixed(r.issues, prefix) };
}

/**
 * Validates and resolves a fleet document without throwing: the fleet's own fields, then the template
 * (judged once, as shard 0; a template is the same for every shard but the name), then every shard, the
 * catalog and the coordinator. Every issue carries its path in the fleet document.
 */
export function resolveFleet(input: FleetSpecInput | unknown, locate?: Locator): FleetResult {
  const own = fleetIssues(input);
  const located = (issues: readonly SpecIssue[]): FleetResult => ({
    ok: false,
    issues: locate
      ? issues.map((i) => {
          const location = i.location ?? locate(i.path);
          return location ? { ...i, location } : i;
        })
      : issues,
    ...(locate ? { locate } : {}),
  });
  if (!own.ok) return located(own.issues);
  const spec = own.spec;
  // Every shard gets its own VPC CIDRs (see fleet-network.ts); a fleet that cannot be numbered stops here.
  const numbering = fleetNumberingIssues(spec.template, spec.shards, spec.addresses);
  if (numbering.length > 0) return located(numbering);
  const issues: SpecIssue[] = [];
  const shards: Shard[] = [];
  for (let index = 0; index < spec.shards; index++) {
    const name = shardName(spec.name, index, spec.shards);
    const r = resolveEmbedded(shardInput(numberedTemplate(spec.template, index, spec.addresses), name), [
      'template',
    ]);
    if (!r.ok) {
      issues.push(...r.issues);
      break;
    }
    shards.push({ index, name, topology: r.topology });
  }
  const catalog = resolveEmbedded(spec.catalog, ['catalog']);
  if (!catalog.ok) issues.push(...catalog.issues);
  const coordinator = spec.coordinator ? resolveEmbedded(spec.coordinator, ['coordinator']) : undefined;
  if (coordinator && !coordinator.ok) issues.push(...coordinator.issues);
  const names = new Map(shards.map((s) => [s.topology.name, 'template']));
  for (const [role, r] of [
    ['catalog', catalog],
    ['coordinator', coordinator],
  ] as const) {
    if (!r?.ok) continue;
    const clash = names.get(r.topology.name);
    if (clash) {
      issues.push({
        code: 'duplicate_name',
        path: [role, 'name'],
        found: JSON.stringify(r.topology.name),
        expected: `a cluster name no other cluster of the fleet uses (${clash} has it)`,
      });
    }
    names.set(r.topology.name, role);
  }
  if (issues.length > 0 || !catalog.ok || (coordinator && !coordinator.ok)) return located(issues);
  const clusters: FleetCluster[] = [
    ...shards.map((s) => ({ role: 'shard' as const, topology: s.topology, specPath: ['template'] })),
    { role: 'catalog', topology: catalog.topology, specPath: ['catalog'] },
    ...(coordinator?.ok
      ? [{ role: 'coordinator' as const, topology: coordinator.topology, specPath: ['coordinator'] }]
      : []),
  ];
  const given = new Map(
    spec.addresses.flatMap((a, i) =>
      shards[a.shard] ? [[`${shards[a.shard]!.name} ${a.region}`, ['addresses', i, 'cidr']] as const] : [],
    ),
  );
  const overlapping = fleetOverlapIssues(fleetVpcs(clusters, given));
  if (overlapping.length > 0) return located(overlapping);
  const fleet: Fleet = {
    name: spec.name,
    shards,
    ownership: resolveOwnership(spec),
    tables: spec.tables,
    colocation: spec.colocation,
    catalog: catalog.topology,
    coordinator: coordinator?.ok ? coordinator.topology : catalog.topology,
    router: spec.router,
    spec,
  };
  return { ok: true, fleet, clusters, ...(locate ? { locate } : {}) };
}

/** Resolves a decoded fleet document (see decodeSpecFile). */
export function resolveFleetDecoded(doc: Decoded): FleetResult {
  return doc.ok ? resolveFleet(doc.value, doc.locate) : doc;
}
