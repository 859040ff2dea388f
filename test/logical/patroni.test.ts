/** The logical plan in patroni.yml: parameters, pg_hba, and the one owner of every logical slot. */
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { topologyFrom } from '../../src/model/load.js';
import { awsAddressMap, pgHba, renderPatroni, replicationCapacity } from '../../src/render/index.js';
import { baseSpec } from '../helpers/spec.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

const patroni = (spec: Record<string, any>, member = 'use1-a') => {
  const t = topologyFrom(spec as never);
  return { t, doc: parse(renderPatroni(t, member, awsAddressMap(t))) as Record<string, any> };
};

describe('patroni.yml with a logical plan', () => {
  test('PostgreSQL 17: failover slots, ignored by Patroni, synchronized to standbys', () => {
    const { doc } = patroni(logicalSpec('debian-13'));
    const dcs = doc.bootstrap.dcs;
    expect(dcs.postgresql.parameters).toMatchObject({
      wal_level: 'logical',
      sync_replication_slots: 'on',
      hot_standby_feedback: 'on',
      max_slot_wal_keep_size: '8GB',
    });
    expect(dcs.slots).toBeUndefined();
    // The subscriber slot's database also holds its table-sync slots: every pgoutput slot there is left alone.
    expect(dcs.ignore_slots).toEqual([{ type: 'logical', database: 'orders', plugin: 'pgoutput' }]);
    expect(doc.postgresql.parameters.synchronized_standby_slots).toBe('use1_b,use1_c');
  });

  test('PostgreSQL 17 without subscriber slots: each failover slot ignored by name', () => {
    const s = logicalSpec('debian-13');
    s.logical.publications[0].subscriberSlots = [];
    const { doc } = patroni(s);
    expect(doc.bootstrap.dcs.ignore_slots).toEqual([
      { name: 'debezium_orders', type: 'logical', database: 'orders', plugin: 'pgoutput' },
    ]);
  });

  test('PostgreSQL 15: Patroni permanent logical slots, no failover settings', () => {
    const { doc } = patroni(logicalSpec('debian-12'));
    const dcs = doc.bootstrap.dcs;
    expect(dcs.slots).toEqual({
      debezium_orders: { type: 'logical', database: 'orders', plugin: 'pgoutput' },
      orders_read_model: { type: 'logical', database: 'orders', plugin: 'pgoutput' },
    });
    expect(dcs.postgresql.parameters).not.toHaveProperty('sync_replication_slots');
    expect(doc.postgresql.parameters).not.toHaveProperty('synchronized_standby_slots');
    expect(dcs.postgresql.parameters.wal_level).toBe('logical');
  });

  test('logical pg_hba lines name the database, not the replication keyword, and come before the catch-all', () => {
    const s = logicalSpec();
    s.security = { allowedCidrs: ['10.0.0.0/8'] };
    const t = topologyFrom(s as never);
    const hba = pgHba(t, 'use1-a', awsAddressMap(t)).map((l) => l.split(/\s+/));
    const cdc = hba.findIndex((l) => l[1] === 'orders' && l[2] === 'debezium');
    expect(hba[cdc]).toEqual(['hostssl', 'orders', 'debezium', '10.0.0.0/8', 'scram-sha-256']);
    expect(hba.findIndex((l) => l[1] === 'all' && l[3] === '10.0.0.0/8')).toBeGreaterThan(cdc);
    expect(hba.filter((l) => l[1] === 'replication').every((l) => l[2] === 'replicator')).toBe(true);
  });

  test('sender and slot capacity count the logical slots', () => {
    const plain = topologyFrom(baseSpec());
    const withSlots = topologyFrom(logicalSpec() as never);
    expect(replicationCapacity(withSlots).maxReplicationSlots).toBe(
      replicationCapacity(plain).maxReplicationSlots + 2,
    );
    expect(replicationCapacity(withSlots).maxWalSenders).toBe(replicationCapacity(plain).maxWalSenders + 2);
  });

  test('a subscriber gets worker capacity but keeps wal_level replica', () => {
    const { doc } = patroni(subscriberSpec('debian-13'));
    expect(doc.bootstrap.dcs.postgresql.parameters).toMatchObject({
      wal_level: 'replica',
      max_logical_replication_workers: 4,
      max_worker_processes: 13,
    });
  });

  test('no logical section: patroni.yml as before', () => {
    const { doc } = patroni(structuredClone(baseSpec()) as Record<string, any>);
    expect(doc.bootstrap.dcs.ignore_slots).toBeUndefined();
    expect(doc.bootstrap.dcs.postgresql.parameters.wal_level).toBe('replica');
    expect(doc.bootstrap.dcs.postgresql.parameters).not.toHaveProperty('max_worker_processes');
  });
});
