/**
 * Moves between two ownership maps of a fleet: which slots, key ranges or tenants change owner, grouped by
 * source and target shard, and which of them the new document declares (`moves:`). One computation feeds
 * `pgtopo diff` (it refuses an undeclared reassignment), the move plan's SQL (render/shard-move.ts) and the
 * rehearsal's shard-move drill.
 */
import type { MoveSpec } from '../spec/fleet.js';
import { compareBound, slotRange } from '../spec/fleet-kind.js';
import type { PathSegment } from '../spec/issues.js';
import type { Bound, Fleet, Ownership } from './fleet.js';
import { integerKey, slotList } from './fleet-ownership.js';

/** One unit of ownership changing shard: a set of hash slots, a key range [lower, upper), or a tenant. */
export type FleetMove =
  | {
      readonly kind: 'slots';
      readonly from: number;
      readonly to: number;
      /** Ascending. */
      readonly slots: readonly number[];
    }
  | {
      readonly kind: 'range';
      readonly from: number;
      readonly to: number;
      /** Inclusive; undefined is the lowest key (MINVALUE). */
      readonly lower?: Bound;
      /** Exclusive; undefined is past the highest key (MAXVALUE). */
      readonly upper?: Bound;
    }
  | { readonly kind: 'tenant'; readonly from: number; readonly to: number; readonly tenant: string };

/** A change of a fleet that no move can carry out: a re-shard, not a move. */
export interface MoveBlocker {
  readonly code: 'strategy-changed' | 'slot-count-changed' | 'default-shard-changed';
  readonly path: readonly PathSegment[];
  readonly found: string;
  readonly expected: string;
}

/** An implied move the new document does not declare (or declares from another shard). */
export interface UndeclaredMove {
  readonly move: FleetMove;
  /** Where the new document reassigns it. */
  readonly path: readonly PathSegment[];
  /** A declared move of the same unit with another source or target, when there is one. */
  readonly declared?: number;
}

/** Moves between two slot maps (slot -> owner; undefined: unowned), one per (from, to) pair, slots ascending. */
export function slotMoves(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
): (FleetMove & { kind: 'slots' })[] {
  const pairs = new Map<string, { from: number; to: number; slots: number[] }>();
  for (let s = 0; s < Math.min(a.length, b.length); s++) {
    const from = a[s];
    const to = b[s];
    if (from === undefined || to === undefined || from === to) continue;
    const key = `${from}>${to}`;
    const m = pairs.get(key) ?? { from, to, slots: [] };
    m.slots.push(s);
    pairs.set(key, m);
  }
  return [...pairs.values()].sort((x, y) => x.slots[0]! - y.slots[0]!).map((m) => ({ kind: 'slots', ...m }));
}

/** Slot -> its single owner (undefined where no shard or several claim it, PGT-SHD-002). */
export function slotOwners(o: Ownership & { kind: 'hash' }): (number | undefined)[] {
  return o.owners.map((c) => (c.length === 1 ? c[0] : undefined));
}

type Range = { readonly shard: number; readonly from?: Bound; readonly to?: Bound };

/** The shard whose range holds the keys from `lower` (undefined: the lowest key). */
function rangeOwner(
  ranges: readonly Range[],
  lower: Bound | undefined,
  integer: boolean,
): number | undefined {
  return ranges.find(
    (r) =>
      (r.from === undefined || (lower !== undefined && compareBound(lower, r.from, integer) >= 0)) &&
      (r.to === undefined || (lower === undefined ? true : compareBound(lower, r.to, integer) < 0)),
  )?.shard;
}

/** Elementary intervals between the sorted, distinct points: (-inf, p0), [p0, p1), ..., [pn, +inf). */
function intervals(points: readonly Bound[], integer: boolean): { lower?: Bound; upper?: Bound }[] {
  const sorted = [...new Map(points.map((p) => [String(p), p])).values()].sort((x, y) =>
    compareBound(x, y, integer),
  );
  const out: { lower?: Bound; upper?: Bound }[] = [];
  for (let i = 0; i <= sorted.length; i++) {
    out.push({
      ...(i > 0 ? { lower: sorted[i - 1]! } : {}),
      ...(i < sorted.length ? { upper: sorted[i]! } : {}),
    });
  }
  return out;
}

/** Key ranges changing owner between two range maps, adjacent pieces of one (from, to) merged. */
export function rangeMoves(
  a: readonly Range[],
  b: readonly Range[],
  integer: boolean,
  extraPoints: readonly Bound[] = [],
): (FleetMove & { kind: 'range' })[] {
  const points = [...a, ...b].flatMap((r) => [r.from, r.to]).filter((p): p is Bound => p !== undefined);
  const out: (FleetMove & { kind: 'range' })[] = [];
  for (const iv of intervals([...points, ...extraPoints], integer)) {
    const from = rangeOwner(a, iv.lower, integer);
    const to = rangeOwner(b, iv.lower, integer);
    if (from === undefined || to === undefined || from === to) continue;
    const last = out[out.length - 1];
    if (last && last.from === from && last.to === to && last.upper === iv.lower) {
      out[out.length - 1] = {
        kind: 'range',
        from,
        to,
        ...(last.lower !== undefined ? { lower: last.lower } : {}),
        ...(iv.upper !== undefined ? { upper: iv.upper } : {}),
      };
    } else out.push({ kind: 'range', from, to, ...iv });
  }
  return out;
}

/** Tenants whose owner (listed, or the default shard) changes. */
export function tenantMoves(
  a: Ownership & { kind: 'directory' },
  b: Ownership & { kind: 'directory' },
): (FleetMove & { kind: 'tenant' })[] {
  const owner = (o: typeof a, tenant: string) =>
    o.tenants.find((t) => t.tenant === tenant)?.shard ?? o.defaultShard;
  const tenants = [...new Set([...a.tenants, ...b.tenants].map((t) => t.tenant))];
  return tenants.flatMap((tenant) => {
    const from = owner(a, tenant);
    const to = owner(b, tenant);
    return from === undefined || to === undefined || from === to
      ? []
      : [{ kind: 'tenant' as const, from, to, tenant }];
  });
}

/**
 * The moves from fleet `a` to fleet `b`, or the blockers that make the change a re-shard rather than a
 * move (another strategy, another slot count, another default shard).
 */
export function fleetMoves(
  a: Fleet,
  b: Fleet,
): { readonly moves: readonly FleetMove[]; readonly blockers: readonly MoveBlocker[] } {
  const oa = a.ownership;
  const ob = b.ownership;
  if (oa.kind !== ob.kind) {
    return {
      moves: [],
      blockers: [
        {
          code: 'strategy-changed',
          path: ['strategy', 'kind'],
          found: `${oa.kind} → ${ob.kind}`,
          expected: `${oa.kind}: another strategy re-shards every row (a new fleet fed by logical replication), not a move`,
        },
      ],
    };
  }
  if (oa.kind === 'hash' && ob.kind === 'hash') {
    if (oa.slots !== ob.slots) {
      return {
        moves: [],
        blockers: [
          {
            code: 'slot-count-changed',
            path: ['strategy', 'slots'],
            found: `${oa.slots} → ${ob.slots} slots`,
            expected: `${oa.slots} slots: another slot count changes every key's slot (a re-shard); grow the shard count instead`,
          },
        ],
      };
    }
    return { moves: slotMoves(slotOwners(oa), slotOwners(ob)), blockers: [] };
  }
  if (oa.kind === 'range' && ob.kind === 'range') {
    const integer = integerKey(b.tables[0]!.keyType);
    const declared = b.spec.moves.flatMap((m) =>
      m.range ? [m.range.lower, m.range.upper].filter((x): x is Bound => x !== undefined) : [],
    );
    return { moves: rangeMoves(oa.ranges, ob.ranges, integer, declared), blockers: [] };
  }
  if (oa.kind === 'directory' && ob.kind === 'directory') {
    const blockers: MoveBlocker[] =
      oa.defaultShard !== ob.defaultShard
        ? [
            {
              code: 'default-shard-changed',
              path: ['strategy', 'defaultShard'],
              found: `default shard ${oa.defaultShard ?? 'none'} → ${ob.defaultShard ?? 'none'}`,
              expected: `default shard ${oa.defaultShard ?? 'none'}: the unlisted tenants are not known, so they cannot be moved; list the tenants and move them one by one`,
            },
          ]
        : [];
    return { moves: tenantMoves(oa, ob), blockers };
  }
  return { moves: [], blockers: [] };
}

/** Whether a declared move carries (part of) an implied one: same unit kind, same shards, covering it. */
function covers(d: MoveSpec, m: FleetMove, integer: boolean): boolean {
  if (m.kind === 'slots') {
    if (d.slots === undefined) return false;
    const [lo, hi] = slotRange(d.slots);
    return m.slots.every((s) => s >= lo && s <= hi);
  }
  if (m.kind === 'tenant') return d.tenant === m.tenant;
  if (d.range === undefined) return false;
  const { lower, upper } = d.range;
  return (
    (lower === undefined || (m.lower !== undefined && compareBound(lower, m.lower, integer) <= 0)) &&
    (upper === undefined || (m.upper !== undefined && compareBound(m.upper, upper, integer) <= 0))
  );
}

/** The implied moves split into the smallest units a declaration covers: single slots, elementary ranges. */
function units(m: FleetMove): FleetMove[] {
  return m.kind === 'slots' ? m.slots.map((s) => ({ ...m, slots: [s] })) : [m];
}

/** Where fleet `b`'s document gives a move's unit to its new owner. */
function reassignedAt(b: Fleet, m: FleetMove): readonly PathSegment[] {
  const st = b.spec.strategy;
  if (st.kind === 'hash' && m.kind === 'slots') {
    if (st.assignments === undefined) return ['shards'];
    const i = st.assignments.findIndex((a) => {
      const [lo, hi] = slotRange(a.slots);
      return a.shard === m.to && m.slots[0]! >= lo && m.slots[0]! <= hi;
    });
    return i >= 0 ? ['strategy', 'assignments', i] : ['strategy', 'assignments'];
  }
  if (st.kind === 'directory' && m.kind === 'tenant') {
    const i = st.tenants.findIndex((t) => t.tenant === m.tenant);
    return i >= 0 ? ['strategy', 'tenants', i] : ['strategy', 'tenants'];
  }
  return ['strategy', 'bounds'];
}

/**
 * The implied moves (from `fleetMoves`) the new document's `moves:` do not declare, each unit (slot, elementary
 * range, tenant) once, adjacent undeclared slots of one pair merged back.
 */
export function undeclaredMoves(b: Fleet, implied: readonly FleetMove[]): UndeclaredMove[] {
  const integer = integerKey(b.tables[0]!.keyType);
  const declared = b.spec.moves;
  const out: UndeclaredMove[] = [];
  for (const m of implied) {
    const missing = units(m).filter(
      (u) => !declared.some((d) => d.from === u.from && d.to === u.to && covers(d, u, integer)),
    );
    if (missing.length === 0) continue;
    const merged: FleetMove =
      m.kind === 'slots' ? { ...m, slots: missing.flatMap((u) => (u.kind === 'slots' ? u.slots : [])) } : m;
    const other = declared.findIndex((d) => covers(d, missing[0]!, integer));
    out.push({ move: merged, path: reassignedAt(b, merged), ...(other >= 0 ? { declared: other } : {}) });
  }
  return out;
}

/** A move in words: `slots 16-19: shard 1 → shard 4`. */
export function describeMove(m: FleetMove, shardName: (i: number) => string = (i) => `shard ${i}`): string {
  const what =
    m.kind === 'slots'
      ? `slot${m.slots.length === 1 ? '' : 's'} ${slotList(m.slots, Number.POSITIVE_INFINITY)}`
      : m.kind === 'range'
        ? `keys [${m.lower ?? '-inf'}, ${m.upper ?? '+inf'})`
        : `tenant ${JSON.stringify(m.tenant)}`;
  return `${what}: ${shardName(m.from)} → ${shardName(m.to)}`;
}

/** The declaration that carries a move, as it would be written under `moves:` (one entry per slot run). */
export function moveDeclaration(m: FleetMove): Record<string, unknown>[] {
  if (m.kind === 'tenant') return [{ tenant: m.tenant, from: m.from, to: m.to }];
  if (m.kind === 'range')
    return [
      {
        range: {
          ...(m.lower !== undefined ? { lower: m.lower } : {}),
          ...(m.upper !== undefined ? { upper: m.upper } : {}),
        },
        from: m.from,
        to: m.to,
      },
    ];
  return slotList(m.slots, Number.POSITIVE_INFINITY)
    .split(', ')
    .map((run) => ({ slots: run.includes('-') ? run : Number(run), from: m.from, to: m.to }));
}
