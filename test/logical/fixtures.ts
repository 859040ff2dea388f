/** A spec with a logical section: a CDC feed and a subscriber slot on the writable cluster. */
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { baseSpec } from '../helpers/spec.js';

export const PUBLISHER_ROLE_SECRET =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-read-AbCdEf';

export function logicalSection(): NonNullable<TopologySpecInput['logical']> {
  return {
    roles: [
      { name: 'orders_app', password: 'generate' },
      { name: 'debezium', replication: true },
      { name: 'orders_reader', replication: true, password: PUBLISHER_ROLE_SECRET },
    ],
    databases: [{ name: 'orders', owner: 'orders_app', extensions: ['pgcrypto'] }],
    grants: [
      { role: 'debezium', database: 'orders', schema: 'public', tables: ['SELECT'] },
      { role: 'orders_reader', database: 'orders', tables: ['SELECT'] },
    ],
    publications: [
      {
        name: 'orders_pub',
        database: 'orders',
        tables: ['public.debezium_heartbeat', 'public.orders'],
        subscriberSlots: ['orders_read_model'],
      },
    ],
    cdc: [
      {
        name: 'orders_cdc',
        database: 'orders',
        publication: 'orders_pub',
        slot: 'debezium_orders',
        role: 'debezium',
        heartbeat: { table: 'public.debezium_heartbeat', intervalMs: 10000 },
        maxRetainedWalGiB: 8,
      },
    ],
  };
}

/** baseSpec() with the logical section, on a release (default: the default release). */
export function logicalSpec(os?: 'debian-13' | 'debian-12'): Record<string, any> {
  const s = structuredClone(baseSpec()) as Record<string, any>;
  s.logical = logicalSection();
  if (os) s.hosts = { os };
  return s;
}

/** A subscriber spec: its own cluster, subscribing to orders_pub of the `orders` spec. */
export function subscriberSpec(os?: 'debian-13' | 'debian-12'): Record<string, any> {
  const s = structuredClone(baseSpec()) as Record<string, any>;
  s.name = 'reports';
  s.regions[0].cidr = '10.30.0.0/16';
  if (os) s.hosts = { os };
  s.logical = {
    roles: [{ name: 'reports_app' }],
    databases: [{ name: 'orders_copy', owner: 'reports_app' }],
    subscriptions: [
      {
        name: 'orders_read_model',
        database: 'orders_copy',
        publication: 'orders_pub',
        publisher: {
          cluster: 'orders',
          dnsZone: 'orders.db.internal',
          database: 'orders',
          user: 'orders_reader',
          password: PUBLISHER_ROLE_SECRET,
        },
      },
    ],
  };
  return s;
}
