/**
 * The rehearsal's host plumbing on the real machine: processes as `postgres` in per-node cgroups,
 * killing a node, cutting one node's links with iptables while others stay connected, clean-up.
 * Addresses: 127.0.30.240-249 (the cluster test file uses the low end of 127.0.30.0/24).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertBindable, cgroup2Root, checkHost, HostError, ownCgroup } from '../../src/rehearsal/host.js';
import { LinkCutter } from '../../src/rehearsal/netcut.js';
import { ensureReleaseRoot, type ReleaseRoot } from '../../src/rehearsal/release-root.js';
import { Supervisor } from '../../src/rehearsal/supervisor.js';
import { waitFor } from '../../src/rehearsal/wait.js';
import { ROOT_BUILD_TIMEOUT_MS } from '../render/helpers.js';

describe('cgroup2Root / ownCgroup', () => {
  test.each([
    ['cgroup2 /sys/fs/cgroup cgroup2 rw 0 0', '/sys/fs/cgroup'],
    [
      'cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
      '/sys/fs/cgroup/unified',
    ],
    ['proc /proc proc rw 0 0', undefined],
  ])('%j -> %s', (mounts, root) => {
    expect(cgroup2Root(mounts)).toBe(root);
  });
  test.each([
    ['0::/\n', '/'],
    ['12:pids:/x\n0::/user.slice/s\n', '/user.slice/s'],
    ['1:cpu:/\n', '/'],
  ])('%j -> %s', (text, cg) => {
    expect(ownCgroup(text)).toBe(cg);
  });
});

const connects = (host: string, port: number, timeoutMs = 700) =>
  new Promise<boolean>((resolve) => {
    const s = new Socket();
    s.setTimeout(timeoutMs);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
    s.connect(port, host);
  });

describe('supervisor and link cutter on this machine', () => {
  let runDir: string;
  let sup: Supervisor;
  let cutter: LinkCutter;
  let server: Server;
  const runId = `t${process.pid.toString(16)}`;

  let root: ReleaseRoot;

  beforeAll(async () => {
    root = await ensureReleaseRoot('debian-13', { progress: (l) => process.stderr.write(`${l}\n`) });
    const { cgroupRoot } = checkHost({ needIptables: true, tools: ['setpriv'], root: root.dir });
    runDir = mkdtempSync('/tmp/pgtopo-host-test-');
    chmodSync(runDir, 0o755); // as the rehearsal does: the daemons' user reads below it
    sup = new Supervisor({ runId, runDir, cgroupRoot, root: { dir: root.dir, binds: [runDir] } });
    cutter = new LinkCutter(sup, runId);
    server = createServer((c) => c.end());
    await new Promise<void>((r) => server.listen(7499, '127.0.30.241', r));
  }, ROOT_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await sup?.stopAll();
    await new Promise((r) => server?.close(r));
    rmSync(runDir, { recursive: true, force: true });
  });

  test('a loopback address outside 127.0.0.1 binds without set-up, and a clash is reported', async () => {
    await assertBindable([{ host: '127.0.30.242', port: 7499, who: 'test' }]);
    await expect(assertBindable([{ host: '127.0.30.241', port: 7499, who: 'test' }])).rejects.toMatchObject({
      code: 'address_in_use',
    });
    expect(new HostError('not_root', 'x')).toBeInstanceOf(Error);
  });

  test('a daemon runs as postgres in its node cgroup, with its output in a log file', async () => {
    const p = sup.spawn({
      name: 'sleeper',
      node: 'node-a',
      command: 'sh',
      args: ['-c', 'id -un; exec sleep 60'],
    });
    await waitFor('the log line', () => readFileSync(p.logFile, 'utf8').includes('postgres'), {
      timeoutMs: 5000,
    });
    expect(sup.pidsOf('node-a')).toContain(p.pid);
    const status = readFileSync(`/proc/${p.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${sup.user.uid}\\b`, 'm'));
  });

  test("a process runs in the release's root and sees the run directory at its own path", async () => {
    writeFileSync(join(runDir, 'marker'), 'from the host');
    const r = await sup.run(
      {
        name: 'where',
        node: 'node-a',
        command: 'sh',
        args: ['-c', `. /etc/os-release; echo "$VERSION_CODENAME"; cat ${join(runDir, 'marker')}`],
      },
      10_000,
    );
    expect(r.code).toBe(0);
    expect(r.output).toContain(root.release.codename);
    expect(r.output).toContain('from the host');
  });

  test('killNode kills every process of the node, children included, and nothing else', async () => {
    const parent = sup.spawn({
      name: 'forker',
      node: 'node-b',
      command: 'sh',
      args: ['-c', 'sleep 60 & sleep 60 & wait'],
    });
    const other = sup.spawn({ name: 'bystander', node: 'node-c', command: 'sleep', args: ['60'] });
    await waitFor('three processes in node-b', () => sup.pidsOf('node-b').length === 3, { timeoutMs: 5000 });
    await sup.killNode('node-b');
    expect(sup.pidsOf('node-b')).toEqual([]);
    await waitFor('forker exit', () => !!parent.exit, { timeoutMs: 5000 });
    expect(parent.exit?.signal).toBe('SIGKILL');
    expect(sup.running('bystander')).toBe(true);
    expect(other.exit).toBeUndefined();
  });

  test("a cut drops one node's packets to one address; other nodes stay connected; heal restores", async () => {
    const probe = (node: string) =>
      sup.run(
        {
          name: `probe-${node}-${Date.now()}`,
          node,
          command: 'sh',
          args: ['-c', 'timeout 2 bash -c "exec 3<>/dev/tcp/127.0.30.241/7499" && echo OPEN || echo CLOSED'],
        },
        10_000,
      );
    expect((await probe('node-d')).output).toContain('OPEN');
    cutter.cut({ node: 'node-d', to: ['127.0.30.241'] });
    expect(cutter.rules()).toHaveLength(1);
    expect((await probe('node-d')).output).toContain('CLOSED');
    expect((await probe('node-e')).output).toContain('OPEN');
    expect(await connects('127.0.30.241', 7499)).toBe(true);
    cutter.healAll();
    expect(cutter.rules()).toEqual([]);
    expect((await probe('node-d')).output).toContain('OPEN');
  });

  test('stopAll removes every process, the cgroups and the iptables chain', async () => {
    cutter.cut({ node: 'node-d', to: ['127.0.30.243'] });
    const groupDir = join(cgroup2Root()!, sup.groupPath);
    expect(existsSync(groupDir)).toBe(true);
    await sup.stopAll();
    expect(sup.running('sleeper')).toBe(false);
    expect(sup.running('bystander')).toBe(false);
    expect(existsSync(groupDir)).toBe(false);
    const chains = spawnSync('iptables', ['-w', '5', '-S'], { encoding: 'utf8' }).stdout;
    expect(chains).not.toContain(cutter.chain);
    // The mounts lived in the processes' own mount namespaces: none is left on the host.
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(root.dir);
  });
});
