/** Issue 15, class 2: durability settings cannot contradict the declared RPO (PGT-PG-006). */
import { describe, expect, test } from 'vitest';
import { hits, layout, twoRegions } from './helpers.js';

const params = (parameters: Record<string, unknown>, edit: (s: Record<string, any>) => void = () => {}) =>
  layout((s) => {
    s.postgres = { parameters };
    edit(s);
  });
const zero = (s: Record<string, any>) => (s.durability = { rpo: 'zero-in-region' });

describe('PGT-PG-006: durability parameters keep the RPO', () => {
  test.each([
    ['defaults', params({}), []],
    ['fsync off', params({ fsync: 'off' }), ['postgres.parameters.fsync']],
    ['fsync false (boolean)', params({ fsync: false }), ['postgres.parameters.fsync']],
    ['fsync 0', params({ fsync: 0 }), ['postgres.parameters.fsync']],
    ['fsync on', params({ fsync: 'on' }), []],
    ['full_page_writes off', params({ full_page_writes: 'OFF' }), ['postgres.parameters.full_page_writes']],
    ['full_page_writes no', params({ full_page_writes: 'no' }), ['postgres.parameters.full_page_writes']],
    [
      'synchronous_commit local with zero-in-region',
      params({ synchronous_commit: 'local' }, zero),
      ['postgres.parameters.synchronous_commit'],
    ],
    [
      'synchronous_commit off with zero-in-region',
      params({ synchronous_commit: 'off' }, zero),
      ['postgres.parameters.synchronous_commit'],
    ],
    [
      'synchronous_commit remote_write with zero-in-region',
      params({ synchronous_commit: 'remote_write' }, zero),
      [],
    ],
    [
      'synchronous_commit remote_apply with zero-in-region',
      params({ synchronous_commit: 'remote_apply' }, zero),
      [],
    ],
    ['synchronous_commit local with rpo bounded', params({ synchronous_commit: 'local' }), []],
    [
      'a lag bound of a whole 100 GiB volume bounds nothing',
      layout((s) => (s.failover = { maximumLagOnFailover: 100 * 1024 ** 3 })),
      ['failover.maximumLagOnFailover'],
    ],
    [
      'a lag bound just below the volume',
      layout((s) => (s.failover = { maximumLagOnFailover: 100 * 1024 ** 3 - 1 })),
      [],
    ],
    [
      'the same bound with rpo async (no promise)',
      layout((s) => {
        s.failover = { maximumLagOnFailover: 100 * 1024 ** 3 };
        s.durability = { rpo: 'async' };
      }),
      [],
    ],
    [
      'unbounded slot retention',
      params({ max_slot_wal_keep_size: -1 }),
      ['postgres.parameters.max_slot_wal_keep_size'],
    ],
    [
      "unbounded slot retention as '-1'",
      params({ max_slot_wal_keep_size: '-1' }),
      ['postgres.parameters.max_slot_wal_keep_size'],
    ],
    [
      'unbounded slot retention in a one-member cluster (no slots)',
      params({ max_slot_wal_keep_size: -1 }, (s) => {
        s.regions[0].members = [s.regions[0].members[0]];
        s.dcs = { mode: 'per-region' };
      }),
      [],
    ],
    [
      'unbounded slot retention in a one-member standby cluster: the primary keeps its slot',
      params({ max_slot_wal_keep_size: -1 }, (s) => {
        twoRegions(s);
        s.regions[0].members = [s.regions[0].members[0]];
      }),
      ['postgres.parameters.max_slot_wal_keep_size'],
    ],
    [
      'wal_keep_size filling half the volume with the default slot bound and max_wal_size',
      params({ wal_keep_size: '44GB' }),
      [],
    ],
    [
      'wal_keep_size 1 GB beyond half the volume',
      params({ wal_keep_size: '45GB' }),
      ['postgres.parameters.wal_keep_size'],
    ],
    [
      'slot retention of the whole volume',
      params({ max_slot_wal_keep_size: '100GB' }),
      ['postgres.parameters.max_slot_wal_keep_size'],
    ],
    [
      'a small volume somewhere decides',
      params({ max_slot_wal_keep_size: '20GB' }, (s) => (s.regions[0].members[2].volume = { sizeGiB: 40 })),
      ['postgres.parameters.max_slot_wal_keep_size'],
    ],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-PG-006')).toEqual(paths);
  });

  test('pgtopo bounds slot retention by default, unless the spec sets it', () => {
    expect(layout().postgres.parameters.max_slot_wal_keep_size).toBe('5GB');
    const t = layout((s) => (s.postgres = { parameters: { max_slot_wal_keep_size: '2GB' } }));
    expect(t.postgres.parameters.max_slot_wal_keep_size).toBe('2GB');
  });
});
