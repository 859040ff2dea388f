/**
 * A hardened EC2 node, shared by Patroni members and dedicated etcd members:
 * launch template (image, encrypted root volume, IMDSv2), instance with a fixed
 * private IP, no public IP, termination protection, and its own role with one
 * inline least-privilege policy.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template/index.js';
import { Annotations, type TerraformProvider, Token } from 'cdktf';
import { Construct } from 'constructs';
import { type NodeRelease, releaseNamed } from '../spec/releases.js';
import { assumeRolePolicy, type PolicyStatement, policyDocument } from './iam.js';

/** A release's image from Debian's public SSM parameter, resolved by EC2 at launch (no API read during plan). */
export function releaseImage(release: NodeRelease, instanceType: string): string {
  return `resolve:ssm:${release.image[architectureOf(instanceType)]}`;
}

/** The default release's image per architecture (what a node gets when nobody names one). */
export const DEFAULT_IMAGE = {
  amd64: `resolve:ssm:${releaseNamed(undefined).image.amd64}`,
  arm64: `resolve:ssm:${releaseNamed(undefined).image.arm64}`,
} as const;
/** Root device name of Debian's official AMIs. */
export const DEBIAN_ROOT_DEVICE = '/dev/xvda';
/** EC2 user data limit in bytes (after base64). */
export const USER_DATA_LIMIT = 16 * 1024;
/** Code that starts the synth error of a node whose user data does not fit USER_DATA_LIMIT. */
export const USER_DATA_TOO_LARGE = 'user-data-too-large';

/**
 * User data as EC2 gets it: gzip (cloud-init inflates it) in base64. Always
 * compressed: rendered documents outgrow EC2's 16 KiB, and a plain string would
 * let Terraform interpolate the shell's `${...}`. Deterministic (no timestamp).
 * Compressed fast first: size under the limit buys nothing, and deflate at the
 * default level costs twice the time. A document that does not fit that way is
 * compressed again at the strongest level, so the largest document that fits is
 * as large as it can be. Longer than USER_DATA_LIMIT only when nothing fits
 * (HardenedNode reports that as a synth error).
 */
export function encodeUserData(userData: string): string {
  const fast = gzipBase64(userData, 1);
  return fast.length <= USER_DATA_LIMIT ? fast : gzipBase64(userData, 9);
}

function gzipBase64(text: string, level: number): string {
  const gz = gzipSync(text, { level });
  gz[9] = 255; // gzip header OS byte: "unknown", so every platform writes the same bytes
  return gz.toString('base64');
}

/** The user data text back from `encodeUserData` (tests, reviews). */
export function decodeUserData(base64: string): string {
  return gunzipSync(Buffer.from(base64, 'base64')).toString('utf8');
}

/** Graviton families (`r7g`, `m6gd`, `c7gn`, `t4g`, ...) need arm64 images. */
export function architectureOf(instanceType: string): 'amd64' | 'arm64' {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g[a-z]*$/.test(family) ? 'arm64' : 'amd64';
}

export interface HardenedNodeProps {
  /** Node name (tag `Name`, role name prefix). */
  readonly name: string;
  readonly instanceType: string;
  /** Subnet of the node's AZ. */
  readonly subnetId: string;
  /** Fixed private IPv4 address (from the model). */
  readonly privateIp: string;
  readonly securityGroupIds: readonly string[];
  /** cloud-init user data, plain text (passed gzip-compressed, see encodeUserData). */
  readonly userData: string;
  /** KMS key ARN encrypting the root volume. */
  readonly kmsKeyArn: string;
  /** The node's permissions (none: no policy); no statement may use wildcard actions or unbounded resources (PGT-IAM-001). */
  readonly statements: readonly PolicyStatement[];
  /**
   * AMI id, or `resolve:ssm:<parameter>`.
   * @default the default node release's image for the instance type's architecture (DEFAULT_IMAGE)
   */
  readonly imageId?: string;
  /**
   * Root device name of the image.
   * @default DEBIAN_ROOT_DEVICE
   */
  readonly rootDeviceName?: string;
  /**
   * Root volume size in GiB.
   * @default 20
   */
  readonly rootVolumeGiB?: number;
  /**
   * IMDS PUT response hop limit. Anything but 1 fails synth (PGT-EC2-001).
   * @default 1
   */
  readonly imdsHopLimit?: number;
  /**
   * Prefix for the IAM role name (Terraform adds a unique suffix).
   * @default derived from `name`
   */
  readonly rolePrefix?: string;
  /** Extra tags on the instance and role. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Extra tags on the role only (the guard reads `pgtopo:archive-prefix`). @default none */
  readonly roleTags?: Readonly<Record<string, string>>;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

export class HardenedNode extends Construct {
  readonly instance: Instance;
  readonly role: IamRole;
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: HardenedNodeProps) {
    super(scope, id);
    const p = props.provider ? { provider: props.provider } : {};
    const hopLimit = props.imdsHopLimit ?? 1;
    const metadata = {
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: hopLimit,
      instanceMetadataTags: 'disabled',
    };
    const tags = { Name: props.name, ...props.tags };
    this.role = new IamRole(this, 'role', {
      ...p,
      namePrefix: props.rolePrefix ?? `${props.name.slice(0, 37)}-`,
      assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'),
      description: `pgtopo node ${props.name}`,
      tags: { ...tags, ...props.roleTags },
    });
    if (props.statements.length > 0) {
      new IamRolePolicy(this, 'policy', {
        ...p,
        name: 'pgtopo-node',
        role: this.role.id,
        policy: policyDocument(props.statements),
      });
    }
    const profile = new IamInstanceProfile(this, 'profile', {
      ...p,
      namePrefix: props.rolePrefix ?? `${props.name.slice(0, 37)}-`,
      role: this.role.name,
      tags,
    });
    this.launchTemplate = new LaunchTemplate(this, 'template', {
      ...p,
      namePrefix: `${props.name}-`,
      description: `pgtopo node ${props.name}`,
      imageId: props.imageId ?? DEFAULT_IMAGE[architectureOf(props.instanceType)],
      updateDefaultVersion: true,
      blockDeviceMappings: [
        {
          deviceName: props.rootDeviceName ?? DEBIAN_ROOT_DEVICE,
          ebs: {
            volumeSize: props.rootVolumeGiB ?? 20,
            volumeType: 'gp3',
            encrypted: 'true',
            kmsKeyId: props.kmsKeyArn,
            deleteOnTermination: 'true',
          },
        },
      ],
      metadataOptions: metadata,
      tagSpecifications: [{ resourceType: 'volume', tags }],
      tags,
    });
    const userDataBase64 = encodeUserData(props.userData);
    if (userDataBase64.length > USER_DATA_LIMIT) {
      Annotations.of(this).addError(
        `${USER_DATA_TOO_LARGE} ${props.name}: found ${userDataBase64.length} bytes of user data ` +
          `(${props.userData.length} rendered, gzip, base64); expected at most ${USER_DATA_LIMIT}, EC2's limit; ` +
          'fix: shorten long values in postgres.parameters',
      );
    }
    this.instance = new Instance(this, 'instance', {
      ...p,
      launchTemplate: {
        id: this.launchTemplate.id,
        version: Token.asString(this.launchTemplate.latestVersion),
      },
      instanceType: props.instanceType,
      subnetId: props.subnetId,
      privateIp: props.privateIp,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      associatePublicIpAddress: false,
      iamInstanceProfile: profile.name,
      disableApiTermination: true,
      metadataOptions: metadata,
      userDataBase64,
      tags,
      // A running database node keeps the image, template and user data it booted with. cloud-init reads
      // user data at first boot only, and the provider would stop and start every node whose rendered
      // user data changed, all at once. A new or replaced node boots with the current one (README, 4.).
      lifecycle: { ignoreChanges: ['ami', 'launch_template', 'user_data_base64'] },
    });
  }
}
