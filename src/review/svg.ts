/**
 * The topology diagram as Graphviz DOT, laid out offline to SVG by the WASM
 * build of Graphviz (@hpcc-js/wasm-graphviz). Same structure as the Mermaid
 * diagram (see graph.ts). Output is deterministic: the input order follows the
 * spec and the layout engine is seeded by nothing but its input.
 */
import type { Graphviz } from '@hpcc-js/wasm-graphviz';
import { type Diagram, type DiagramEdgeKind, type DiagramNode, EDGE_STYLES } from './graph.js';

/** A DOT double-quoted string. */
function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Text inside a DOT HTML-like label. */
function h(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const NODE_LOOK: Record<string, { shape: string; fill: string; stroke: string }> = {
  primary: { shape: 'box', fill: '#e3f2fd', stroke: '#1565c0' },
  standby: { shape: 'box', fill: '#fff3e0', stroke: '#ef6c00' },
  etcd: { shape: 'cylinder', fill: '#f3e5f5', stroke: '#6a1b9a' },
  leader: { shape: 'ellipse', fill: '#ffffff', stroke: '#212121' },
  endpoint: { shape: 'hexagon', fill: '#eceff1', stroke: '#616161' },
};

function node(n: DiagramNode, indent: string): string {
  const look = NODE_LOOK[n.kind === 'member' ? (n.role ?? 'primary') : n.kind]!;
  const [first, ...rest] = n.lines;
  const html = [
    `<B>${h(first ?? n.name)}</B>`,
    ...rest.map((l) => `<FONT POINT-SIZE="9">${h(l)}</FONT>`),
  ].join('<BR/>');
  const attrs = [
    `label=<${html}>`,
    `shape=${look.shape}`,
    `style="${look.shape === 'box' ? 'rounded,filled' : 'filled'}"`,
    `fillcolor=${q(look.fill)}`,
    `color=${q(look.stroke)}`,
    ...(n.kind === 'leader' ? ['penwidth=2'] : []),
    // Graphviz estimates text width without the font; cylinders need extra room for their curved sides.
    ...(n.kind === 'etcd' ? ['margin="0.3,0.05"'] : []),
  ];
  return `${indent}${n.id} [${attrs.join(', ')}];`;
}

function edgeAttrs(kind: DiagramEdgeKind, label?: string): string {
  const s = EDGE_STYLES[kind];
  return [
    ...(label !== undefined ? [`label=${q(label)}`] : []),
    `color=${q(s.color)}`,
    `fontcolor=${q(s.color)}`,
    `style=${s.dotStyle}`,
    `penwidth=${s.width}`,
    `arrowhead=${s.dotArrow}`,
  ].join(', ');
}

/** Renders the diagram as Graphviz DOT text (deterministic). */
export function renderDot(d: Diagram): string {
  const out: string[] = [];
  out.push(
    'digraph topology {',
    `  graph [label=${q(d.title)}, labelloc=t, fontname="Helvetica", fontsize=14, rankdir=LR, newrank=true, nodesep=0.25, ranksep=0.7, pad=0.2];`,
    '  node [fontname="Helvetica", fontsize=11, margin="0.18,0.06"];',
    '  edge [fontname="Helvetica", fontsize=9];',
  );
  for (const r of d.regions) {
    const fill = r.role === 'primary' ? '#f5f9ff' : '#fffaf3';
    const stroke = r.role === 'primary' ? '#1565c0' : '#ef6c00';
    out.push(
      `  subgraph cluster_${r.id} {`,
      `    label=<<B>${h(r.label)}</B>>; style="rounded,filled"; fillcolor=${q(fill)}; color=${q(stroke)}; penwidth=1.5;`,
    );
    for (const l of r.leaders) out.push(node(l, '    '));
    for (const az of r.azs) {
      out.push(
        `    subgraph cluster_${az.id} {`,
        `      label=${q(az.name)}; style="dashed,rounded,filled"; fillcolor="#ffffff"; color="#9e9e9e";`,
      );
      for (const n of az.nodes) out.push(node(n, '      '));
      if (az.nodes.length === 0) out.push(`      ${az.id}_empty [label="(no nodes)", shape=plaintext];`);
      out.push('    }');
    }
    out.push('  }');
  }
  for (const n of d.outside) out.push(node(n, '  '));
  for (const e of d.edges) out.push(`  ${e.from} -> ${e.to} [${edgeAttrs(e.kind, e.label)}];`);
  // etcd members sit after the PostgreSQL members of their AZ (or after the regional leader).
  for (const r of d.regions) {
    for (const az of r.azs) {
      const members = az.nodes.filter((n) => n.kind === 'member');
      for (const e of az.nodes.filter((n) => n.kind === 'etcd')) {
        const anchors = members.length > 0 ? members : r.leaders;
        for (const a of anchors) out.push(`  ${a.id} -> ${e.id} [style=invis];`);
      }
    }
  }

  if (d.legend.length > 0) {
    out.push(
      '  subgraph cluster_legend {',
      '    label=<<B>Legend</B>>; style="rounded"; color="#9e9e9e"; fontsize=11;',
      '    node [shape=point, width=0.04, color="#9e9e9e"];',
    );
    // dot stacks the rows bottom-up in declaration order: declare them reversed to read top-down.
    [...d.legend].reverse().forEach((k) => {
      const id = `lg_${k.replace(/-/g, '_')}`;
      out.push(
        `    ${id}_t [shape=plaintext, fontsize=10, margin="0.1,0", label=${q(EDGE_STYLES[k].short)}];`,
        `    ${id}_b;`,
        `    ${id}_t -> ${id}_b [${edgeAttrs(k)}];`,
      );
    });
    out.push('  }');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

let graphviz: Promise<Graphviz> | undefined;

/** Lays DOT out to SVG with the WASM Graphviz `dot` engine. */
export async function dotToSvg(dot: string): Promise<string> {
  // Loaded on first use: the WASM module is large and only the SVG needs it.
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  const gv = await graphviz;
  return gv.layout(dot, 'svg', 'dot');
}

/** Renders the diagram to a standalone SVG document. */
export async function renderSvg(d: Diagram): Promise<string> {
  return dotToSvg(renderDot(d));
}
