/**
 * AWS Private CA mode (`security.ca.mode: aws-private-ca`): the rendered renew-cert.sh runs in the
 * node release's root against a stand-in `aws` CLI (SSM parameters from files; acm-pca signs the CSR
 * with a throwaway CA and records each call). It asks its region's CA with the end-entity template
 * and a bounded validity, installs what it gets with the trust bundle, does nothing while more than
 * half the validity is left, renews after that and then reloads the services that hold the
 * certificate. No daemon is started; nothing listens.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RENEWAL_CHECK_SECONDS, VALIDITY_MARGIN_SECONDS } from '../../src/render/ca.js';
import {
  awsAddressMap,
  CERT_RENEWAL_UNIT,
  certificateSubjects,
  localAddressMap,
  renderHost,
  servicesOf,
  tlsParameters,
} from '../../src/render/index.js';
import { example, exampleWith } from '../helpers/examples.js';
import {
  makeBaseDir,
  makeCa,
  materialize,
  ROOT_BUILD_TIMEOUT_MS,
  removeDir,
  run,
  useReleaseRoot,
} from './helpers.js';

const t = example('threeRegionStretched');
const host = t.members[0]!.name;
const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';
let base = '';
let stub = '';

/** The stand-in AWS CLI and systemctl: every call is appended to calls.log. */
const AWS_STUB = `#!/bin/bash
set -euo pipefail
d=$(dirname "$0")
echo "aws $*" >> "$d/calls.log"
arg() { local k=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$k" ] && { echo "$2"; return; }; shift; done; return 1; }
case "$1 $2" in
  "ssm get-parameter") cat "$d/param$(arg --name "$@" | tr / _)" ;;
  "acm-pca issue-certificate")
    csr=$(arg --csr "$@"); csr=\${csr#fileb://}
    openssl x509 -req -in "$csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -copy_extensions copyall \\
      -days "$(cat "$d/days")" -set_serial "0x$(openssl rand -hex 8)" -out "$d/issued.crt" 2>/dev/null
    echo "$(arg --certificate-authority-arn "$@")/certificate/0123" ;;
  "acm-pca wait") ;;
  "acm-pca get-certificate") cat "$d/issued.crt" ;;
  *) echo "unexpected call: $*" >&2; exit 2 ;;
esac
`;
const SYSTEMCTL_STUB = `#!/bin/bash
echo "systemctl $*" >> "$(dirname "$0")/calls.log"
`;

const calls = () => readFileSync(join(stub, 'calls.log'), 'utf8').trim().split('\n');
const issues = () => calls().filter((c) => c.startsWith('aws acm-pca issue-certificate'));
const env = () => ({ ...process.env, PATH: `${stub}:/usr/sbin:/usr/bin:/sbin:/bin` });

beforeAll(async () => {
  await useReleaseRoot('debian-13');
  base = makeBaseDir('ca');
  stub = join(base, 'stub');
  await run('mkdir', ['-p', stub]);
  writeFileSync(join(stub, 'aws'), AWS_STUB, { mode: 0o755 });
  writeFileSync(join(stub, 'systemctl'), SYSTEMCTL_STUB, { mode: 0o755 });
  writeFileSync(join(stub, 'calls.log'), '');
  writeFileSync(join(stub, 'days'), '7');
  await makeCa(stub); // ca.key and ca.crt in the stub's directory: the stand-in region CA
  const params = tlsParameters(t);
  writeFileSync(join(stub, `param${params.issuer.replace(/\//g, '_')}`), `${CA_ARN}\n`);
  writeFileSync(join(stub, `param${params.trust.replace(/\//g, '_')}`), readFileSync(join(stub, 'ca.crt')));
}, ROOT_BUILD_TIMEOUT_MS);
afterAll(() => {
  if (base) removeDir(base);
});

describe('renew-cert.sh (AWS Private CA)', () => {
  test('first run: asks its region’s CA with the end-entity template for its own names, installs the result', async () => {
    const map = localAddressMap(t, { baseDir: base, subnet: '127.0.45' });
    materialize(t, host, map);
    const script = join(map.paths(host).config, 'boot', 'renew-cert.sh');
    const before = Math.floor(Date.now() / 1000);
    await run('bash', [script], { env: env(), timeoutMs: 60_000 });
    const issued = issues();
    expect(issued).toHaveLength(1);
    const call = issued[0]!;
    expect(call).toContain(`--certificate-authority-arn ${CA_ARN}`);
    expect(call).toContain('--template-arn arn:aws:acm-pca:::template/EndEntityCertificate/V1');
    expect(call).toContain('--region eu-west-1');
    const validity = /--validity Value=(\d+),Type=ABSOLUTE/.exec(call);
    const hours = t.security.ca.mode === 'aws-private-ca' ? t.security.ca.certificateValidityHours : 0;
    const until = Number(validity?.[1]);
    // At most the configured validity (short-lived mode refuses more than 7 days), short by the margin.
    expect(until - before).toBeLessThanOrEqual(hours * 3600 - VALIDITY_MARGIN_SECONDS + 60);
    expect(until - before).toBeGreaterThanOrEqual(hours * 3600 - VALIDITY_MARGIN_SECONDS - 60);
    // Its own names only: the CSR (and so the certificate) carries exactly the host's subjects.
    const tls = map.paths(host).tls;
    const text = (await run('openssl', ['x509', '-noout', '-text', '-in', `${tls}/node.crt`])).stdout;
    const s = certificateSubjects(t, host, map);
    expect(text).toContain(`CN=${s.commonName}`);
    const san = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(text)?.[1] ?? '';
    expect(san.split(', ').sort()).toEqual(
      [...s.ips.map((ip) => `IP Address:${ip}`), ...s.dnsNames.map((d) => `DNS:${d}`)].sort(),
    );
    expect(readFileSync(`${tls}/ca.crt`, 'utf8')).toBe(readFileSync(join(stub, 'ca.crt'), 'utf8'));
    expect(statSync(`${tls}/node.key`).mode & 0o777).toBe(map.tlsKeyMode);
    await run('openssl', ['verify', '-CAfile', `${tls}/ca.crt`, `${tls}/node.crt`]);
  }, 90_000);

  test('more than half the validity left: no request; less: a new certificate and the services reload', async () => {
    const map = localAddressMap(t, { baseDir: base, subnet: '127.0.45' });
    const script = join(map.paths(host).config, 'boot', 'renew-cert.sh');
    const tls = map.paths(host).tls;
    await run('bash', [script, '--renew'], { env: env() });
    expect(issues()).toHaveLength(1);
    expect(calls().some((c) => c.startsWith('systemctl'))).toBe(false);
    // A node without a certificate gets one (here a 1-day one: less than half of 7 days left) ...
    await run('rm', [`${tls}/node.crt`]);
    writeFileSync(join(stub, 'days'), '1');
    await run('bash', [script], { env: env() });
    expect(issues()).toHaveLength(2);
    const serial = (await run('openssl', ['x509', '-noout', '-serial', '-in', `${tls}/node.crt`])).stdout;
    // ... which the timer's next run renews, then has the services reload.
    writeFileSync(join(stub, 'days'), '7');
    await run('bash', [script, '--renew'], { env: env() });
    expect(issues()).toHaveLength(3);
    expect((await run('openssl', ['x509', '-noout', '-serial', '-in', `${tls}/node.crt`])).stdout).not.toBe(
      serial,
    );
    const reloadable = servicesOf(t, host, awsAddressMap(t))
      .filter((s) => s.serviceExtra.some((l) => l.startsWith('ExecReload=')))
      .map((s) => `systemctl try-reload-or-restart ${s.unit}.service`);
    expect(reloadable.length).toBeGreaterThan(0);
    expect(calls().filter((c) => c.startsWith('systemctl'))).toEqual(reloadable);
  }, 90_000);
});

describe('the renewal timer', () => {
  test('on AWS every bootable host of a Private CA topology runs it; never in self-managed mode or locally', () => {
    const aws = awsAddressMap(t);
    const timer = `/etc/systemd/system/${CERT_RENEWAL_UNIT}.timer`;
    for (const h of [t.members[0]!.name, t.etcd[0]!.members.find((e) => !e.colocatedWith)!.name]) {
      const unit = renderHost(t, h, aws).find((f) => f.path === timer);
      expect(unit?.content, h).toContain(`OnUnitActiveSec=${RENEWAL_CHECK_SECONDS}s`);
      const service = renderHost(t, h, aws).find((f) => f.path.endsWith(`${CERT_RENEWAL_UNIT}.service`))!;
      // ProtectSystem=full makes /etc read-only: the TLS directory is the one place it may write.
      expect(service.content).toContain(`ReadWritePaths=${aws.paths(h).tls}`);
    }
    const local = localAddressMap(t, { baseDir: '/tmp/x', subnet: '127.0.45' });
    expect(servicesOf(t, host, local).map((s) => s.unit)).not.toContain(CERT_RENEWAL_UNIT);
    const selfManaged = exampleWith('threeRegionStretched', (s) => {
      s.security = { ...s.security, ca: { mode: 'self-managed' } };
    });
    expect(servicesOf(selfManaged, host, awsAddressMap(selfManaged)).map((s) => s.unit)).not.toContain(
      CERT_RENEWAL_UNIT,
    );
    expect(renderHost(selfManaged, host, awsAddressMap(selfManaged)).map((f) => f.path)).not.toContain(
      `${aws.paths(host).config}/boot/renew-cert.sh`,
    );
  });
});
