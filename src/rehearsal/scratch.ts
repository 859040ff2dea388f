/**
 * Single PostgreSQL instances beside the rehearsed clusters, under the rehearsal's supervisor: the PITR
 * restore target, a subscriber, the old-major source of an upgrade. Each listens on a spare loopback
 * address with TLS (the rehearsal's certificate for that address) and SCRAM for every network login.
 */
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCluster } from './cluster.js';
import type { ConnInfo } from './load.js';
import type { Supervisor } from './supervisor.js';
import { waitFor } from './wait.js';

export interface ScratchInstance {
  /** Process and node (cgroup) name. */
  readonly name: string;
  readonly sup: Supervisor;
  /** PostgreSQL's bin directory in the supervisor's root. */
  readonly binDir: string;
  /** Directory of the instance (data and socket below it); removed on stop. */
  readonly dir: string;
  readonly address: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  /** Settings beyond the ones every scratch instance has. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
}

const dataOf = (s: ScratchInstance) => join(s.dir, 'data');

/** Creates the instance's directories, owned by the daemons' user (the data directory left empty). */
export function prepareScratch(s: ScratchInstance): string {
  rmSync(s.dir, { recursive: true, force: true });
  const { uid, gid } = s.sup.user;
  for (const d of [s.dir, dataOf(s), join(s.dir, 'run')]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, uid, gid);
  }
  return dataOf(s);
}

/**
 * A new, empty instance: initdb with the superuser's password (from a file removed right after), network
 * logins over TLS with SCRAM only, replication connections allowed from loopback.
 */
export async function initScratch(s: ScratchInstance, superuser: { user: string; password: string }) {
  const data = prepareScratch(s);
  const { uid, gid } = s.sup.user;
  const pwfile = join(s.dir, 'pw');
  writeFileSync(pwfile, `${superuser.password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  try {
    const r = await s.sup.run(
      {
        name: `initdb-${s.name}`,
        node: s.name,
        command: join(s.binDir, 'initdb'),
        args: [
          '-D',
          data,
          '-U',
          superuser.user,
          `--pwfile=${pwfile}`,
          '-A',
          'scram-sha-256',
          '--data-checksums',
        ],
        env: { ...s.env },
      },
      120_000,
    );
    if (r.code !== 0) throw new Error(`initdb for ${s.name} failed (exit ${r.code}):\n${r.output}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(
    hba,
    [
      'local all all scram-sha-256',
      'hostssl all all 127.0.0.0/8 scram-sha-256',
      'hostssl replication all 127.0.0.0/8 scram-sha-256',
      '',
    ].join('\n'),
  );
  chownSync(hba, uid, gid);
}

/** Starts PostgreSQL on the instance's data directory (already initialized or restored). */
export function startScratch(s: ScratchInstance): void {
  const data = dataOf(s);
  const settings: Record<string, string> = {
    listen_addresses: s.address,
    port: String(s.port),
    unix_socket_directories: join(s.dir, 'run'),
    hba_file: join(data, 'pg_hba.conf'),
    ident_file: join(data, 'pg_ident.conf'),
    ssl: 'on',
    ssl_cert_file: s.tls.certFile,
    ssl_key_file: s.tls.keyFile,
    archive_mode: 'off',
    synchronous_standby_names: '',
    logging_collector: 'off',
    cluster_name: `pgtopo-${s.name}`,
    ...s.parameters,
  };
  s.sup.spawn({
    name: s.name,
    node: s.name,
    command: join(s.binDir, 'postgres'),
    args: ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    env: { ...s.env },
  });
}

/** Waits until the instance accepts connections and is out of recovery. */
export async function waitScratch(
  cluster: LocalCluster,
  s: ScratchInstance,
  conn: ConnInfo,
  timeoutMs = 120_000,
) {
  await waitFor(
    `${s.name} to accept writes`,
    async () => {
      const [r] = await cluster.sql<{ rec: boolean }>(conn, 'SELECT pg_is_in_recovery() AS rec', [], 2000);
      return r?.rec === false;
    },
    { timeoutMs, intervalMs: 500 },
  ).catch((e) => {
    throw cluster.explain(e, [s.name]);
  });
}

export async function stopScratch(s: ScratchInstance): Promise<void> {
  await s.sup.stop(s.name, 10_000);
  rmSync(s.dir, { recursive: true, force: true });
}
