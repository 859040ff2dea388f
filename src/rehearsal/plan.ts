/**
 * From topology to what the rehearsal boots, using only the renderers: every file comes from
 * `renderHost` (what `renderMember` / `renderEtcdNode` return) with the local address map, every process is
 * a service of `servicesOf` (argv, environment, environment files, directories), secrets fill the
 * renderers' templates, and certificates name what `certificateSubjects` says. Nothing here
 * re-derives a port, a path or a name.
 */
import { PORTS } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import {
  type AddressMap,
  archiveStanza,
  certificateSubjects,
  fillSecretTemplate,
  haproxyHost,
  layout,
  localAddressMap,
  nodeDirectories,
  parseEnvFile,
  REST_API_USER,
  ROLES,
  renderHost,
  renderMonitoring,
  SECRET_KEYS,
  type SecretKey,
  type ServiceSpec,
  secretFiles,
  servicesOf,
  UNITS,
} from '../render/index.js';
import type {
  ClusterLayout,
  DirToMake,
  EndpointLayout,
  EtcdLayout,
  FileToWrite,
  Layout,
  MemberLayout,
} from './layout.js';
import type { ProcessSpec } from './supervisor.js';
import { issue, makeCa, randomSecret } from './tls.js';

export interface PlanOptions {
  readonly runDir: string;
  /** First three octets of the loopback /24. Default `127.0.10`. */
  readonly subnet?: string;
  readonly hostOffset?: number;
  /** Boot the first standby cluster too. */
  readonly regionStandby: boolean;
}

/** The role the write load uses: PgBouncer looks users up with auth_query, which excludes superusers. */
export const APP_ROLE = 'pgtopo_rehearsal';

/** The rehearsal's Prometheus scrapes and evaluates this often, so that alerts follow a drill closely. */
export const REHEARSAL_SCRAPE_SECONDS = 2;

/** Units of a member's Prometheus exporters (started by a rehearsal that runs Prometheus). */
const EXPORTER_UNITS: readonly string[] = [
  UNITS.postgresExporter,
  UNITS.nodeExporter,
  UNITS.pgbouncerExporter,
];

/** Which clusters boot: the writable one, and the first standby cluster following it when asked. */
export function bootedClusters(t: Topology, regionStandby: boolean): ClusterLayout[] {
  const primary = t.clusters.find((c) => c.role === 'primary' && c.regions.includes(t.primaryRegion));
  if (!primary) throw new Error(`no writable cluster holds the primary region ${t.primaryRegion}`);
  const out: ClusterLayout[] = [
    {
      scope: primary.scope,
      role: 'primary',
      region: t.primaryRegion,
      members: primary.members,
      quorum: primary.quorum,
    },
  ];
  if (regionStandby) {
    const standby = t.clusters.find((c) => c.role === 'standby' && c.follows === primary.scope);
    if (!standby) throw new Error('--region-standby: the spec has no standby cluster following the primary');
    out.push({
      scope: standby.scope,
      role: 'standby',
      region: standby.regions[0]!,
      members: standby.members,
      quorum: standby.quorum,
    });
  }
  return out;
}

const own = (a: { user: string; group: string }) => `${a.user}:${a.group}`;

export function planLayout(t: Topology, opts: PlanOptions): Layout {
  const map = localAddressMap(t, {
    baseDir: opts.runDir,
    ...(opts.subnet ? { subnet: opts.subnet } : {}),
    ...(opts.hostOffset !== undefined ? { hostOffset: opts.hostOffset } : {}),
  });
  const clusters = bootedClusters(t, opts.regionStandby);
  const scopes = new Set(clusters.map((c) => c.scope));
  const quorums = new Set(clusters.map((c) => c.quorum));
  const members = t.members.filter((m) => scopes.has(m.cluster));
  const etcd = t.etcd.filter((q) => quorums.has(q.id)).flatMap((q) => q.members);
  const dedicatedEtcd = etcd.filter((e) => !e.colocatedWith);

  const secrets = Object.fromEntries(SECRET_KEYS.map((k) => [k, randomSecret()])) as Record<
    SecretKey,
    string
  >;
  const ca = makeCa(`pgtopo rehearsal CA for ${t.name}`);
  const files: FileToWrite[] = [];
  const dirs = new Map<string, DirToMake>();
  const dir = (d: DirToMake) => {
    if (!dirs.has(d.path)) dirs.set(d.path, d);
  };
  const memory = new Map<string, string>();
  const add = (f: FileToWrite) => {
    files.push(f);
    memory.set(f.path, f.content);
  };

  const hosts = [
    ...members.map((m) => m.name),
    ...dedicatedEtcd.map((e) => e.name),
    ...clusters.map((c) => haproxyHost(c.scope)),
  ];
  for (const host of hosts) {
    for (const d of nodeDirectories(t, host, map)) dir(d);
    for (const r of renderHost(t, host, map)) add(r);
    const f = layout(map.paths(host), t);
    // The local map names the loopback source (127.0.0.1) too: etcd checks a peer's certificate
    // against the peer's source address, and unbound loopback clients send from 127.0.0.1.
    const cert = issue(ca, certificateSubjects(t, host, map));
    const tlsOwner = own(map.accounts.tlsKey);
    add({ path: f.tlsCa, content: ca.cert, mode: 0o644, owner: tlsOwner });
    add({ path: f.tlsCert, content: cert.cert, mode: 0o644, owner: tlsOwner });
    add({ path: f.tlsKey, content: cert.key, mode: map.tlsKeyMode, owner: tlsOwner });
    for (const s of secretFiles(t, host, map)) {
      add({ path: s.path, content: fillSecretTemplate(s, secrets), mode: s.mode, owner: s.owner });
    }
  }
  if (t.archive.enabled) {
    for (const region of new Set([...clusters.map((c) => c.region), ...t.archive.copyTo])) {
      const repo = map.repository(region);
      if (repo.kind === 'posix') dir({ path: repo.path, mode: 0o750, owner: own(map.accounts.postgres) });
    }
  }

  const proc = (s: ServiceSpec, name: string, node: string): ProcessSpec => {
    for (const d of s.directories) dir(d);
    const env: Record<string, string> = {};
    for (const file of s.environmentFiles) {
      const text = memory.get(file);
      if (text === undefined) throw new Error(`${s.unit}: environment file ${file} was not rendered`);
      Object.assign(env, parseEnvFile(text));
    }
    Object.assign(env, s.environment);
    return { name, node, command: s.exec[0]!, args: s.exec.slice(1), env };
  };
  const service = (host: string, unit: string) => servicesOf(t, host, map).find((s) => s.unit === unit);

  const tls = t.security.tls;
  const memberLayouts: MemberLayout[] = members.map((m) => {
    const f = layout(map.paths(m.name), t);
    const patroni = service(m.name, UNITS.patroni);
    if (!patroni) throw new Error(`no Patroni service rendered for ${m.name}`);
    const pgbouncer = service(m.name, UNITS.pgbouncer);
    const address = map.memberAddress(m.name);
    return {
      name: m.name,
      region: m.region,
      az: m.az,
      cluster: m.cluster,
      address,
      pgPort: PORTS.postgres,
      restUrl: `${tls ? 'https' : 'http'}://${address}:${PORTS.patroniRest}`,
      dataDir: f.pgData,
      node: m.name,
      patroni: proc(patroni, `patroni-${m.name}`, m.name),
      ...(pgbouncer ? { pgbouncer: proc(pgbouncer, `pgbouncer-${m.name}`, `${m.name}-pgbouncer`) } : {}),
      ...(t.archive.enabled ? { pgbackrestConfig: f.pgbackrestConf } : {}),
      exporters: servicesOf(t, m.name, map)
        .filter((x) => EXPORTER_UNITS.includes(x.unit))
        .map((x) => proc(x, `${x.unit.replace(/^pgtopo-/, '')}-${m.name}`, `${m.name}-exporters`)),
    };
  });
  const etcdLayouts: EtcdLayout[] = etcd.map((e) => {
    const q = t.etcd.find((x) => x.id === e.quorum)!;
    const host = e.colocatedWith ?? e.name;
    const s = servicesOf(t, host, map).find((x) => x.unit === UNITS.etcd && x.description.endsWith(e.name));
    if (!s) throw new Error(`no etcd service rendered for ${e.name}`);
    const address = map.etcdAddress(e.name);
    const node = e.colocatedWith ? `${e.colocatedWith}-etcd` : e.name;
    return {
      name: e.name,
      quorum: e.quorum,
      region: e.region,
      az: e.az,
      address,
      clientUrl: `${q.tls.client ? 'https' : 'http'}://${address}:${PORTS.etcdClient}`,
      node,
      process: proc(s, `etcd-${e.name}`, node),
    };
  });
  const endpointLayouts: EndpointLayout[] = clusters.map((c) => {
    const host = haproxyHost(c.scope);
    const s = service(host, UNITS.haproxy);
    if (!s) throw new Error(`no HAProxy service rendered for ${c.scope}`);
    return {
      cluster: c.scope,
      region: c.region,
      address: map.haproxyBind(c.scope),
      writerPort: t.endpoints.pooler === 'pgbouncer' ? PORTS.writerPooled : PORTS.writer,
      directPort: PORTS.writer,
      node: host,
      process: proc(s, `haproxy-${c.scope}`, host),
    };
  });

  // The rehearsal's own client certificate (etcd asks clients for one when client TLS is on).
  const client = issue(ca, { commonName: 'pgtopo-rehearsal', ips: [], dnsNames: [] });
  const tlsDir = `${opts.runDir}/rehearsal-tls`;
  const tlsFiles = {
    caFile: `${tlsDir}/ca.crt`,
    clientCertFile: `${tlsDir}/client.crt`,
    clientKeyFile: `${tlsDir}/client.key`,
  };
  add({ path: tlsFiles.caFile, content: ca.cert, mode: 0o644, owner: 'root:root' });
  add({ path: tlsFiles.clientCertFile, content: client.cert, mode: 0o644, owner: 'root:root' });
  add({ path: tlsFiles.clientKeyFile, content: client.key, mode: 0o600, owner: 'root:root' });

  // The PITR scratch instance's certificate: its own spare address.
  const spare = spareAddress(map, t);
  const scratch = issue(ca, { commonName: 'pgtopo-pitr-scratch', ips: [spare, '127.0.0.1'], dnsNames: [] });
  const scratchTls = { certFile: `${tlsDir}/scratch.crt`, keyFile: `${tlsDir}/scratch.key` };
  const pgOwner = own(map.accounts.postgres);
  add({ path: scratchTls.certFile, content: scratch.cert, mode: 0o644, owner: pgOwner });
  add({ path: scratchTls.keyFile, content: scratch.key, mode: 0o600, owner: pgOwner });

  return {
    topology: t,
    scratchTls,
    runDir: opts.runDir,
    clusters,
    members: memberLayouts,
    etcd: etcdLayouts,
    endpoints: endpointLayouts,
    files,
    dirs: [...dirs.values()],
    superuser: { user: ROLES.superuser, password: secrets.superuser },
    app: { user: APP_ROLE, password: randomSecret() },
    pgSsl: tls ? { ca: ca.cert } : false,
    restAuth: `${REST_API_USER}:${secrets.restApi}`,
    tls: { ca: ca.cert, clientCert: client.cert, clientKey: client.key, ...tlsFiles },
    ...(t.archive.enabled
      ? { stanza: archiveStanza(t, members.find((m) => m.cluster === clusters[0]!.scope)!.name) }
      : {}),
    spareAddress: spare,
    binPath: [map.postgresBinDir(t.postgres.version)],
    monitoring: renderMonitoring(t, map, { intervalSeconds: REHEARSAL_SCRAPE_SECONDS }),
  };
}

/** The loopback address after the last one the map hands out (the PITR scratch instance's). */
function spareAddress(map: AddressMap, t: Topology): string {
  const all = [
    ...t.members.map((m) => map.memberAddress(m.name)),
    ...t.etcd.flatMap((q) => q.members).map((e) => map.etcdAddress(e.name)),
    ...t.clusters.map((c) => map.haproxyBind(c.scope)),
  ];
  const last = Math.max(...all.map((a) => Number(a.split('.')[3])));
  if (last >= 254)
    throw new RangeError('no spare loopback address left in the /24 for the PITR scratch instance');
  return `${all[0]!.split('.').slice(0, 3).join('.')}.${last + 1}`;
}
