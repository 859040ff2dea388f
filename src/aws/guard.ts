/**
 * Resource-level rules over the synthesized Terraform JSON. Policy rules judge
 * the spec; these judge what will actually be deployed, so an escape-hatch
 * override (`addOverride`, a replaced property) that breaks a promise fails
 * synth with the same rule id as the spec-level rule.
 *
 * Every pgtopo construct calls `protect(this)`: its stack gets the guard (once)
 * and the resources under the construct are checked. Other resources in the
 * same stack are left alone.
 */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { SENSITIVE_PORTS } from '../model/constants.js';
import { ruleById } from '../policy/engine.js';
import type { Paint } from '../policy/format/text.js';
import {
  type AddressRange,
  type Cidr,
  isWorldOpenIpv4,
  parseIpv6Range,
  publicIpv4Count,
  publicIpv6Count,
  tryParseIpv4Cidr,
  WORLD_OPEN_IPV6_ADDRESSES,
} from '../spec/cidr.js';
import { wildcardProblems } from './iam.js';

export interface GuardFinding {
  /** The policy rule the resource breaks (same id as the spec-level rule). */
  readonly ruleId: string;
  /** Terraform address, e.g. `aws_instance.member_instance_1A2B3C4D`. */
  readonly address: string;
  /** Construct path of the resource. */
  readonly path: string;
  readonly found: string;
  readonly expected: string;
}

export function formatGuardFinding(f: GuardFinding): string {
  return `${f.ruleId} ${f.address} (${f.path}): found ${f.found}; expected ${f.expected}`;
}

/** A guard finding in the form `pgtopo check` prints a policy finding (the resource in place of a spec path). */
export function guardFindingLines(f: GuardFinding, paint: Paint = (_s, t) => t): string[] {
  const title = ruleById(f.ruleId)?.title;
  return [
    `${paint('red', 'error  ')} ${paint('bold', f.ruleId)} ${f.address}`,
    ...(title ? [`        ${title}`] : []),
    `        resource: ${f.path}`,
    `        found:    ${f.found}`,
    `        expected: ${f.expected}`,
    '        fix:      remove the override or escape hatch that changes this resource',
  ];
}

type Json = Record<string, unknown>;
interface Res {
  readonly type: string;
  readonly name: string;
  readonly config: Json;
  readonly path: string;
}

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const truthy = (v: unknown) => v === true || v === 'true';
const blocks = (v: unknown): Json[] => asArray(v).filter((b): b is Json => !!b && typeof b === 'object');
const isInterpolation = (v: unknown) => typeof v === 'string' && v.startsWith('${');

/** The resource name `v` refers to as `${<type>.<name>.<attr>}`, if it does. */
function refName(v: unknown, type: string): string | undefined {
  if (typeof v !== 'string') return undefined;
  const prefix = `\${${type}.`;
  if (!v.startsWith(prefix)) return undefined;
  return /^[^.}[]+(?=\.)/.exec(v.slice(prefix.length))?.[0];
}

function coversSensitivePort(protocol: unknown, from: unknown, to: unknown): number[] {
  const p = String(protocol ?? 'tcp').toLowerCase();
  if (p === '-1' || p === 'all') return [...SENSITIVE_PORTS];
  if (p !== 'tcp' && p !== '6') return [];
  const lo = Number(from ?? 0);
  const hi = Number(to ?? lo);
  return SENSITIVE_PORTS.filter((port) => port >= lo && port <= hi);
}

/** Runs every resource-level rule over one synthesized stack. `checked` limits the rules to some resources. */
export function checkSynthesized(
  json: Json,
  checked: (path: string) => boolean = () => true,
): GuardFinding[] {
  const all: Res[] = [];
  for (const [type, byName] of Object.entries(
    (json.resource ?? {}) as Record<string, Record<string, Json>>,
  )) {
    for (const [name, config] of Object.entries(byName)) {
      const meta = (config['//'] as { metadata?: { path?: string } } | undefined)?.metadata;
      all.push({ type, name, config, path: meta?.path ?? `${type}.${name}` });
    }
  }
  const findings: GuardFinding[] = [];
  const add = (r: Res, ruleId: string, found: string, expected: string) =>
    findings.push({ ruleId, address: `${r.type}.${r.name}`, path: r.path, found, expected });
  const byType = new Map<string, Res[]>();
  for (const r of all) {
    const same = byType.get(r.type);
    if (same) same.push(r);
    else byType.set(r.type, [r]);
  }
  const ofType = (type: string): readonly Res[] => byType.get(type) ?? [];
  const mine = all.filter((r) => checked(r.path));
  /**
   * PGT-NET-001: ingress to a sensitive port, collected and judged after the loop as one address set: a rule
   * from 0.0.0.0/0 (however written) is world-open, and so are rules that together cover public space.
   */
  const ingress: { r: Res; v4: Cidr[]; v6: AddressRange[]; texts: string[]; ports: number[] }[] = [];
  const publicIngress = (r: Res, cidrs: unknown[], protocol: unknown, from: unknown, to: unknown) => {
    const ports = coversSensitivePort(protocol, from, to);
    if (ports.length === 0) return;
    const entry = { r, v4: [] as Cidr[], v6: [] as AddressRange[], texts: [] as string[], ports };
    for (const x of cidrs) {
      if (typeof x !== 'string') continue;
      const v4 = tryParseIpv4Cidr(x);
      const v6 = v4 ? undefined : parseIpv6Range(x);
      if (v4) entry.v4.push(v4);
      else if (v6) entry.v6.push(v6);
      else continue;
      entry.texts.push(x);
    }
    if (entry.texts.length > 0) ingress.push(entry);
  };
  const attached = (type: string, bucket: Res) =>
    ofType(type).filter(
      (r) =>
        refName(r.config.bucket, 'aws_s3_bucket') === bucket.name || r.config.bucket === bucket.config.bucket,
    );

  for (const r of mine) {
    const c = r.config;
    switch (r.type) {
      case 'aws_security_group':
        for (const rule of blocks(c.ingress)) {
          publicIngress(
            r,
            [...asArray(rule.cidr_blocks), ...asArray(rule.ipv6_cidr_blocks)],
            rule.protocol,
            rule.from_port,
            rule.to_port,
          );
        }
        break;
      case 'aws_vpc_security_group_ingress_rule':
      case 'aws_security_group_rule': {
        if (r.type === 'aws_security_group_rule' && c.type !== 'ingress') break;
        const cidrs = [c.cidr_ipv4, c.cidr_ipv6, ...asArray(c.cidr_blocks), ...asArray(c.ipv6_cidr_blocks)];
        publicIngress(r, cidrs, c.ip_protocol ?? c.protocol, c.from_port, c.to_port);
        break;
      }
      case 'aws_instance': {
        const md = blocks(c.metadata_options)[0];
        if (!md || md.http_tokens !== 'required' || Number(md.http_put_response_hop_limit) !== 1)
          add(
            r,
            'PGT-EC2-001',
            md
              ? `http_tokens=${String(md.http_tokens)}, hop limit ${String(md.http_put_response_hop_limit)}`
              : 'no metadata_options',
            'IMDSv2 required (http_tokens=required) with hop limit 1',
          );
        if (truthy(c.associate_public_ip_address))
          add(r, 'PGT-EC2-003', 'associate_public_ip_address=true', 'no public IP');
        for (const d of [...blocks(c.root_block_device), ...blocks(c.ebs_block_device)]) {
          if (!truthy(d.encrypted) || !d.kms_key_id)
            add(
              r,
              'PGT-EC2-002',
              `block device encrypted=${String(d.encrypted)}, kms_key_id=${String(d.kms_key_id)}`,
              'encrypted with a customer-managed key',
            );
        }
        break;
      }
      case 'aws_launch_template': {
        const md = blocks(c.metadata_options)[0];
        if (md && (md.http_tokens !== 'required' || Number(md.http_put_response_hop_limit) !== 1))
          add(
            r,
            'PGT-EC2-001',
            `http_tokens=${String(md.http_tokens)}, hop limit ${String(md.http_put_response_hop_limit)}`,
            'IMDSv2 required with hop limit 1',
          );
        for (const m of blocks(c.block_device_mappings)) {
          for (const ebs of blocks(m.ebs)) {
            if (!truthy(ebs.encrypted) || !ebs.kms_key_id)
              add(
                r,
                'PGT-EC2-002',
                `${String(m.device_name)} encrypted=${String(ebs.encrypted)}, kms_key_id=${String(ebs.kms_key_id)}`,
                'encrypted with a customer-managed key',
              );
          }
        }
        for (const ni of blocks(c.network_interfaces)) {
          if (truthy(ni.associate_public_ip_address))
            add(r, 'PGT-EC2-003', 'associate_public_ip_address=true', 'no public IP');
        }
        break;
      }
      case 'aws_ebs_volume':
        if (!truthy(c.encrypted) || !c.kms_key_id)
          add(
            r,
            'PGT-EC2-002',
            `encrypted=${String(c.encrypted)}, kms_key_id=${String(c.kms_key_id)}`,
            'encrypted with a customer-managed key',
          );
        break;
      case 'aws_kms_key':
        if (!truthy(c.enable_key_rotation))
          add(
            r,
            'PGT-ARC-002',
            `enable_key_rotation=${String(c.enable_key_rotation)}`,
            'yearly key rotation',
          );
        break;
      case 'aws_s3_bucket': {
        const sse = attached('aws_s3_bucket_server_side_encryption_configuration', r).flatMap((s) =>
          blocks(s.config.rule).flatMap((rule) => blocks(rule.apply_server_side_encryption_by_default)),
        );
        if (sse.length === 0 || sse.some((d) => d.sse_algorithm !== 'aws:kms' || !d.kms_master_key_id))
          add(
            r,
            'PGT-ARC-002',
            sse.length === 0 ? 'no encryption configuration' : JSON.stringify(sse),
            'SSE-KMS with a customer-managed key',
          );
        const versioning = attached('aws_s3_bucket_versioning', r).flatMap((v) =>
          blocks(v.config.versioning_configuration),
        );
        if (!versioning.some((v) => v.status === 'Enabled'))
          add(
            r,
            'PGT-ARC-003',
            versioning.length === 0 ? 'no versioning' : JSON.stringify(versioning),
            'versioning Enabled',
          );
        const pab = attached('aws_s3_bucket_public_access_block', r);
        const four = [
          'block_public_acls',
          'block_public_policy',
          'ignore_public_acls',
          'restrict_public_buckets',
        ];
        if (!pab.some((p) => four.every((k) => truthy(p.config[k]))))
          add(
            r,
            'PGT-ARC-006',
            pab.length === 0
              ? 'no public access block'
              : four.map((k) => `${k}=${String(pab[0]!.config[k])}`).join(', '),
            'all four Block Public Access settings true',
          );
        const policies = attached('aws_s3_bucket_policy', r);
        if (!policies.some((p) => deniesInsecureTransport(p.config.policy)))
          add(
            r,
            'PGT-ARC-006',
            policies.length === 0 ? 'no bucket policy' : 'a bucket policy without a TLS-only deny',
            'a bucket policy denying aws:SecureTransport=false',
          );
        break;
      }
      case 'aws_iam_role_policy':
      case 'aws_iam_policy':
        checkIdentityPolicy(r, c.policy);
        break;
      case 'aws_iam_role':
        for (const p of blocks(c.inline_policy)) checkIdentityPolicy(r, p.policy);
        break;
      case 'aws_lb':
        if (!truthy(c.internal))
          add(r, 'PGT-NET-002', `internal=${String(c.internal)}`, 'an internal load balancer');
        break;
      case 'aws_lb_target_group': {
        const hc = blocks(c.health_check)[0];
        const protocol = String(hc?.protocol ?? 'TCP').toUpperCase();
        const path = String(hc?.path ?? '');
        if (
          !hc ||
          (protocol !== 'HTTP' && protocol !== 'HTTPS') ||
          !/^\/(primary|replica|standby-leader)/.test(path)
        )
          add(
            r,
            'PGT-NET-004',
            `health check ${protocol} ${path}`.trim(),
            "HTTP(S) checks on Patroni's REST API (/primary, /replica?lag=, /standby-leader)",
          );
        break;
      }
      case 'aws_s3_bucket_replication_configuration':
        for (const rule of blocks(c.rule)) {
          for (const dest of blocks(rule.destination)) {
            const key = blocks(dest.encryption_configuration)[0]?.replica_kms_key_id;
            if (
              !(isInterpolation(key) || /^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(String(key ?? '')))
            )
              add(
                r,
                'PGT-ARC-005',
                `replica_kms_key_id=${String(key)}`,
                "the destination region's key by full ARN",
              );
          }
        }
        break;
      default:
        break;
    }
  }

  const worldOpen = (v4: readonly Cidr[], v6: readonly AddressRange[]) =>
    isWorldOpenIpv4(v4) || publicIpv6Count(v6) >= WORLD_OPEN_IPV6_ADDRESSES;
  const together = worldOpen(
    ingress.flatMap((i) => i.v4),
    ingress.flatMap((i) => i.v6),
  );
  for (const i of ingress) {
    const alone = worldOpen(i.v4, i.v6);
    const publicPart = publicIpv4Count(i.v4) > 0n || publicIpv6Count(i.v6) > 0n;
    if (alone || (together && publicPart))
      add(
        i.r,
        'PGT-NET-001',
        `ingress from ${i.texts.join(', ')} to port(s) ${i.ports.join(', ')}${alone ? '' : ", which with the stack's other ingress to sensitive ports covers a /8 of public IPv4 or a /32 of IPv6"}`,
        'no sensitive port open to the internet: sources together under a /8 of public IPv4 space and a /32 of public IPv6 space',
      );
  }

  function checkIdentityPolicy(r: Res, policy: unknown) {
    if (typeof policy !== 'string') {
      add(
        r,
        'PGT-IAM-001',
        'a policy that is not a JSON document',
        'a JSON policy document pgtopo can check',
      );
      return;
    }
    for (const p of wildcardProblems(policy))
      add(
        r,
        'PGT-IAM-001',
        `${p.field} ${p.value} in statement ${p.statement}`,
        'no wildcard actions or unbounded wildcard resources',
      );
    const role = ofType('aws_iam_role').find((x) => x.name === refName(r.config.role, 'aws_iam_role'));
    const own = (role?.config.tags as Record<string, string> | undefined)?.['pgtopo:archive-prefix'];
    if (own !== undefined) {
      for (const res of archiveWrites(policy)) {
        const key = res.split(':::')[1]?.split('/').slice(1).join('/') ?? '';
        if (!key.startsWith(own))
          add(
            r,
            'PGT-IAM-001',
            `archive write access to ${res}`,
            `writes only under the cluster's prefix ${own}`,
          );
      }
    }
  }

  return findings;
}

function deniesInsecureTransport(policy: unknown): boolean {
  if (typeof policy !== 'string') return false;
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    return blocks(doc.Statement).some((s) => {
      const cond = (s.Condition as Record<string, Record<string, unknown>> | undefined)?.Bool;
      return s.Effect === 'Deny' && String(cond?.['aws:SecureTransport']) === 'false';
    });
  } catch {
    return false;
  }
}

const WRITE_ACTIONS = new Set([
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:AbortMultipartUpload',
]);

/** S3 object resources an identity policy lets its holder write. */
function archiveWrites(policy: string): string[] {
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    return blocks(doc.Statement)
      .filter((s) => s.Effect === 'Allow' && asArray(s.Action).some((a) => WRITE_ACTIONS.has(String(a))))
      .flatMap((s) => asArray(s.Resource).map(String))
      .filter((res) => res.includes(':s3:::'));
  } catch {
    return [];
  }
}

/** Resource-level rules broke: thrown while the stack's Terraform JSON is produced, so synth fails. */
export class GuardError extends Error {
  constructor(readonly findings: readonly GuardFinding[]) {
    super(`resource-level rules failed:\n  ${findings.map(formatGuardFinding).join('\n  ')}`);
  }
}

const GUARDED = Symbol.for('pgtopo.aws.guarded');
type Guarded = TerraformStack & { [GUARDED]?: Set<string> };

/**
 * Puts `construct`'s resources under the resource-level rules of its stack. The
 * first call on a stack wraps its `toTerraform()` (and `toHclTerraform()`): the
 * rules judge exactly the JSON cdktf writes, after every aspect and override,
 * at no extra serialization, and a finding aborts synthesis with GuardError.
 */
export function protect(construct: Construct): void {
  const stack = TerraformStack.of(construct) as Guarded;
  let roots = stack[GUARDED];
  if (!roots) {
    const own = new Set<string>();
    roots = own;
    stack[GUARDED] = own;
    /** Whether `path` is one of the roots or lies under one. */
    const checked = (path: string) => {
      for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
        if (own.has(path.slice(0, end))) return true;
      }
      return false;
    };
    const judge = (json: Json) => {
      const findings = checkSynthesized(json, checked);
      if (findings.length > 0) throw new GuardError(findings);
      return json;
    };
    const toTerraform = stack.toTerraform.bind(stack);
    const toHclTerraform = stack.toHclTerraform.bind(stack);
    const mutable = stack as unknown as { toTerraform: () => unknown; toHclTerraform: () => unknown };
    mutable.toTerraform = () => judge(toTerraform() as Json);
    mutable.toHclTerraform = () => {
      judge(toTerraform() as Json);
      return toHclTerraform();
    };
  }
  roots.add(construct.node.path);
}
