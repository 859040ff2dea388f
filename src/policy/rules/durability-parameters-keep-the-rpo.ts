import { parameterPath, primaryCluster } from '../facts.js';
import { boolIn, numberIn } from '../postgres-parameters.js';
import type { Draft, Rule } from '../types.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Share of the smallest data volume that retained WAL may take: the rest holds the database itself. */
export const WAL_SHARE_OF_VOLUME = 0.5;
/** `synchronous_commit` values that acknowledge a commit before a synchronous standby has it. */
const WEAK_COMMIT = new Set(['off', 'local', 'false', 'no', '0']);

export const rule: Rule = {
  id: 'PGT-PG-006',
  group: 'postgres',
  title: 'Durability parameters keep what durability.rpo promises, and retained WAL fits the data volume',
  severity: 'error',
  rationale:
    '`fsync: off` loses committed data (and can corrupt the cluster) on any crash; `full_page_writes: off` leaves ' +
    'torn pages after one, and pg_rewind refuses to run without it. `synchronous_commit` `local` or `off` ' +
    'acknowledges commits before a synchronous standby holds them, so `rpo: zero-in-region` promises what the ' +
    'database does not do. A `bounded` RPO whose maximum_lag_on_failover is at least a whole data volume bounds ' +
    'nothing. WAL lives on the data volume: `wal_keep_size` + `max_slot_wal_keep_size` + `max_wal_size` beyond ' +
    `${WAL_SHARE_OF_VOLUME * 100}% of the smallest volume, or slots that retain WAL without a bound ` +
    '(`max_slot_wal_keep_size: -1`, with Patroni keeping a slot for every replica), fill the volume when a replica ' +
    'stalls, and a full volume stops the primary.',
  fix:
    'Remove `fsync`, `full_page_writes` and weak `synchronous_commit` values from `postgres.parameters`; keep ' +
    '`failover.maximumLagOnFailover` well below the data volume; bound `max_slot_wal_keep_size` (pgtopo sets a ' +
    'quarter of the smallest volume unless the spec sets it) and keep the WAL sizes within half the volume.',
  check(t) {
    const p = t.postgres.parameters;
    const drafts: Draft[] = [];
    for (const name of ['fsync', 'full_page_writes'] as const) {
      if (p[name] === undefined || boolIn(p[name]) !== false) continue;
      drafts.push({
        path: parameterPath(name),
        found: `${name} off`,
        expected: `${name} on (PostgreSQL's default)`,
      });
    }
    const commit = p.synchronous_commit;
    if (
      commit !== undefined &&
      t.durability.rpo === 'zero-in-region' &&
      WEAK_COMMIT.has(String(commit).trim().toLowerCase())
    ) {
      drafts.push({
        path: parameterPath('synchronous_commit'),
        found: `synchronous_commit ${String(commit)} with rpo zero-in-region`,
        expected:
          'synchronous_commit on, remote_apply or remote_write (a synchronous standby holds every acknowledged commit)',
      });
    }
    const volumes = t.members.map((m) => m.volume.sizeGiB);
    const smallest = Math.min(...volumes);
    const w = primaryCluster(t);
    const candidates = t.members.filter((m) => m.cluster === w?.scope && m.failoverEligible);
    const smallestCandidate = Math.min(...candidates.map((m) => m.volume.sizeGiB));
    const lag = t.failover.timers.maximumLagOnFailover;
    if (t.durability.rpo === 'bounded' && candidates.length > 0 && lag >= smallestCandidate * GIB) {
      drafts.push({
        path: ['failover', 'maximumLagOnFailover'],
        found: `maximum_lag_on_failover ${lag} bytes, at least a whole ${smallestCandidate} GiB data volume`,
        expected: `a lag bound below ${smallestCandidate * GIB} bytes (rpo bounded)`,
      });
    }
    const mb = (name: string, fallback: number) => {
      const v = p[name];
      return v === undefined ? fallback : numberIn(v, 'MB');
    };
    const slots = mb('max_slot_wal_keep_size', -1);
    const hasSlots = t.clusters.some(
      (c) => c.members.length > 1 || t.clusters.some((x) => x.follows === c.scope),
    );
    if (slots === -1 && hasSlots) {
      drafts.push({
        path: parameterPath('max_slot_wal_keep_size'),
        found: 'max_slot_wal_keep_size -1 (unbounded) with replication slots for every replica',
        expected: `a bound in MB, at most ${Math.floor(smallest * 1024 * WAL_SHARE_OF_VOLUME)}MB`,
      });
    }
    const parts = {
      wal_keep_size: mb('wal_keep_size', 0),
      max_slot_wal_keep_size: slots,
      max_wal_size: mb('max_wal_size', 1024),
    };
    if (Object.values(parts).every((v) => v !== undefined)) {
      const total =
        (parts.wal_keep_size ?? 0) +
        Math.max(parts.max_slot_wal_keep_size ?? 0, 0) +
        (parts.max_wal_size ?? 0);
      const room = smallest * 1024 * WAL_SHARE_OF_VOLUME;
      if (total > room) {
        const biggest = (Object.entries(parts) as [string, number][]).sort((a, b) => b[1] - a[1])[0]![0];
        drafts.push({
          path: parameterPath(biggest),
          found: `wal_keep_size ${parts.wal_keep_size}MB + max_slot_wal_keep_size ${Math.max(parts.max_slot_wal_keep_size ?? 0, 0)}MB + max_wal_size ${parts.max_wal_size}MB = ${Math.round((total * MIB) / GIB)} GiB of WAL on a ${smallest} GiB data volume`,
          expected: `at most ${WAL_SHARE_OF_VOLUME * 100}% of the smallest data volume (${room}MB)`,
        });
      }
    }
    return drafts;
  },
};
