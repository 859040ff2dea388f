import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import type { ReplicationKind, Topology } from '../../src/model/types.js';
import { EDGE_STYLES, topologyDiagram } from '../../src/review/graph.js';
import { renderMermaid } from '../../src/review/mermaid.js';
import { renderSvg } from '../../src/review/svg.js';
import { EXAMPLE_NAMES, example } from '../helpers/examples.js';

/** Node ids as the diagram names them: prefix + name with every non-alphanumeric as `_`. */
const id = (prefix: string, name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
const endpointId = (ref: string) =>
  ref.startsWith('leader:') || ref.startsWith('cluster:')
    ? id('l', ref.slice(ref.indexOf(':') + 1))
    : id('m', ref);

function texts(svg: string): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'text') {
          for (const t of [v].flat())
            out.push(typeof t === 'object' ? String((t as { '#text'?: unknown })['#text'] ?? '') : String(t));
        } else walk(v);
      }
    }
  };
  walk(new XMLParser({ ignoreAttributes: true, processEntities: true, htmlEntities: true }).parse(svg));
  return out;
}

/** `<g class="edge">` groups: title (`tail->head`) and the stroke of the path. */
function svgEdges(svg: string): { title: string; stroke: string; dash?: string }[] {
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    htmlEntities: true,
  }).parse(svg);
  const out: { title: string; stroke: string; dash?: string }[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.class === 'edge') {
        const path = [o.path].flat()[0] as Record<string, string>;
        out.push({
          title: String(o.title),
          stroke: path.stroke!,
          ...(path['stroke-dasharray'] ? { dash: path['stroke-dasharray'] } : {}),
        });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(parsed);
  return out;
}

const everyNode = (t: Topology) => [
  ...t.members.map((m) => m.name),
  ...t.etcd.flatMap((q) => q.members.map((e) => e.name)),
];

describe.each(EXAMPLE_NAMES)('diagram of %s', (name) => {
  const t = example(name);

  test('Mermaid lists every member, every etcd member and every replication edge in its style', () => {
    const mmd = renderMermaid(topologyDiagram(t));
    expect(mmd.split('\n')[0]).toBe('flowchart TB');
    for (const n of everyNode(t)) expect(mmd).toContain(n);
    for (const m of t.members)
      expect(mmd).toMatch(new RegExp(`^\\s+${id('m', m.name)}\\["${m.name}<br/>`, 'm'));
    for (const r of t.regions)
      expect(mmd).toMatch(new RegExp(`^\\s+subgraph ${id('r', r.name)}\\["${r.name} · ${r.role}`, 'm'));
    for (const r of t.regions)
      for (const az of r.azs) expect(mmd).toContain(`subgraph ${id('az', az)}["${az}"]`);
    const lines = mmd.split('\n');
    for (const e of t.replication) {
      const arrow = EDGE_STYLES[e.kind].mermaidArrow;
      const line = lines.findIndex(
        (l) =>
          l.trim().startsWith(`${endpointId(e.from)} ${arrow}|`) && l.trim().endsWith(` ${endpointId(e.to)}`),
      );
      expect(line, `${e.kind} ${e.from} -> ${e.to}`).toBeGreaterThan(0);
    }
    // Subgraph/end balance: every subgraph is closed.
    expect(lines.filter((l) => l.trim().startsWith('subgraph ')).length).toBe(
      lines.filter((l) => l.trim() === 'end').length,
    );
    // linkStyle indices cover every link exactly once.
    const links = lines.filter((l) => /\s(==>|-->|-\.->)\|/.test(l)).length;
    const styled = lines
      .filter((l) => l.trim().startsWith('linkStyle '))
      .map((l) => Number(l.trim().split(' ')[1]));
    expect(styled).toEqual(Array.from({ length: links }, (_, i) => i));
  });

  test('SVG is well-formed XML, shows every member and etcd member, and styles each edge by kind', async () => {
    const svg = await renderSvg(topologyDiagram(t));
    expect(XMLValidator.validate(svg)).toBe(true);
    const words = texts(svg);
    for (const n of everyNode(t)) expect(words).toContain(n);
    for (const r of t.regions) expect(words.some((w) => w.startsWith(`${r.name} · ${r.role}`))).toBe(true);
    const edges = svgEdges(svg);
    for (const e of t.replication) {
      const found = edges.find((x) => x.title === `${endpointId(e.from)}->${endpointId(e.to)}`);
      expect(found, `${e.kind} ${e.from} -> ${e.to}`).toBeDefined();
      expect(found!.stroke).toBe(EDGE_STYLES[e.kind].color);
    }
  });

  test('SVG output is deterministic', async () => {
    const a = await renderSvg(topologyDiagram(t));
    const b = await renderSvg(topologyDiagram(example(name)));
    expect(a).toBe(b);
  });
});

describe('edge styles', () => {
  const kinds: ReplicationKind[] = ['sync-candidate', 'async', 'cascade', 'delayed', 'standby-cluster'];
  test('every replication kind looks different in both renderings', () => {
    const looks = kinds.map((k) => {
      const s = EDGE_STYLES[k];
      return `${s.color} ${s.mermaidArrow} ${s.dash ?? ''} ${s.dotStyle} ${s.dotArrow}`;
    });
    expect(new Set(looks).size).toBe(kinds.length);
    expect(new Set(kinds.map((k) => EDGE_STYLES[k].color)).size).toBe(kinds.length);
  });

  test('a delayed replica gets its own edge and legend entry', async () => {
    const base = example('singleRegion');
    const spec = structuredClone(base.spec) as unknown as {
      regions: { members: Record<string, unknown>[] }[];
    };
    spec.regions[0]!.members[2]!.recoveryMinApplyDelay = 3600;
    const { topologyFrom } = await import('../../src/model/load.js');
    const t = topologyFrom(spec as never);
    const d = topologyDiagram(t);
    expect(d.legend).toContain('delayed');
    const mmd = renderMermaid(d);
    expect(mmd).toMatch(/l_orders_us_east_1 -\.->\|"delayed 1 h"\| m_use1_c/);
    const svg = await renderSvg(d);
    expect(svgEdges(svg).find((e) => e.title === 'l_orders_us_east_1->m_use1_c')!.stroke).toBe(
      EDGE_STYLES.delayed.color,
    );
  });
});
