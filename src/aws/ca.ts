/**
 * AWS Private CA for node certificates (`security.ca.mode: aws-private-ca`).
 *
 * Decision: one root CA per region, in that region's stack, in short-lived
 * certificate mode (node certificates live at most 7 days, so no revocation is
 * configured). Nodes request their certificate from their own region's CA, so a
 * region that survives the loss of another keeps issuing and renewing; every
 * node trusts every region's CA (the global stack writes the bundle of all CA
 * certificates into each region). No CA key exists outside AWS Private CA: no
 * node, no Terraform state, no secret holds one.
 *
 * What IAM can and cannot bind (acm-pca's condition key for IssueCertificate is
 * `acm-pca:TemplateArn`; there is none for the subject or the names of the
 * CSR): a node may issue only against its region's CA and only with the
 * end-entity template (never a CA certificate), and fetch certificates of that
 * CA. It cannot read a CA key. It can still request a short-lived certificate
 * naming another host of the cluster while it holds its role: every request is
 * in CloudTrail under the node's role, and the CA's audit report lists every
 * certificate with its subject and requester.
 */
import { AcmpcaCertificate } from '@cdktf/provider-aws/lib/acmpca-certificate/index.js';
import { AcmpcaCertificateAuthority } from '@cdktf/provider-aws/lib/acmpca-certificate-authority/index.js';
import { AcmpcaCertificateAuthorityCertificate } from '@cdktf/provider-aws/lib/acmpca-certificate-authority-certificate/index.js';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { Topology } from '../model/types.js';
import { certTemplateArn, tlsParameters } from '../render/index.js';
import { protect } from './guard.js';
import { accountFacts } from './stack.js';

/** Key and signing algorithm of every region's CA (node certificates are signed with the same algorithm). */
export const CA_KEY_ALGORITHM = 'EC_prime256v1';
export const CA_SIGNING_ALGORITHM = 'SHA256WITHECDSA';
/** Validity of each region's self-signed root certificate (AWS Private CA does not limit a root's validity). */
export const CA_ROOT_VALIDITY_YEARS = 10;
/** AWS Private CA's own value for the short-lived certificate mode (certificates valid at most 7 days). */
export const SHORT_LIVED_MODE = 'SHORT_LIVED_CERTIFICATE';

export interface RegionCertificateAuthorityProps {
  readonly topology: Topology;
  readonly region: string;
  /**
   * Days AWS Private CA keeps a deleted CA restorable.
   * @default 30
   */
  readonly permanentDeletionTimeInDays?: number;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/**
 * A region's root CA in short-lived certificate mode, its installed self-signed certificate, and the
 * SSM parameter that names it to the region's nodes (written once the certificate is installed, so a
 * node never requests a certificate from a CA that cannot issue yet).
 */
export class RegionCertificateAuthority extends Construct {
  readonly authority: AcmpcaCertificateAuthority;
  /** The CA's self-signed certificate (PEM): public, it goes into every node's trust bundle. */
  readonly certificatePem: string;
  readonly issuerParameter: SsmParameter;

  constructor(scope: Construct, id: string, props: RegionCertificateAuthorityProps) {
    super(scope, id);
    const t = props.topology;
    const p = props.provider ? { provider: props.provider } : {};
    const { partition } = accountFacts(this, props.provider);
    this.authority = new AcmpcaCertificateAuthority(this, 'authority', {
      ...p,
      type: 'ROOT',
      usageMode: SHORT_LIVED_MODE,
      certificateAuthorityConfiguration: {
        keyAlgorithm: CA_KEY_ALGORITHM,
        signingAlgorithm: CA_SIGNING_ALGORITHM,
        subject: { commonName: `pgtopo ${t.name} ${props.region} CA`, organization: 'pgtopo' },
      },
      permanentDeletionTimeInDays: props.permanentDeletionTimeInDays ?? 30,
      tags: { 'pgtopo:topology': t.name },
      // Without its CA no node of the region renews: the certificates run out within days.
      lifecycle: { preventDestroy: true },
    });
    const root = new AcmpcaCertificate(this, 'root', {
      ...p,
      certificateAuthorityArn: this.authority.arn,
      certificateSigningRequest: this.authority.certificateSigningRequest,
      signingAlgorithm: CA_SIGNING_ALGORITHM,
      templateArn: certTemplateArn(partition, 'RootCACertificate/V1'),
      validity: { type: 'YEARS', value: String(CA_ROOT_VALIDITY_YEARS) },
    });
    const installed = new AcmpcaCertificateAuthorityCertificate(this, 'installed', {
      ...p,
      certificateAuthorityArn: this.authority.arn,
      certificate: root.certificate,
      certificateChain: root.certificateChain,
    });
    this.certificatePem = root.certificate;
    this.issuerParameter = new SsmParameter(this, 'issuer', {
      ...p,
      name: tlsParameters(t).issuer,
      description: `pgtopo ${t.name}: ARN of the AWS Private CA that issues node certificates in ${props.region}`,
      type: 'String',
      insecureValue: this.authority.arn,
      dependsOn: [installed],
    });
    protect(this);
  }

  get arn(): string {
    return this.authority.arn;
  }
}

export interface TrustBundleProps {
  readonly topology: Topology;
  /** PEM certificates of every region's CA. */
  readonly certificates: readonly string[];
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/** The trust bundle of one region's nodes: every region's CA certificate, in an SSM String parameter. */
export class TrustBundle extends Construct {
  readonly parameter: SsmParameter;

  constructor(scope: Construct, id: string, props: TrustBundleProps) {
    super(scope, id);
    const t = props.topology;
    this.parameter = new SsmParameter(this, 'parameter', {
      ...(props.provider ? { provider: props.provider } : {}),
      name: tlsParameters(t).trust,
      description: `pgtopo ${t.name}: every region's node CA certificate (public)`,
      type: 'String',
      // Several regions' certificates may pass the standard tier's 4 KiB: the advanced tier is then chosen.
      tier: 'Intelligent-Tiering',
      insecureValue: props.certificates.join('\n'),
    });
  }
}
