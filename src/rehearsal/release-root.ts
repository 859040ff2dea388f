/**
 * A root directory of a node release (Debian 13 or 12, made with debootstrap) holding the very packages
 * the nodes install. The rehearsal and the real-tool tests run every daemon and tool inside it, whatever
 * release the host runs: one code path on Debian 12 and 13 hosts.
 *
 * The root is cached on the machine (`/var/cache/pgtopo/roots/<release>`, or `$PGTOPO_ROOT_CACHE`) and
 * rebuilt when it is missing, when its recipe (suite, mirror, packages) changed, or when it is older than
 * `MAX_AGE_DAYS` (security updates). A build goes to a staging directory and is renamed into place; a lock
 * keeps two builds of the same release apart.
 *
 * Commands run through `rootCommand`: a private mount namespace (`unshare --mount`) gets `/proc`, `/dev`
 * and the caller's directories bound in at their own paths, then `chroot`. The mounts vanish with the
 * namespace's last process, so nothing is left mounted on the cache, whatever happens to the caller.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { nodePackages } from '../render/index.js';
import { type NodeRelease, type ReleaseName, releaseNamed } from '../spec/releases.js';
import { sleep } from './wait.js';

/** Bump when the build steps change: every cached root is rebuilt. */
const RECIPE_VERSION = 1;
/** A root older than this is rebuilt, so that it carries the release's security updates. */
export const MAX_AGE_DAYS = 30;
const DEFAULT_CACHE = '/var/cache/pgtopo/roots';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const DEFAULT_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/**
 * Tools the rehearsal and the real-tool tests run besides the node packages. prometheus brings promtool
 * too: the rendered scrape configuration and alert rules are checked with them.
 */
const TOOL_PACKAGES = [
  'cloud-init',
  'curl',
  'iproute2',
  'procps',
  'prometheus',
  'python3-yaml',
  'util-linux',
];

/** Packages whose versions a report names (`dpkg-query` names). */
export const REPORTED_PACKAGES = {
  postgresql: (r: NodeRelease) => `postgresql-${r.postgresMajor}`,
  patroni: () => 'patroni',
  etcd: () => 'etcd-server',
  pgbouncer: () => 'pgbouncer',
  pgbackrest: () => 'pgbackrest',
  haproxy: () => 'haproxy',
} as const;
export type ReportedPackage = keyof typeof REPORTED_PACKAGES;

export class RootError extends Error {
  constructor(
    readonly code: 'not_root' | 'no_tool' | 'build_failed' | 'locked' | 'missing',
    message: string,
  ) {
    super(message);
  }
}

export interface ReleaseRoot {
  readonly release: NodeRelease;
  /** Absolute path of the root directory. */
  readonly dir: string;
  /** Debian package versions installed in the root (`dpkg-query` Version), of `REPORTED_PACKAGES`. */
  readonly versions: Readonly<Record<ReportedPackage, string>>;
  readonly builtAt: string;
}

interface Stamp {
  readonly recipe: string;
  readonly builtAt: string;
  readonly versions: Record<ReportedPackage, string>;
}

export interface RootOptions {
  /** Cache directory. Default `$PGTOPO_ROOT_CACHE`, else `/var/cache/pgtopo/roots`. */
  readonly cacheDir?: string;
  /** Debian mirror. Default `$PGTOPO_DEBIAN_MIRROR`, else Debian's own. */
  readonly mirror?: string;
  /** Progress lines (the build takes minutes). */
  readonly progress?: (line: string) => void;
  /** Injected clock, for the staleness tests. */
  readonly now?: () => number;
}

function settings(opts: RootOptions) {
  const mirror = opts.mirror ?? process.env.PGTOPO_DEBIAN_MIRROR ?? DEFAULT_MIRROR;
  const securityMirror = process.env.PGTOPO_DEBIAN_SECURITY_MIRROR ?? DEFAULT_SECURITY_MIRROR;
  return {
    cacheDir: opts.cacheDir ?? process.env.PGTOPO_ROOT_CACHE ?? DEFAULT_CACHE,
    mirror,
    securityMirror,
    progress: opts.progress ?? (() => undefined),
    now: opts.now ?? Date.now,
  };
}

/** Every package the root holds: each part a node may run (not the AWS tools), plus the test tools. */
export function rootPackages(release: NodeRelease): string[] {
  const { aws: _aws, ...parts } = nodePackages(release);
  return [...new Set([...Object.values(parts).flat(), ...TOOL_PACKAGES])].sort();
}

/** apt sources of the root: the release, its updates and its security archive, like a node's. */
export function aptSources(release: NodeRelease, mirror: string, securityMirror: string): string {
  return [
    `deb ${mirror} ${release.codename} main`,
    `deb ${mirror} ${release.codename}-updates main`,
    `deb ${securityMirror} ${release.codename}-security main`,
    '',
  ].join('\n');
}

/** What a cached root must have been built from; any change rebuilds it. */
export function recipeOf(release: NodeRelease, mirror: string, securityMirror: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        v: RECIPE_VERSION,
        codename: release.codename,
        sources: aptSources(release, mirror, securityMirror),
        packages: rootPackages(release),
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

const paths = (cacheDir: string, name: ReleaseName) => ({
  dir: join(cacheDir, name),
  stamp: join(cacheDir, `${name}.json`),
  lock: join(cacheDir, `${name}.lock`),
  staging: join(cacheDir, `.${name}.build-${process.pid}`),
  old: join(cacheDir, `.${name}.old-${process.pid}`),
});

/** Why a cached root cannot be used as it is, or undefined when it can. */
export function staleness(release: NodeRelease, opts: RootOptions = {}): { reason: string } | undefined {
  const s = settings(opts);
  const p = paths(s.cacheDir, release.name);
  if (!existsSync(p.stamp) || !existsSync(join(p.dir, 'usr/bin/patroni'))) return { reason: 'not built yet' };
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(p.stamp, 'utf8')) as Stamp;
  } catch {
    return { reason: 'its stamp is unreadable' };
  }
  if (stamp.recipe !== recipeOf(release, s.mirror, s.securityMirror)) return { reason: 'its recipe changed' };
  const ageDays = (s.now() - Date.parse(stamp.builtAt)) / 86_400_000;
  if (!(ageDays <= MAX_AGE_DAYS)) return { reason: `it is ${Math.floor(ageDays)} days old` };
  return undefined;
}

/** The cached root of a release, or undefined when it must be (re)built first. */
export function cachedRoot(name: ReleaseName | undefined, opts: RootOptions = {}): ReleaseRoot | undefined {
  const release = releaseNamed(name);
  if (staleness(release, opts)) return undefined;
  const p = paths(settings(opts).cacheDir, release.name);
  const stamp = JSON.parse(readFileSync(p.stamp, 'utf8')) as Stamp;
  return { release, dir: p.dir, versions: stamp.versions, builtAt: stamp.builtAt };
}

/**
 * The root of a release, built first when missing or stale. Needs root, debootstrap, unshare and chroot.
 * Waits (bounded) for another process building the same release.
 */
export async function ensureReleaseRoot(
  name: ReleaseName | undefined,
  opts: RootOptions = {},
): Promise<ReleaseRoot> {
  const release = releaseNamed(name);
  const s = settings(opts);
  const p = paths(s.cacheDir, release.name);
  const cached = cachedRoot(release.name, opts);
  if (cached) return cached;
  mkdirSync(s.cacheDir, { recursive: true });
  const unlock = await lock(p.lock, release.name, s.progress);
  try {
    // Another process may have built it while we waited.
    const built = cachedRoot(release.name, opts);
    if (built) return built;
    const why = staleness(release, opts)!.reason;
    if (process.getuid?.() !== 0) {
      throw new RootError('not_root', `building the ${release.name} root needs root (debootstrap, chroot)`);
    }
    for (const tool of ['debootstrap', 'unshare', 'chroot', 'mount']) {
      if (!hostHasTool(tool)) {
        throw new RootError(
          'no_tool',
          `${tool} is not installed (scripts/install-system-deps.sh installs it)`,
        );
      }
    }
    const started = s.now();
    s.progress(
      `building the ${release.name} root (${why}) in ${p.dir}: debootstrap ${release.codename}, then ${rootPackages(release).length} packages; takes about 3 minutes`,
    );
    rmSync(p.staging, { recursive: true, force: true });
    try {
      await step(
        `debootstrap ${release.codename}`,
        'debootstrap',
        ['--variant=minbase', release.codename, p.staging, s.mirror],
        /^I: (Retrieving|Extracting|Unpacking|Configuring) /,
        s.progress,
      );
      prepare(p.staging, release, s.mirror, s.securityMirror);
      const apt = [
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'LC_ALL=C.UTF-8',
        'apt-get',
        '-o',
        'Dpkg::Use-Pty=0',
        '-o',
        'APT::Install-Recommends=false',
      ];
      const [cmd, args] = rootCommand(p.staging, [...apt, 'update']);
      await step('apt-get update', cmd, args, /^(Get|Hit):/, s.progress);
      const [icmd, iargs] = rootCommand(p.staging, [...apt, 'install', '-y', ...rootPackages(release)]);
      await step('apt-get install', icmd, iargs, /^(Unpacking|Setting up) /, s.progress);
      const [ccmd, cargs] = rootCommand(p.staging, ['apt-get', 'clean']);
      await step('apt-get clean', ccmd, cargs, /$^/, s.progress);
      const versions = readVersions(p.staging, release);
      const stamp: Stamp = {
        recipe: recipeOf(release, s.mirror, s.securityMirror),
        builtAt: new Date(s.now()).toISOString(),
        versions,
      };
      if (existsSync(p.dir)) renameSync(p.dir, p.old);
      renameSync(p.staging, p.dir);
      writeFileSync(p.stamp, `${JSON.stringify(stamp, null, 2)}\n`);
      rmSync(p.old, { recursive: true, force: true });
      s.progress(
        `built the ${release.name} root in ${Math.round((s.now() - started) / 1000)} s: ${Object.entries(
          versions,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      return { release, dir: p.dir, versions, builtAt: stamp.builtAt };
    } catch (e) {
      rmSync(p.staging, { recursive: true, force: true });
      if (e instanceof RootError) throw e;
      throw new RootError(
        'build_failed',
        `building the ${release.name} root failed: ${(e as Error).message}`,
      );
    }
  } finally {
    unlock();
  }
}

/** Files a fresh root needs before packages go in: no services started, no default cluster, apt sources. */
function prepare(dir: string, release: NodeRelease, mirror: string, securityMirror: string): void {
  writeFileSync(join(dir, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  mkdirSync(join(dir, 'etc/postgresql-common'), { recursive: true });
  writeFileSync(join(dir, 'etc/postgresql-common/createcluster.conf'), 'create_main_cluster = false\n');
  writeFileSync(join(dir, 'etc/apt/sources.list'), aptSources(release, mirror, securityMirror));
  if (!existsSync(join(dir, 'etc/hosts'))) {
    writeFileSync(
      join(dir, 'etc/hosts'),
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    );
  }
}

/** dpkg-query's output format: a package and its version per line. */
const DPKG_FORMAT = ['$', '{Package} $', '{Version}\\n'].join('');

function readVersions(dir: string, release: NodeRelease): Record<ReportedPackage, string> {
  const names = Object.entries(REPORTED_PACKAGES).map(([k, f]) => [k, f(release)] as const);
  const r = spawnSync('chroot', [dir, 'dpkg-query', '-W', '-f', DPKG_FORMAT, ...names.map((n) => n[1])], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`dpkg-query failed: ${r.stderr}`);
  const got = new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  return Object.fromEntries(names.map(([k, pkg]) => [k, got.get(pkg) ?? 'missing'])) as Record<
    ReportedPackage,
    string
  >;
}

/** Runs one build step, reporting how many matching lines it printed every 15 s. Bounded: 20 minutes. */
function step(
  what: string,
  cmd: string,
  args: readonly string[],
  counted: RegExp,
  progress: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let count = 0;
    let tail: string[] = [];
    const started = Date.now();
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (counted.test(line)) count++;
        if (line.trim()) tail = [...tail.slice(-19), line];
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const tick = setInterval(
      () => progress(`  ${what}: ${count} step(s), ${Math.round((Date.now() - started) / 1000)} s`),
      15_000,
    );
    const limit = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
    child.on('error', (e) => {
      clearInterval(tick);
      clearTimeout(limit);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearInterval(tick);
      clearTimeout(limit);
      if (code === 0) {
        progress(`  ${what}: done in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
      } else reject(new Error(`${what} exited ${code ?? signal}:\n${tail.join('\n')}`));
    });
  });
}

/** An exclusive lock file holding the owner's pid; a lock whose owner is gone is taken over. Bounded wait. */
async function lock(file: string, name: string, progress: (l: string) => void): Promise<() => void> {
  const deadline = Date.now() + 25 * 60_000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(readFileSync(file, 'utf8').trim());
    if (!alive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new RootError(
        'locked',
        `the ${name} root is still being built by process ${owner} (lock ${file})`,
      );
    }
    if (!told) progress(`waiting for process ${owner}, which is building the ${name} root`);
    told = true;
    await sleep(1000);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The script that sets up the mount namespace and enters the root (arguments: root, binds..., --, argv). */
const ENTER = [
  'root="$1"; shift',
  'while [ "$1" != -- ]; do',
  '  [ -d "$root$1" ] || mkdir -p "$root$1" || exit 111',
  '  mount --bind "$1" "$root$1" || exit 111',
  '  shift',
  'done',
  'shift',
  'mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 111',
  // Read-only sysfs, as a node has it: node_exporter's cpu collector panics without /sys.
  'mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys" || exit 111',
  'exec chroot "$root" "$@"',
].join('\n');

/**
 * `[command, args]` that run `argv` inside a root, with host directories bound in at the same paths
 * (the rehearsal's run directory, a test's base directory). Needs root.
 */
export function rootCommand(
  root: string,
  argv: readonly string[],
  binds: readonly string[] = [],
): [string, string[]] {
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      ENTER,
      'pgtopo-root',
      root,
      ...binds,
      '--',
      ...argv,
    ],
  ];
}

/** Whether the host has a command on its PATH. */
export function hostHasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Whether an executable exists in the root (absolute path, or a name looked up in the usual bin dirs). */
export function rootHasTool(root: string, tool: string): boolean {
  const candidates = tool.startsWith('/')
    ? [tool]
    : ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].map((d) => `${d}/${tool}`);
  return candidates.some((c) => {
    try {
      return statSync(join(root, c)).isFile();
    } catch {
      return false;
    }
  });
}
