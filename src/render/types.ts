/**
 * What the renderers produce and the one thing that differs between an AWS
 * node and a rehearsal node: the address map.
 */

/** One file of a node, as the boot step writes it. */
export interface RenderedFile {
  /** Absolute path on the node. */
  readonly path: string;
  readonly content: string;
  /** Octal permission bits, e.g. 0o640. */
  readonly mode: number;
  /** `user:group`. */
  readonly owner: string;
}

/** A directory the boot step (or the rehearsal) creates before anything starts. */
export interface NodeDirectory {
  readonly path: string;
  readonly mode: number;
  /** `user:group`. */
  readonly owner: string;
}

/** Filesystem roots of one host. Every rendered path lies below one of these. */
export interface NodePaths {
  /** Rendered configuration (patroni.yml, pgbackrest/, pgbouncer/, etcd/, boot/). */
  readonly config: string;
  /** Files the boot step writes from secrets: root-only or readable by one service. */
  readonly secrets: string;
  /** TLS material the boot step writes: ca.crt, node.crt, node.key. */
  readonly tls: string;
  /** Persistent state: PostgreSQL and etcd data directories live below (the data volume on AWS). */
  readonly data: string;
  readonly log: string;
  /** Sockets, pid files, lock files, Patroni's pgpass. */
  readonly run: string;
  /** pgBackRest's asynchronous archive spool. */
  readonly spool: string;
  /** systemd unit files. */
  readonly units: string;
}

/** An OS account as `user` and primary `group`. */
export interface Account {
  readonly user: string;
  readonly group: string;
}

/** Where one region's pgBackRest repository lives. */
export type RepoLocation =
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly region: string;
      readonly endpoint: string;
    }
  | {
      readonly kind: 'posix';
      /** Directory that stands in for the region's bucket; cluster prefixes are created below it. */
      readonly path: string;
    };

/**
 * How every node is reached and where its files live. The AWS render and the
 * local (rehearsal) render differ only in this map.
 */
export interface AddressMap {
  readonly target: 'aws' | 'local';
  /** Address a PostgreSQL member listens on and is reached at (Patroni, PostgreSQL, PgBouncer, exporters). */
  memberAddress(member: string): string;
  /** Address an etcd member listens on (a co-located member shares its host's address). */
  etcdAddress(etcdMember: string): string;
  /**
   * Source address of the connections a host opens (etcd peers check it
   * against the peer certificate): the host's own address on AWS; 127.0.0.1
   * locally, which the kernel picks for every loopback destination.
   */
  outboundAddress(host: string): string;
  /** Host name or address clients and standby clusters dial for a cluster's writer or reader endpoint. */
  endpointHost(scope: string, role: 'writer' | 'reader'): string;
  /** Address HAProxy binds its listeners to for a cluster (client-side routing on AWS, the NLB's stand-in locally). */
  haproxyBind(scope: string): string;
  /**
   * Source networks of the given regions' nodes as PostgreSQL sees them:
   * the regions' private subnets on AWS; the loopback addresses locally.
   */
  nodeNetworks(regions: readonly string[]): readonly string[];
  /** Source networks of clients allowed to reach PostgreSQL and PgBouncer. */
  clientNetworks(): readonly string[];
  /** Filesystem roots of a host: a member, a dedicated etcd node or a cluster's HAProxy node. */
  paths(host: string): NodePaths;
  /** OS accounts that own files and run services. */
  readonly accounts: {
    readonly root: Account;
    readonly postgres: Account;
    readonly etcd: Account;
    readonly exporter: Account;
    readonly haproxy: Account;
    /** Owner of the TLS private key (readable by every service on the host that needs it). */
    readonly tlsKey: Account;
  };
  /** Mode of the TLS private key: PostgreSQL accepts 0600 for its own user, up to 0640 when root owns it. */
  readonly tlsKeyMode: number;
  /** Directory holding pg_ctl, initdb, postgres ... for a PostgreSQL major version. */
  postgresBinDir(version: number): string;
  /** Where a region's pgBackRest repository lives. */
  repository(region: string): RepoLocation;
  /**
   * Who copies the WAL archive into the copy regions: the storage itself (S3
   * replication, which the AWS layer sets up, byte for byte), or pgBackRest,
   * which then writes a second repository (repo2) in the first copy region.
   * Never both: pgBackRest and S3 replication writing the same keys would fight.
   */
  readonly archiveCopies: 'storage' | 'pgbackrest';
}

/** How one service is started: the systemd unit is rendered from this, and the rehearsal runs exactly this. */
export interface ServiceSpec {
  /** Unit name without `.service`. */
  readonly unit: string;
  readonly description: string;
  readonly account: Account;
  /** argv of the main process. */
  readonly exec: readonly string[];
  /** Environment set on the process (no secrets). */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment files read before start (may hold secrets: written by the boot step). */
  readonly environmentFiles: readonly string[];
  /** Directories (path, owner, mode) that must exist before start. */
  readonly directories: readonly NodeDirectory[];
  /** systemd `Type=`. */
  readonly type: 'simple' | 'notify' | 'oneshot';
  readonly after: readonly string[];
  /** Extra `[Service]` lines (KillMode, Restart, ...). */
  readonly serviceExtra: readonly string[];
  /** Timer (for scheduled one-shot services): systemd `OnCalendar=`. */
  readonly onCalendar?: string;
  /** Timer (for periodic one-shot services): runs every this many seconds (systemd `OnUnitActiveSec=`). */
  readonly everySeconds?: number;
}
