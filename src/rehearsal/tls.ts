/**
 * The rehearsal's stand-in for the boot step's secret handling: random credentials (never printed,
 * never in the report) and a throw-away certificate authority that issues each host a certificate
 * naming what `certificateSubjects` says it must, exactly as the boot step does on AWS.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

/** A random credential that fits every file format (hex). */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

/** A new P-256 key, unencrypted. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const openssl = (args: readonly string[], cwd: string) =>
  execFileSync('openssl', [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

/** A certificate authority valid for two days, key on the P-256 curve. */
export function makeCa(commonName: string): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'pgtopo-ca-'));
  try {
    openssl(
      [
        'req',
        '-x509',
        ...NEW_EC_KEY,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    return {
      cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      key: readFileSync(join(dir, 'ca.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A host certificate (server and client use) signed by `ca`, naming the given IPs and DNS names. */
export function issue(
  ca: Pem,
  subject: { commonName: string; ips: readonly string[]; dnsNames: readonly string[] },
): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'pgtopo-cert-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key, { mode: 0o600 });
    const san = [...subject.ips.map((i) => `IP:${i}`), ...subject.dnsNames.map((d) => `DNS:${d}`)].join(',');
    writeFileSync(
      join(dir, 'ext.cnf'),
      [
        ...(san ? [`subjectAltName=${san}`] : []),
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    openssl(
      [
        'req',
        '-new',
        ...NEW_EC_KEY,
        '-keyout',
        'node.key',
        '-out',
        'node.csr',
        '-subj',
        `/CN=${subject.commonName}`,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'node.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        'node.crt',
        '-extfile',
        'ext.cnf',
      ],
      dir,
    );
    return {
      cert: readFileSync(join(dir, 'node.crt'), 'utf8'),
      key: readFileSync(join(dir, 'node.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
