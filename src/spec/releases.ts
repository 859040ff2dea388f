/**
 * The node releases pgtopo deploys and rehearses: the Debian release every node boots, and with it the
 * package versions, the PostgreSQL major and the image. Defined once here (the spec's enum, the
 * PostgreSQL default and its check read it; the model hands the resolved release to every later layer).
 *
 * Versions are Debian's own packages of each release (upstream versions; Debian's revision and point
 * releases of PostgreSQL follow security updates). The rehearsal installs the same package names in a
 * root of the same release and reports the versions it really ran.
 */

export const RELEASE_NAMES = ['debian-13', 'debian-12'] as const;
export type ReleaseName = (typeof RELEASE_NAMES)[number];

/** The release a spec gets when `hosts.os` is not set. */
export const DEFAULT_RELEASE: ReleaseName = 'debian-13';

/** Debian's `prometheus-pgbouncer-exporter` where it works with the release's PgBouncer (the Go exporter). */
export interface PgbouncerExporter {
  /** Upstream version (prometheus-community/pgbouncer_exporter). */
  readonly version: string;
  /** Metric names as the exporter publishes them (read from the running exporter in the real-tool tests). */
  readonly metrics: {
    /** Clients of a pool waiting for a server connection (`SHOW POOLS` cl_waiting; labels database, user). */
    readonly waitingClients: string;
    /** Clients of a pool linked to a server connection (`SHOW POOLS` cl_active). */
    readonly activeClients: string;
  };
}

export interface NodeRelease {
  readonly name: ReleaseName;
  /** Debian's codename (debootstrap suite and apt sources). */
  readonly codename: string;
  readonly debianVersion: number;
  /** The only PostgreSQL major the release ships (no third-party repository on the nodes). */
  readonly postgresMajor: number;
  /** Upstream versions of the packages the nodes run. */
  readonly packages: {
    readonly postgresql: string;
    readonly patroni: string;
    readonly etcd: string;
    readonly pgbouncer: string;
    readonly pgbackrest: string;
    readonly haproxy: string;
  };
  /** What the renderers and rules may rely on. */
  readonly features: {
    /** Patroni >= 4.0: `synchronous_mode: quorum` (ANY n synchronous_standby_names). */
    readonly quorumCommit: boolean;
    /** Patroni >= 3.1 reads the `failover_priority` tag. */
    readonly failoverPriority: boolean;
    /** PostgreSQL >= 17: logical slots with `failover = true`, synchronized to standbys. */
    readonly failoverSlots: boolean;
    /**
     * Patroni writes the etcd3 leader key only while it still holds it (a compare in a transaction).
     * Patroni 3.0.2 puts it unconditionally: a member returning from a DCS partition can take the lock back
     * from the new leader (patroni/patroni#3314).
     */
    readonly leaderKeyCompare: boolean;
    /**
     * postgres_exporter >= 0.13 exposes `pg_replication_slot_safe_wal_size_bytes` (bookworm's 0.11 does not):
     * the slot-retention alert needs it.
     */
    readonly slotSafeWalMetric: boolean;
  };
  /**
   * Debian's `prometheus-pgbouncer-exporter`, or undefined where the release has none that works. Debian 13
   * ships the Go exporter. Debian 12 ships an older Python exporter (1.7) under the same name, which exits at
   * start against Debian 12's own PgBouncer 1.18: it reads `SHOW STATS` column `total_requests`, which
   * PgBouncer 1.8 renamed (KeyError, seen in the release root). So Debian 12 nodes run no PgBouncer exporter
   * and have no PgBouncer alert.
   */
  readonly pgbouncerExporter?: PgbouncerExporter;
  /**
   * Smallest timers Patroni runs with (Patroni >= 3.2 raises smaller `ttl`, `loop_wait`, `retry_timeout` to
   * these: patroni/config.py `_validate_and_adjust_timeouts`), or undefined when it takes any value.
   */
  readonly patroniTimerFloor?: {
    readonly ttl: number;
    readonly loopWait: number;
    readonly retryTimeout: number;
  };
  /** Debian's public SSM parameters of the release's AMI, per architecture (resolved by EC2 at launch). */
  readonly image: { readonly amd64: string; readonly arm64: string };
}

const ssmImage = (debianVersion: number) => ({
  amd64: `/aws/service/debian/release/${debianVersion}/latest/amd64`,
  arm64: `/aws/service/debian/release/${debianVersion}/latest/arm64`,
});

export const RELEASES: Readonly<Record<ReleaseName, NodeRelease>> = {
  'debian-13': {
    name: 'debian-13',
    codename: 'trixie',
    debianVersion: 13,
    postgresMajor: 17,
    packages: {
      postgresql: '17',
      patroni: '4.0.7',
      etcd: '3.5.16',
      pgbouncer: '1.24.1',
      pgbackrest: '2.55.1',
      haproxy: '3.0.11',
    },
    features: {
      quorumCommit: true,
      failoverPriority: true,
      failoverSlots: true,
      leaderKeyCompare: true,
      slotSafeWalMetric: true,
    },
    pgbouncerExporter: {
      version: '0.10.2',
      metrics: {
        waitingClients: 'pgbouncer_pools_client_waiting_connections',
        activeClients: 'pgbouncer_pools_client_active_connections',
      },
    },
    patroniTimerFloor: { ttl: 20, loopWait: 1, retryTimeout: 3 },
    image: ssmImage(13),
  },
  'debian-12': {
    name: 'debian-12',
    codename: 'bookworm',
    debianVersion: 12,
    postgresMajor: 15,
    packages: {
      postgresql: '15',
      patroni: '3.0.2',
      etcd: '3.4.23',
      pgbouncer: '1.18.0',
      pgbackrest: '2.45',
      haproxy: '2.6.12',
    },
    features: {
      quorumCommit: false,
      failoverPriority: false,
      failoverSlots: false,
      leaderKeyCompare: false,
      slotSafeWalMetric: false,
    },
    image: ssmImage(12),
  },
};

export function releaseNamed(name: ReleaseName | undefined): NodeRelease {
  return RELEASES[name ?? DEFAULT_RELEASE];
}
