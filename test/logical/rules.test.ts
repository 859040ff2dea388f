/** The logical layer's rules (PGT-LOG-00N) and PGT-PG-001's logical slots: boundary tables on rule id and path. */
import { describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { handBuilt, hits } from '../policy/helpers.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

const withLogical = (edit: (s: Record<string, any>) => void = () => {}, base = logicalSpec): Topology => {
  const s = base();
  edit(s);
  return topologyFrom(s as never);
};

type Case = readonly [what: string, build: () => Topology, paths: readonly string[]];

describe.each<[string, readonly Case[]]>([
  [
    'PGT-LOG-001',
    [
      ['wal_level unset: pgtopo sets logical', () => withLogical(), []],
      [
        'wal_level logical',
        () => withLogical((s) => (s.postgres = { parameters: { wal_level: 'logical' } })),
        [],
      ],
      [
        'wal_level replica with a publication',
        () => withLogical((s) => (s.postgres = { parameters: { wal_level: 'replica' } })),
        ['postgres.parameters.wal_level'],
      ],
      [
        'wal_level replica on a subscriber only (it publishes nothing)',
        () => withLogical((s) => (s.postgres = { parameters: { wal_level: 'replica' } }), subscriberSpec),
        [],
      ],
    ],
  ],
  [
    'PGT-LOG-002',
    [
      ['declared slots on PostgreSQL 17', () => withLogical(), []],
      [
        'declared slots on PostgreSQL 15 (Patroni)',
        () =>
          withLogical(
            () => {},
            () => logicalSpec('debian-12'),
          ),
        [],
      ],
      [
        'a failover slot on a release without failover slots',
        () =>
          handBuilt(
            withLogical(
              () => {},
              () => logicalSpec('debian-12'),
            ),
            (t) => {
              t.logical[0].slots[0].owner = 'postgres-failover';
              t.logical[0].slots[0].failover = true;
            },
          ),
        ['logical.cdc[0].slot'],
      ],
      [
        'a PostgreSQL-owned slot without failover = true',
        () => handBuilt(withLogical(), (t) => (t.logical[0].slots[1].failover = false)),
        ['logical.publications[0].subscriberSlots[0]'],
      ],
      [
        'subscribing to a foreign PostgreSQL 15 publisher (no owner survives its failover)',
        () =>
          withLogical((s) => {
            s.logical.subscriptions[0].publisher = {
              host: 'legacy.db.internal',
              database: 'orders',
              user: 'orders_reader',
              password: s.logical.subscriptions[0].publisher.password,
            };
          }, subscriberSpec),
        ['logical.subscriptions[0].publisher'],
      ],
      [
        'subscribing to a foreign publisher with a failover slot',
        () =>
          withLogical((s) => {
            s.logical.subscriptions[0].publisher = {
              host: 'pg17.db.internal',
              database: 'orders',
              user: 'orders_reader',
              password: s.logical.subscriptions[0].publisher.password,
              slotFailover: true,
            };
          }, subscriberSpec),
        [],
      ],
      [
        'subscribing to this cluster on a slot it does not declare',
        () =>
          withLogical((s) => {
            s.name = 'orders';
            s.logical.subscriptions[0].publisher.cluster = 'orders';
            s.logical.subscriptions[0].slot = 'undeclared';
          }, subscriberSpec),
        ['logical.subscriptions[0].slot'],
      ],
    ],
  ],
  [
    'PGT-LOG-003',
    [
      ['8 GiB on 100 GiB volumes', () => withLogical(), []],
      [
        '25 GiB on 100 GiB volumes (exactly a quarter)',
        () => withLogical((s) => (s.logical.cdc[0].maxRetainedWalGiB = 25)),
        [],
      ],
      [
        '26 GiB on 100 GiB volumes',
        () => withLogical((s) => (s.logical.cdc[0].maxRetainedWalGiB = 26)),
        ['logical.cdc[0].maxRetainedWalGiB'],
      ],
      [
        '8 GiB with one member on a 20 GiB volume',
        () => withLogical((s) => (s.regions[0].members[2].volume = { sizeGiB: 20 })),
        ['logical.cdc[0].maxRetainedWalGiB'],
      ],
      [
        'max_slot_wal_keep_size below the feed',
        () => withLogical((s) => (s.postgres = { parameters: { max_slot_wal_keep_size: '4GB' } })),
        ['postgres.parameters.max_slot_wal_keep_size'],
      ],
      [
        'max_slot_wal_keep_size exactly the feed',
        () => withLogical((s) => (s.postgres = { parameters: { max_slot_wal_keep_size: 8192 } })),
        [],
      ],
      [
        'max_slot_wal_keep_size unbounded',
        () => withLogical((s) => (s.postgres = { parameters: { max_slot_wal_keep_size: -1 } })),
        ['postgres.parameters.max_slot_wal_keep_size'],
      ],
    ],
  ],
  [
    'PGT-LOG-004',
    [
      ['TLS on, writer endpoint', () => withLogical(), []],
      ['TLS off with a CDC feed', () => withLogical((s) => (s.security = { tls: false })), ['security.tls']],
      [
        'TLS off on a cluster without consumers',
        () =>
          withLogical((s) => {
            s.security = { tls: false };
            s.logical.cdc = [];
          }),
        [],
      ],
      [
        'a subscription to a reader endpoint',
        () =>
          withLogical((s) => {
            s.logical.subscriptions[0].publisher = {
              host: 'reader.us-east-1.orders.db.internal',
              database: 'orders',
              user: 'orders_reader',
              password: s.logical.subscriptions[0].publisher.password,
              slotFailover: true,
            };
          }, subscriberSpec),
        ['logical.subscriptions[0].publisher.host'],
      ],
      [
        'a feed pinned to a member',
        () => handBuilt(withLogical(), (t) => (t.logical[0].feeds[0].host = '10.10.0.10')),
        ['logical.cdc[0]'],
      ],
    ],
  ],
  [
    'PGT-LOG-005',
    [
      ['sorted, unique, heartbeat included', () => withLogical(), []],
      [
        'unsorted',
        () =>
          withLogical(
            (s) => (s.logical.publications[0].tables = ['public.orders', 'public.debezium_heartbeat']),
          ),
        ['logical.publications[0].tables[1]'],
      ],
      [
        'a table twice',
        () =>
          withLogical(
            (s) =>
              (s.logical.publications[0].tables = [
                'public.debezium_heartbeat',
                'public.orders',
                'public.orders',
              ]),
          ),
        ['logical.publications[0].tables[2]'],
      ],
      [
        'a system catalog',
        () =>
          withLogical(
            (s) => (s.logical.publications[0].tables = ['pg_catalog.pg_class', 'public.debezium_heartbeat']),
          ),
        ['logical.publications[0].tables[0]'],
      ],
      [
        'heartbeat table missing from the publication',
        () => withLogical((s) => (s.logical.publications[0].tables = ['public.orders'])),
        ['logical.cdc[0].heartbeat.table'],
      ],
    ],
  ],
  [
    'PGT-PG-001',
    [
      ['unset: pgtopo sizes senders and slots', () => withLogical(), []],
      [
        'max_replication_slots covers 2 replicas + 2 logical slots + 2 headroom',
        () =>
          withLogical((s) => (s.postgres = { parameters: { max_replication_slots: 6, max_wal_senders: 6 } })),
        [],
      ],
      [
        'one short once the logical slots count',
        () =>
          withLogical((s) => (s.postgres = { parameters: { max_replication_slots: 5, max_wal_senders: 6 } })),
        ['postgres.parameters.max_replication_slots'],
      ],
    ],
  ],
])('%s', (ruleId, cases) => {
  test.each(cases)('%s', (_what, build, paths) => {
    expect(hits(build(), ruleId)).toEqual(paths);
  });
});
