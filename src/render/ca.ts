/**
 * Who signs the node certificates (`security.ca`), as the nodes see it.
 *
 * - `self-managed`: the cluster CA (key and certificate) is a generated secret;
 *   every node reads it at boot and issues its own certificate (issue-cert.sh).
 *   Every node can therefore mint a certificate for any host.
 * - `aws-private-ca`: one AWS Private CA per region in short-lived certificate
 *   mode. A node generates its key, sends a CSR naming its own subjects to its
 *   region's CA (template EndEntityCertificate/V1: end entity, server and client
 *   use), fetches the certificate, and renews it once half of its validity has
 *   passed (renew-cert.sh, run at boot and by a timer). No node holds a CA key.
 *   The trust bundle (every region's CA certificate) and the region's CA ARN are
 *   read from two SSM parameters the AWS layer writes under the `tlsParameters` names.
 */
import type { Topology } from '../model/types.js';
import { octal, shq } from './format.js';
import { BIN, layout } from './names.js';
import { certificateSubjects } from './secrets.js';
import type { AddressMap, ServiceSpec } from './types.js';

/** Whether nodes hold a CA key (self-managed) or request certificates from AWS Private CA. */
export function usesPrivateCa(t: Topology): boolean {
  return t.security.ca.mode === 'aws-private-ca';
}

/** AWS Private CA certificate template nodes may use: an end-entity certificate, server and client use. */
export const NODE_CERT_TEMPLATE = 'EndEntityCertificate/V1';
/** Signing algorithm of node certificates (the CAs have EC P-256 keys). */
export const NODE_CERT_SIGNING_ALGORITHM = 'SHA256WITHECDSA';

/** ARN of an AWS Private CA certificate template in a partition. */
export function certTemplateArn(partition: string, template: string = NODE_CERT_TEMPLATE): string {
  return `arn:${partition}:acm-pca:::template/${template}`;
}

/**
 * Names of the SSM parameters (String, in every region) that tell a node where to get its certificate:
 * `issuer` holds the ARN of its region's CA (written by the region stack), `trust` the PEM bundle of every
 * region's CA certificate (written by the global stack once every region's CA exists).
 */
export function tlsParameters(t: Topology): { readonly issuer: string; readonly trust: string } {
  return { issuer: `/pgtopo/${t.name}/tls/issuer-arn`, trust: `/pgtopo/${t.name}/tls/trust-bundle` };
}

/** Seconds a requested validity stays short of the configured one (clock skew must not cross short-lived mode's 7 days). */
export const VALIDITY_MARGIN_SECONDS = 300;

/** systemd unit of the certificate renewal (a timer runs it every RENEWAL_CHECK_SECONDS). */
export const CERT_RENEWAL_UNIT = 'pgtopo-cert-renewal';
/** How often the renewal timer checks the certificate (it renews only once half the validity has passed). */
export const RENEWAL_CHECK_SECONDS = 3600;

/** Path of the renewal script of a host. */
export function renewCertPath(t: Topology, host: string, map: AddressMap): string {
  return `${layout(map.paths(host), t).bootDir}/renew-cert.sh`;
}

/** Shell lines installing `$work/{ca.crt,node.crt,node.key}` as the host's TLS files (owner and modes). */
export function installTlsLines(t: Topology, host: string, map: AddressMap): string {
  const f = layout(map.paths(host), t);
  const key = map.accounts.tlsKey;
  const own = `-o ${key.user} -g ${key.group}`;
  return [
    `${BIN.install} -d ${own} -m 0750 ${shq(map.paths(host).tls)}`,
    `${BIN.install} ${own} -m 0644 "$work/ca.crt" ${shq(f.tlsCa)}`,
    `${BIN.install} ${own} -m 0644 "$work/node.crt" ${shq(f.tlsCert)}`,
    `${BIN.install} ${own} -m ${octal(map.tlsKeyMode)} "$work/node.key" ${shq(f.tlsKey)}`,
  ].join('\n');
}

/** `subjectAltName` value of a host's certificate (its addresses and names). */
export function subjectAltName(t: Topology, host: string, map: AddressMap): string {
  const s = certificateSubjects(t, host, map);
  return [...s.ips.map((ip) => `IP:${ip}`), ...s.dnsNames.map((d) => `DNS:${d}`)].join(',');
}

/**
 * The renewal service of a host (AWS Private CA mode): a one-shot run of renew-cert.sh as root every
 * RENEWAL_CHECK_SECONDS; it writes only the TLS directory.
 */
export function certRenewalService(t: Topology, host: string, map: AddressMap): ServiceSpec {
  return {
    unit: CERT_RENEWAL_UNIT,
    description: `TLS certificate renewal of ${host} (AWS Private CA)`,
    account: map.accounts.root,
    exec: [renewCertPath(t, host, map), '--renew'],
    environment: {},
    environmentFiles: [],
    directories: [],
    type: 'oneshot',
    after: ['network-online.target'],
    serviceExtra: [`ReadWritePaths=${map.paths(host).tls}`, 'TimeoutStartSec=600s'],
    everySeconds: RENEWAL_CHECK_SECONDS,
  };
}

/**
 * `renew-cert.sh [--renew]`: obtains this host's certificate from its region's AWS Private CA when it has
 * none or when less than half of its validity is left, installs it with the trust bundle, and (with
 * `--renew`, services running) has the services that hold it reload (`reloadUnits`, by
 * `systemctl try-reload-or-restart`, which only reloads units that declare ExecReload). Patroni's reload
 * (SIGHUP) re-reads its REST API certificate when the serial changed and reloads PostgreSQL, which
 * re-reads ssl_cert_file; PgBouncer re-reads its TLS files on reload. etcd (3.2 and later) and Patroni's
 * etcd client read the files again for every new connection.
 */
export function renderRenewCert(
  t: Topology,
  host: string,
  map: AddressMap,
  region: string,
  reloadUnits: readonly string[],
): string {
  if (t.security.ca.mode !== 'aws-private-ca') throw new Error(`${t.name} does not use AWS Private CA`);
  const f = layout(map.paths(host), t);
  const hours = t.security.ca.certificateValidityHours;
  const params = tlsParameters(t);
  return `#!/bin/bash
# TLS certificate of ${host} from the AWS Private CA of ${region} (short-lived mode). Generated by pgtopo: do not edit.
# This node holds no CA key: its role may only request end-entity certificates (template ${NODE_CERT_TEMPLATE})
# from its region's CA and fetch them. Renews once less than half of the ${hours} h validity is left.
set -euo pipefail
umask 077
region=${region}
cert=${shq(f.tlsCert)}
if [ -s "$cert" ] && openssl x509 -noout -checkend ${(hours * 3600) / 2} -in "$cert" >/dev/null; then
  exit 0
fi
param() { aws ssm get-parameter --region "$region" --name "$1" --query Parameter.Value --output text; }
ca_arn="" bundle=""
for attempt in $(seq 1 40); do
  # The trust bundle appears once the global stack has run (every region's CA certificate).
  if ca_arn=$(param ${shq(params.issuer)} 2>/dev/null) && bundle=$(param ${shq(params.trust)} 2>/dev/null) \\
    && [[ $ca_arn == arn:*:acm-pca:* && $bundle == *"BEGIN CERTIFICATE"* ]]; then break; fi
  ca_arn="" bundle=""
  sleep $(( attempt < 10 ? attempt : 10 ))
done
[ -n "$ca_arn" ] || { echo "renew-cert: no CA ARN or trust bundle in ${params.issuer}, ${params.trust} ($region)" >&2; exit 1; }
partition=$(cut -d: -f2 <<<"$ca_arn")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\\n' "$bundle" > "$work/ca.crt"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/node.key" \\
  -subj ${shq(`/CN=${certificateSubjects(t, host, map).commonName}`)} -addext ${shq(`subjectAltName=${subjectAltName(t, host, map)}`)} -out "$work/node.csr" 2>/dev/null
cert_arn=$(aws acm-pca issue-certificate --region "$region" --certificate-authority-arn "$ca_arn" \\
  --csr "fileb://$work/node.csr" --signing-algorithm ${NODE_CERT_SIGNING_ALGORITHM} \\
  --template-arn "arn:$partition:acm-pca:::template/${NODE_CERT_TEMPLATE}" \\
  --validity "Value=$(( $(date +%s) + ${hours * 3600 - VALIDITY_MARGIN_SECONDS} )),Type=ABSOLUTE" --query CertificateArn --output text)
aws acm-pca wait certificate-issued --region "$region" --certificate-authority-arn "$ca_arn" --certificate-arn "$cert_arn"
aws acm-pca get-certificate --region "$region" --certificate-authority-arn "$ca_arn" --certificate-arn "$cert_arn" \\
  --query Certificate --output text > "$work/node.crt"
openssl verify -CAfile "$work/ca.crt" "$work/node.crt" >/dev/null
${installTlsLines(t, host, map)}
echo "renew-cert: $(openssl x509 -noout -enddate -in "$cert") from $cert_arn"
[ "\${1:-}" = --renew ] || exit 0
${reloadUnits.map((u) => `systemctl try-reload-or-restart ${u}.service || true`).join('\n')}
`;
}
