/**
 * The services of each host, as data (the rehearsal starts exactly these
 * argv/environment pairs) and as systemd units (AWS).
 */
import { PORTS } from '../model/constants.js';
import type { Topology } from '../model/types.js';
import { certRenewalService, usesPrivateCa } from './ca.js';
import { etcdHost } from './etcd.js';
import { pgbouncerExporterService, postgresExporterArgs, runsPgbouncerExporter } from './exporter.js';
import { octal, shq } from './format.js';
import { clusterNamed, etcdMemberNamed, etcdOnMember } from './lookup.js';
import { metricsService } from './metrics.js';
import { BIN, haproxyHost, layout, UNITS } from './names.js';
import { pgbackrestEnvironment } from './pgbackrest.js';
import type { Account, AddressMap, NodeDirectory, ServiceSpec } from './types.js';

const own = (a: Account) => `${a.user}:${a.group}`;

type HostKind =
  | { kind: 'member'; name: string }
  | { kind: 'etcd'; name: string }
  | { kind: 'haproxy'; scope: string };

/** What runs on a host name: a PostgreSQL member, a dedicated etcd node, or a cluster's HAProxy node. */
export function hostKind(t: Topology, host: string): HostKind {
  if (t.members.some((m) => m.name === host)) return { kind: 'member', name: host };
  const c = t.clusters.find((x) => haproxyHost(x.scope) === host);
  if (c) return { kind: 'haproxy', scope: c.scope };
  const { member } = etcdMemberNamed(t, host);
  if (member.colocatedWith) return { kind: 'member', name: member.colocatedWith };
  return { kind: 'etcd', name: member.name };
}

function etcdService(t: Topology, etcdName: string, map: AddressMap): ServiceSpec {
  const f = layout(map.paths(etcdHost(t, etcdName)), t);
  const etcd = map.accounts.etcd;
  return {
    unit: UNITS.etcd,
    description: `etcd member ${etcdName}`,
    account: etcd,
    exec: [BIN.etcd],
    environment: {},
    environmentFiles: [etcdEnvPath(t, etcdName, map)],
    directories: [{ path: f.etcdDataRoot, owner: own(etcd), mode: 0o700 }],
    type: 'notify',
    after: ['network-online.target'],
    serviceExtra: ['Restart=always', 'RestartSec=2s', 'LimitNOFILE=65536'],
  };
}

/** The settings file of an etcd member (the model places at most one etcd member per host). */
export function etcdEnvPath(t: Topology, etcdName: string, map: AddressMap): string {
  return layout(map.paths(etcdHost(t, etcdName)), t).etcdEnv;
}

function nodeExporterService(host: string, address: string, map: AddressMap): ServiceSpec {
  return {
    unit: UNITS.nodeExporter,
    description: `node_exporter on ${host}`,
    account: map.accounts.exporter,
    exec: [BIN.nodeExporter, `--web.listen-address=${address}:${PORTS.nodeExporter}`],
    environment: {},
    environmentFiles: [],
    directories: [],
    type: 'simple',
    after: ['network-online.target'],
    serviceExtra: ['Restart=always', 'RestartSec=5s'],
  };
}

function memberServices(t: Topology, name: string, map: AddressMap): ServiceSpec[] {
  const f = layout(map.paths(name), t);
  const pg = map.accounts.postgres;
  const c = clusterNamed(t, t.members.find((m) => m.name === name)!.cluster);
  const colocated = etcdOnMember(t, name);
  const pgDirs: NodeDirectory[] = [
    { path: f.pgDataRoot, owner: own(pg), mode: 0o700 },
    { path: `${f.pgDataRoot}/${t.postgres.version}`, owner: own(pg), mode: 0o700 },
    { path: f.pgSocketDir, owner: own(pg), mode: 0o2775 },
    { path: f.pgLogDir, owner: own(pg), mode: 0o750 },
    { path: f.patroniRunDir, owner: own(pg), mode: 0o700 },
    ...(t.archive.enabled
      ? [
          { path: f.pgbackrestSpool, owner: own(pg), mode: 0o750 },
          { path: f.pgbackrestLog, owner: own(pg), mode: 0o750 },
          { path: f.pgbackrestLock, owner: own(pg), mode: 0o750 },
        ]
      : []),
  ];
  const services: ServiceSpec[] = [
    ...colocated.map((e) => etcdService(t, e.member.name, map)),
    {
      unit: UNITS.patroni,
      description: `Patroni ${name} (${c.scope})`,
      account: pg,
      exec: [BIN.patroni, f.patroniYml],
      environment: t.archive.enabled ? pgbackrestEnvironment(t, name, map) : {},
      environmentFiles: [f.patroniEnv],
      directories: pgDirs,
      type: 'simple',
      after: ['network-online.target', ...colocated.map(() => `${UNITS.etcd}.service`)],
      // Patroni's own sample unit: never kill PostgreSQL with Patroni, never restart behind its back.
      serviceExtra: [
        'ExecReload=/bin/kill -s HUP $MAINPID',
        'KillMode=process',
        'TimeoutSec=30',
        'Restart=no',
      ],
    },
  ];
  if (t.endpoints.pooler === 'pgbouncer') {
    services.push({
      unit: UNITS.pgbouncer,
      description: `PgBouncer on ${name}`,
      account: pg,
      exec: [BIN.pgbouncer, f.pgbouncerIni],
      environment: {},
      environmentFiles: [],
      directories: [
        // The exporter's account reaches the admin console through it (peer; the HBA admits known accounts only).
        { path: f.pgbouncerSocketDir, owner: own(pg), mode: runsPgbouncerExporter(t) ? 0o755 : 0o750 },
        { path: f.pgbouncerLogDir, owner: own(pg), mode: 0o750 },
      ],
      type: 'notify',
      after: ['network-online.target', `${UNITS.patroni}.service`],
      serviceExtra: [
        'ExecReload=/bin/kill -s HUP $MAINPID',
        'Restart=always',
        'RestartSec=2s',
        'LimitNOFILE=65536',
      ],
    });
  }
  if (t.observability.exporters.postgres) {
    services.push({
      unit: UNITS.postgresExporter,
      description: `postgres_exporter on ${name}`,
      account: map.accounts.exporter,
      exec: [BIN.postgresExporter, ...postgresExporterArgs(map, name)],
      environment: {},
      environmentFiles: [f.postgresExporterEnv],
      directories: [],
      type: 'simple',
      after: ['network-online.target', `${UNITS.patroni}.service`],
      serviceExtra: ['Restart=always', 'RestartSec=5s'],
    });
  }
  if (t.observability.exporters.node) {
    services.push(nodeExporterService(name, map.memberAddress(name), map));
  }
  if (runsPgbouncerExporter(t)) services.push(pgbouncerExporterService(t, name, map));
  services.push(metricsService(t, name, map));
  if (t.archive.enabled && c.role === 'primary') {
    services.push({
      unit: UNITS.backup,
      description: `Scheduled pgBackRest backup of ${c.scope} (runs on the leader only)`,
      account: pg,
      exec: [f.backupScript],
      environment: {},
      environmentFiles: [],
      directories: [],
      type: 'oneshot',
      after: [`${UNITS.patroni}.service`],
      serviceExtra: [],
      onCalendar: `*-*-* ${String(t.archive.backupHourUtc).padStart(2, '0')}:00:00 UTC`,
    });
  }
  return services;
}

/** Every service of a host, in start order. */
export function servicesOf(t: Topology, host: string, map: AddressMap): ServiceSpec[] {
  const services = hostServices(t, host, map);
  // AWS Private CA: certificates are short-lived, a timer renews them (the rehearsal issues its own).
  if (usesPrivateCa(t) && map.target === 'aws') services.push(certRenewalService(t, host, map));
  return services;
}

function hostServices(t: Topology, host: string, map: AddressMap): ServiceSpec[] {
  const k = hostKind(t, host);
  if (k.kind === 'member') return memberServices(t, k.name, map);
  if (k.kind === 'etcd') {
    return [
      etcdService(t, k.name, map),
      ...(t.observability.exporters.node ? [nodeExporterService(k.name, map.etcdAddress(k.name), map)] : []),
    ];
  }
  const f = layout(map.paths(host), t);
  const h = map.accounts.haproxy;
  return [
    {
      unit: UNITS.haproxy,
      description: `HAProxy for ${k.scope}`,
      account: h,
      exec: [BIN.haproxy, '-Ws', '-f', f.haproxyCfg],
      environment: {},
      environmentFiles: [],
      directories: [{ path: f.haproxyRunDir, owner: own(h), mode: 0o750 }],
      type: 'notify',
      after: ['network-online.target'],
      serviceExtra: ['ExecReload=/bin/kill -USR2 $MAINPID', 'Restart=always', 'RestartSec=2s'],
    },
  ];
}

/** Whether a service runs from a timer (enabled as `<unit>.timer`) rather than at boot. */
export function scheduled(s: ServiceSpec): boolean {
  return s.onCalendar !== undefined || s.everySeconds !== undefined;
}

/** A systemd unit for a service (and its timer, for scheduled ones). */
export function renderUnits(s: ServiceSpec): { name: string; content: string }[] {
  const pre = s.directories.map((d) => {
    const [user, group] = d.owner.split(':');
    return `ExecStartPre=+${BIN.install} -d -o ${user} -g ${group} -m ${octal(d.mode)} ${shq(d.path)}`;
  });
  const service = [
    '# Generated by pgtopo: do not edit.',
    '[Unit]',
    `Description=${s.description}`,
    `After=${s.after.join(' ')}`,
    ...(s.after.includes('network-online.target') ? ['Wants=network-online.target'] : []),
    '',
    '[Service]',
    `Type=${s.type}`,
    `User=${s.account.user}`,
    `Group=${s.account.group}`,
    ...Object.entries(s.environment).map(([k, v]) => `Environment=${k}=${v}`),
    ...s.environmentFiles.map((e) => `EnvironmentFile=${e}`),
    ...pre,
    `ExecStart=${s.exec.map(shq).join(' ')}`,
    ...s.serviceExtra,
    'NoNewPrivileges=true',
    'PrivateTmp=true',
    'ProtectSystem=full',
    ...(scheduled(s) ? [] : ['', '[Install]', 'WantedBy=multi-user.target']),
  ];
  const units = [{ name: `${s.unit}.service`, content: `${service.join('\n')}\n` }];
  if (scheduled(s)) {
    const when = s.onCalendar
      ? [`OnCalendar=${s.onCalendar}`, 'Persistent=true', 'RandomizedDelaySec=5min']
      : [`OnBootSec=${s.everySeconds}s`, `OnUnitActiveSec=${s.everySeconds}s`, 'AccuracySec=1s'];
    units.push({
      name: `${s.unit}.timer`,
      content: `${[
        '# Generated by pgtopo: do not edit.',
        '[Unit]',
        `Description=${s.description} (schedule)`,
        '',
        '[Timer]',
        ...when,
        '',
        '[Install]',
        'WantedBy=timers.target',
      ].join('\n')}\n`,
    });
  }
  return units;
}
