/**
 * Every construct is usable on its own, in a stack the user writes, with the defaults its props
 * document; the resource-level rules follow it there.
 */
import { readFileSync } from 'node:fs';
import { App, TerraformStack } from 'cdktf';
import { afterAll, describe, expect, test } from 'vitest';
import {
  ClusterAlarms,
  ClusterEndpoints,
  ClusterKey,
  ClusterSecrets,
  EtcdQuorum,
  PatroniFirewall,
  PatroniMember,
  RegionNetwork,
  regionProvider,
  WalArchive,
} from '../../src/aws/index.js';
import { topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import { example, exampleWith } from '../helpers/examples.js';
import { type Json, resources, tempDir } from './helpers.js';

const tmp = tempDir('standalone');
afterAll(() => tmp.cleanup());
let n = 0;

/** Builds one user-written stack with `build`, synthesizes it and returns its JSON. */
function synthStack(build: (stack: TerraformStack) => void): Json {
  const outdir = `${tmp.dir}/${n++}`;
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'mine');
  regionProvider(stack, 'aws', { region: 'us-east-1' });
  build(stack);
  app.synth();
  return JSON.parse(readFileSync(`${outdir}/stacks/mine/cdk.tf.json`, 'utf8')) as Json;
}

function region(t: Topology, stack: TerraformStack) {
  const key = new ClusterKey(stack, 'key', {
    alias: 'alias/mine',
    description: 'mine',
    region: 'us-east-1',
    services: [{ service: 'ec2' }],
  });
  const net = new RegionNetwork(stack, 'net', { topology: t, region: 'us-east-1' });
  const fw = new PatroniFirewall(stack, 'fw', { topology: t, region: 'us-east-1', vpcId: net.vpc.id });
  return { key, net, fw };
}

describe('constructs on their own', () => {
  const t = example('singleRegion');

  test('RegionNetwork with egress none: no NAT, no public subnets, endpoints only', () => {
    const json = synthStack(
      (s) => new RegionNetwork(s, 'net', { topology: t, region: 'us-east-1', egress: 'none' }),
    );
    expect(resources(json, 'aws_nat_gateway')).toEqual([]);
    expect(resources(json, 'aws_internet_gateway')).toEqual([]);
    expect(resources(json, 'aws_subnet')).toHaveLength(t.regions[0]!.azs.length);
    expect(resources(json, 'aws_vpc_endpoint').length).toBeGreaterThan(1);
  });

  test('PatroniMember and EtcdQuorum with rendered user data and derived permissions by default', () => {
    const json = synthStack((s) => {
      const { key, net, fw } = region(t, s);
      new PatroniMember(s, 'a', {
        topology: t,
        member: 'use1-a',
        subnetId: net.privateSubnetIds['us-east-1a']!,
        securityGroupIds: [fw.securityGroup.id],
        kmsKeyArn: key.arn,
      });
      new EtcdQuorum(s, 'etcd', {
        topology: t,
        quorum: t.etcd[0]!.id,
        region: 'us-east-1',
        vpcId: net.vpc.id,
        subnetIds: net.privateSubnetIds,
        memberSecurityGroupId: fw.securityGroup.id,
        kmsKeyArn: key.arn,
      });
    });
    const instances = resources(json, 'aws_instance');
    expect(instances).toHaveLength(1 + t.etcd[0]!.members.length);
    expect(resources(json, 'aws_ebs_volume')).toHaveLength(1);
    expect(resources(json, 'aws_iam_role_policy')).toHaveLength(instances.length);
  });

  test('ClusterEndpoints creates its own private zone by default', () => {
    const json = synthStack((s) => {
      const { net, fw } = region(t, s);
      new ClusterEndpoints(s, 'ep', {
        topology: t,
        cluster: t.clusters[0]!.scope,
        vpcId: net.vpc.id,
        subnetIds: net.privateSubnetIds,
        firewall: fw,
      });
    });
    expect(resources(json, 'aws_route53_zone').map((z) => z.config.name)).toEqual([t.endpoints.zone]);
    expect(
      resources(json, 'aws_route53_record')
        .map((r) => r.config.name)
        .sort(),
    ).toEqual(
      [
        t.endpoints.names[t.clusters[0]!.scope]!.reader,
        t.endpoints.names[t.clusters[0]!.scope]!.writer,
      ].sort(),
    );
  });

  test('WalArchive, ClusterSecrets and ClusterAlarms (own topic) in one stack', () => {
    const json = synthStack((s) => {
      new WalArchive(s, 'archive', { topology: t, region: 'us-east-1' });
      new ClusterSecrets(s, 'secrets', { topology: t });
      new ClusterAlarms(s, 'alarms', {
        topology: t,
        cluster: t.clusters[0]!.scope,
        loadBalancer: { arnSuffix: 'net/x/1', writerTargetGroupArnSuffix: 'targetgroup/x/1' },
      });
    });
    expect(resources(json, 'aws_s3_bucket')).toHaveLength(1);
    expect(resources(json, 'aws_secretsmanager_secret')).toHaveLength(7);
    expect(resources(json, 'aws_sns_topic')).toHaveLength(1);
    expect(resources(json, 'aws_cloudwatch_metric_alarm')).toHaveLength(5);
  });

  test('the spec decides, the guard judges: a public load balancer fails synth (PGT-NET-002)', () => {
    const spec = {
      name: 'open',
      primaryRegion: 'us-east-1',
      regions: [
        {
          name: 'us-east-1',
          cidr: '10.10.0.0/16',
          azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
          members: [
            { name: 'm1', az: 'us-east-1a' },
            { name: 'm2', az: 'us-east-1b' },
          ],
        },
      ],
      endpoints: { internal: false },
    };
    const open = topologyFrom(spec);
    expect(() =>
      synthStack((s) => {
        const { net, fw } = region(open, s);
        new ClusterEndpoints(s, 'ep', {
          topology: open,
          cluster: open.clusters[0]!.scope,
          vpcId: net.vpc.id,
          subnetIds: net.privateSubnetIds,
          firewall: fw,
          dns: 'none',
        });
      }),
    ).toThrow(/PGT-NET-002/);
  });

  test('resources the user adds beside pgtopo constructs are not judged', () => {
    expect(() =>
      synthStack((s) => {
        new RegionNetwork(s, 'net', { topology: t, region: 'us-east-1' });
        s.addOverride('resource.aws_s3_bucket.theirs', { bucket: 'someone-elses-bucket' });
      }),
    ).not.toThrow();
  });
});

describe('PatroniFirewall and the Prometheus source', () => {
  test.each([
    ['a CIDR that is also an admin CIDR reaches 8008 once', ['10.99.0.0/24'], ['10.99.0.0/24'], 1],
    ['a CIDR of its own gets its own 8008 rule', ['10.99.0.0/24'], ['10.98.0.0/24'], 2],
  ])('%s', (_n, prometheus, admin, rules8008) => {
    const t = exampleWith('singleRegion', (s) => {
      s.security = { ...s.security, adminCidrs: admin };
      s.observability = { prometheus: { allowedCidrs: prometheus } };
    });
    const json = synthStack((s) => {
      const net = new RegionNetwork(s, 'net', { topology: t, region: 'us-east-1' });
      new PatroniFirewall(s, 'fw', { topology: t, region: 'us-east-1', vpcId: net.vpc.id });
    });
    const ingress = resources(json, 'aws_vpc_security_group_ingress_rule');
    const at = (port: number) => ingress.filter((r) => r.config.from_port === port && r.config.cidr_ipv4);
    // Duplicate (source, port) rules fail the apply (InvalidPermission.Duplicate).
    expect(at(8008).filter((r) => r.config.cidr_ipv4 === '10.99.0.0/24')).toHaveLength(1);
    expect(at(8008)).toHaveLength(rules8008);
    for (const port of [9187, 9100])
      expect(at(port).map((r) => r.config.cidr_ipv4)).toEqual(['10.99.0.0/24']);
  });
});
