/**
 * Process supervisor. Every daemon runs as the unprivileged `postgres` user (setpriv, no fork) inside a
 * cgroup v2 group of its node (`<cgroup2>/pgtopo-<run>/<node>`), so that
 *  - a drill kills a whole node at once (Patroni, the postmaster Patroni detached, its backends, PgBouncer),
 *  - iptables matches a node's outgoing traffic (`-m cgroup --path`) to cut its links,
 *  - nothing escapes clean-up: on success, failure, SIGINT/SIGTERM and process exit every group is killed.
 * Output of each process goes to `<runDir>/logs/<process>.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupUser, ownerIds, type RunAs } from './host.js';
import { rootCommand } from './release-root.js';
import { sleep, waitFor } from './wait.js';

export interface ProcessSpec {
  /** Unique process name, also the log file name, e.g. `patroni-use1-a`. */
  readonly name: string;
  /** Node (cgroup) the process belongs to: a member, an etcd member, or an endpoint host. */
  readonly node: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Run as `postgres` (default) or keep root (only for tools that need it). */
  readonly asRoot?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface Proc {
  readonly spec: ProcessSpec;
  readonly pid: number;
  readonly logFile: string;
  readonly startedAt: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  readonly child: ChildProcess;
}

/** Clean-up that must also run synchronously from `process.on('exit')`. */
export interface CleanupHook {
  readonly name: string;
  readonly async: () => Promise<void>;
  readonly sync: () => void;
}

export interface SupervisorOptions {
  readonly runId: string;
  readonly runDir: string;
  readonly cgroupRoot: string;
  /** User the daemons run as. Default `postgres`. */
  readonly user?: string;
  /** PATH entries prepended for the daemons (e.g. the PostgreSQL bin directory). */
  readonly path?: readonly string[];
  /**
   * The release root every process runs in (see release-root.ts), with the host directories bound into it
   * at their own paths (the run directory). Default: the host itself.
   */
  readonly root?: { readonly dir: string; readonly binds: readonly string[] };
}

export class Supervisor {
  readonly logDir: string;
  /** cgroup of this run, relative to the cgroup2 root (what `iptables -m cgroup --path` wants). */
  readonly groupPath: string;
  private readonly procs = new Map<string, Proc>();
  private readonly nodes = new Set<string>();
  private readonly hooks: CleanupHook[] = [];
  private readonly runAs: RunAs;
  private stopped = false;
  private readonly interruptHooks: (() => void)[] = [];
  /**
   * `--keep`: on exit or interrupt only the clean-up hooks run (links are healed); the daemons stay up.
   */
  keepRunning = false;
  private readonly onExit = () => {
    if (this.keepRunning) this.runHooksSync();
    else this.stopAllSync();
  };
  private readonly onSignal = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (this.keepRunning) {
      this.runHooksSync();
      process.exit(code);
    }
    void this.stopAll().finally(() => {
      for (const f of this.interruptHooks) {
        try {
          f();
        } catch {
          /* best effort */
        }
      }
      process.exit(code);
    });
  };

  constructor(readonly opts: SupervisorOptions) {
    this.logDir = join(opts.runDir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    this.groupPath = `pgtopo-${opts.runId}`;
    mkdirSync(join(opts.cgroupRoot, this.groupPath), { recursive: true });
    this.runAs = lookupUser(opts.user ?? 'postgres', opts.root?.dir);
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  get user(): RunAs {
    return this.runAs;
  }

  /** uid and gid of an owner (`user` or `user:group`) as the processes' root knows it. */
  ownerIds(owner: string): { uid: number; gid: number } {
    return ownerIds(owner, this.opts.root?.dir);
  }

  /** Absolute path of a node's cgroup directory (created on first use). */
  nodeDir(node: string): string {
    const dir = join(this.opts.cgroupRoot, this.groupPath, node);
    if (!this.nodes.has(node)) {
      mkdirSync(dir, { recursive: true });
      this.nodes.add(node);
    }
    return dir;
  }

  /** cgroup path of a node relative to the cgroup2 root. */
  nodeCgroupPath(node: string): string {
    this.nodeDir(node);
    return `${this.groupPath}/${node}`;
  }

  addCleanup(hook: CleanupHook): void {
    this.hooks.push(hook);
  }

  /** Runs after everything stopped on SIGINT/SIGTERM (e.g. removing the run directory). */
  onInterrupt(fn: () => void): void {
    this.interruptHooks.push(fn);
  }

  private runHooksSync(): void {
    for (const h of [...this.hooks].reverse()) {
      try {
        h.sync();
      } catch {
        /* best effort */
      }
    }
  }

  spawn(spec: ProcessSpec): Proc {
    if (this.stopped) throw new Error(`supervisor stopped; refusing to start ${spec.name}`);
    const existing = this.procs.get(spec.name);
    if (existing && !existing.exit) throw new Error(`process ${spec.name} is already running`);
    const logFile = join(this.logDir, `${spec.name}.log`);
    const fd = openSync(logFile, 'a');
    const procsFile = join(this.nodeDir(spec.node), 'cgroup.procs');
    const drop = spec.asRoot
      ? []
      : ['setpriv', `--reuid=${this.runAs.uid}`, `--regid=${this.runAs.gid}`, '--init-groups', '--'];
    const env: Record<string, string> = {
      PATH: [...(this.opts.path ?? []), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(
        ':',
      ),
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      HOME: spec.asRoot ? '/root' : this.runAs.home,
      USER: spec.asRoot ? 'root' : this.runAs.user,
      ...spec.env,
    };
    const argv = [...drop, spec.command, ...spec.args];
    const [cmd, args] = this.opts.root
      ? rootCommand(this.opts.root.dir, argv, this.opts.root.binds)
      : [argv[0]!, argv.slice(1)];
    // The shell joins the node's cgroup, then execs (no extra process stays around): the daemon's pid is
    // ours, through unshare and chroot, which exec too.
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, cmd, ...args], {
      stdio: ['ignore', fd, fd],
      env,
      cwd: spec.cwd ?? this.opts.runDir,
      detached: true,
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${spec.name}: ${spec.command}`);
    const proc: Proc = { spec, pid: child.pid, logFile, startedAt: Date.now(), child };
    child.on('exit', (code, signal) => {
      proc.exit = { code, signal, at: Date.now() };
    });
    child.on('error', () => {
      proc.exit ??= { code: null, signal: null, at: Date.now() };
    });
    child.unref();
    this.procs.set(spec.name, proc);
    return proc;
  }

  /**
   * Runs a one-shot command (pgBackRest, patronictl) as the daemons' user in a node's cgroup and waits
   * for it, bounded. Output goes to its log file; the last lines come back with the exit code.
   */
  async run(spec: ProcessSpec, timeoutMs: number): Promise<{ code: number | null; output: string }> {
    const proc = this.spawn(spec);
    try {
      await waitFor(`${spec.name} to finish`, () => !!proc.exit, { timeoutMs, intervalMs: 50 });
    } catch (e) {
      this.signal(spec.name, 'SIGKILL');
      throw e;
    }
    return { code: proc.exit!.code, output: this.tail(spec.name, 20) };
  }

  get(name: string): Proc | undefined {
    return this.procs.get(name);
  }

  running(name: string): boolean {
    const p = this.procs.get(name);
    return !!p && !p.exit;
  }

  /** Every pid in a node's cgroup (daemons and whatever they forked). */
  pidsOf(node: string): number[] {
    const file = join(this.opts.cgroupRoot, this.groupPath, node, 'cgroup.procs');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  }

  /** Sends a signal to one process. */
  signal(name: string, sig: NodeJS.Signals): void {
    const p = this.procs.get(name);
    if (p && !p.exit) {
      try {
        process.kill(p.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** Stops one process: SIGTERM, then SIGKILL after `graceMs`. Bounded. */
  async stop(name: string, graceMs = 10_000): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.exit) return;
    this.signal(name, 'SIGTERM');
    try {
      await waitFor(`${name} to exit`, () => !!p.exit, { timeoutMs: graceMs, intervalMs: 50 });
    } catch {
      this.signal(name, 'SIGKILL');
      await waitFor(`${name} to exit after SIGKILL`, () => !!p.exit, { timeoutMs: 5000, intervalMs: 50 });
    }
  }

  /** SIGKILLs every process of a node at once (cgroup.kill), like pulling its power. Bounded. */
  async killNode(node: string, timeoutMs = 10_000): Promise<void> {
    this.killNodeSync(node);
    await waitFor(`node ${node} to be empty`, () => this.pidsOf(node).length === 0, {
      timeoutMs,
      intervalMs: 20,
    }).catch(() => {
      this.killNodeSync(node);
    });
  }

  /** SIGKILLs several nodes in the same instant (an AZ or a region going dark). */
  async killNodes(nodes: readonly string[], timeoutMs = 10_000): Promise<void> {
    for (const n of nodes) this.killNodeSync(n);
    await Promise.all(nodes.map((n) => this.killNode(n, timeoutMs)));
  }

  private killNodeSync(node: string): void {
    const dir = join(this.opts.cgroupRoot, this.groupPath, node);
    if (!existsSync(dir)) return;
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
      return;
    } catch {
      /* no cgroup.kill before Linux 5.14: signal each pid */
    }
    for (const pid of this.pidsOf(node)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Processes that exited although nobody asked them to (for diagnostics). */
  exited(): Proc[] {
    return [...this.procs.values()].filter((p) => p.exit);
  }

  /** Last lines of a process log, for error messages. */
  tail(name: string, lines = 15): string {
    const p = this.procs.get(name);
    if (!p || !existsSync(p.logFile)) return '';
    return readFileSync(p.logFile, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  }

  /**
   * Stops everything: clean-up hooks (e.g. iptables rules) first, then SIGTERM to every process, a short
   * grace, then every node's cgroup is killed and removed. Idempotent.
   */
  async stopAll(graceMs = 3000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of [...this.hooks].reverse()) {
      try {
        await h.async();
      } catch {
        h.sync();
      }
    }
    for (const p of this.procs.values()) if (!p.exit) this.signal(p.spec.name, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.nodes].some((n) => this.pidsOf(n).length > 0)) await sleep(50);
    for (const n of this.nodes) this.killNodeSync(n);
    const until = Date.now() + 10_000;
    while (Date.now() < until && [...this.nodes].some((n) => this.pidsOf(n).length > 0)) await sleep(50);
    // The kernel emptied the groups; let Node reap the children so their exit is recorded.
    const reaped = Date.now() + 2000;
    while (Date.now() < reaped && [...this.procs.values()].some((p) => !p.exit)) await sleep(20);
    this.removeGroups();
    this.detach();
  }

  /** Synchronous last resort for `process.on('exit')`: kill every node, drop hooks' state. */
  stopAllSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.runHooksSync();
    for (const n of this.nodes) this.killNodeSync(n);
    const until = Date.now() + 3000;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (Date.now() < until && [...this.nodes].some((n) => this.pidsOf(n).length > 0)) {
      Atomics.wait(pause, 0, 0, 20);
    }
    this.removeGroups();
    this.detach();
  }

  /** Leaves everything running (for `--keep`): only the exit/signal handlers are removed. */
  detach(): void {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private removeGroups(): void {
    for (const n of this.nodes) {
      try {
        rmdirSync(join(this.opts.cgroupRoot, this.groupPath, n));
      } catch {
        /* still populated: the kernel reaps it shortly; the next line then fails too */
      }
    }
    try {
      rmdirSync(join(this.opts.cgroupRoot, this.groupPath));
    } catch {
      /* see above */
    }
  }
}
