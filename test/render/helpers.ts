/**
 * Helpers for the real-tool tests: write a local render to disk, issue a
 * throwaway CA, plant fake secrets with the rendered boot scripts, start
 * daemons as the unprivileged `postgres` account and stop them again.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Topology } from '../../src/model/types.js';
import { ownerIds } from '../../src/rehearsal/host.js';
import { ensureReleaseRoot, type ReleaseRoot, rootCommand } from '../../src/rehearsal/release-root.js';
import {
  type AddressMap,
  bootScripts,
  etcdSettings,
  nodeDirectories,
  parseEnvFile,
  type RenderedFile,
  renderHost,
  type SecretKey,
  type ServiceSpec,
  secretEnvName,
  secretFiles,
} from '../../src/render/index.js';
import type { ReleaseName } from '../../src/spec/releases.js';

const pexec = promisify(execFile);

export const RUN_AS = 'postgres';

/**
 * The release root every tool and daemon of these tests runs in (the node release's own packages), with
 * the host's /tmp bound in (every test directory lives there). Set by `useReleaseRoot` in a beforeAll.
 */
let root: ReleaseRoot | undefined;

/** Builds (first time, minutes) or reuses the release's root; every later `run` and daemon runs in it. */
export async function useReleaseRoot(release: ReleaseName): Promise<ReleaseRoot> {
  root = await ensureReleaseRoot(release, { progress: (l) => process.stderr.write(`${l}\n`) });
  return root;
}

/** How long a beforeAll may take that builds a release root on a fresh machine. */
export const ROOT_BUILD_TIMEOUT_MS = 20 * 60_000;

function currentRoot(): ReleaseRoot {
  if (!root) throw new Error('no release root: call useReleaseRoot() in a beforeAll first');
  return root;
}

/** [file, argv] running a command inside the current release root. */
function inRoot(argv: readonly string[]): [string, string[]] {
  return rootCommand(currentRoot().dir, argv, ['/tmp']);
}

export function ids(user: string): { uid: number; gid: number } {
  return ownerIds(user, currentRoot().dir);
}

/** Runs a program in the release root, failing with its output when it exits non-zero. */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; as?: string; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] = inRoot(opts.as ? ['runuser', '-u', opts.as, '--', cmd, ...args] : [cmd, ...args]);
  try {
    return await pexec(file, argv, {
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 30_000,
      cwd: opts.cwd ?? '/tmp',
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`,
    );
  }
}

/** A short base directory (socket paths must stay short) owned by the run-as account. */
export function makeBaseDir(tag: string): string {
  const dir = mkdtempSync(`/tmp/pgt-${tag}-`);
  const { uid, gid } = ids(RUN_AS);
  chownSync(dir, uid, gid);
  return dir;
}

function chownTo(path: string, owner: string): void {
  const { uid, gid } = ownerIds(owner, currentRoot().dir);
  chownSync(path, uid, gid);
}

/** Creates a host's directories and writes its rendered files with their owners and modes. */
export function materialize(t: Topology, host: string, map: AddressMap): RenderedFile[] {
  for (const d of nodeDirectories(t, host, map)) {
    mkdirSync(d.path, { recursive: true });
    chmodSync(d.path, d.mode);
    chownTo(d.path, d.owner);
  }
  const files = renderHost(t, host, map);
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content);
    chmodSync(f.path, f.mode);
    chownTo(f.path, f.owner);
  }
  return files;
}

/** A throwaway CA bundle (key + certificate, PEM) for the tests. */
export async function makeCa(dir: string): Promise<string> {
  const key = join(dir, 'ca.key');
  const crt = join(dir, 'ca.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=pgtopo test CA',
    '-keyout',
    key,
    '-out',
    crt,
  ]);
  const bundle = join(dir, 'ca-bundle.pem');
  writeFileSync(bundle, readFileSync(key, 'utf8') + readFileSync(crt, 'utf8'), { mode: 0o600 });
  return bundle;
}

/** Issues a host's certificate with its rendered issue-cert.sh. */
export async function issueCert(t: Topology, host: string, map: AddressMap, caBundle: string): Promise<void> {
  await run('bash', [bootScripts(t, host, map).issueCert, caBundle]);
}

/** Recognisable fake secret values (hex-ish, inside the allowed character set). */
export function fakeSecrets(tag: string): Record<SecretKey, string> {
  const v = (k: string) => `FAKE-${tag}-${k}-0123456789abcdef`;
  return {
    superuser: v('superuser'),
    replication: v('replication'),
    rewind: v('rewind'),
    pgbouncer: v('pgbouncer'),
    restApi: v('restapi'),
    archiveCipher: v('archivecipher'),
    tlsCa: v('tlsca'),
  };
}

/** Plants secrets where the boot step puts them, with the rendered write-secrets.sh. */
export async function plantSecrets(
  t: Topology,
  host: string,
  map: AddressMap,
  values: Record<SecretKey, string>,
): Promise<string[]> {
  const files = secretFiles(t, host, map);
  if (files.length === 0) return [];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries(values)) env[secretEnvName(k as SecretKey)] = v;
  await run('bash', [bootScripts(t, host, map).writeSecrets], { env });
  return files.map((f) => f.path);
}

/** A daemon started as the run-as account; stop() sends SIGTERM and waits (SIGKILL after a grace period). */
export interface Daemon {
  readonly name: string;
  readonly proc: ChildProcess;
  output(): string;
  /** SIGTERM (or the given signal), then SIGKILL after a grace period; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startDaemon(
  name: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  as = RUN_AS,
): Daemon {
  const { uid, gid } = ids(as);
  // unshare and chroot need root: the account is dropped inside the root, by setpriv, which execs.
  const [file, args] = inRoot([
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--init-groups',
    '--',
    ...argv,
  ]);
  const proc = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/tmp', USER: as, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: '/tmp',
    detached: true,
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null) resolve();
    proc.on('exit', () => resolve());
  });
  return {
    name,
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      try {
        process.kill(-proc.pid!, signal);
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment a service runs with: its own variables plus its environment files. */
export function serviceEnv(s: ServiceSpec): Record<string, string> {
  const env: Record<string, string> = { ...s.environment };
  for (const file of s.environmentFiles) Object.assign(env, parseEnvFile(readFileSync(file, 'utf8')));
  return env;
}

/** Starts a service exactly as its ServiceSpec says (argv, environment, environment files). */
export function startService(s: ServiceSpec, name = s.unit): Daemon {
  return startDaemon(name, s.exec, serviceEnv(s));
}

/** Polls `probe` until it resolves truthy; bounded in time. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Client TLS arguments for etcdctl against a quorum, using one host's certificate. */
export function etcdctlArgs(t: Topology, etcdNames: readonly string[], map: AddressMap): string[] {
  const first = etcdSettings(t, etcdNames[0]!, map);
  const endpoints = etcdNames.map((n) => etcdSettings(t, n, map).ETCD_ADVERTISE_CLIENT_URLS).join(',');
  return [
    `--endpoints=${endpoints}`,
    `--cacert=${first.ETCD_TRUSTED_CA_FILE}`,
    `--cert=${first.ETCD_CERT_FILE}`,
    `--key=${first.ETCD_KEY_FILE}`,
    '--dial-timeout=2s',
    '--command-timeout=3s',
  ];
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A standalone PostgreSQL of the current release root. */
export interface TestPostgres extends Daemon {
  /** PostgreSQL's bin directory in the root. */
  readonly bin: string;
  readonly dataDir: string;
}

/**
 * initdb (unless told not to) and start one PostgreSQL of the current release root as `postgres`, listening on `address`
 * (loopback), with its socket in `socketDir` (default: the data directory). `hba` replaces pg_hba.conf
 * when given; `settings` are passed as `-c name=value`. Resolves once pg_isready answers.
 */
export async function startPostgres(o: {
  dataDir: string;
  address: string;
  port?: number;
  socketDir?: string;
  /** initdb's options (default `--auth=trust`), or false to start on an existing data directory. */
  initdb?: readonly string[] | false;
  hba?: readonly string[];
  settings?: Readonly<Record<string, string>>;
}): Promise<TestPostgres> {
  const bin = `/usr/lib/postgresql/${currentRoot().release.postgresMajor}/bin`;
  const port = String(o.port ?? 5432);
  const socketDir = o.socketDir ?? o.dataDir;
  if (o.initdb !== false)
    await run(`${bin}/initdb`, ['-D', o.dataDir, '-U', RUN_AS, ...(o.initdb ?? ['--auth=trust'])], {
      as: RUN_AS,
      timeoutMs: 120_000,
    });
  if (o.hba) writeFileSync(join(o.dataDir, 'pg_hba.conf'), [...o.hba, ''].join('\n'));
  const settings = {
    listen_addresses: o.address,
    port,
    unix_socket_directories: socketDir,
    ...o.settings,
  };
  const daemon = startDaemon(
    `postgres-${o.address}-${port}`,
    [
      `${bin}/postgres`,
      '-D',
      o.dataDir,
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    {},
  );
  await waitFor(
    `PostgreSQL on ${o.address}:${port}`,
    async () => {
      await run(`${bin}/pg_isready`, ['-q', '-h', o.address, '-p', port], { timeoutMs: 5000 });
      return true;
    },
    60_000,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\n${daemon.output()}`);
  });
  return { ...daemon, bin, dataDir: o.dataDir };
}
