/**
 * Resource-level rules run over the synthesized resources: an escape-hatch override that breaks a
 * promise fails synth with the policy rule's id. Plus the IAM wildcard rule as a boundary table.
 */
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { App, type TerraformResource, type TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { afterAll, describe, expect, test } from 'vitest';
import {
  checkSynthesized,
  PostgresTopology,
  SynthesisError,
  synthesize,
  wildcardProblems,
} from '../../src/aws/index.js';
import { EXAMPLES } from '../helpers/examples.js';
import { tempDir, tf } from './helpers.js';

const tmp = tempDir('guard');
afterAll(() => tmp.cleanup());

describe('wildcardProblems (PGT-IAM-001)', () => {
  const doc = (Action: unknown, Resource: unknown, extra: object = {}) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource, ...extra }] });
  test.each([
    ['exact action and ARN', doc('s3:GetObject', 'arn:aws:s3:::b/orders/x'), []],
    ['bucket prefix wildcard', doc('s3:PutObject', 'arn:aws:s3:::b/orders-us-east-1/*'), []],
    [
      'interpolated partition and bucket',
      doc('s3:PutObject', `arn:${tf('data.p.partition')}:s3:::${tf('aws_s3_bucket.b.id')}/p/*`),
      [],
    ],
    [
      'secret name suffix',
      doc(
        'secretsmanager:GetSecretValue',
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:pgtopo/o/x-??????',
      ),
      [],
    ],
    [
      'interpolated account in secret ARN',
      doc(
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:${tf('local.account_id')}:secret:pgtopo/o/x-??????`,
      ),
      [],
    ],
    ['star action', doc('*', 'arn:aws:s3:::b/x'), ['Action']],
    ['service star action', doc('s3:*', 'arn:aws:s3:::b/x'), ['Action']],
    ['prefix star action', doc('s3:Get*', 'arn:aws:s3:::b/x'), ['Action']],
    ['star resource', doc('s3:GetObject', '*'), ['Resource']],
    ['bucket-wide wildcard name', doc('s3:GetObject', 'arn:aws:s3:::*/x'), ['Resource']],
    ['account wildcard', doc('kms:Decrypt', 'arn:aws:kms:us-east-1:*:key/abc'), ['Resource']],
    ['key wildcard', doc('kms:Decrypt', 'arn:aws:kms:us-east-1:123456789012:key/*'), ['Resource']],
    [
      'NotResource',
      doc('s3:GetObject', 'arn:aws:s3:::b/x', { NotResource: 'arn:aws:s3:::c' }),
      ['NotResource'],
    ],
    [
      'deny statements are not grants',
      JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }),
      [],
    ],
    ['not JSON', tf('data.aws_iam_policy_document.x.json'), ['Document']],
  ])('%s', (_name, policy, fields) => {
    expect(wildcardProblems(policy).map((p) => p.field)).toEqual(fields);
  });
});

describe('checkSynthesized', () => {
  const sg = (ingress: object[]) => ({ resource: { aws_security_group: { x: { ingress } } } });
  test.each<[string, Record<string, unknown>, string[]]>([
    [
      '0.0.0.0/0 to 5432',
      sg([{ cidr_blocks: ['0.0.0.0/0'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      ['PGT-NET-001'],
    ],
    [
      '::/0 to a range covering 8008',
      sg([{ ipv6_cidr_blocks: ['::/0'], protocol: 'tcp', from_port: 8000, to_port: 8100 }]),
      ['PGT-NET-001'],
    ],
    [
      '0.0.0.0/0 all protocols',
      sg([{ cidr_blocks: ['0.0.0.0/0'], protocol: '-1', from_port: 0, to_port: 0 }]),
      ['PGT-NET-001'],
    ],
    [
      '0.0.0.0/0 to 443 only',
      sg([{ cidr_blocks: ['0.0.0.0/0'], protocol: 'tcp', from_port: 443, to_port: 443 }]),
      [],
    ],
    [
      'a private CIDR to 5432',
      sg([{ cidr_blocks: ['10.0.0.0/8'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      [],
    ],
    // Address sets, not strings: every spelling of the internet, and ranges that cover it together.
    ...(['0.0.0.0/00', '000.000.000.000/0', '1.2.3.4/0', '  0.0.0.0/0'] as const).map(
      (cidr) =>
        [
          `${cidr} (the internet, spelled otherwise)`,
          sg([{ cidr_blocks: [cidr], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
          ['PGT-NET-001'],
        ] as [string, Record<string, unknown>, string[]],
    ),
    [
      'two halves of the internet in one rule',
      sg([{ cidr_blocks: ['0.0.0.0/1', '128.0.0.0/1'], protocol: 'tcp', from_port: 6432, to_port: 6432 }]),
      ['PGT-NET-001'],
    ],
    [
      'two halves in two rules on two ports: both rules are named',
      sg([
        { cidr_blocks: ['0.0.0.0/1'], protocol: 'tcp', from_port: 5432, to_port: 5432 },
        { cidr_blocks: ['128.0.0.0/1'], protocol: 'tcp', from_port: 22, to_port: 22 },
      ]),
      ['PGT-NET-001', 'PGT-NET-001'],
    ],
    [
      'two public /9s: a /8 of public space together',
      sg([{ cidr_blocks: ['3.0.0.0/9', '3.128.0.0/9'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      ['PGT-NET-001'],
    ],
    [
      'one public /9 is under the threshold',
      sg([{ cidr_blocks: ['3.0.0.0/9'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      [],
    ],
    [
      'all private space is not public',
      sg([
        {
          cidr_blocks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'],
          protocol: 'tcp',
          from_port: 5432,
          to_port: 5432,
        },
      ]),
      [],
    ],
    [
      'IPv6 ::/00 and 0::0/0',
      sg([{ ipv6_cidr_blocks: ['::/00', '0::0/0'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      ['PGT-NET-001'],
    ],
    [
      'IPv6 global unicast 2000::/3',
      sg([{ ipv6_cidr_blocks: ['2000::/3'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      ['PGT-NET-001'],
    ],
    [
      'IPv6 unique-local fc00::/7 is not public',
      sg([{ ipv6_cidr_blocks: ['fc00::/7'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      [],
    ],
    [
      'IPv6 one /48 is not the internet',
      sg([{ ipv6_cidr_blocks: ['2001:db8:1::/48'], protocol: 'tcp', from_port: 5432, to_port: 5432 }]),
      [],
    ],
    [
      'a standalone ingress rule with 0.0.0.0/00',
      {
        resource: {
          aws_vpc_security_group_ingress_rule: {
            r: { cidr_ipv4: '0.0.0.0/00', ip_protocol: 'tcp', from_port: 5432, to_port: 5432 },
          },
        },
      },
      ['PGT-NET-001'],
    ],
    [
      'udp to 2379 from anywhere',
      sg([{ cidr_blocks: ['0.0.0.0/0'], protocol: 'udp', from_port: 2379, to_port: 2379 }]),
      [],
    ],
  ])('%s', (_name, json, ids) => {
    expect(checkSynthesized(json).map((f) => f.ruleId)).toEqual(ids);
  });

  test('a bucket with none of its companions breaks every archive rule', () => {
    const ids = checkSynthesized({ resource: { aws_s3_bucket: { b: { bucket: 'x' } } } }).map(
      (f) => f.ruleId,
    );
    expect(ids).toEqual(['PGT-ARC-002', 'PGT-ARC-003', 'PGT-ARC-006', 'PGT-ARC-006']);
  });

  test('only resources under protected constructs are judged', () => {
    const json = {
      resource: { aws_instance: { a: { '//': { metadata: { path: 'app/stack/theirs/instance' } } } } },
    };
    expect(checkSynthesized(json, (p) => p.startsWith('app/stack/ours')).map((f) => f.ruleId)).toEqual([]);
    expect(checkSynthesized(json).map((f) => f.ruleId)).toEqual(['PGT-EC2-001']);
  });
});

/** Finds the one resource of a type whose construct path contains `part`. */
function find(stack: TerraformStack, type: string, part: string): TerraformResource {
  const found = stack.node
    .findAll()
    .filter(
      (c): c is TerraformResource =>
        (c as TerraformResource).terraformResourceType === type && c.node.path.includes(part),
    );
  if (found.length === 0) throw new Error(`no ${type} under ${part}`);
  return found[0]!;
}

type Hatch = (topo: PostgresTopology) => void;
const region = (topo: PostgresTopology) => topo.regionStacks['us-east-1']!;

describe('escape hatches that break a promise fail synth', () => {
  const cases: [string, string, Hatch][] = [
    [
      'IMDSv1 allowed',
      'PGT-EC2-001',
      (t) =>
        region(t).members['use1-a']!.host.instance.addOverride('metadata_options.http_tokens', 'optional'),
    ],
    [
      'IMDS hop limit 2',
      'PGT-EC2-001',
      (t) =>
        region(t).members['use1-b']!.host.instance.addOverride(
          'metadata_options.http_put_response_hop_limit',
          2,
        ),
    ],
    [
      'IMDSv1 in the launch template',
      'PGT-EC2-001',
      (t) =>
        region(t).members['use1-a']!.host.launchTemplate.addOverride(
          'metadata_options.http_tokens',
          'optional',
        ),
    ],
    [
      'public IP',
      'PGT-EC2-003',
      (t) => region(t).members['use1-c']!.host.instance.addOverride('associate_public_ip_address', true),
    ],
    [
      'unencrypted data volume',
      'PGT-EC2-002',
      (t) => region(t).members['use1-a']!.dataVolume.addOverride('encrypted', false),
    ],
    [
      'data volume without a CMK',
      'PGT-EC2-002',
      (t) => region(t).members['use1-a']!.dataVolume.addOverride('kms_key_id', null),
    ],
    [
      'PostgreSQL open to the internet',
      'PGT-NET-001',
      (t) =>
        find(region(t), 'aws_vpc_security_group_ingress_rule', 'members-firewall/clients-5432').addOverride(
          'cidr_ipv4',
          '0.0.0.0/0',
        ),
    ],
    [
      'one Block Public Access setting off',
      'PGT-ARC-006',
      (t) =>
        find(region(t), 'aws_s3_bucket_public_access_block', 'archive/').addOverride(
          'restrict_public_buckets',
          false,
        ),
    ],
    [
      'TLS-only policy replaced',
      'PGT-ARC-006',
      (t) =>
        find(region(t), 'aws_s3_bucket_policy', 'archive/').addOverride(
          'policy',
          JSON.stringify({ Statement: [] }),
        ),
    ],
    [
      'SSE-S3 instead of KMS',
      'PGT-ARC-002',
      (t) =>
        find(region(t), 'aws_s3_bucket_server_side_encryption_configuration', 'archive/').addOverride(
          'rule.0.apply_server_side_encryption_by_default',
          { sse_algorithm: 'AES256' },
        ),
    ],
    [
      'key rotation off',
      'PGT-ARC-002',
      (t) => region(t).clusterKey.key.addOverride('enable_key_rotation', false),
    ],
    [
      'versioning suspended',
      'PGT-ARC-003',
      (t) => region(t).archive!.versioning.addOverride('versioning_configuration.status', 'Suspended'),
    ],
    [
      'wildcard action on a node role',
      'PGT-IAM-001',
      (t) =>
        find(region(t), 'aws_iam_role_policy', 'member-use1-a/').addOverride(
          'policy',
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/orders-us-east-1/*' }],
          }),
        ),
    ],
    [
      'star resource on a node role',
      'PGT-IAM-001',
      (t) =>
        find(region(t), 'aws_iam_role_policy', 'member-use1-b/').addOverride(
          'policy',
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
          }),
        ),
    ],
    [
      'a node role writing another prefix',
      'PGT-IAM-001',
      (t) =>
        find(region(t), 'aws_iam_role_policy', 'member-use1-c/').addOverride(
          'policy',
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/orders-us-west-2/*' },
            ],
          }),
        ),
    ],
    [
      'public load balancer',
      'PGT-NET-002',
      (t) => region(t).endpoints['orders-us-east-1']!.loadBalancer.addOverride('internal', false),
    ],
    [
      'TCP health check',
      'PGT-NET-004',
      (t) =>
        region(t).endpoints['orders-us-east-1']!.targetGroups.writer!.addOverride(
          'health_check.protocol',
          'TCP',
        ),
    ],
  ];
  test.each(cases)('%s -> %s', (_name, ruleId, hatch) => {
    const app = new App({ outdir: `${tmp.dir}/hatch`, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec: EXAMPLES.singleRegion });
    hatch(topo);
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(error, 'synth must fail').toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(new RegExp(`\\b${ruleId}\\b`));
  });

  test('the replication destination key named by alias fails PGT-ARC-005', () => {
    const app = new App({ outdir: `${tmp.dir}/hatch-arc5`, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec: EXAMPLES.twoRegionStandby });
    topo.globalStack.replication!.configuration.addOverride(
      'rule.0.destination.encryption_configuration.replica_kms_key_id',
      'alias/pgtopo/orders/us-west-2/archive',
    );
    expect(() => app.synth()).toThrow(/PGT-ARC-005/);
  });

  test("a resource under a pgtopo construct is judged; one under the user's own construct is not", () => {
    const bare = { ami: 'ami-0123456789abcdef0', instanceType: 't3.micro' };
    const build = (under: (topo: PostgresTopology) => Construct) => {
      const app = new App({ outdir: `${tmp.dir}/roots`, stackTraces: false });
      const topo = new PostgresTopology(app, 'pgtopo', { spec: EXAMPLES.singleRegion });
      new Instance(under(topo), 'extra', bare);
      return app;
    };
    const member = (t: PostgresTopology) => region(t).members['use1-a']!;
    expect(() => build(member).synth()).toThrow(/PGT-EC2-001/);
    // A sibling whose id starts with a pgtopo construct's id is still the user's own.
    expect(() => build((t) => new Construct(region(t), `${member(t).node.id}-extra`)).synth()).not.toThrow();
  });

  test('synthesize reports every guard finding as data', () => {
    // The untouched examples synthesize: the guard finds nothing in what pgtopo builds itself.
    expect(() => synthesize(EXAMPLES.singleRegion, `${tmp.dir}/clean`)).not.toThrow();
    const e = new SynthesisError(['PGT-EC2-001 x']);
    expect(e.messages).toEqual(['PGT-EC2-001 x']);
  });
});
