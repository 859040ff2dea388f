/**
 * The rehearsal: boot the rendered cluster on loopback addresses, run the drills in sequence on the
 * same cluster (each leaves it healthy), report, and stop everything (unless asked to keep it).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isEmptyPlan } from '../model/logical.js';
import type { Topology } from '../model/types.js';
import type { FailureAnalysis } from '../policy/types.js';
import { ALERT_DRILLS } from './alert-drills.js';
import { LocalCluster, type Progress } from './cluster.js';
import { DRILLS, type DrillContext } from './drills.js';
import { assertBindable, checkHost } from './host.js';
import { bindings, type Layout } from './layout.js';
import { schemaSql } from './load.js';
import { applyLogicalPlan, LogicalSecrets, primaryPlan } from './logical.js';
import {
  ALERT_DRILL_NAMES,
  type AlertDrillName,
  DRILL_NAMES,
  type DrillName,
  type DrillResult,
  round,
} from './measure.js';
import { LinkCutter } from './netcut.js';
import { pitrRunner } from './pitr.js';
import { planLayout } from './plan.js';
import { RehearsalPrometheus } from './prometheus.js';
import { ensureReleaseRoot, type ReleaseRoot } from './release-root.js';
import type { RehearsalReport } from './report.js';
import { Supervisor } from './supervisor.js';

export interface RehearsalOptions {
  /** Also boot the first standby region, following the primary (needed by `region-promotion`). */
  readonly regionStandby?: boolean;
  /** Directory the run directory is created in. Default: the system temp directory. */
  readonly baseDir?: string;
  /** First three octets of the loopback /24. Default `127.0.10`. */
  readonly subnet?: string;
  readonly hostOffset?: number;
  readonly progress?: Progress;
  /** The failure-domain analysis (HAProxy endpoint) whose predictions sit beside the measurements. */
  readonly analysis?: FailureAnalysis;
  /** Check for iptables up front (the `dcs-partition` drill needs it). Default true. */
  readonly needIptables?: boolean;
  /** Leave everything running at the end, also when boot fails (for poking). */
  readonly keep?: boolean;
  /**
   * Start the rehearsal's Prometheus (and the members' exporters) once the cluster is up: every drill then
   * reports the alerts it saw (pending, firing, resolved, relative to its fault), and the alert drills
   * (`lag-spike`, `packet-loss`) can run. Default false.
   */
  readonly prometheus?: boolean;
  /** Run id (cgroup, iptables chain, run directory). Default: random. A companion's is its parent's, tagged. */
  readonly runId?: string;
  /** Passwords of the logical roles. Default: new ones. A companion shares its parent's. */
  readonly secrets?: LogicalSecrets;
}

/** Tools the release root must hold. */
const TOOLS = ['etcd', 'patroni', 'haproxy', 'pgbouncer', 'pgbackrest', 'setpriv'];

const isAlertDrill = (name: string): name is AlertDrillName =>
  (ALERT_DRILL_NAMES as readonly string[]).includes(name);

/** A drill `rehearse` runs: a failure drill, or an alert drill on a rehearsal booted with Prometheus. */
export type RehearseDrill = DrillName | AlertDrillName;

/**
 * Canonical order: drills that leave the cluster healthy first, then the alert drills (they degrade a
 * healthy cluster and watch it recover), the destructive region promotion last.
 */
const DRILL_ORDER: readonly RehearseDrill[] = [
  ...DRILL_NAMES.filter((d) => d !== 'region-promotion'),
  ...ALERT_DRILL_NAMES,
  'region-promotion',
];

export function orderDrills<D extends RehearseDrill>(names: readonly D[]): D[] {
  return DRILL_ORDER.filter((d): d is D => (names as readonly RehearseDrill[]).includes(d));
}

/**
 * Parses `kill-primary,switchover` or `all`. With `alerts` (a Prometheus in the rehearsal) the alert
 * drills are known too, and `all` includes them. Unknown names throw with the list of known ones.
 */
export function parseDrills(text: string, opts: { alerts?: boolean } = {}): RehearseDrill[] {
  if (!opts.alerts) {
    const needAlerts = text
      .split(',')
      .map((s) => s.trim())
      .filter(isAlertDrill);
    if (needAlerts.length > 0) {
      throw new RangeError(
        `drill(s) ${needAlerts.map((n) => JSON.stringify(n)).join(', ')} assert alerts: they need a Prometheus in the rehearsal (--alerts)`,
      );
    }
  }
  return orderDrills(parseNames(text, opts.alerts ? DRILL_ORDER : DRILL_NAMES));
}

/**
 * Parses a comma-separated list of names out of `known`, in the order given, repeats kept; `all` is every
 * known name. Unknown names (or none) throw a RangeError listing the known ones.
 */
export function parseNames<T extends string>(text: string, known: readonly T[], what = 'drill'): T[] {
  if (text.trim() === 'all') return [...known];
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new RangeError(
      `unknown ${what}(s) ${unknown.map((u) => JSON.stringify(u)).join(', ') || '(none given)'}; known: ${known.join(', ')}, or all`,
    );
  }
  return names as T[];
}

export class Rehearsal {
  private seqBlock = 0;
  readonly startedAt = new Date();
  /** The rehearsal's Prometheus, when booted with `prometheus: true`. */
  prometheus?: RehearsalPrometheus;

  private constructor(
    readonly topology: Topology,
    readonly layout: Layout,
    readonly sup: Supervisor,
    readonly cluster: LocalCluster,
    readonly cutter: LinkCutter,
    readonly root: ReleaseRoot,
    readonly logical: LogicalSecrets,
    readonly bootSeconds: number,
    readonly opts: RehearsalOptions,
  ) {}

  /** Boots the primary cluster (and the standby region when asked). Stops everything if boot fails. */
  static async boot(t: Topology, opts: RehearsalOptions = {}): Promise<Rehearsal> {
    const started = Date.now();
    const progress = opts.progress ?? (() => undefined);
    // The daemons run the node release's own packages, in a root of that release (built once, cached).
    const root = await ensureReleaseRoot(t.release.name, { progress });
    const { cgroupRoot } = checkHost({
      needIptables: opts.needIptables ?? true,
      tools: TOOLS,
      root: root.dir,
    });
    const runId = opts.runId ?? randomBytes(4).toString('hex');
    let runDir: string;
    if (opts.baseDir) {
      runDir = join(opts.baseDir, `pgtopo-${runId}`);
      mkdirSync(runDir, { recursive: true });
    } else {
      runDir = mkdtempSync('/tmp/pgtopo-');
    }
    // The daemons' user must reach its files below; each node's directories keep their own modes.
    chmodSync(runDir, 0o755);
    const layout = planLayout(t, {
      runDir,
      subnet: opts.subnet,
      hostOffset: opts.hostOffset,
      regionStandby: opts.regionStandby ?? false,
    });
    const sup = new Supervisor({
      runId,
      runDir,
      cgroupRoot,
      path: layout.binPath,
      root: { dir: root.dir, binds: [runDir] },
    });
    sup.keepRunning = opts.keep ?? false;
    if (!opts.keep) sup.onInterrupt(() => rmSync(runDir, { recursive: true, force: true }));
    const cluster = new LocalCluster(layout, sup, progress);
    const secrets = opts.secrets ?? new LogicalSecrets();
    const cutter = new LinkCutter(sup, runId);
    let prometheus: RehearsalPrometheus | undefined;
    try {
      await assertBindable([
        ...bindings(layout),
        { host: layout.spareAddress, port: 5432, who: 'the PITR scratch instance' },
      ]);
      progress(`booting ${t.name} in ${runDir}`);
      cluster.prepare();
      for (const c of layout.clusters) {
        const quorum = layout.etcd.filter((e) => e.quorum === c.quorum);
        for (const e of quorum) if (!sup.running(e.process.name)) cluster.startEtcd(e);
        await cluster.waitEtcd(c.quorum);
        progress(`etcd quorum ${c.quorum}: ${quorum.length} member(s) healthy`);
        for (const m of cluster.membersOf(c.scope)) cluster.startMember(m);
        const leader = await cluster.waitHealthy(c.scope, 180_000);
        progress(`cluster ${c.scope}: leader ${leader}, ${c.members.length} member(s) running`);
        cluster.startEndpoint(cluster.endpoint(c.scope));
        if (c.role === 'primary') {
          await cluster.waitWriter(c.scope, 60_000);
          // Set-up as an operator would, through the writer endpoint; retried while the endpoint settles.
          // The password travels in this session only, with statement logging off.
          await cluster.adminSql(
            c.scope,
            `SET log_statement = none; SET log_min_error_statement = panic; DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${layout.app.user}') THEN CREATE ROLE ${layout.app.user} LOGIN; END IF; END $$; ALTER ROLE ${layout.app.user} PASSWORD '${layout.app.password}'`,
          );
          for (const sql of schemaSql(layout.app.user)) await cluster.adminSql(c.scope, sql);
          const plan = primaryPlan(layout, c.scope);
          if (plan && !isEmptyPlan(plan)) await applyLogicalPlan({ cluster, sup, secrets, plan, progress });
          progress(
            `writer endpoint ${cluster.endpoint(c.scope).address}:${cluster.endpoint(c.scope).writerPort} accepts writes`,
          );
        }
      }
      if (opts.prometheus) prometheus = await RehearsalPrometheus.start(layout, sup, progress);
    } catch (e) {
      if (opts.keep) {
        sup.detach();
        progress(`boot failed; left running as asked: ${runDir}`);
      } else {
        await sup.stopAll();
        rmSync(runDir, { recursive: true, force: true });
      }
      throw e;
    }
    const r = new Rehearsal(
      t,
      layout,
      sup,
      cluster,
      cutter,
      root,
      secrets,
      round((Date.now() - started) / 1000, 1),
      opts,
    );
    r.prometheus = prometheus;
    return r;
  }

  get runDir(): string {
    return this.layout.runDir;
  }

  /** What a drill on this cluster works with; each call hands out the next range of sequence numbers. */
  context(): DrillContext {
    const progress = this.opts.progress ?? (() => undefined);
    return {
      cluster: this.cluster,
      sup: this.sup,
      cutter: this.cutter,
      layout: this.layout,
      analysis: this.opts.analysis,
      progress,
      logical: this.logical,
      firstSeq: ++this.seqBlock * 10_000_000,
      companion: (t, tag) => this.companion(t, tag),
      ...(this.layout.stanza ? { pitr: pitrRunner(this.pitrSetup()) } : {}),
      ...(this.prometheus ? { prometheus: this.prometheus } : {}),
    };
  }

  /** Runs one drill on the running cluster (an alert drill needs the rehearsal's Prometheus to assert its alerts). */
  async drill(name: RehearseDrill): Promise<DrillResult> {
    const progress = this.opts.progress ?? (() => undefined);
    progress(`drill ${name}`);
    const ctx = this.context();
    const r = await (isAlertDrill(name) ? ALERT_DRILLS[name] : DRILLS[name])(ctx);
    const why = [
      ...(r.error ? [r.error] : []),
      ...r.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`),
    ];
    progress(
      `drill ${name}: ${r.status}${r.rtoSeconds !== null ? `, RTO ${r.rtoSeconds} s` : ''}${why.length ? ` (${why.join('; ')})` : ''}`,
    );
    return r;
  }

  /**
   * Boots a companion cluster (see companion.ts) beside this one, through the same boot: on the addresses
   * after this run's spare address, its run directory inside this one's, its run id this one's tagged (so
   * its cgroups and chain are found as this run's), sharing the logical roles' passwords. The caller shuts
   * it down; this run's supervisor stopping does not reach it, its own exit hooks do.
   */
  async companion(t: Topology, tag: string): Promise<Rehearsal> {
    const progress = this.opts.progress ?? (() => undefined);
    const octets = this.layout.spareAddress.split('.');
    return Rehearsal.boot(t, {
      subnet: octets.slice(0, 3).join('.'),
      hostOffset: Number(octets[3]) + 1,
      baseDir: this.layout.runDir,
      runId: `${this.sup.opts.runId}-${tag}`,
      secrets: this.logical,
      needIptables: false,
      progress: (line) => progress(`${tag}: ${line}`),
    });
  }

  private pitrSetup() {
    const t = this.topology;
    const primary = this.layout.members.find((m) => m.cluster === this.cluster.primaryScope)!;
    return {
      env: (member: string) => this.cluster.member(member).patroni.env ?? {},
      stanza: this.layout.stanza!,
      pgbackrest: 'pgbackrest',
      binDir: this.layout.binPath[0] ?? `/usr/lib/postgresql/${t.postgres.version}/bin`,
      scratchAddress: this.layout.spareAddress,
      scratchPort: primary.pgPort,
      scratchDir: join(this.layout.runDir, 'pitr-scratch'),
      scratchTls: this.layout.scratchTls,
    };
  }

  /** Stops everything and removes the run directory, or leaves it all running (`keep`). */
  async shutdown(opts: { keep?: boolean; keepFiles?: boolean } = {}): Promise<void> {
    if (opts.keep) {
      // Leave the daemons up for poking, but no cut links and no iptables chain.
      this.cutter.dispose();
      this.sup.detach();
      return;
    }
    await this.sup.stopAll();
    if (!opts.keepFiles) {
      rmSync(this.layout.runDir, { recursive: true, force: true });
    }
  }

  report(drills: readonly DrillResult[], spec: string, kept: boolean, filesKept = false): RehearsalReport {
    const t = this.topology;
    return {
      version: 1,
      spec,
      topology: t.name,
      cluster: this.cluster.primaryScope,
      profile: t.failover.profile,
      timers: {
        ttl: t.failover.timers.ttl,
        loopWait: t.failover.timers.loopWait,
        retryTimeout: t.failover.timers.retryTimeout,
      },
      synchronousMode: t.durability.synchronousMode,
      release: { name: this.root.release.name, packages: this.root.versions },
      startedAt: this.startedAt.toISOString(),
      bootSeconds: this.bootSeconds,
      drills,
      passed: drills.every((d) => d.status === 'passed' || d.status === 'skipped'),
      runDir: this.layout.runDir,
      runId: this.sup.opts.runId,
      kept,
      filesKept,
    };
  }
}

/** Boots, runs the drills in order, reports, and stops everything (also on failure). */
export async function rehearse(
  t: Topology,
  drills: readonly RehearseDrill[],
  opts: RehearsalOptions & { spec?: string } = {},
): Promise<RehearsalReport> {
  const r = await Rehearsal.boot(t, {
    ...opts,
    prometheus: opts.prometheus || drills.some(isAlertDrill),
    needIptables: opts.needIptables ?? drills.includes('dcs-partition'),
  });
  const results: DrillResult[] = [];
  let keepFiles = false;
  try {
    for (const d of orderDrills(drills)) results.push(await r.drill(d));
  } finally {
    keepFiles = results.some((x) => x.status === 'failed' || x.status === 'error');
    await r.shutdown({ keep: opts.keep, keepFiles });
  }
  return r.report(results, opts.spec ?? t.name, !!opts.keep, keepFiles);
}
