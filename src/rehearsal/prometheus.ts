/**
 * A real Prometheus (the release's own package, in the release root) beside a rehearsal: it loads the
 * topology's rendered monitoring bundle for the local addresses (file_sd targets, alert rules), scrapes the
 * members' exporters, Patroni and etcd, and evaluates the rules. Drills ask it which alerts went pending or
 * firing while they ran; tests ask it whether every target is up and every rule evaluates.
 *
 * The members' exporters start with it (they are only worth running when something scrapes them), each
 * member's in a cgroup of its own, so a drill that kills a member's PostgreSQL leaves them up.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Progress } from './cluster.js';
import type { Layout } from './layout.js';
import { AlertTimeline, type ObservedAlert } from './measure.js';
import { request } from './rest.js';
import type { Supervisor } from './supervisor.js';
import { sleep, waitFor } from './wait.js';

/** Prometheus's own port (its default). */
export const PROMETHEUS_PORT = 9090;
const CONFIG = 'prometheus-file-sd.yml';
const PROCESS = 'prometheus';

export type AlertState = 'pending' | 'firing';

export interface ActiveAlert {
  readonly name: string;
  readonly state: AlertState;
  readonly labels: Readonly<Record<string, string>>;
  /** When the condition started to hold (an alert whose condition lapses starts over). */
  readonly activeAt: string;
}

export interface ScrapeTarget {
  readonly job: string;
  readonly instance: string;
  readonly url: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly data: T;
  readonly error?: string;
  readonly errorType?: string;
}

export class RehearsalPrometheus {
  private constructor(
    readonly url: string,
    private readonly sup: Supervisor,
  ) {}

  /** Writes the bundle, starts the members' exporters and Prometheus, and waits until Prometheus is ready. */
  static async start(
    layout: Layout,
    sup: Supervisor,
    progress: Progress = () => undefined,
  ): Promise<RehearsalPrometheus> {
    if (!layout.monitoring) throw new Error('the rehearsal layout has no monitoring bundle');
    const dir = join(layout.runDir, 'monitoring');
    const data = join(dir, 'data');
    const { uid, gid } = sup.ownerIds(sup.user.user);
    for (const d of [dir, data]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, uid, gid);
    }
    for (const f of layout.monitoring) {
      const path = join(dir, f.rel);
      mkdirSync(dirname(path), { recursive: true });
      chownSync(dirname(path), uid, gid);
      writeFileSync(path, f.content, { mode: 0o644 });
    }
    for (const m of layout.members) for (const x of m.exporters ?? []) if (!sup.running(x.name)) sup.spawn(x);
    const address = `${layout.spareAddress}:${PROMETHEUS_PORT}`;
    sup.spawn({
      name: PROCESS,
      node: PROCESS,
      command: '/usr/bin/prometheus',
      args: [
        `--config.file=${join(dir, CONFIG)}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=${address}`,
        '--storage.tsdb.retention.time=1d',
      ],
    });
    const p = new RehearsalPrometheus(`http://${address}`, sup);
    await waitFor(
      'Prometheus ready',
      async () => {
        if (!sup.running(PROCESS)) throw new Error(`Prometheus exited:\n${sup.tail(PROCESS, 10)}`);
        return (
          (await request(`${p.url}/-/ready`, { timeoutMs: 1000 }).catch(() => undefined))?.status === 200
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const exited = layout.members
      .flatMap((m) => m.exporters ?? [])
      .filter((x) => !sup.running(x.name))
      .map((x) => `--- ${x.name} exited:\n${sup.tail(x.name, 8)}`);
    if (exited.length > 0) throw new Error(`exporters exited at start:\n${exited.join('\n')}`);
    progress(`Prometheus at ${p.url}: ${layout.monitoring.length} monitoring file(s) loaded`);
    return p;
  }

  private async api<T>(path: string): Promise<ApiAnswer<T>> {
    const r = await request(`${this.url}${path}`, { timeoutMs: 10_000 });
    return r.json<ApiAnswer<T>>();
  }

  /** An instant query; the answer as the HTTP API gives it (status, result, error). */
  query(expr: string): Promise<ApiAnswer<{ resultType: string; result: unknown[] }>> {
    return this.api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  async targets(): Promise<ScrapeTarget[]> {
    const a = await this.api<{
      activeTargets: {
        labels: Record<string, string>;
        scrapeUrl: string;
        health: ScrapeTarget['health'];
        lastError: string;
      }[];
    }>('/api/v1/targets?state=active');
    return a.data.activeTargets.map((t) => ({
      job: t.labels.job ?? '',
      instance: t.labels.instance ?? '',
      url: t.scrapeUrl,
      health: t.health,
      lastError: t.lastError,
    }));
  }

  /** Alerts pending or firing now. */
  async alerts(): Promise<ActiveAlert[]> {
    const a = await this.api<{
      alerts: { labels: Record<string, string>; state: AlertState; activeAt: string }[];
    }>('/api/v1/alerts');
    return a.data.alerts.map((x) => ({
      name: x.labels.alertname ?? '',
      state: x.state,
      labels: x.labels,
      activeAt: x.activeAt,
    }));
  }

  /** Rule evaluation health: every alerting rule with its last error (empty when it evaluated). */
  async rules(): Promise<{ name: string; health: string; lastError: string; query: string }[]> {
    const a = await this.api<{
      groups: { rules: { name: string; health: string; lastError?: string; query: string }[] }[];
    }>('/api/v1/rules?type=alert');
    return a.data.groups.flatMap((g) =>
      g.rules.map((r) => ({ name: r.name, health: r.health, lastError: r.lastError ?? '', query: r.query })),
    );
  }

  /**
   * Polls the active alerts until `stop()`: which alerts went pending, fired and resolved, and when (see
   * `AlertTimeline`). `stop(origin)` gives the times relative to `origin` (ms epoch: the drill's fault), else
   * to the start of the watch.
   */
  watch(intervalMs = 1000): { stop: (origin?: number) => Promise<ObservedAlert[]> } {
    const started = Date.now();
    const timeline = new AlertTimeline();
    let running = true;
    const loop = (async () => {
      while (running) {
        const now = await this.alerts().catch(() => undefined);
        if (now) {
          timeline.observe(
            Date.now(),
            now.map((a) => ({
              name: a.name,
              state: a.state,
              ...(a.labels.member !== undefined ? { member: a.labels.member } : {}),
            })),
          );
        }
        await sleep(intervalMs);
      }
    })();
    return {
      stop: async (origin?: number) => {
        running = false;
        await loop;
        return timeline.result(origin ?? started);
      },
    };
  }

  /** Stops Prometheus (the exporters stop with the rehearsal). */
  async stop(): Promise<void> {
    if (this.sup.running(PROCESS)) await this.sup.stop(PROCESS);
  }
}
