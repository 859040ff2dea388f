/**
 * The topology diagram as data: one structure, rendered twice (Mermaid and
 * Graphviz DOT), so both pictures always show the same groups, nodes and edges.
 */
import type { EtcdMember, Member, ReplicationKind, Topology } from '../model/types.js';
import { duration } from './markdown.js';

export type DiagramEdgeKind = ReplicationKind | 'writer';

export interface DiagramNode {
  readonly id: string;
  readonly kind: 'member' | 'etcd' | 'leader' | 'endpoint';
  /** The name a reader looks for: member name, etcd member name, cluster scope, DNS name. */
  readonly name: string;
  /** Lines of the label; the first is always `name` (or names it). */
  readonly lines: readonly string[];
  /** Region role, for node styling. */
  readonly role?: 'primary' | 'standby';
}

export interface DiagramAz {
  readonly id: string;
  readonly name: string;
  readonly nodes: readonly DiagramNode[];
}

export interface DiagramRegion {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly role: 'primary' | 'standby';
  /** Role nodes (cluster leaders) that float over the AZs. */
  readonly leaders: readonly DiagramNode[];
  readonly azs: readonly DiagramAz[];
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: DiagramEdgeKind;
  readonly label: string;
}

export interface Diagram {
  readonly title: string;
  readonly regions: readonly DiagramRegion[];
  /** Nodes outside every region (the global writer name). */
  readonly outside: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
  /** Edge kinds present, in legend order. */
  readonly legend: readonly DiagramEdgeKind[];
}

export interface EdgeStyle {
  /** Short legend text (diagram legends). */
  readonly short: string;
  /** Legend text with its meaning (Markdown key). */
  readonly legend: string;
  readonly color: string;
  /** Mermaid arrow: `==>` thick, `-->` solid, `-.->` dotted. */
  readonly mermaidArrow: '==>' | '-->' | '-.->';
  /** SVG/CSS dash pattern, or undefined for a solid line. */
  readonly dash?: string;
  readonly width: number;
  /** Graphviz `style`. */
  readonly dotStyle: 'solid' | 'bold' | 'dashed' | 'dotted';
  /** Graphviz `arrowhead`. */
  readonly dotArrow: string;
}

/** One look per edge kind, shared by both renderers and the legend. */
export const EDGE_STYLES: Readonly<Record<DiagramEdgeKind, EdgeStyle>> = {
  'sync-candidate': {
    short: 'sync candidate',
    legend: 'streams from the leader and may be picked as its synchronous standby',
    color: '#2e7d32',
    mermaidArrow: '==>',
    width: 3,
    dotStyle: 'bold',
    dotArrow: 'normal',
  },
  async: {
    short: 'async replica',
    legend: 'streams from the leader asynchronously',
    color: '#1565c0',
    mermaidArrow: '-->',
    dash: '6 4',
    width: 1.5,
    dotStyle: 'dashed',
    dotArrow: 'normal',
  },
  cascade: {
    short: 'cascading replica',
    legend: 'streams from another replica, not from the leader',
    color: '#6a1b9a',
    mermaidArrow: '-.->',
    dash: '2 3',
    width: 1.5,
    dotStyle: 'dotted',
    dotArrow: 'vee',
  },
  delayed: {
    short: 'delayed replica',
    legend: 'replays WAL only after recovery_min_apply_delay',
    color: '#ef6c00',
    mermaidArrow: '-.->',
    dash: '10 3 2 3',
    width: 2,
    dotStyle: 'dashed',
    dotArrow: 'odiamond',
  },
  'standby-cluster': {
    short: 'standby cluster',
    legend: "the standby cluster's leader streams from the primary cluster across regions, asynchronously",
    color: '#c62828',
    mermaidArrow: '==>',
    dash: '12 4',
    width: 3,
    dotStyle: 'bold',
    dotArrow: 'onormal',
  },
  writer: {
    short: 'global writer',
    legend: 'the global writer DNS name, which moves with the primary region',
    color: '#616161',
    mermaidArrow: '-->',
    width: 1,
    dotStyle: 'solid',
    dotArrow: 'normal',
  },
};

const LEGEND_ORDER: readonly DiagramEdgeKind[] = [
  'sync-candidate',
  'async',
  'cascade',
  'delayed',
  'standby-cluster',
  'writer',
];

/** A node id safe in both Mermaid and DOT: letters, digits and `_`. */
export function nodeId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export const memberNodeId = (name: string) => nodeId('m', name);
export const etcdNodeId = (name: string) => nodeId('e', name);
export const leaderNodeId = (scope: string) => nodeId('l', scope);
export const WRITER_NODE_ID = 'w_global';

function memberLines(t: Topology, m: Member): string[] {
  const v = m.volume;
  const lines = [m.name, `${m.instanceType} · ${v.sizeGiB} GiB ${v.type}`];
  const flags: string[] = [];
  if (m.tags.nosync) flags.push('nosync');
  if (m.tags.nofailover) flags.push('nofailover');
  if (m.tags.failoverPriority !== undefined) flags.push(`priority ${m.tags.failoverPriority}`);
  if (m.recoveryMinApplyDelaySeconds !== undefined)
    flags.push(`delay ${duration(m.recoveryMinApplyDelaySeconds)}`);
  if (flags.length > 0) lines.push(flags.join(' · '));
  const colocated = t.etcd.flatMap((q) => q.members).filter((e) => e.colocatedWith === m.name);
  if (colocated.length > 0) lines.push(`+ etcd ${colocated.map((e) => e.name).join(', ')}`);
  return lines;
}

function etcdLines(e: EtcdMember, quorumSize: number): string[] {
  return [
    e.name,
    `etcd · quorum ${e.quorum} (${quorumSize})`,
    ...(e.colocatedWith ? [`on ${e.colocatedWith}`] : []),
  ];
}

/** Builds the diagram from the model. Order follows the spec, so output is deterministic. */
export function topologyDiagram(t: Topology): Diagram {
  const etcdMembers = t.etcd.flatMap((q) => q.members.map((e) => ({ e, size: q.members.length })));
  const regions: DiagramRegion[] = t.regions.map((r) => {
    const leaders = t.clusters
      .filter((c) => c.regions[0] === r.name)
      .map(
        (c): DiagramNode => ({
          id: leaderNodeId(c.scope),
          kind: 'leader',
          name: c.scope,
          lines: [c.role === 'primary' ? 'leader (writable)' : 'standby leader', c.scope],
          role: c.role,
        }),
      );
    const azs = r.azs.map(
      (az): DiagramAz => ({
        id: nodeId('az', az),
        name: az,
        nodes: [
          ...t.members
            .filter((m) => m.region === r.name && m.az === az)
            .map(
              (m): DiagramNode => ({
                id: memberNodeId(m.name),
                kind: 'member',
                name: m.name,
                lines: memberLines(t, m),
                role: r.role,
              }),
            ),
          ...etcdMembers
            .filter(({ e }) => e.region === r.name && e.az === az)
            .map(
              ({ e, size }): DiagramNode => ({
                id: etcdNodeId(e.name),
                kind: 'etcd',
                name: e.name,
                lines: etcdLines(e, size),
              }),
            ),
        ],
      }),
    );
    return {
      id: nodeId('r', r.name),
      name: r.name,
      label: `${r.name} · ${r.role}${r.archiveCopy ? ' · archive copy' : r.name === t.primaryRegion && t.archive.enabled ? ' · archive' : ''}`,
      role: r.role,
      leaders,
      azs,
    };
  });

  const endpointOf = (ref: string): string => {
    if (ref.startsWith('leader:')) return leaderNodeId(ref.slice('leader:'.length));
    // A standby cluster is fed through its standby leader.
    if (ref.startsWith('cluster:')) return leaderNodeId(ref.slice('cluster:'.length));
    return memberNodeId(ref);
  };
  const delayOf = new Map(t.members.map((m) => [m.name, m.recoveryMinApplyDelaySeconds]));
  const edges: DiagramEdge[] = t.replication.map((e) => ({
    from: endpointOf(e.from),
    to: endpointOf(e.to),
    kind: e.kind,
    label:
      e.kind === 'sync-candidate'
        ? 'sync candidate'
        : e.kind === 'delayed'
          ? `delayed ${duration(delayOf.get(e.to) ?? 0)}`
          : e.kind === 'standby-cluster'
            ? 'standby cluster'
            : e.kind,
  }));
  const primary = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion));
  const outside: DiagramNode[] = [];
  if (primary) {
    outside.push({
      id: WRITER_NODE_ID,
      kind: 'endpoint',
      name: t.endpoints.globalWriter,
      lines: [t.endpoints.globalWriter, 'global writer'],
    });
    edges.push({ from: WRITER_NODE_ID, to: leaderNodeId(primary.scope), kind: 'writer', label: 'writer' });
  }
  const present = new Set(edges.map((e) => e.kind));
  return {
    title: `${t.name}: PostgreSQL ${t.postgres.version}, primary ${t.primaryRegion}`,
    regions,
    outside,
    edges,
    legend: LEGEND_ORDER.filter((k) => present.has(k)),
  };
}
