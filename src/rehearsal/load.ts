/**
 * The client's view: a write load through the writer endpoint, and a probe that asks every member
 * directly whether it accepts writes (split brain = two members committing in the same round).
 */
import { Socket } from 'node:net';
import { type ConnectionOptions, checkServerIdentity } from 'node:tls';
import pg from 'pg';
import { sleep } from './wait.js';

export interface ConnInfo {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl?: ConnectionOptions | false;
  /** Source address the client binds (pg_hba rules may name the client network). */
  readonly localAddress?: string;
}

export const WRITES_TABLE = 'pgtopo_rehearsal_writes';
export const PROBE_TABLE = 'pgtopo_rehearsal_probe';

/** DDL the load and the probe need, run once as the superuser on the primary after boot. */
export function schemaSql(appRole: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${WRITES_TABLE} (seq bigint PRIMARY KEY, sent_at timestamptz NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    `CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (member text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    `GRANT SELECT, INSERT ON ${WRITES_TABLE} TO ${appRole}`,
  ];
}

/** pg client settings for a connection, binding a source address when asked. */
export function clientConfig(
  c: ConnInfo,
  extra: { connectMs: number; queryMs?: number; app: string },
): pg.ClientConfig {
  const local = c.localAddress;
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    // pg verifies an IP host against "localhost" (no SNI for addresses): check the address itself.
    ssl: c.ssl
      ? { ...c.ssl, checkServerIdentity: (_: string, cert) => checkServerIdentity(c.host, cert) }
      : false,
    connectionTimeoutMillis: extra.connectMs,
    ...(extra.queryMs ? { query_timeout: extra.queryMs } : {}),
    application_name: extra.app,
    keepAlive: true,
    ...(local
      ? {
          stream: () => {
            const s = new Socket();
            const connect = s.connect.bind(s) as (o: object) => Socket;
            // pg calls stream.connect(port, host): route it through the options form to bind the source.
            (s as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
              connect({ port, host, localAddress: local });
            return s;
          },
        }
      : {}),
  };
}

/** A pg client that binds a source address when asked. */
export function client(c: ConnInfo, extra: { connectMs: number; queryMs?: number; app: string }): pg.Client {
  return new pg.Client(clientConfig(c, extra));
}

/** Tears a connection down without waiting for the server (a hung commit must not hold the client). */
export function destroy(c: pg.Client | undefined): void {
  if (!c) return;
  const stream = (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  stream?.destroy();
  c.end().catch(() => undefined);
}

export interface Ack {
  readonly seq: number;
  /** ms epoch, client clock. */
  readonly sentAt: number;
  readonly ackAt: number;
  /** Address of the PostgreSQL that committed it (`inet_server_addr()`), when known. */
  readonly server: string | null;
}

export interface Failure {
  readonly seq: number;
  readonly sentAt: number;
  readonly at: number;
  readonly error: string;
}

export interface WriteLoadOptions {
  /** Pause between writes, ms. Default 20. */
  readonly intervalMs?: number;
  /** Connect timeout, ms. Default 1000. */
  readonly connectMs?: number;
  /** A write not acknowledged within this is abandoned (outcome unknown, never counted). Default 3000. */
  readonly writeTimeoutMs?: number;
  /** Reconnect backoff: starts at min, doubles, capped at max. Default 50..500 ms. */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  /** First sequence number (each drill writes its own range). Default 1. */
  readonly firstSeq?: number;
  /** Table written (its columns: `seq`, `sent_at`). Default the rehearsal's own writes table. */
  readonly table?: string;
}

/**
 * Writes one row per write (a sequence number) through the writer endpoint, continuously, recording
 * every acknowledged write with its timestamps. A write whose outcome is unknown (error, timeout) is
 * recorded as a failure and never counted as acknowledged.
 */
export class WriteLoad {
  readonly acks: Ack[] = [];
  readonly failures: Failure[] = [];
  private seq: number;
  private running = false;
  private loop?: Promise<void>;
  private conn?: pg.Client;
  private target: ConnInfo;

  constructor(
    target: ConnInfo,
    readonly opts: WriteLoadOptions = {},
  ) {
    this.target = target;
    this.seq = (opts.firstSeq ?? 1) - 1;
  }

  /** Points the load at another endpoint (the global writer name moved): the next connection goes there. */
  retarget(target: ConnInfo): void {
    this.target = target;
    destroy(this.conn);
    this.conn = undefined;
  }

  get nextSeq(): number {
    return this.seq + 1;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the write in flight (bounded by the write timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    destroy(this.conn);
    this.conn = undefined;
  }

  /** Acknowledged sequence numbers. */
  ackedSeqs(): number[] {
    return this.acks.map((a) => a.seq);
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? 20;
    const { min, max } = this.opts.backoffMs ?? { min: 50, max: 500 };
    let backoff = min;
    while (this.running) {
      if (!this.conn) {
        const c = client(this.target, {
          connectMs: this.opts.connectMs ?? 1000,
          queryMs: this.opts.writeTimeoutMs ?? 3000,
          app: 'pgtopo-rehearsal-load',
        });
        c.on('error', () => undefined);
        try {
          await c.connect();
          this.conn = c;
        } catch (e) {
          destroy(c);
          this.failures.push({
            seq: 0,
            sentAt: Date.now(),
            at: Date.now(),
            error: `connect: ${(e as Error).message}`,
          });
          await sleep(backoff);
          backoff = Math.min(max, backoff * 2);
          continue;
        }
      }
      const seq = ++this.seq;
      const sentAt = Date.now();
      try {
        const r = await this.conn.query<{ server: string | null }>(
          `INSERT INTO ${this.opts.table ?? WRITES_TABLE} (seq, sent_at) VALUES ($1, to_timestamp($2::double precision / 1000)) RETURNING host(inet_server_addr()) AS server`,
          [seq, sentAt],
        );
        this.acks.push({ seq, sentAt, ackAt: Date.now(), server: r.rows[0]?.server ?? null });
        backoff = min;
        if (interval > 0) await sleep(interval);
      } catch (e) {
        this.failures.push({ seq, sentAt, at: Date.now(), error: (e as Error).message });
        destroy(this.conn);
        this.conn = undefined;
        await sleep(backoff);
        backoff = Math.min(max, backoff * 2);
      }
    }
  }
}

export interface ProbeTarget {
  readonly name: string;
  readonly conn: ConnInfo;
}

export interface ProbeRound {
  readonly at: number;
  /** Members whose probe write committed in this round. */
  readonly writers: readonly string[];
}

/**
 * Every `intervalMs`, attempts one write on every member's PostgreSQL directly (default
 * synchronous_commit, so a primary whose commits hang is not counted as accepting writes). A round
 * ends when every attempt has answered or timed out.
 */
export class WriterProbe {
  readonly rounds: ProbeRound[] = [];
  private running = false;
  private loop?: Promise<void>;
  private readonly conns = new Map<string, pg.Client>();

  constructor(
    readonly targets: readonly ProbeTarget[],
    readonly opts: { intervalMs?: number; writeTimeoutMs?: number } = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const c of this.conns.values()) destroy(c);
    this.conns.clear();
  }

  /** Largest number of members that committed a write in the same round, within [from, to]. */
  maxConcurrentWriters(from = 0, to = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const r of this.rounds) if (r.at >= from && r.at <= to) n = Math.max(n, r.writers.length);
    return n;
  }

  /** Members that committed in the last round (ignoring rounds where nobody did, up to `lookback`). */
  lastWriters(lookback = 5): readonly string[] {
    for (let i = this.rounds.length - 1; i >= Math.max(0, this.rounds.length - lookback); i--) {
      if (this.rounds[i]!.writers.length > 0) return this.rounds[i]!.writers;
    }
    return [];
  }

  private async attempt(t: ProbeTarget): Promise<boolean> {
    let c = this.conns.get(t.name);
    if (!c) {
      c = client(t.conn, {
        connectMs: 500,
        queryMs: this.opts.writeTimeoutMs ?? 1000,
        app: 'pgtopo-rehearsal-probe',
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
      } catch {
        destroy(c);
        return false;
      }
      this.conns.set(t.name, c);
    }
    try {
      await c.query(`INSERT INTO ${PROBE_TABLE} (member) VALUES ($1)`, [t.name]);
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      // A read-only standby answers at once and the session stays usable; anything else: reconnect.
      if (!/read-only transaction|recovery is in progress/.test(msg)) {
        destroy(c);
        this.conns.delete(t.name);
      }
      return false;
    }
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? 100;
    while (this.running) {
      const at = Date.now();
      const results = await Promise.all(
        this.targets.map(async (t) => ((await this.attempt(t)) ? t.name : undefined)),
      );
      this.rounds.push({ at, writers: results.filter((x): x is string => x !== undefined) });
      const rest = interval - (Date.now() - at);
      if (rest > 0) await sleep(rest);
    }
  }
}
