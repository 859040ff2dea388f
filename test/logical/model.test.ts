import { describe, expect, test } from 'vitest';
import { topologyFrom, tryResolve } from '../../src/model/load.js';
import { memberSlotName } from '../../src/model/logical.js';
import { formatPath } from '../../src/spec/issues.js';
import { baseSpec } from '../helpers/spec.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

const problems = (edit: (s: Record<string, any>) => void): string[] => {
  const s = logicalSpec();
  edit(s);
  const r = tryResolve(s);
  return r.ok ? [] : r.issues.map((i) => `${i.code} ${formatPath(i.path)}${i.hint ? ` (${i.hint})` : ''}`);
};

describe('logical spec cross-references', () => {
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['valid', () => {}, []],
    [
      'database owner not a role',
      (s) => (s.logical.databases[0].owner = 'orders_ap'),
      ['unknown_reference logical.databases[0].owner (did you mean "orders_app"?)'],
    ],
    [
      'CDC feed names an unknown publication',
      (s) => (s.logical.cdc[0].publication = 'order_pub'),
      ['unknown_reference logical.cdc[0].publication (did you mean "orders_pub"?)'],
    ],
    [
      'grant to an unknown role and database',
      (s) => Object.assign(s.logical.grants[0], { role: 'nobody', database: 'ordrs' }),
      [
        'unknown_reference logical.grants[0].role',
        'unknown_reference logical.grants[0].database (did you mean "orders"?)',
      ],
    ],
    [
      'CDC role without REPLICATION',
      (s) => (s.logical.roles[1].replication = false),
      ['inconsistent logical.cdc[0].role'],
    ],
    [
      'CDC feed on a publication of another database',
      (s) => {
        s.logical.databases.push({ name: 'billing', owner: 'orders_app' });
        s.logical.cdc[0].database = 'billing';
      },
      ['inconsistent logical.cdc[0].publication'],
    ],
    [
      'slot used twice',
      (s) => (s.logical.publications[0].subscriberSlots = ['debezium_orders']),
      ['duplicate_name logical.publications[0].subscriberSlots[0]'],
    ],
    [
      'duplicate role',
      (s) => s.logical.roles.push({ name: 'debezium' }),
      ['duplicate_name logical.roles[3].name'],
    ],
    [
      'a password value instead of a reference',
      (s) => (s.logical.roles[0].password = 'hunter2hunter2'),
      ['invalid_format logical.roles[0].password'],
    ],
    ['a reserved name', (s) => (s.logical.roles[0].name = 'pg_monitor'), ['custom logical.roles[0].name']],
  ])('%s', (_, edit, expected) => {
    expect(problems(edit)).toEqual(expected);
  });

  test('an empty logical section is the default and plans nothing', () => {
    const t = topologyFrom(baseSpec());
    expect(t.logical).toHaveLength(1);
    expect(t.logical[0]).toMatchObject({ slots: [], parameters: {}, hba: [], synchronizedStandbySlots: {} });
  });
});

describe('resolveLogical', () => {
  test('PostgreSQL 17: failover slots, sync settings, standby slots of the other failover-eligible members', () => {
    const t = topologyFrom(logicalSpec('debian-13') as never);
    const [plan] = t.logical;
    expect(plan!.cluster).toBe('orders-us-east-1');
    expect(plan!.slotOwner).toBe('postgres-failover');
    expect(plan!.slots.map((s) => [s.name, s.owner, s.failover, s.usedBy.kind])).toEqual([
      ['debezium_orders', 'postgres-failover', true, 'cdc'],
      ['orders_read_model', 'postgres-failover', true, 'subscriber'],
    ]);
    expect(plan!.parameters).toMatchObject({
      wal_level: 'logical',
      max_replication_slots: 2,
      max_wal_senders: 2,
      max_slot_wal_keep_size: '8GB',
      sync_replication_slots: 'on',
      hot_standby_feedback: 'on',
    });
    expect(plan!.synchronizedStandbySlots).toEqual({
      'use1-a': 'use1_b,use1_c',
      'use1-b': 'use1_a,use1_c',
      'use1-c': 'use1_a,use1_b',
    });
    expect(plan!.hba).toEqual([
      { database: 'orders', user: 'debezium' },
      { database: 'orders', user: 'orders_reader' },
    ]);
    // The feed's retention raises the topology's slot bound (one value, read by rules and renderers).
    expect(t.postgres.parameters.max_slot_wal_keep_size).toBe('8GB');
    expect(plan!.feeds[0]).toMatchObject({ host: 'writer.orders.pgtopo.internal', port: 5432 });
  });

  test('PostgreSQL 15: Patroni permanent slots, no failover settings', () => {
    const [plan] = topologyFrom(logicalSpec('debian-12') as never).logical;
    expect(plan!.slotOwner).toBe('patroni-permanent');
    expect(plan!.slots.every((s) => s.owner === 'patroni-permanent' && !s.failover)).toBe(true);
    expect(plan!.parameters).not.toHaveProperty('sync_replication_slots');
    expect(plan!.synchronizedStandbySlots).toEqual({});
  });

  test('publication tables: sorted and unique in the plan, as declared for the rules', () => {
    const s = logicalSpec();
    s.logical.publications[0].tables = ['public.orders', 'public.debezium_heartbeat', 'public.orders'];
    const [plan] = topologyFrom(s as never).logical;
    expect(plan!.publications[0]!.tables.map((x) => `${x.schema}.${x.table}`)).toEqual([
      'public.debezium_heartbeat',
      'public.orders',
    ]);
    expect(plan!.publications[0]!.declaredTables).toHaveLength(3);
  });

  test.each<['debian-13' | 'debian-12', 'debian-13' | 'debian-12', boolean]>([
    ['debian-13', 'debian-13', true],
    ['debian-13', 'debian-12', false],
    ['debian-12', 'debian-13', false],
    ['debian-12', 'debian-12', false],
  ])('subscription on %s to a publisher on %s: failover %s', (own, publisher, failover) => {
    const s = subscriberSpec(own);
    s.logical.subscriptions[0].publisher.os = publisher;
    const [plan] = topologyFrom(s as never).logical;
    expect(plan!.subscriptions[0]).toMatchObject({
      slot: 'orders_read_model',
      failover,
      publisher: { kind: 'cluster', host: 'writer.orders.db.internal', port: 5432, user: 'orders_reader' },
    });
    expect(plan!.slots).toEqual([]);
    expect(plan!.parameters).toMatchObject({ max_logical_replication_workers: 4, max_worker_processes: 13 });
    expect(plan!.parameters).not.toHaveProperty('wal_level');
  });

  test.each([
    ['use1-a', 'use1_a'],
    ['db.node-1', 'db_node_1'],
  ])('member %s has Patroni slot %s', (member, slot) => {
    expect(memberSlotName(member)).toBe(slot);
  });
});
