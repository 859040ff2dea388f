/**
 * The fleet's slot map for reviewers: which shard owns which slots, ranges or tenants, its share of the
 * key space, and the routing tier. Read from the model's one ownership map (the catalog and the
 * coordinator are rendered from the same map).
 */
import type { Fleet } from '../model/fleet.js';
import { slotList } from '../model/fleet-ownership.js';
import { code, plural, table } from './markdown.js';

export function renderFleetMap(f: Fleet): string {
  const o = f.ownership;
  const owns = (i: number): [string, string] => {
    if (o.kind === 'hash') {
      const mine = o.owners.flatMap((c, slot) => (c.length === 1 && c[0] === i ? [slot] : []));
      return [mine.length ? slotList(mine, 16) : 'none', `${((100 * mine.length) / o.slots).toFixed(1)} %`];
    }
    if (o.kind === 'range') {
      const r = o.ranges.find((x) => x.shard === i);
      return [r ? `[${r.from ?? '−∞'}, ${r.to ?? '+∞'})` : 'none', '–'];
    }
    const tenants = o.tenants.filter((t) => t.shard === i).map((t) => t.tenant);
    const rest = o.defaultShard === i ? ' and every unlisted tenant' : '';
    return [`${tenants.length ? tenants.join(', ') : 'none'}${rest}`, '–'];
  };
  const strategy = o.kind === 'hash' ? `hash over ${plural(o.slots, 'slot')}` : o.kind;
  return [
    `## Fleet ${f.name}`,
    '',
    `${plural(f.shards.length, 'shard')}, ${strategy}; router ${code(f.router.engine)} on database ${code(f.router.database)}; ` +
      `catalog ${code(f.catalog.name)}, coordinator ${code(f.coordinator.name)}.`,
    '',
    table(
      ['shard', 'members', o.kind === 'hash' ? 'slots' : o.kind === 'range' ? 'range' : 'tenants', 'share'],
      f.shards.map((s) => [s.name, s.topology.members.length, ...owns(s.index)]),
      ['l', 'r', 'l', 'r'],
    ),
    '',
    `Sharded tables: ${f.tables.map((t) => `${code(t.name)} by ${code(`${t.key} ${t.keyType}`)}`).join(', ')}.`,
    '',
  ].join('\n');
}
