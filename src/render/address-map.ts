/**
 * The two address maps. Everything else in render/ is shared: the AWS render
 * and the rehearsal render differ only in what these return.
 */
import { PORTS } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import { haproxyHost } from './names.js';
import type { Account, AddressMap, NodePaths } from './types.js';

/** A node name the topology does not know. */
export class UnknownNodeError extends Error {
  constructor(
    readonly kind: 'member' | 'etcd member' | 'cluster' | 'region' | 'node',
    readonly nodeName: string,
  ) {
    super(`unknown ${kind} ${JSON.stringify(nodeName)}`);
  }
}

function memberOf(t: Topology, name: string) {
  const m = t.members.find((x) => x.name === name);
  if (!m) throw new UnknownNodeError('member', name);
  return m;
}

function etcdMemberOf(t: Topology, name: string) {
  const e = t.etcd.flatMap((q) => q.members).find((x) => x.name === name);
  if (!e) throw new UnknownNodeError('etcd member', name);
  return e;
}

function regionOf(t: Topology, name: string) {
  const r = t.regions.find((x) => x.name === name);
  if (!r) throw new UnknownNodeError('region', name);
  return r;
}

function namesOf(t: Topology, scope: string) {
  const n = t.endpoints.names[scope];
  if (!n) throw new UnknownNodeError('cluster', scope);
  return n;
}

export interface AwsAddressMapOptions {
  /**
   * S3 bucket of a region's WAL archive (the source bucket in the primary
   * region, the replicated copy elsewhere).
   * @default `pgtopo-<name>-archive-<region>`
   */
  readonly archiveBucket?: (region: string) => string;
  /**
   * Who fills the copy regions' buckets. `storage`: S3 replication (the AWS
   * layer's WalArchive); `pgbackrest`: members of the writable cluster write
   * repo2 in the first copy region themselves (then S3 replication must not
   * write the same prefix).
   * @default 'storage'
   */
  readonly archiveCopies?: 'storage' | 'pgbackrest';
}

/**
 * Archive bucket name of a region: the spec's (`archive.bucket`), else `pgtopo-<name>-archive-<region>`.
 * The AWS layer names its buckets the same way or passes its own.
 */
export function defaultArchiveBucket(t: Topology, region: string): string {
  return t.archive.bucketNames[region] ?? `pgtopo-${t.name}-archive-${region}`;
}

const AWS_PATHS: NodePaths = {
  config: '/etc/pgtopo',
  secrets: '/etc/pgtopo/secrets',
  tls: '/etc/pgtopo/tls',
  data: '/var/lib/pgtopo',
  log: '/var/log/pgtopo',
  run: '/run/pgtopo',
  spool: '/var/spool/pgtopo',
  units: '/etc/systemd/system',
};

const account = (user: string, group = user): Account => ({ user, group });

/** AWS: fixed private IPs from the model, endpoint DNS names, S3 repositories, Debian service accounts. */
export function awsAddressMap(t: Topology, opts: AwsAddressMapOptions = {}): AddressMap {
  const bucket = opts.archiveBucket ?? ((region: string) => defaultArchiveBucket(t, region));
  return {
    target: 'aws',
    memberAddress: (name) => memberOf(t, name).privateIp,
    etcdAddress: (name) => etcdMemberOf(t, name).privateIp,
    outboundAddress: (host) =>
      t.members.find((m) => m.name === host)?.privateIp ??
      t.etcd.flatMap((q) => q.members).find((e) => e.name === host)?.privateIp ??
      // A HAProxy node on AWS is an application host: it dials from its own (unknown) address.
      '127.0.0.1',
    endpointHost: (scope, role) => namesOf(t, scope)[role],
    // On AWS the NLB is the endpoint; HAProxy is client-side routing on an application host.
    haproxyBind: (scope) => {
      namesOf(t, scope);
      return '127.0.0.1';
    },
    nodeNetworks: (regions) =>
      unique(regions.flatMap((r) => regionOf(t, r).subnets.map((s) => s.privateCidr))),
    clientNetworks: () =>
      unique([
        ...t.security.allowedCidrs,
        // Security groups filter at the network; PostgreSQL can only see the VPC ranges behind them.
        ...(Object.keys(t.security.allowedSecurityGroupIds).length > 0 ? t.regions.map((r) => r.cidr) : []),
      ]),
    paths: () => AWS_PATHS,
    accounts: {
      root: account('root'),
      postgres: account('postgres'),
      etcd: account('etcd'),
      exporter: account('prometheus'),
      haproxy: account('haproxy'),
      // Debian's convention: keys readable by the ssl-cert group (postgres is a member; the boot step adds etcd).
      tlsKey: account('root', 'ssl-cert'),
    },
    tlsKeyMode: 0o640,
    postgresBinDir: (version) => `/usr/lib/postgresql/${version}/bin`,
    repository: (region) => {
      regionOf(t, region);
      return { kind: 's3', bucket: bucket(region), region, endpoint: `s3.${region}.amazonaws.com` };
    },
    archiveCopies: opts.archiveCopies ?? 'storage',
  };
}

export interface LocalAddressMapOptions {
  /** Root directory: every host gets `<baseDir>/<host>/...`, repositories `<baseDir>/repo/<region>`. */
  readonly baseDir: string;
  /** First three octets of the loopback /24 the hosts get addresses in. @default '127.0.10' */
  readonly subnet?: string;
  /**
   * Added to every host number, so several renders share one /24 without
   * overlap: etcd members get `offset+1...`, PostgreSQL members `offset+10...`
   * (or right after etcd when there are more than nine), HAProxy nodes follow.
   * @default 0
   */
  readonly hostOffset?: number;
  /** Unprivileged OS account that owns every file and runs every service. @default 'postgres' */
  readonly user?: string;
  /** @default the user's name */
  readonly group?: string;
  /** Directory of a PostgreSQL version's binaries on this machine. @default `/usr/lib/postgresql/<version>/bin` */
  readonly postgresBinDir?: (version: number) => string;
}

/** The source address the kernel gives connections to any loopback address. */
const LOOPBACK_SOURCE = '127.0.0.1';

/** The longest socket path PostgreSQL and PgBouncer accept (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * Local rehearsal: each member, etcd member and cluster endpoint gets its own
 * loopback address with the production ports, and its own directories under
 * `baseDir`, all owned by one unprivileged account.
 */
export function localAddressMap(t: Topology, opts: LocalAddressMapOptions): AddressMap {
  const subnet = opts.subnet ?? '127.0.10';
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(subnet) || subnet.split('.').some((o) => Number(o) > 255)) {
    throw new RangeError(
      `subnet must be three loopback octets such as "127.0.10"; got ${JSON.stringify(subnet)}`,
    );
  }
  const offset = opts.hostOffset ?? 0;
  const baseDir = opts.baseDir.replace(/\/+$/, '');
  if (!baseDir.startsWith('/'))
    throw new RangeError(`baseDir must be absolute; got ${JSON.stringify(opts.baseDir)}`);

  const hostNumber = new Map<string, number>();
  const dedicatedEtcd = t.etcd.flatMap((q) => q.members).filter((e) => !e.colocatedWith);
  dedicatedEtcd.forEach((e, i) => {
    hostNumber.set(e.name, offset + 1 + i);
  });
  const firstMember = offset + Math.max(10, dedicatedEtcd.length + 1);
  t.members.forEach((m, i) => {
    hostNumber.set(m.name, firstMember + i);
  });
  t.clusters.forEach((c, i) => {
    hostNumber.set(haproxyHost(c.scope), firstMember + t.members.length + i);
  });
  const last = Math.max(...hostNumber.values());
  if (last > 254) {
    throw new RangeError(
      `${hostNumber.size} loopback hosts from ${subnet}.${offset + 1} do not fit in ${subnet}.0/24 (last would be .${last})`,
    );
  }
  const address = (host: string) => `${subnet}.${hostNumber.get(host)!}`;

  const paths = (host: string): NodePaths => {
    const root = `${baseDir}/${host}`;
    return {
      config: `${root}/etc`,
      secrets: `${root}/secrets`,
      tls: `${root}/tls`,
      data: `${root}/data`,
      log: `${root}/log`,
      run: `${root}/run`,
      spool: `${root}/spool`,
      units: `${root}/systemd`,
    };
  };
  const longestHost = [...hostNumber.keys()].reduce((a, b) => (b.length > a.length ? b : a), '');
  const longestSocket = `${paths(longestHost).run}/pgbouncer/.s.PGSQL.${PORTS.pgbouncer}`;
  if (longestSocket.length > MAX_SOCKET_PATH) {
    throw new RangeError(
      `baseDir ${JSON.stringify(baseDir)} is too long: socket path ${longestSocket} has ${longestSocket.length} characters, at most ${MAX_SOCKET_PATH} work`,
    );
  }

  const user = opts.user ?? 'postgres';
  const only = account(user, opts.group ?? user);
  return {
    target: 'local',
    memberAddress: (name) => address(memberOf(t, name).name),
    etcdAddress: (name) => {
      const e = etcdMemberOf(t, name);
      return address(e.colocatedWith ?? e.name);
    },
    outboundAddress: (host) => {
      if (!hostNumber.has(host)) throw new UnknownNodeError('node', host);
      return LOOPBACK_SOURCE;
    },
    endpointHost: (scope) => {
      namesOf(t, scope);
      return address(haproxyHost(scope));
    },
    haproxyBind: (scope) => {
      namesOf(t, scope);
      return address(haproxyHost(scope));
    },
    // Loopback connections carry the source address 127.0.0.1 whatever address they dial.
    nodeNetworks: (regions) =>
      unique([
        ...regions.flatMap((r) => regionOf(t, r).members.map((m) => `${address(m)}/32`)),
        `${LOOPBACK_SOURCE}/32`,
      ]),
    clientNetworks: () => [`${LOOPBACK_SOURCE}/32`, `${subnet}.0/24`],
    paths: (host) => {
      if (!hostNumber.has(host)) throw new UnknownNodeError('node', host);
      return paths(host);
    },
    accounts: { root: only, postgres: only, etcd: only, exporter: only, haproxy: only, tlsKey: only },
    tlsKeyMode: 0o600,
    postgresBinDir: opts.postgresBinDir ?? ((version) => `/usr/lib/postgresql/${version}/bin`),
    repository: (region) => {
      regionOf(t, region);
      return { kind: 'posix', path: `${baseDir}/repo/${region}` };
    },
    // No storage replication between local directories: pgBackRest writes the copy itself.
    archiveCopies: 'pgbackrest',
  };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
