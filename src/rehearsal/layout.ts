/**
 * What the rehearsal boots: every node of the booted clusters with its address, its processes and its
 * files. Built from the renderers' output for the local address map (see `plan.ts`); the runtime
 * (`cluster.ts`) and the drills only read this.
 */
import type { Topology } from '../model/types.js';
import type { ConnInfo } from './load.js';
import type { ProcessSpec } from './supervisor.js';

export interface FileToWrite {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  /** `user` or `user:group`. */
  readonly owner: string;
}

export interface DirToMake {
  readonly path: string;
  readonly mode: number;
  /** `user` or `user:group`. */
  readonly owner: string;
}

export interface MemberLayout {
  readonly name: string;
  readonly region: string;
  readonly az: string;
  /** Patroni scope. */
  readonly cluster: string;
  /** Address PostgreSQL, Patroni's REST API and PgBouncer listen on. */
  readonly address: string;
  readonly pgPort: number;
  readonly restUrl: string;
  readonly dataDir: string;
  /** cgroup of Patroni and the PostgreSQL it runs. */
  readonly node: string;
  readonly patroni: ProcessSpec;
  /** PgBouncer runs in a cgroup of its own: kill-primary kills PostgreSQL and Patroni, not the pooler. */
  readonly pgbouncer?: ProcessSpec;
  /** pgBackRest configuration file of the member. */
  readonly pgbackrestConfig?: string;
  /**
   * The member's Prometheus exporters (postgres, node, PgBouncer), in a cgroup of their own: started only by
   * a rehearsal that runs Prometheus (`monitoring`); kill-primary leaves them up, as a crashed PostgreSQL does.
   */
  readonly exporters?: readonly ProcessSpec[];
}

export interface EtcdLayout {
  readonly name: string;
  readonly quorum: string;
  readonly region: string;
  readonly az: string;
  readonly address: string;
  readonly clientUrl: string;
  readonly node: string;
  readonly process: ProcessSpec;
}

/** HAProxy standing in for a cluster's writer and reader load balancers. */
export interface EndpointLayout {
  readonly cluster: string;
  readonly region: string;
  readonly address: string;
  /** Writer port through the pooler when there is one, else straight to PostgreSQL. */
  readonly writerPort: number;
  /** Writer port straight to PostgreSQL (superuser work: DDL, roles). */
  readonly directPort: number;
  readonly node: string;
  readonly process: ProcessSpec;
}

export interface ClusterLayout {
  readonly scope: string;
  readonly role: 'primary' | 'standby';
  readonly region: string;
  readonly members: readonly string[];
  readonly quorum: string;
}

export interface TlsMaterial {
  /** PEM of the rehearsal CA (verifies every server certificate). */
  readonly ca: string;
  /** Client certificate and key (PEM) for etcd when client TLS is on. */
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** Files of the same, for command-line tools (etcdctl). */
  readonly caFile: string;
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

export interface Layout {
  readonly topology: Topology;
  readonly runDir: string;
  readonly clusters: readonly ClusterLayout[];
  readonly members: readonly MemberLayout[];
  readonly etcd: readonly EtcdLayout[];
  readonly endpoints: readonly EndpointLayout[];
  /** Every file to write before anything starts (rendered configuration, secrets, certificates). */
  readonly files: readonly FileToWrite[];
  /** Directories to create before anything starts (the renderers' `nodeDirectories`, plus repositories). */
  readonly dirs: readonly DirToMake[];
  /** Superuser credentials and TLS settings for direct and endpoint connections. */
  readonly superuser: { readonly user: string; readonly password: string };
  /** The write load's role (PgBouncer's auth_query never serves superusers). */
  readonly app: { readonly user: string; readonly password: string };
  readonly pgSsl: ConnInfo['ssl'];
  /** `user:password` for Patroni REST API calls that change state. */
  readonly restAuth?: string;
  readonly tls?: TlsMaterial;
  /** pgBackRest stanza of the primary cluster, when the archive is on. */
  readonly stanza?: string;
  /** A spare loopback address (for the PITR scratch instance). */
  readonly spareAddress: string;
  /** Certificate and key files naming the spare address (owned by postgres). */
  readonly scratchTls: { readonly certFile: string; readonly keyFile: string };
  /** PATH entries for the daemons (PostgreSQL's bin directory). */
  readonly binPath: readonly string[];
  /** The monitoring bundle for the local addresses (`renderMonitoring`): what the rehearsal's Prometheus loads. */
  readonly monitoring?: readonly { readonly rel: string; readonly content: string }[];
}

/** (address, port) pairs the cluster binds, for the pre-flight check. */
export function bindings(l: Layout): { host: string; port: number; who: string }[] {
  const out: { host: string; port: number; who: string }[] = [];
  const urlPort = (u: string) => Number(new URL(u).port);
  for (const m of l.members) {
    out.push({ host: m.address, port: m.pgPort, who: `PostgreSQL ${m.name}` });
    out.push({ host: m.address, port: urlPort(m.restUrl), who: `Patroni ${m.name}` });
  }
  for (const e of l.etcd) out.push({ host: e.address, port: urlPort(e.clientUrl), who: `etcd ${e.name}` });
  for (const e of l.endpoints)
    out.push({ host: e.address, port: e.writerPort, who: `writer endpoint ${e.cluster}` });
  return out;
}
