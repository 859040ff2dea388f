/**
 * Credentials: where each secret comes from (Secrets Manager name or ARN),
 * which files the boot step writes from them, and what every TLS certificate
 * must name. No secret value ever passes through a renderer: files are
 * templates with `@@key@@` placeholders that only the boot step (or the
 * rehearsal) fills.
 */
import type { Topology } from '../model/types.js';
import { UnknownNodeError } from './address-map.js';
import { haproxyHost, layout, ROLES } from './names.js';
import { repositoriesOf } from './pgbackrest.js';
import { consoleAccounts } from './pgbouncer.js';
import type { AddressMap } from './types.js';

/** The credentials of the spec's `security.secrets`. */
export const SECRET_KEYS = [
  'superuser',
  'replication',
  'rewind',
  'pgbouncer',
  'restApi',
  'archiveCipher',
] as const;
export type SpecSecretKey = (typeof SECRET_KEYS)[number];
/** Plus the cluster's TLS certificate authority (base64 of a PEM key and certificate), always generated. */
export type SecretKey = SpecSecretKey | 'tlsCa';
export const ALL_SECRET_KEYS: readonly SecretKey[] = [...SECRET_KEYS, 'tlsCa'];

/**
 * Characters a secret value may hold. Generated values are hex; a secret
 * supplied by ARN must fit too, so that no file format needs escaping.
 */
export const SECRET_VALUE_PATTERN = /^[A-Za-z0-9._~+/=-]{16,}$/;
/**
 * Tag a generated secret carries from creation until its first value is stored: nodes may store a value only
 * while it is there (an IAM condition), and may remove it but never add it, so the value is written once, at
 * bootstrap, and no node can overwrite it afterwards.
 */
export const AWAITING_VALUE_TAG = 'pgtopo:awaiting-value';
/** Longest secret value accepted (a base64 CA bundle fits easily). */
export const SECRET_MAX_LENGTH = 8192;

export interface SecretSource {
  readonly key: SecretKey;
  /** Secrets Manager secret id: the ARN from the spec, or the name pgtopo generates into. */
  readonly id: string;
  /** `generate`: the first node of the primary region that finds no value generates and stores it. */
  readonly generate: boolean;
  /** Region to read it in: the ARN's region, or the reading node's own region (generated secrets are replicated to every region). */
  readonly region: string;
}

const kebab = (k: SecretKey) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Name of a generated secret. The AWS layer creates (and replicates) secrets under exactly these names. */
export function generatedSecretName(t: Topology, key: SecretKey): string {
  return `pgtopo/${t.name}/${kebab(key)}`;
}

/** Where a node in `nodeRegion` reads secret `key`. */
export function secretSource(t: Topology, key: SecretKey, nodeRegion: string): SecretSource {
  const ref = key === 'tlsCa' ? 'generate' : t.security.secrets[key];
  if (ref === 'generate') {
    return { key, id: generatedSecretName(t, key), generate: true, region: nodeRegion };
  }
  const region = ref.split(':')[3]!;
  return { key, id: ref, generate: false, region };
}

/** A file the boot step writes from secret values. */
export interface SecretFileTemplate {
  readonly path: string;
  readonly owner: string;
  readonly mode: number;
  /** Content with `@@<key>@@` placeholders. */
  readonly template: string;
  readonly keys: readonly SecretKey[];
}

const placeholder = (k: SecretKey) => `@@${k}@@`;

/** Fills a template. Throws if a value is missing or outside SECRET_VALUE_PATTERN. */
export function fillSecretTemplate(
  file: SecretFileTemplate,
  values: Readonly<Partial<Record<SecretKey, string>>>,
): string {
  let out = file.template;
  for (const k of file.keys) {
    const v = values[k];
    if (v === undefined) throw new Error(`no value for secret ${k} (needed by ${file.path})`);
    if (!SECRET_VALUE_PATTERN.test(v) || v.length > SECRET_MAX_LENGTH) {
      throw new Error(
        `secret ${k} has characters outside ${SECRET_VALUE_PATTERN} or more than ${SECRET_MAX_LENGTH}`,
      );
    }
    out = out.split(placeholder(k)).join(v);
  }
  return out;
}

function isMember(t: Topology, host: string) {
  return t.members.some((m) => m.name === host);
}

/** The secret files of a host. Dedicated etcd and HAProxy hosts hold none (TLS only). */
export function secretFiles(t: Topology, host: string, map: AddressMap): SecretFileTemplate[] {
  if (!isMember(t, host)) return [];
  const f = layout(map.paths(host), t);
  const { root, postgres } = map.accounts;
  const own = (a: { user: string; group: string }) => `${a.user}:${a.group}`;
  const files: SecretFileTemplate[] = [
    {
      // systemd reads EnvironmentFile as root before dropping to the postgres account.
      path: f.patroniEnv,
      owner: own(root),
      mode: 0o600,
      keys: ['superuser', 'replication', 'rewind', 'restApi'],
      template: [
        `PATRONI_SUPERUSER_PASSWORD=${placeholder('superuser')}`,
        `PATRONI_REPLICATION_PASSWORD=${placeholder('replication')}`,
        `PATRONI_REWIND_PASSWORD=${placeholder('rewind')}`,
        `PATRONI_RESTAPI_PASSWORD=${placeholder('restApi')}`,
        '',
      ].join('\n'),
    },
    {
      path: f.pgbouncerAuthFile,
      owner: own(postgres),
      mode: 0o600,
      keys: ['pgbouncer'],
      // The console accounts are listed so that PgBouncer knows them without auth_query; they log in by peer only.
      template: `${consoleAccounts(t, map)
        .map((u) => `"${u}" ""\n`)
        .join('')}"${ROLES.pgbouncerAuth}" "${placeholder('pgbouncer')}"\n`,
    },
    {
      path: f.pgbouncerPassword,
      owner: own(postgres),
      mode: 0o600,
      keys: ['pgbouncer'],
      template: placeholder('pgbouncer'),
    },
  ];
  const repos = repositoriesOf(t, host, map.archiveCopies);
  if (repos.length > 0) {
    files.push({
      path: f.pgbackrestCipherConf,
      owner: own(postgres),
      mode: 0o600,
      keys: ['archiveCipher'],
      template: [
        '[global]',
        ...repos.map((r) => `repo${r.index}-cipher-pass=${placeholder('archiveCipher')}`),
        '',
      ].join('\n'),
    });
  }
  return files;
}

/**
 * The secrets of a topology: every credential, plus the TLS CA unless an AWS Private CA signs the node
 * certificates (`security.ca`), in which case no CA key exists anywhere pgtopo creates or nodes read.
 */
export function secretKeysOf(t: Topology): SecretKey[] {
  return ALL_SECRET_KEYS.filter((k) => k !== 'tlsCa' || t.security.ca.mode === 'self-managed');
}

/** Secrets a host fetches at boot (the self-managed TLS CA on every host; credentials on members). */
export function secretsNeeded(t: Topology, host: string, map: AddressMap): SecretKey[] {
  const keys = new Set<SecretKey>(['tlsCa']);
  for (const f of secretFiles(t, host, map)) for (const k of f.keys) keys.add(k);
  return secretKeysOf(t).filter((k) => keys.has(k));
}

export interface CertificateSubjects {
  readonly commonName: string;
  readonly ips: readonly string[];
  readonly dnsNames: readonly string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * What a host's certificate must name so that every peer verifying it with
 * `verify-full` (replication, pg_rewind, PgBouncer, Patroni, etcd) succeeds:
 * its own address, plus its cluster's endpoint names (standby clusters dial
 * the writer endpoint) and the global writer name. One certificate per host
 * serves as server and client certificate.
 */
export function certificateSubjects(t: Topology, host: string, map: AddressMap): CertificateSubjects {
  const names: string[] = [];
  const member = t.members.find((m) => m.name === host);
  const etcd = t.etcd.flatMap((q) => q.members).find((e) => e.name === host);
  const cluster = t.clusters.find((c) => haproxyHost(c.scope) === host);
  if (member) {
    names.push(map.memberAddress(member.name));
    names.push(map.endpointHost(member.cluster, 'writer'), map.endpointHost(member.cluster, 'reader'));
    if (map.target === 'aws') names.push(t.endpoints.globalWriter);
    for (const e of t.etcd.flatMap((q) => q.members).filter((x) => x.colocatedWith === member.name)) {
      names.push(map.etcdAddress(e.name));
    }
  } else if (etcd) {
    names.push(map.etcdAddress(etcd.name));
  } else if (cluster) {
    names.push(map.haproxyBind(cluster.scope));
  } else {
    throw new UnknownNodeError('node', host);
  }
  names.push(map.outboundAddress(host));
  const uniq = [...new Set(names)];
  return {
    commonName: host,
    ips: uniq.filter((n) => IPV4.test(n)),
    dnsNames: uniq.filter((n) => !IPV4.test(n)),
  };
}
