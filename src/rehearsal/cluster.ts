/**
 * The running cluster: writes the rendered files, starts etcd, Patroni (which runs PostgreSQL),
 * PgBouncer and HAProxy under the supervisor, and answers questions about it (who leads, is it
 * healthy) through the same interfaces an operator uses: Patroni's REST API, etcd's health endpoint,
 * SQL through the writer endpoint.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PORTS } from '../model/constants.js';
import type { EndpointLayout, EtcdLayout, Layout, MemberLayout } from './layout.js';
import { type ConnInfo, client, destroy } from './load.js';
import { type PatroniCluster, request } from './rest.js';
import type { Supervisor } from './supervisor.js';
import { sleep, WaitTimeout, waitFor, withTimeout } from './wait.js';

export type Progress = (line: string) => void;

export class LocalCluster {
  constructor(
    readonly layout: Layout,
    readonly sup: Supervisor,
    readonly progress: Progress = () => undefined,
  ) {}

  /** Creates directories and writes every file with its mode and owner (as the boot step does). */
  prepare(): void {
    const owner = (spec: string) => this.sup.ownerIds(spec);
    const pg = this.sup.user;
    for (const d of this.layout.dirs) {
      mkdirSync(d.path, { recursive: true });
      const o = owner(d.owner);
      chownSync(d.path, o.uid, o.gid);
      chmodSync(d.path, d.mode);
    }
    for (const f of this.layout.files) {
      const dir = dirname(f.path);
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        chownSync(dir, pg.uid, pg.gid);
      }
      writeFileSync(f.path, f.content, { mode: f.mode });
      chmodSync(f.path, f.mode);
      const o = owner(f.owner);
      chownSync(f.path, o.uid, o.gid);
    }
  }

  // ---- connections -------------------------------------------------------------------------------

  memberConn(name: string, database = 'postgres'): ConnInfo {
    const m = this.member(name);
    return { host: m.address, port: m.pgPort, database, ...this.layout.superuser, ssl: this.layout.pgSsl };
  }

  /** The writer endpoint as an application sees it: HAProxy, then PgBouncer when there is one. */
  writerConn(scope: string, database = 'postgres'): ConnInfo {
    const e = this.endpoint(scope);
    return { host: e.address, port: e.writerPort, database, ...this.layout.app, ssl: this.layout.pgSsl };
  }

  /** The writer endpoint straight to PostgreSQL, as the superuser (DDL, roles). */
  writerDirectConn(scope: string, database = 'postgres'): ConnInfo {
    const e = this.endpoint(scope);
    return {
      host: e.address,
      port: e.directPort,
      database,
      ...this.layout.superuser,
      ssl: this.layout.pgSsl,
    };
  }

  /** Runs one statement on a connection, bounded. */
  async sql<R extends Record<string, unknown>>(
    c: ConnInfo,
    text: string,
    params: unknown[] = [],
    timeoutMs = 10_000,
  ): Promise<R[]> {
    const cl = client(c, {
      connectMs: Math.min(timeoutMs, 3000),
      queryMs: timeoutMs,
      app: 'pgtopo-rehearsal',
    });
    cl.on('error', () => undefined);
    try {
      const connecting = cl.connect();
      // If the deadline wins the race, the connect promise still settles later: never unhandled.
      connecting.catch(() => undefined);
      await withTimeout(`connect to ${c.host}:${c.port}`, connecting, timeoutMs);
      const r = await cl.query(text, params);
      return r.rows as R[];
    } finally {
      destroy(cl);
    }
  }

  // ---- lookups -----------------------------------------------------------------------------------

  member(name: string): MemberLayout {
    const m = this.layout.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name} in the rehearsal`);
    return m;
  }

  endpoint(scope: string): EndpointLayout {
    const e = this.layout.endpoints.find((x) => x.cluster === scope);
    if (!e) throw new Error(`no writer endpoint for ${scope} in the rehearsal`);
    return e;
  }

  membersOf(scope: string): MemberLayout[] {
    return this.layout.members.filter((m) => m.cluster === scope);
  }

  etcdOf(quorum: string): EtcdLayout[] {
    return this.layout.etcd.filter((e) => e.quorum === quorum);
  }

  get primaryScope(): string {
    return this.layout.clusters.find((c) => c.role === 'primary')!.scope;
  }

  // ---- etcd ----------------------------------------------------------------------------------------

  private tlsOpts() {
    const t = this.layout.tls;
    return t ? { ca: t.ca, cert: t.clientCert, key: t.clientKey } : {};
  }

  async etcdHealthy(e: EtcdLayout): Promise<boolean> {
    const r = await request(`${e.clientUrl}/health`, { ...this.tlsOpts(), timeoutMs: 1500 });
    return r.status === 200 && r.json<{ health: string }>().health === 'true';
  }

  startEtcd(e: EtcdLayout): void {
    this.sup.spawn(e.process);
  }

  async waitEtcd(quorum: string, timeoutMs = 60_000): Promise<void> {
    const members = this.etcdOf(quorum).filter((e) => this.sup.running(e.process.name));
    await waitFor(
      `etcd quorum ${quorum} healthy`,
      async () => {
        for (const e of members) if (!(await this.etcdHealthy(e))) return false;
        return true;
      },
      { timeoutMs, intervalMs: 250 },
    ).catch((err) => {
      throw this.explain(
        err,
        members.map((m) => m.process.name),
      );
    });
  }

  /**
   * Client sessions HAProxy holds on the writer listeners of a cluster's endpoint (its stats page:
   * `scur` of each writer frontend). Once every client is gone it must be 0: a session left means the
   * endpoint keeps a client connected to nothing (e.g. to a primary that died). Undefined when the stats
   * page does not answer.
   */
  async endpointSessions(scope: string): Promise<number | undefined> {
    const e = this.endpoint(scope);
    try {
      const r = await request(`http://${e.address}:${PORTS.haproxyStats}/;csv`, { timeoutMs: 2000 });
      if (r.status !== 200) return undefined;
      const [head, ...rows] = r.text.split('\n');
      const cols = (head ?? '').replace(/^# /, '').split(',');
      const [px, sv, scur] = ['pxname', 'svname', 'scur'].map((c) => cols.indexOf(c));
      return rows
        .map((l) => l.split(','))
        .filter((f) => f[sv!] === 'FRONTEND' && f[px!]?.startsWith('writer'))
        .reduce((n, f) => n + Number(f[scur!] ?? 0), 0);
    } catch {
      return undefined;
    }
  }

  // ---- Patroni -------------------------------------------------------------------------------------

  startMember(m: MemberLayout, opts: { pooler?: boolean } = {}): void {
    if (!this.sup.running(m.patroni.name)) this.sup.spawn(m.patroni);
    if (m.pgbouncer && opts.pooler !== false && !this.sup.running(m.pgbouncer.name))
      this.sup.spawn(m.pgbouncer);
  }

  startEndpoint(e: EndpointLayout): void {
    if (!this.sup.running(e.process.name)) this.sup.spawn(e.process);
  }

  /** One member's own view of itself (`GET /patroni`): role and state. Undefined when it does not answer. */
  async self(m: MemberLayout): Promise<{ role: string; state: string } | undefined> {
    if (!this.sup.running(m.patroni.name)) return undefined;
    try {
      const r = await request(`${m.restUrl}/patroni`, { ...this.tlsOpts(), timeoutMs: 1000 });
      return r.status === 200 ? r.json<{ role: string; state: string }>() : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The cluster as its leader sees it (`GET /cluster` on the member that reports itself leader). A
   * member cut off from the DCS answers from a stale cache, so no other member's view is trusted.
   */
  async state(scope: string, skip: readonly string[] = []): Promise<PatroniCluster | undefined> {
    const name = await this.leader(scope, skip);
    if (!name) return undefined;
    try {
      const r = await request(`${this.member(name).restUrl}/cluster`, { ...this.tlsOpts(), timeoutMs: 1000 });
      return r.status === 200 ? r.json<PatroniCluster>() : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The one member that reports itself leader (`master`/`primary`, or `standby_leader` in a standby
   * cluster); undefined while none or several do.
   */
  async leader(scope: string, skip: readonly string[] = []): Promise<string | undefined> {
    const members = this.membersOf(scope).filter((m) => !skip.includes(m.name));
    const views = await Promise.all(members.map(async (m) => ({ m, v: await this.self(m) })));
    const leaders = views.filter(({ v }) => v && ['master', 'primary', 'standby_leader'].includes(v.role));
    return leaders.length === 1 ? leaders[0]!.m.name : undefined;
  }

  /**
   * Healthy: every member runs under Patroni, exactly one reports itself leader, and the leader's view
   * shows every member, replicas caught up, and a synchronous standby when synchronous mode is on.
   */
  async healthy(scope: string): Promise<string | false> {
    const members = this.membersOf(scope);
    const views = await Promise.all(members.map((m) => this.self(m)));
    if (!views.every((v) => v?.state === 'running')) return false;
    const s = await this.state(scope);
    if (!s) return false;
    const want = members.map((m) => m.name);
    const seen = s.members.filter((m) => want.includes(m.name));
    if (seen.length !== want.length) return false;
    if (!seen.every((m) => m.state === 'running' || m.state === 'streaming')) return false;
    const leaders = seen.filter((m) => m.role === 'leader' || m.role === 'standby_leader');
    if (leaders.length !== 1) return false;
    const c = this.layout.clusters.find((x) => x.scope === scope)!;
    const t = this.layout.topology;
    if (c.role === 'primary' && t.durability.synchronousMode !== 'off') {
      const eligible = t.members.filter((m) => m.cluster === scope && m.syncEligible).length;
      if (eligible > 1 && !seen.some((m) => m.role === 'sync_standby')) return false;
    }
    const lagging = seen.filter(
      (m) => m.role !== 'leader' && m.role !== 'standby_leader' && m.lag !== 0 && m.lag !== '0',
    );
    if (lagging.some((m) => typeof m.lag !== 'number' || m.lag > 16 * 1024 * 1024)) return false;
    return leaders[0]!.name;
  }

  async waitHealthy(scope: string, timeoutMs: number): Promise<string> {
    return waitFor(`cluster ${scope} healthy`, () => this.healthy(scope), {
      timeoutMs,
      intervalMs: 500,
    }).catch((err) => {
      throw this.explain(
        err,
        this.membersOf(scope).map((m) => m.patroni.name),
      );
    });
  }

  /** A write through the writer endpoint succeeds. */
  /**
   * Superuser SQL through the writer endpoint, retried while the cluster is in a transient state: the
   * endpoint still routing to a replica (HAProxy starts every server up until its checks decide: "read-only
   * transaction"), the leader starting or shutting down, a connection refused or reset. Bounded in time;
   * any other error is thrown at once.
   */
  async adminSql<R extends Record<string, unknown>>(
    scope: string,
    text: string,
    params: unknown[] = [],
    timeoutMs = 60_000,
  ): Promise<R[]> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sql<R>(this.writerDirectConn(scope), text, params);
      } catch (e) {
        if (!isTransient(e) || Date.now() > deadline) throw e;
        await sleep(Math.min(250 * attempt, 2000));
      }
    }
  }

  async waitWriter(scope: string, timeoutMs: number): Promise<void> {
    await waitFor(
      `a write through the writer endpoint of ${scope}`,
      async () => {
        await this.sql(this.writerDirectConn(scope), 'CREATE TEMP TABLE pgtopo_ping (x int)', [], 2000);
        return true;
      },
      { timeoutMs, intervalMs: 300 },
    );
  }

  /** Adds the last lines of the named processes' logs to a timeout, so a failed boot says why. */
  explain(err: unknown, procs: readonly string[]): Error {
    const e = err as Error;
    const tails = procs
      .map((p) => {
        const proc = this.sup.get(p);
        const state = proc?.exit ? `exited (code ${proc.exit.code}, signal ${proc.exit.signal})` : 'running';
        return `--- ${p}: ${state}, log ${proc?.logFile ?? '?'}\n${this.sup.tail(p, 8)}`;
      })
      .join('\n');
    return new Error(`${e.message}\n${tails}`);
  }
}

/** SQLSTATEs and socket errors of a cluster between states, worth another try. */
const TRANSIENT_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction: the endpoint reached a replica
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);
const TRANSIENT_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function isTransient(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err.code && (TRANSIENT_SQLSTATES.has(err.code) || TRANSIENT_SOCKET.has(err.code))) return true;
  // pg reports a connection the server closed, and withTimeout a deadline, without a code.
  return (
    e instanceof WaitTimeout || /Connection terminated|server closed the connection/i.test(err.message ?? '')
  );
}
