/**
 * A sharded fleet on one machine: every shard and the coordinator are ordinary resolved clusters, each
 * booted by the cluster rehearsal (`Rehearsal.boot`) on its own block of one loopback /24, then joined as
 * an operator would: the fleet database on each, the shards' DDL, the catalog and the postgres_fdw
 * coordinator (rendered by `render/shard-*`, applied with psql). The write load runs through the
 * coordinator's writer endpoint into the partitioned table; acknowledged writes are verified by reading
 * each shard directly. The catalog must live on the coordinator (a spec without `coordinator`): a slot
 * move flips the catalog and the coordinator's partitions in one transaction.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet, Shard } from '../model/fleet.js';
import { ownerOf } from '../model/fleet-route.js';
import { catalogSchemaSql, catalogSeedSql } from '../render/shard-catalog.js';
import {
  coordinatorSql,
  ROUTER_PASSWORD_VARIABLE,
  type ShardEndpoint,
  shardSql,
} from '../render/shard-coordinator.js';
import { CATALOG_SCHEMA } from '../render/shard-sql.js';
import type { Progress } from './cluster.js';
import { pgEnv } from './logical.js';
import { type Check, type DrillResult, type FleetDrillName, round } from './measure.js';
import { Rehearsal } from './rehearse.js';
import { ensureReleaseRoot } from './release-root.js';
import type { RehearsalReport } from './report.js';

export interface FleetRehearsalOptions {
  /** First three octets of the loopback /24 every cluster shares (each has its own block). Default `127.0.10`. */
  readonly subnet?: string;
  /** Directory the clusters' run directories are created in. Default: the system temp directory. */
  readonly baseDir?: string;
  readonly progress?: Progress;
  /** Leave every cluster running at the end, also when the boot fails (for poking), as a cluster's `keep`. */
  readonly keep?: boolean;
}

/** Loopback host numbers per cluster: etcd from .1, members from .10, the endpoint and the spare after. */
const HOST_BLOCK = 40;
/** Environment variable the fleet's psql scripts read the router role's password from. */
const ROUTER_PASSWORD_ENV = 'PGTOPO_ROUTER_PASSWORD';

/** The fleet's report: the cluster report's common fields, the clusters of the fleet, the final ownership. */
export interface FleetRehearsalReport
  extends Pick<
    RehearsalReport,
    'version' | 'spec' | 'release' | 'startedAt' | 'bootSeconds' | 'drills' | 'passed'
  > {
  readonly kind: 'fleet';
  readonly fleet: string;
  readonly strategy: { readonly kind: string; readonly slots: number };
  readonly clusters: readonly {
    readonly role: 'shard' | 'coordinator';
    readonly name: string;
    readonly scope: string;
    readonly members: readonly string[];
    readonly profile: string;
    readonly synchronousMode: string;
    /** The cluster rehearsal's run id (its cgroups are `pgtopo-<runId>`). */
    readonly runId: string;
    /** Its files and logs (kept when a drill did not pass). */
    readonly runDir: string;
  }[];
  /** The catalog generation current at the end, and each slot's owner under it. */
  readonly ownership: { readonly generation: number; readonly slots: readonly string[] };
  /** Every cluster was left running (`--keep`). */
  readonly kept: boolean;
}

/** What reading every shard directly found for a range of sequence numbers. */
export interface ShardRows {
  /** seq -> indexes of the shards holding it. */
  readonly where: ReadonlyMap<number, readonly number[]>;
}

export class FleetRehearsal {
  readonly startedAt = new Date();
  /** Ownership and catalog generation as the last committed move left them. */
  fleet: Fleet;
  generation = 1;
  /** Boot to the fleet joined, seconds. */
  bootSeconds = 0;
  private runs = new Map<FleetDrillName, number>();

  private constructor(
    fleet: Fleet,
    readonly shards: readonly Rehearsal[],
    readonly coordinator: Rehearsal,
    private readonly routerPassword: string,
    readonly progress: Progress,
  ) {
    this.fleet = fleet;
  }

  /** Boots every shard and the coordinator, then applies the fleet's DDL. Stops everything if that fails. */
  static async boot(fleet: Fleet, opts: FleetRehearsalOptions = {}): Promise<FleetRehearsal> {
    const started = Date.now();
    const progress = opts.progress ?? (() => undefined);
    if (fleet.spec.coordinator !== undefined) {
      throw new RangeError(
        `fleet ${fleet.name}: the rehearsal needs the catalog on the coordinator (leave out \`coordinator\`), so a move flips both in one transaction`,
      );
    }
    if (fleet.ownership.kind === 'directory') {
      throw new RangeError(
        `fleet ${fleet.name}: the write load writes each key once, so a tenant (one key) holds one row and gets no write after its move; the rehearsal moves hash slots and key ranges`,
      );
    }
    const load = fleet.tables[0]!;
    if (!['seq', 'sent_at'].every((c) => load.columns.some((x) => x.name === c)) || load.key !== 'seq') {
      throw new RangeError(
        `fleet ${fleet.name}: the write load writes (seq, sent_at) into ${load.name} keyed by seq; it has ${load.columns.map((c) => c.name).join(', ')} keyed by ${load.key}`,
      );
    }
    const topologies = [...fleet.shards.map((s) => s.topology), fleet.coordinator];
    for (const name of new Set(topologies.map((t) => t.release.name)))
      await ensureReleaseRoot(name, { progress });
    const booted = await Promise.allSettled(
      topologies.map((t, i) =>
        Rehearsal.boot(t, {
          subnet: opts.subnet,
          hostOffset: i * HOST_BLOCK,
          ...(opts.baseDir ? { baseDir: opts.baseDir } : {}),
          needIptables: false,
          keep: opts.keep ?? false,
          progress: (line) => progress(`[${t.name}] ${line}`),
        }),
      ),
    );
    const up = booted.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
    const failed = booted.find((b): b is PromiseRejectedResult => b.status === 'rejected');
    if (failed) {
      await Promise.all(up.map((r) => r.shutdown({ keep: opts.keep ?? false })));
      throw failed.reason;
    }
    const f = new FleetRehearsal(
      fleet,
      up.slice(0, fleet.shards.length),
      up[fleet.shards.length]!,
      randomBytes(18).toString('base64url'),
      progress,
    );
    try {
      await f.setUp();
    } catch (e) {
      await f.shutdown({ keep: opts.keep ?? false });
      throw e;
    }
    f.bootSeconds = round((Date.now() - started) / 1000, 1);
    return f;
  }

  get all(): readonly Rehearsal[] {
    return [...this.shards, this.coordinator];
  }

  get database(): string {
    return this.fleet.router.database;
  }

  /**
   * Applies one of the fleet's psql scripts on a cluster's writer, in the fleet database: stops at the first
   * error; the router password comes from the environment, never from the script or the command line.
   */
  async psql(r: Rehearsal, name: string, text: string): Promise<void> {
    const file = join(r.layout.runDir, `fleet-${name}.sql`);
    const script = [
      '\\set ON_ERROR_STOP on',
      'SET log_statement = none;',
      `\\getenv ${ROUTER_PASSWORD_VARIABLE} ${ROUTER_PASSWORD_ENV}`,
      text,
    ].join('\n');
    writeFileSync(file, script, { mode: 0o644 });
    const res = await r.sup.run(
      {
        name: `psql-fleet-${name}`,
        node: 'fleet-apply',
        command: join(r.layout.binPath[0] ?? '/usr/bin', 'psql'),
        args: ['-X', '-q', '-f', file],
        env: {
          ...pgEnv(
            r.cluster.writerDirectConn(r.cluster.primaryScope, this.database),
            r.topology.security.tls ? r.layout.tls?.caFile : undefined,
          ),
          [ROUTER_PASSWORD_ENV]: this.routerPassword,
        },
      },
      120_000,
    );
    if (res.code !== 0) throw new Error(`applying ${file} failed (exit ${res.code}):\n${res.output}`);
  }

  /**
   * Where `consumer`'s daemons find the CA of `provider`'s certificates, when `provider` speaks TLS: each
   * cluster's rehearsal has a CA of its own, and a daemon sees only its own run directory, so the CA is
   * copied there. Undefined without TLS.
   */
  trust(consumer: Rehearsal, provider: Rehearsal): string | undefined {
    if (!provider.topology.security.tls || !provider.layout.tls) return undefined;
    const dir = join(consumer.layout.runDir, 'fleet-ca');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const file = join(dir, `${provider.topology.name}.crt`);
    writeFileSync(file, provider.layout.tls.ca, { mode: 0o644 });
    return file;
  }

  /**
   * Where the coordinator and a move's subscription reach a shard's writer: straight to PostgreSQL through the
   * shard's HAProxy (postgres_fdw prepares statements; a subscription streams), the rehearsal's stand-in
   * for the AWS writer endpoint.
   */
  shardEndpoint(s: Shard): ShardEndpoint {
    const c = this.shards[s.index]!.cluster;
    const e = c.endpoint(c.primaryScope);
    return { host: e.address, port: e.directPort };
  }

  /** verify-full when every shard speaks TLS (as in production), else disable. */
  get sslmode(): 'verify-full' | 'disable' {
    return this.shards.every((r) => r.topology.security.tls) ? 'verify-full' : 'disable';
  }

  /** The roles given a user mapping to each shard on the coordinator: the applying role and the app's. */
  get mappedRoles(): readonly string[] {
    return ['CURRENT_USER', this.coordinator.layout.app.user];
  }

  private async setUp(): Promise<void> {
    const db = this.database;
    for (const r of this.all) {
      const scope = r.cluster.primaryScope;
      const exists = await r.cluster.adminSql(scope, 'SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (exists.length === 0) await r.cluster.adminSql(scope, `CREATE DATABASE ${db}`);
    }
    for (const [i, r] of this.shards.entries()) {
      await this.psql(r, `shard-${i}`, shardSql(this.fleet, this.fleet.shards[i]!));
    }
    const coord = this.coordinator;
    await this.psql(coord, 'catalog', catalogSchemaSql(this.fleet));
    await this.psql(coord, 'catalog-seed', catalogSeedSql(this.fleet));
    const app = coord.layout.app.user;
    await this.psql(
      coord,
      'coordinator',
      coordinatorSql(this.fleet, (s) => this.shardEndpoint(s), {
        sslmode: this.sslmode,
        sslrootcert: (s) => this.trust(coord, this.shards[s.index]!),
        mappedRoles: this.mappedRoles,
      }),
    );
    for (const t of this.fleet.tables) {
      await coord.cluster.sql(
        coord.cluster.writerDirectConn(coord.cluster.primaryScope, db),
        `GRANT SELECT, INSERT ON ${t.name} TO ${app}`,
      );
    }
    this.progress(
      `fleet ${this.fleet.name}: ${this.shards.length} shard(s) and the coordinator ${coord.topology.name} joined (${this.fleet.ownership.kind}, generation 1)`,
    );
  }

  /** The next run number of a drill (0, 1, ...): each run picks another shard or slot. */
  nextRun(name: FleetDrillName): number {
    const n = this.runs.get(name) ?? 0;
    this.runs.set(name, n + 1);
    return n;
  }

  /** Where every sequence number in [from, to] is, reading each shard's writer directly as the superuser. */
  async shardRows(from: number, to: number): Promise<ShardRows> {
    const where = new Map<number, number[]>();
    const table = this.fleet.tables[0]!.name;
    for (const [i, r] of this.shards.entries()) {
      const rows = await r.cluster.sql<{ seq: string }>(
        r.cluster.writerDirectConn(r.cluster.primaryScope, this.database),
        `SELECT seq FROM ${table} WHERE seq BETWEEN $1 AND $2`,
        [from, to],
        30_000,
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        where.set(seq, [...(where.get(seq) ?? []), i]);
      }
    }
    return { where };
  }

  /**
   * Checks acknowledged writes against the shards themselves: none missing, none held twice (on two
   * shards), each on the shard that owns its key under the current ownership.
   */
  async verify(
    acked: readonly number[],
  ): Promise<{ checks: Check[]; lost: number; duplicated: number; misplaced: number }> {
    if (acked.length === 0) return { checks: [], lost: 0, duplicated: 0, misplaced: 0 };
    const { where } = await this.shardRows(Math.min(...acked), Math.max(...acked));
    const lost = acked.filter((s) => !where.has(s)).length;
    let duplicated = 0;
    let misplaced = 0;
    for (const [seq, shards] of where) {
      if (shards.length > 1) duplicated++;
      if (shards[0] !== ownerOf(this.fleet.ownership, this.fleet.tables[0]!.keyType, seq)) misplaced++;
    }
    const n = this.shards.length;
    return {
      lost,
      duplicated,
      misplaced,
      checks: [
        {
          id: 'no-lost-writes',
          ok: lost === 0,
          detail: `${lost} of ${acked.length} acknowledged write(s) missing on all ${n} shards, read directly`,
        },
        {
          id: 'no-duplicated-writes',
          ok: duplicated === 0,
          detail: `${duplicated} row(s) held by more than one shard`,
        },
        {
          id: 'rows-on-owner',
          ok: misplaced === 0,
          detail: `${misplaced} row(s) on a shard that does not own their slot (generation ${this.generation})`,
        },
      ],
    };
  }

  /** Each slot's owner as the catalog's current generation says, by shard name. */
  async catalogOwners(): Promise<{ generation: number; slots: string[] }> {
    const c = this.coordinator.cluster;
    const conn = c.writerDirectConn(c.primaryScope, this.database);
    const [g] = await c.sql<{ g: string }>(
      conn,
      `SELECT generation::text AS g FROM ${CATALOG_SCHEMA}.current_generation`,
    );
    const rows = await c.sql<{ slot: number; shard: string }>(
      conn,
      `SELECT slot, shard FROM ${CATALOG_SCHEMA}.current_slot_owner ORDER BY slot`,
    );
    return { generation: Number(g!.g), slots: rows.map((r) => r.shard) };
  }

  /** Stops every cluster (also when one of them fails to stop), or leaves them all running (`keep`). */
  async shutdown(opts: { keep?: boolean; keepFiles?: boolean } = {}): Promise<void> {
    await Promise.allSettled(
      this.all.map((r) => r.shutdown({ keep: opts.keep ?? false, keepFiles: opts.keepFiles ?? false })),
    );
  }

  report(
    drills: readonly DrillResult[],
    spec: string,
    ownership: FleetRehearsalReport['ownership'],
    kept = false,
  ): FleetRehearsalReport {
    const o = this.fleet.ownership;
    return {
      version: 1,
      kind: 'fleet',
      spec,
      fleet: this.fleet.name,
      strategy: { kind: o.kind, slots: o.kind === 'hash' ? o.slots : 0 },
      clusters: this.all.map((r, i) => ({
        role: i < this.shards.length ? ('shard' as const) : ('coordinator' as const),
        name: r.topology.name,
        scope: r.cluster.primaryScope,
        members: r.cluster.membersOf(r.cluster.primaryScope).map((m) => `${m.name}@${m.address}`),
        profile: r.topology.failover.profile,
        synchronousMode: r.topology.durability.synchronousMode,
        runId: r.sup.opts.runId,
        runDir: r.layout.runDir,
      })),
      release: { name: this.coordinator.root.release.name, packages: this.coordinator.root.versions },
      startedAt: this.startedAt.toISOString(),
      bootSeconds: this.bootSeconds,
      drills,
      passed: drills.every((d) => d.status === 'passed'),
      ownership,
      kept,
    };
  }
}
