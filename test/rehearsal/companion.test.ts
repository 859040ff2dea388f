/**
 * The companion clusters the logical drills boot (pure: no daemon starts here). Each is the rehearsed spec
 * reduced to a small cluster, resolved by the model like any spec: its plan is what the drill applies.
 */
import { describe, expect, test } from 'vitest';
import { loadTopology } from '../../src/model/load.js';
import {
  COMPANION_MEMBERS,
  subscriberTopology,
  upgradeSourceTopology,
} from '../../src/rehearsal/companion.js';
import { planLayout } from '../../src/rehearsal/plan.js';
import { localAddressMap } from '../../src/render/index.js';
import { renderPatroni } from '../../src/render/patroni.js';
import { EXAMPLES } from '../helpers/examples.js';

const orders = loadTopology(EXAMPLES.twoRegionStandby);
const plan = orders.logical.find((p) => p.cluster === 'orders-us-east-1')!;

describe('subscriber companion of example 2', () => {
  const t = subscriberTopology(orders, plan, {
    tag: 'sub',
    slot: 'orders_read_model',
    publication: 'orders_pub',
    database: 'orders',
    role: 'orders_reader',
  });

  test('is a small Patroni cluster of the same release, with its own name and members', () => {
    expect(t.name).toBe('orders-sub');
    expect(t.release.name).toBe(orders.release.name);
    expect(t.members.map((m) => m.name)).toEqual(['sub-a', 'sub-b']);
    expect(t.members).toHaveLength(COMPANION_MEMBERS);
    expect(t.etcd.flatMap((q) => q.members)).toHaveLength(1);
    expect(t.archive.enabled).toBe(false);
  });

  test('its own plan subscribes to the publication on the slot the publisher owns', () => {
    const sp = t.logical.find((p) => p.subscriptions.length > 0)!;
    expect(sp.subscriptions).toEqual([
      expect.objectContaining({
        name: 'orders_read_model',
        database: 'orders',
        publication: 'orders_pub',
        slot: 'orders_read_model',
        failover: true,
        publisher: expect.objectContaining({ kind: 'cluster', cluster: 'orders', user: 'orders_reader' }),
      }),
    ]);
    expect(sp.databases.map((d) => [d.name, d.owner])).toEqual([['orders', 'orders_app']]);
    expect(sp.slots).toEqual([]);
  });

  test('its addresses follow the rehearsed cluster\u2019s spare address without overlapping it', () => {
    const parent = planLayout(orders, { runDir: '/tmp/x', subnet: '127.0.41', regionStandby: true });
    const last = Number(parent.spareAddress.split('.')[3]);
    const l = planLayout(t, {
      runDir: '/tmp/y',
      subnet: '127.0.41',
      hostOffset: last + 1,
      regionStandby: false,
    });
    const mine = [...l.members.map((m) => m.address), ...l.etcd.map((e) => e.address), l.spareAddress];
    const theirs = new Set([
      ...parent.members.map((m) => m.address),
      ...parent.etcd.map((e) => e.address),
      ...parent.endpoints.map((e) => e.address),
      parent.spareAddress,
    ]);
    expect(mine.filter((a) => theirs.has(a))).toEqual([]);
  });

  test('an unknown database is refused', () => {
    expect(() =>
      subscriberTopology(orders, plan, {
        tag: 'sub',
        slot: 'orders_read_model',
        publication: 'orders_pub',
        database: 'nope',
        role: 'orders_reader',
      }),
    ).toThrow(/nope/);
  });
});

describe('upgrade source companion of example 2', () => {
  const t = upgradeSourceTopology(orders, {
    tag: 'blue',
    os: 'debian-12',
    publication: 'orders_pub',
    slot: 'pgtopo_upgrade',
  });
  const bp = t.logical.find((p) => p.publications.length > 0)!;

  test('is the spec on Debian 12: PostgreSQL 15, Patroni 3', () => {
    expect(t.name).toBe('orders-blue');
    expect(t.release.name).toBe('debian-12');
    expect(t.postgres.version).toBe(15);
    expect(t.members.map((m) => m.name)).toEqual(['blue-a', 'blue-b']);
  });

  test('publishes the same tables, and Patroni owns the migration slot beside the spec\u2019s own', () => {
    expect(bp.publications.map((p) => [p.name, p.tables])).toEqual(
      plan.publications.map((p) => [p.name, p.tables]),
    );
    expect(bp.slotOwner).toBe('patroni-permanent');
    expect(bp.slots.map((s) => s.name).sort()).toEqual(
      [...plan.slots.map((s) => s.name), 'pgtopo_upgrade'].sort(),
    );
    expect(bp.subscriptions).toEqual([]);
    const patroni = renderPatroni(t, 'blue-a', localAddressMap(t, { baseDir: '/tmp/blue' }));
    expect(patroni).toContain('pgtopo_upgrade:');
  });
});
