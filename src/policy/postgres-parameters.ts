/**
 * PostgreSQL parameters pgtopo knows the type, unit and range of, and how PostgreSQL reads a value of each.
 * Types, base units and limits are PostgreSQL 17's (src/backend/utils/misc/guc_tables.c, and "Server
 * Configuration" in the documentation); MAX_KILOBYTES is INT_MAX on 64-bit builds, MAX_BACKENDS 262143.
 * PGT-PG-007 checks the spec's values against this table; PGT-PG-006 reads durability values through it.
 */
import type { ParameterValue } from './facts.js';

/** Base units of numeric parameters: a bare number is in this unit. */
export type BaseUnit = 'B' | 'kB' | '8kB' | 'MB' | 'ms' | 's' | 'min';

export type ParameterSpec =
  | { readonly type: 'bool' }
  | { readonly type: 'int'; readonly unit?: BaseUnit; readonly min: number; readonly max: number }
  | { readonly type: 'real'; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'string' };

const INT_MAX = 2147483647;
const MAX_KILOBYTES = INT_MAX;
const MAX_BACKENDS = 262143;
const bool = { type: 'bool' } as const;
const int = (min: number, max: number, unit?: BaseUnit): ParameterSpec =>
  unit ? { type: 'int', unit, min, max } : { type: 'int', min, max };
const real = (min: number, max: number): ParameterSpec => ({ type: 'real', min, max });
const oneOf = (...values: string[]): ParameterSpec => ({ type: 'enum', values });
const text = { type: 'string' } as const;

/** Boolean spellings PostgreSQL accepts (parse_bool: on/off, true/false, yes/no, 1/0). */
const BOOL_WORDS = ['on', 'off', 'true', 'false', 'yes', 'no', '1', '0'];
/** `synchronous_commit` also takes the boolean spellings (on = on, off = off). */
const SYNCHRONOUS_COMMIT = ['local', 'remote_write', 'remote_apply', ...BOOL_WORDS];

export const POSTGRES_PARAMETERS: Readonly<Record<string, ParameterSpec>> = {
  // Connections
  max_connections: int(1, MAX_BACKENDS),
  superuser_reserved_connections: int(0, MAX_BACKENDS),
  reserved_connections: int(0, MAX_BACKENDS),
  idle_in_transaction_session_timeout: int(0, INT_MAX, 'ms'),
  idle_session_timeout: int(0, INT_MAX, 'ms'),
  statement_timeout: int(0, INT_MAX, 'ms'),
  lock_timeout: int(0, INT_MAX, 'ms'),
  tcp_keepalives_idle: int(0, INT_MAX, 's'),
  tcp_keepalives_interval: int(0, INT_MAX, 's'),
  tcp_keepalives_count: int(0, INT_MAX),
  // Memory
  shared_buffers: int(16, INT_MAX / 2, '8kB'),
  temp_buffers: int(100, INT_MAX / 2, '8kB'),
  work_mem: int(64, MAX_KILOBYTES, 'kB'),
  maintenance_work_mem: int(1024, MAX_KILOBYTES, 'kB'),
  autovacuum_work_mem: int(-1, MAX_KILOBYTES, 'kB'),
  logical_decoding_work_mem: int(64, MAX_KILOBYTES, 'kB'),
  effective_cache_size: int(1, INT_MAX, '8kB'),
  huge_pages: oneOf('off', 'on', 'try', 'true', 'false', 'yes', 'no', '1', '0'),
  max_prepared_transactions: int(0, MAX_BACKENDS),
  max_locks_per_transaction: int(10, INT_MAX),
  max_worker_processes: int(0, MAX_BACKENDS),
  max_parallel_workers: int(0, 1024),
  max_parallel_workers_per_gather: int(0, 1024),
  max_parallel_maintenance_workers: int(0, 1024),
  effective_io_concurrency: int(0, 1000),
  // Write-ahead log and durability
  fsync: bool,
  full_page_writes: bool,
  synchronous_commit: oneOf(...SYNCHRONOUS_COMMIT),
  wal_level: oneOf('minimal', 'replica', 'logical', 'archive', 'hot_standby'),
  wal_compression: oneOf('pglz', 'lz4', 'zstd', ...BOOL_WORDS),
  wal_buffers: int(-1, 262143, '8kB'),
  wal_writer_delay: int(1, 10000, 'ms'),
  commit_delay: int(0, 100000),
  max_wal_size: int(2, MAX_KILOBYTES, 'MB'),
  min_wal_size: int(2, MAX_KILOBYTES, 'MB'),
  wal_keep_size: int(0, MAX_KILOBYTES, 'MB'),
  max_slot_wal_keep_size: int(-1, MAX_KILOBYTES, 'MB'),
  checkpoint_timeout: int(30, 86400, 's'),
  checkpoint_completion_target: real(0, 1),
  archive_timeout: int(0, INT_MAX / 2, 's'),
  // Replication
  max_wal_senders: int(0, MAX_BACKENDS),
  max_replication_slots: int(0, MAX_BACKENDS),
  wal_sender_timeout: int(0, INT_MAX, 'ms'),
  wal_receiver_timeout: int(0, INT_MAX, 'ms'),
  wal_retrieve_retry_interval: int(1, INT_MAX, 'ms'),
  hot_standby_feedback: bool,
  max_standby_streaming_delay: int(-1, INT_MAX, 'ms'),
  max_standby_archive_delay: int(-1, INT_MAX, 'ms'),
  // Planner
  random_page_cost: real(0, Number.MAX_VALUE),
  seq_page_cost: real(0, Number.MAX_VALUE),
  default_statistics_target: int(1, 10000),
  jit: bool,
  // Autovacuum
  autovacuum: bool,
  autovacuum_max_workers: int(1, MAX_BACKENDS),
  autovacuum_naptime: int(1, INT_MAX / 1000, 's'),
  autovacuum_vacuum_scale_factor: real(0, 100),
  autovacuum_analyze_scale_factor: real(0, 100),
  autovacuum_vacuum_cost_limit: int(-1, 10000),
  // Logging and statistics
  log_min_duration_statement: int(-1, INT_MAX, 'ms'),
  log_autovacuum_min_duration: int(-1, INT_MAX, 'ms'),
  log_checkpoints: bool,
  log_connections: bool,
  log_disconnections: bool,
  log_lock_waits: bool,
  log_temp_files: int(-1, INT_MAX, 'kB'),
  log_statement: oneOf('none', 'ddl', 'mod', 'all'),
  log_line_prefix: text,
  log_timezone: text,
  track_io_timing: bool,
  track_activity_query_size: int(100, 1048576, 'B'),
  shared_preload_libraries: text,
  timezone: text,
};

const MEMORY_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};
const TIME_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60000,
  h: 3600000,
  d: 86400000,
};
const BASE: Readonly<Record<BaseUnit, { table: Readonly<Record<string, number>>; factor: number }>> = {
  B: { table: MEMORY_BYTES, factor: 1 },
  kB: { table: MEMORY_BYTES, factor: 1024 },
  '8kB': { table: MEMORY_BYTES, factor: 8192 },
  MB: { table: MEMORY_BYTES, factor: 1024 ** 2 },
  ms: { table: TIME_MS, factor: 1 },
  s: { table: TIME_MS, factor: 1000 },
  min: { table: TIME_MS, factor: 60000 },
};

/** The value of a numeric parameter in its base unit, or undefined when PostgreSQL would reject it. */
export function numberIn(value: ParameterValue, unit: BaseUnit | undefined): number | undefined {
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return n;
  if (!unit) return undefined;
  const factor = BASE[unit].table[m[2]];
  // Units are case-sensitive in PostgreSQL ("MB", "kB", "min"), and a memory unit never fits a time parameter.
  return factor === undefined ? undefined : (n * factor) / BASE[unit].factor;
}

/** A boolean parameter as PostgreSQL reads it, or undefined when it is not a boolean. */
export function boolIn(value: ParameterValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(s)) return true;
  if (['off', 'false', 'no', '0'].includes(s)) return false;
  return undefined;
}

/** Why PostgreSQL would refuse `value` for the known parameter `name`, or undefined (fine, or unknown). */
export function parameterProblem(name: string, value: ParameterValue): string | undefined {
  const spec = POSTGRES_PARAMETERS[name];
  if (!spec) return undefined;
  switch (spec.type) {
    case 'bool':
      return boolIn(value) === undefined ? 'a boolean (on/off, true/false, yes/no, 1/0)' : undefined;
    case 'enum':
      return spec.values.includes(String(value).trim().toLowerCase())
        ? undefined
        : `one of ${spec.values.join(', ')}`;
    case 'string':
      return undefined;
    case 'real':
    case 'int': {
      const unit = spec.type === 'int' ? spec.unit : undefined;
      const n = numberIn(value, unit);
      const units = unit
        ? ` (a number in ${unit}, or with a ${BASE[unit].table === TIME_MS ? 'time unit: us, ms, s, min, h, d' : 'memory unit: B, kB, MB, GB, TB'})`
        : '';
      const what = `${spec.type === 'int' ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}${units}`;
      if (n === undefined || n < spec.min || n > spec.max) return what;
      if (spec.type === 'int' && typeof value === 'number' && !Number.isInteger(value)) return what;
      return undefined;
    }
  }
}
