/**
 * What a fleet change does: the moves it implies (slots, ranges or tenants changing owner, shards added or
 * removed), each cluster's own changes (the template's through shard 0, the catalog's, the coordinator's),
 * and what `pgtopo diff` refuses: a reassignment the new document does not declare under `moves:`, or a change
 * no move can carry out (another strategy, another slot count, another default shard).
 *
 * Refusals carry a stable code (`REFUSALS`), the spec path of the reassignment in the new document, what
 * was found and what is expected (the `moves:` entry that would declare it).
 */
import type { Fleet } from '../model/fleet.js';
import {
  describeMove,
  type FleetMove,
  fleetMoves,
  moveDeclaration,
  undeclaredMoves,
} from '../model/fleet-moves.js';
import { formatPath, type PathSegment } from '../spec/issues.js';
import { diffTopologies, formatDiffText, type TopologyDiff } from './diff.js';

/** Stable codes of what `pgtopo diff` refuses in a fleet change. */
export const REFUSALS = [
  'undeclared-move',
  'strategy-changed',
  'slot-count-changed',
  'default-shard-changed',
  'shard-removed-owning',
] as const;
export type RefusalCode = (typeof REFUSALS)[number];

export interface Refusal {
  readonly code: RefusalCode;
  readonly path: readonly PathSegment[];
  readonly pathText: string;
  readonly found: string;
  readonly expected: string;
}

export interface FleetClusterDiff {
  readonly role: 'shards' | 'catalog' | 'coordinator';
  /** The cluster compared (for the shards: shard 0, built from the template like every shard). */
  readonly name: string;
  readonly diff: TopologyDiff;
}

export interface FleetDiff {
  readonly kind: 'fleet';
  readonly shards: { readonly from: number; readonly to: number };
  /** Every move the change implies, declared or not. */
  readonly moves: readonly FleetMove[];
  readonly refused: readonly Refusal[];
  readonly clusters: readonly FleetClusterDiff[];
  /** True when the change must not be applied blindly: a refusal, a move, or a cluster change that needs care. */
  readonly needsCare: boolean;
}

const PREFIX: Record<FleetClusterDiff['role'], string> = {
  shards: 'template',
  catalog: 'catalog',
  coordinator: 'coordinator',
};

export function diffFleets(a: Fleet, b: Fleet): FleetDiff {
  const { moves, blockers } = fleetMoves(a, b);
  const shardName = (i: number) => b.shards[i]?.name ?? a.shards[i]?.name ?? `shard ${i}`;
  const refused: Refusal[] = blockers.map((x) => ({ ...x, pathText: formatPath(x.path) }));
  for (const u of undeclaredMoves(b, moves)) {
    const declaration = moveDeclaration(u.move)
      .map((d) => JSON.stringify(d).replace(/"(\w+)":/g, '$1: '))
      .join(', ');
    refused.push({
      code: 'undeclared-move',
      path: u.path,
      pathText: formatPath(u.path),
      found:
        `${describeMove(u.move, shardName)} without a declared move` +
        (u.declared !== undefined ? ` (moves[${u.declared}] declares it between other shards)` : ''),
      expected: `a declared move under moves: ${declaration}`,
    });
  }
  // A removed shard must own nothing in the new map: its rows would be lost with the cluster.
  for (const s of a.shards.slice(b.shards.length)) {
    const stays = moves.some((m) => m.from === s.index);
    if (!stays && owns(a, s.index)) {
      refused.push({
        code: 'shard-removed-owning',
        path: ['shards'],
        pathText: 'shards',
        found: `${s.name} removed while it still owns keys`,
        expected: `every key of ${s.name} moved to a remaining shard (moves: ... from: ${s.index}) before the shard count shrinks`,
      });
    }
  }
  const clusters: FleetClusterDiff[] = [];
  const pair = (role: FleetClusterDiff['role'], x: Fleet['catalog'], y: Fleet['catalog']) => {
    const d = diffTopologies(x, y);
    const prefix = PREFIX[role];
    clusters.push({
      role,
      name: y.name,
      diff: {
        ...d,
        changes: d.changes.map((c) => ({ ...c, path: c.path ? `${prefix}.${c.path}` : prefix })),
      },
    });
  };
  if (a.shards[0] && b.shards[0]) pair('shards', a.shards[0].topology, b.shards[0].topology);
  pair('catalog', a.catalog, b.catalog);
  if (a.coordinator.name !== a.catalog.name || b.coordinator.name !== b.catalog.name)
    pair('coordinator', a.coordinator, b.coordinator);
  return {
    kind: 'fleet',
    shards: { from: a.shards.length, to: b.shards.length },
    moves,
    refused,
    clusters,
    needsCare:
      refused.length > 0 ||
      moves.length > 0 ||
      a.shards.length !== b.shards.length ||
      clusters.some((c) => c.diff.needsCare),
  };
}

function owns(f: Fleet, i: number): boolean {
  const o = f.ownership;
  if (o.kind === 'hash') return o.owners.some((c) => c.includes(i));
  if (o.kind === 'range') return o.ranges.some((r) => r.shard === i);
  return o.defaultShard === i || o.tenants.some((t) => t.shard === i);
}

/** Plain-text rendering for the terminal. */
export function formatFleetDiffText(d: FleetDiff, oldName: string, newName: string): string {
  const out = [
    `pgtopo diff ${oldName} -> ${newName} (fleet): ${d.moves.length} move(s), ${d.refused.length} refused` +
      (d.shards.from !== d.shards.to ? `, shards ${d.shards.from} → ${d.shards.to}` : ''),
  ];
  if (d.refused.length > 0) {
    out.push('', 'REFUSED');
    for (const r of d.refused) {
      out.push(`  ${r.code}  ${r.pathText}`, `      found:    ${r.found}`, `      expected: ${r.expected}`);
    }
  }
  if (d.moves.length > 0) {
    out.push('', 'MOVES (copy over logical replication, then one-transaction flip: `pgtopo render --moves`)');
    for (const m of d.moves) out.push(`  ${describeMove(m)}`);
  }
  for (const c of d.clusters) {
    if (c.diff.changes.length === 0) continue;
    const what = c.role === 'shards' ? `every shard (shown for ${c.name})` : `${c.role} ${c.name}`;
    out.push(
      '',
      `CLUSTER CHANGES: ${what}`,
      ...formatDiffText(c.diff, oldName, newName).split('\n').slice(1),
    );
  }
  return out.join('\n');
}
