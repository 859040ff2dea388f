/** All files of a host: configuration, units, boot scripts and secret templates (never secret values). */
import type { Topology } from '../model/types.js';
import {
  bootScripts,
  hostRegion,
  renderBootScript,
  renderIssueCert,
  renderUserDataFor,
  renderWriteSecrets,
} from './boot.js';
import { renderRenewCert, usesPrivateCa } from './ca.js';
import { etcdHost, renderEtcdEnv } from './etcd.js';
import { renderPostgresExporterEnv } from './exporter.js';
import { renderHaproxy } from './haproxy.js';
import { clusterNamed, etcdMemberNamed, etcdOnMember, memberNamed } from './lookup.js';
import { renderMetricsPublisher } from './metrics.js';
import { layout } from './names.js';
import { renderPatroni, renderPostBootstrap } from './patroni.js';
import { renderBackupScript, renderPgbackrest } from './pgbackrest.js';
import { renderPgbouncer, renderPgbouncerHba } from './pgbouncer.js';
import { secretFiles } from './secrets.js';
import { etcdEnvPath, hostKind, renderUnits, servicesOf } from './services.js';
import type { Account, AddressMap, RenderedFile } from './types.js';

const own = (a: Account) => `${a.user}:${a.group}`;

/** Every file of a host (a member, a dedicated etcd node, or a cluster's HAProxy node), sorted by path. */
export function renderHost(t: Topology, host: string, map: AddressMap): RenderedFile[] {
  const p = map.paths(host);
  const f = layout(p, t);
  const { root, postgres, etcd, exporter, haproxy } = map.accounts;
  const files: RenderedFile[] = [];
  const add = (path: string, content: string, owner: Account, mode: number) => {
    files.push({ path, content, owner: own(owner), mode });
  };
  const k = hostKind(t, host);
  if (k.kind === 'member') {
    const m = memberNamed(t, k.name);
    const c = clusterNamed(t, m.cluster);
    add(f.patroniYml, renderPatroni(t, m.name, map), postgres, 0o640);
    add(f.postBootstrap, renderPostBootstrap(t, m.name, map), postgres, 0o750);
    if (t.archive.enabled) {
      add(f.pgbackrestConf, renderPgbackrest(t, m.name, map), postgres, 0o640);
      if (c.role === 'primary') add(f.backupScript, renderBackupScript(t, m.name, map), postgres, 0o750);
    }
    if (t.endpoints.pooler === 'pgbouncer') {
      add(f.pgbouncerIni, renderPgbouncer(t, m.name, map), postgres, 0o640);
      add(f.pgbouncerHba, renderPgbouncerHba(t, m.name, map), postgres, 0o640);
    }
    if (t.observability.exporters.postgres) {
      add(f.postgresExporterEnv, renderPostgresExporterEnv(t, m.name, map), exporter, 0o640);
    }
    add(f.metricsScript, renderMetricsPublisher(t, m.name, map), root, 0o755);
    for (const e of etcdOnMember(t, m.name)) {
      add(etcdEnvPath(t, e.member.name, map), renderEtcdEnv(t, e.member.name, map), etcd, 0o640);
    }
  } else if (k.kind === 'etcd') {
    add(etcdEnvPath(t, k.name, map), renderEtcdEnv(t, k.name, map), etcd, 0o640);
  } else {
    add(f.haproxyCfg, renderHaproxy(t, k.scope, map), haproxy, 0o640);
  }
  for (const s of servicesOf(t, host, map)) {
    for (const u of renderUnits(s)) add(`${p.units}/${u.name}`, u.content, root, 0o644);
  }
  const scripts = bootScripts(t, host, map);
  add(scripts.boot, renderBootScript(t, host, map), root, 0o700);
  add(scripts.issueCert, renderIssueCert(t, host, map), root, 0o700);
  // Rendered for either map (same file set); only the AWS map runs it (boot step and renewal timer).
  if (usesPrivateCa(t)) {
    const reloadable = servicesOf(t, host, map).filter((s) =>
      s.serviceExtra.some((l) => l.startsWith('ExecReload=')),
    );
    const region = hostRegion(t, host);
    add(
      scripts.renewCert,
      renderRenewCert(
        t,
        host,
        map,
        region,
        reloadable.map((s) => s.unit),
      ),
      root,
      0o700,
    );
  }
  const secrets = secretFiles(t, host, map);
  if (secrets.length > 0) {
    add(scripts.writeSecrets, renderWriteSecrets(t, host, map), root, 0o700);
    secrets.forEach((s, i) => {
      add(`${f.secretTemplatesDir}/${i + 1}.tpl`, s.template, root, 0o600);
    });
  }
  // Code-unit order: the same on every machine (localeCompare follows the locale), and cheap.
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** All files of a PostgreSQL member's host (including a co-located etcd member's). */
export function renderMember(t: Topology, memberName: string, map: AddressMap): RenderedFile[] {
  return renderHost(t, memberNamed(t, memberName).name, map);
}

/** All files of the host running an etcd member (for a co-located member: its PostgreSQL member's host). */
export function renderEtcdNode(t: Topology, etcdName: string, map: AddressMap): RenderedFile[] {
  etcdMemberNamed(t, etcdName);
  return renderHost(t, etcdHost(t, etcdName), map);
}

/** cloud-init user data of a member or of a dedicated etcd node. */
export function renderUserData(t: Topology, nodeName: string, map: AddressMap): string {
  return renderUserDataFor(t, nodeName, map, renderHost(t, nodeName, map));
}

/** Hosts that boot from user data: every member and every dedicated etcd node. */
export function bootableHosts(t: Topology): string[] {
  return [
    ...t.members.map((m) => m.name),
    ...t.etcd
      .flatMap((q) => q.members)
      .filter((e) => !e.colocatedWith)
      .map((e) => e.name),
  ];
}
