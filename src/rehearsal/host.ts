/**
 * What the rehearsal needs from the machine: root, a cgroup v2 hierarchy (one cgroup per node, so a
 * drill can kill a whole node at once and iptables can match a node's traffic), iptables, the
 * loopback range and the unprivileged `postgres` user. Checked up front with clear messages.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { hostHasTool, rootHasTool } from './release-root.js';

/** A host prerequisite is missing. `code` is stable; the message says how to fix it. */
export class HostError extends Error {
  constructor(
    readonly code: 'not_root' | 'no_cgroup2' | 'no_iptables' | 'no_user' | 'address_in_use' | 'no_tool',
    message: string,
  ) {
    super(message);
  }
}

/** Where cgroup v2 is mounted (`/sys/fs/cgroup` on systemd hosts, `/sys/fs/cgroup/unified` in hybrid mode). */
export function cgroup2Root(mounts = readFileSync('/proc/mounts', 'utf8')): string | undefined {
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint) return mountPoint;
  }
  return undefined;
}

/** The cgroup (relative to the cgroup2 root) this process lives in, e.g. `/` or `/user.slice/x`. */
export function ownCgroup(text = readFileSync('/proc/self/cgroup', 'utf8')): string {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) || '/' : '/';
}

export interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** An account of the root the daemons run in (`/` for the host): the root's own passwd file decides. */
export function lookupUser(user: string, root = '/'): RunAs {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) {
    throw new HostError(
      'no_user',
      `user ${user} does not exist in ${root} (the postgresql package creates it)`,
    );
  }
  const f = line.split(':');
  return { user, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
}

/** A group id of the root the daemons run in. */
export function lookupGroup(group: string, root = '/'): number {
  // /etc/group: name:x:gid:members
  const line = readFileSync(join(root, 'etc/group'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${group}:`));
  if (!line) throw new HostError('no_user', `group ${group} does not exist in ${root}`);
  return Number(line.split(':')[2]);
}

/** uid and gid of an owner written `user` or `user:group`, in a root. */
export function ownerIds(owner: string, root = '/'): { uid: number; gid: number } {
  const [user, group] = owner.split(':');
  const u = lookupUser(user || 'postgres', root);
  return { uid: u.uid, gid: group && group !== user ? lookupGroup(group, root) : u.gid };
}

/** Tools the host itself runs: entering the release root, certificates, cutting links. */
export const HOST_TOOLS = ['unshare', 'chroot', 'mount', 'openssl'] as const;

/**
 * Checks every prerequisite; returns the cgroup2 root. `tools` must exist in `root` (the release root the
 * daemons run in), the HOST_TOOLS on the host.
 */
export function checkHost(opts: { needIptables: boolean; tools: readonly string[]; root: string }): {
  cgroupRoot: string;
} {
  if (process.getuid?.() !== 0) {
    throw new HostError(
      'not_root',
      'the rehearsal must run as root (it runs the daemons as user postgres, and uses cgroups and iptables)',
    );
  }
  const root = cgroup2Root();
  if (!root || !existsSync(`${root}/cgroup.procs`)) {
    throw new HostError(
      'no_cgroup2',
      'no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)',
    );
  }
  for (const tool of HOST_TOOLS) {
    if (!hostHasTool(tool)) {
      throw new HostError('no_tool', `${tool} is not installed (scripts/install-system-deps.sh installs it)`);
    }
  }
  for (const tool of opts.tools) {
    if (!rootHasTool(opts.root, tool)) {
      throw new HostError('no_tool', `${tool} is missing from the release root ${opts.root}`);
    }
  }
  if (opts.needIptables) {
    const r = spawnSync('iptables', ['-w', '5', '-S', 'OUTPUT'], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new HostError(
        'no_iptables',
        `iptables does not work here: ${(r.stderr || r.error?.message || '').trim()}`,
      );
    }
  }
  lookupUser('postgres', opts.root);
  return { cgroupRoot: root };
}

/**
 * Linux routes all of 127.0.0.0/8 to `lo`: binding any 127.x.y.z works without set-up. This binds each
 * (address, port) the cluster will use, so a clash (an earlier rehearsal still running, a system
 * PostgreSQL on 0.0.0.0) is reported before anything starts.
 */
export async function assertBindable(endpoints: readonly { host: string; port: number; who: string }[]) {
  for (const e of endpoints) {
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new HostError(
            'address_in_use',
            `cannot bind ${e.host}:${e.port} for ${e.who} (${err.code}): is an earlier rehearsal still running? ` +
              'stop it, or choose another --subnet',
          ),
        ),
      );
      srv.listen({ host: e.host, port: e.port, exclusive: true }, () => srv.close(() => resolve()));
    });
  }
}

/** Runs a command and returns stdout; throws with stderr on failure. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
) {
  return execFileSync(cmd, [...args], {
    encoding: 'utf8',
    input: opts.input,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}
