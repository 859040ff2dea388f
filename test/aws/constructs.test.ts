/**
 * Each construct's promises, asserted on the synthesized Terraform JSON of every example:
 * placement per the model, encryption, IMDSv2, health-check paths, replication destinations and
 * keys, least-privilege roles, prevent_destroy on stateful resources.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeUserData, nodeStatements, peeredRegionPairs, wildcardProblems } from '../../src/aws/index.js';
import { HEALTH_PATHS, PORTS } from '../../src/model/constants.js';
import {
  AWAITING_VALUE_TAG,
  bootableHosts,
  CERT_RENEWAL_UNIT,
  hostRegion,
  scrapeJobs,
  tlsParameters,
} from '../../src/render/index.js';
import { EXAMPLE_NAMES, type ExampleName, example, exampleWith } from '../helpers/examples.js';
import {
  allResources,
  type Json,
  pathOf,
  resources,
  type SynthesizedExample,
  synthExample,
  tempDir,
  tf,
} from './helpers.js';

const tmp = tempDir('constructs');
const synthesized = {} as Record<ExampleName, SynthesizedExample>;

beforeAll(() => {
  for (const name of EXAMPLE_NAMES) synthesized[name] = synthExample(name, `${tmp.dir}/${name}`);
});
afterAll(() => tmp.cleanup());

const each = test.each(EXAMPLE_NAMES.map((n) => [n] as const));
const ref = (type: string) => new RegExp(`^\\$\\{${type}\\.[^.]+\\.(arn|id)\\}$`);

describe('stacks', () => {
  each('%s: one stack per region plus the global stack', (name) => {
    const t = example(name);
    expect(synthesized[name].result.stacks.map((s) => s.id)).toEqual([
      ...t.regions.map((r) => `${t.name}-${r.name}`),
      `${t.name}-global`,
    ]);
  });

  each('%s: every provider honours offline_plan and no mirror or credentials are hard-coded', (name) => {
    for (const [id, json] of Object.entries(synthesized[name].stacks)) {
      const providers = (json.provider as { aws: Json[] }).aws;
      expect(providers.length, id).toBeGreaterThan(0);
      for (const p of providers) {
        expect(p).toMatchObject({
          skip_credentials_validation: tf('var.offline_plan'),
          skip_requesting_account_id: tf('var.offline_plan'),
          access_key: tf('var.offline_plan ? "pgtopo-offline-plan" : null'),
        });
      }
      expect(JSON.stringify(json)).not.toContain('/opt/tf-plugins');
      expect((json.variable as Json).offline_plan).toMatchObject({ type: 'bool', default: false });
    }
  });

  each('%s: no data source reads AWS during an offline plan', (name) => {
    for (const json of Object.values(synthesized[name].stacks)) {
      const data = (json.data ?? {}) as Record<string, Record<string, Json>>;
      // Only data sources that need no AWS API, or that an offline plan skips (count 0).
      const allowed = ['aws_partition', 'aws_caller_identity', 'terraform_remote_state'];
      expect(Object.keys(data).filter((k) => !allowed.includes(k))).toEqual([]);
      for (const k of ['aws_caller_identity', 'terraform_remote_state']) {
        for (const d of Object.values(data[k] ?? {})) expect(d.count).toBe(tf('var.offline_plan ? 0 : 1'));
      }
    }
  });
});

describe('RegionNetwork', () => {
  each(
    '%s: VPC from the region CIDR, private subnets per AZ from the subnet plan, S3 and interface endpoints',
    (name) => {
      const t = example(name);
      for (const r of t.regions) {
        const stack = synthesized[name].stacks[`${t.name}-${r.name}`]!;
        expect(resources(stack, 'aws_vpc').map((v) => v.config.cidr_block)).toEqual([r.cidr]);
        const privateSubnets = resources(stack, 'aws_subnet').filter(
          (s) => (s.config.tags as Json)['pgtopo:tier'] === 'private',
        );
        expect(privateSubnets.map((s) => [s.config.availability_zone, s.config.cidr_block])).toEqual(
          r.subnets.map((s) => [s.az, s.privateCidr]),
        );
        expect(resources(stack, 'aws_subnet').every((s) => s.config.map_public_ip_on_launch === false)).toBe(
          true,
        );
        const endpoints = resources(stack, 'aws_vpc_endpoint').map((e) => e.config.service_name);
        for (const svc of ['s3', 'secretsmanager', 'kms', 'ssm', 'logs', 'monitoring']) {
          expect(endpoints).toContain(`com.amazonaws.${r.name}.${svc}`);
        }
        // egress nat (the default): one NAT gateway per AZ, each private route table defaults to its own AZ's.
        expect(resources(stack, 'aws_nat_gateway')).toHaveLength(r.azs.length);
      }
    },
  );

  each('%s: peering between regions that replicate or share a quorum, with routes both ways', (name) => {
    const t = example(name);
    const global = synthesized[name].stacks[`${t.name}-global`]!;
    const pairs = peeredRegionPairs(t);
    const expected = {
      singleRegion: [],
      twoRegionStandby: [['us-east-1', 'us-west-2']],
      threeRegionStretched: [
        ['eu-west-1', 'eu-central-1'],
        ['eu-west-1', 'eu-north-1'],
        ['eu-central-1', 'eu-north-1'],
      ],
      logicalSubscriber: [],
    }[name];
    expect(pairs).toEqual(expected);
    const connections = resources(global, 'aws_vpc_peering_connection');
    // Terraform JSON keys are sorted: compare the pairs as a set.
    expect(connections.map((c) => `${c.config.provider} ${c.config.peer_region}`).sort()).toEqual(
      pairs.map(([a, b]) => `aws.${a} ${b}`).sort(),
    );
    expect(resources(global, 'aws_vpc_peering_connection_accepter')).toHaveLength(pairs.length);
    // One route per private route table on each side.
    const routes = resources(global, 'aws_route');
    const perPair = pairs.map(
      ([a, b]) =>
        t.regions.find((r) => r.name === a)!.azs.length + t.regions.find((r) => r.name === b)!.azs.length,
    );
    expect(routes).toHaveLength(perPair.reduce((x, y) => x + y, 0));
  });
});

describe('EtcdQuorum', () => {
  each(
    '%s: dedicated members at their model AZ and fixed IP, reachable only from peers and members',
    (name) => {
      const t = example(name);
      for (const q of t.etcd) {
        for (const e of q.members) {
          const stack = synthesized[name].stacks[`${t.name}-${e.region}`]!;
          const instance = resources(stack, 'aws_instance').find(
            (i) => (i.config.tags as Json)['pgtopo:etcd'] === e.name,
          );
          expect(instance?.config.private_ip, e.name).toBe(e.privateIp);
          expect(instance?.config.instance_type).toBe(q.instanceType);
        }
      }
      for (const [id, stack] of Object.entries(synthesized[name].stacks)) {
        const etcdSgs = resources(stack, 'aws_security_group').filter((s) =>
          /etcd/.test(String(s.config.name_prefix)),
        );
        const rules = resources(stack, 'aws_vpc_security_group_ingress_rule').filter((r) =>
          etcdSgs.some((sg) => r.config.security_group_id === `\${aws_security_group.${sg.name}.id}`),
        );
        for (const r of rules) {
          expect([PORTS.etcdClient, PORTS.etcdPeer, PORTS.ssh, PORTS.etcdMetrics], id).toContain(
            r.config.from_port,
          );
          // etcd's metrics listener: the declared Prometheus source only (its own test below).
          if (r.config.from_port === PORTS.etcdMetrics) continue;
          expect(r.config.cidr_ipv4 ?? 'sg', id).not.toBe('0.0.0.0/0');
          if (r.config.cidr_ipv4) expect(String(r.config.cidr_ipv4)).toMatch(/\/32$/);
        }
      }
    },
  );

  test('a stretched quorum admits the remote Patroni members and peers by /32', () => {
    const t = example('threeRegionStretched');
    const stack = synthesized.threeRegionStretched.stacks['ledger-eu-west-1']!;
    const cidrs = resources(stack, 'aws_vpc_security_group_ingress_rule')
      .filter((r) => r.config.from_port === PORTS.etcdPeer)
      .map((r) => r.config.cidr_ipv4)
      .filter(Boolean);
    const remotePeers = t.etcd[0]!.members.filter((e) => e.region !== 'eu-west-1').map(
      (e) => `${e.privateIp}/32`,
    );
    expect(cidrs).toEqual(expect.arrayContaining(remotePeers));
    const clients = resources(stack, 'aws_vpc_security_group_ingress_rule')
      .filter((r) => r.config.from_port === PORTS.etcdClient && r.config.cidr_ipv4)
      .map((r) => r.config.cidr_ipv4);
    expect(clients).toEqual(
      expect.arrayContaining(
        t.members.filter((m) => m.region !== 'eu-west-1').map((m) => `${m.privateIp}/32`),
      ),
    );
  });
});

describe('PatroniMember', () => {
  each('%s: IMDSv2 with hop limit 1, no public IP, termination protection, fixed IP, user data', (name) => {
    const t = example(name);
    const instances = allResources(synthesized[name], 'aws_instance');
    expect(instances).toHaveLength(
      t.members.length + t.etcd.flatMap((q) => q.members).filter((e) => !e.colocatedWith).length,
    );
    for (const i of instances) {
      expect(i.config.metadata_options, i.name).toMatchObject({
        http_tokens: 'required',
        http_put_response_hop_limit: 1,
      });
      expect(i.config.associate_public_ip_address).toBe(false);
      expect(i.config.disable_api_termination).toBe(true);
      expect(i.config.iam_instance_profile).toMatch(/^\$\{aws_iam_instance_profile\./);
      expect(decodeUserData(String(i.config.user_data_base64))).toMatch(/^#cloud-config/);
      // Re-rendered user data must not stop and start running nodes (the provider's default on a change).
      expect((i.config.lifecycle as Json).ignore_changes).toContain('user_data_base64');
    }
    for (const m of t.members) {
      const i = instances.find((x) => (x.config.tags as Json)['pgtopo:member'] === m.name)!;
      expect(i.config).toMatchObject({ private_ip: m.privateIp, instance_type: m.instanceType });
      const hostTemplate = allResources(synthesized[name], 'aws_launch_template').find((lt) =>
        pathOf(lt).includes(`member-${m.name}/`),
      )!;
      expect(hostTemplate.config.metadata_options).toMatchObject({
        http_tokens: 'required',
        http_put_response_hop_limit: 1,
      });
      expect(hostTemplate.config.image_id).toBe('resolve:ssm:/aws/service/debian/release/13/latest/amd64');
    }
  });

  each(
    '%s: encrypted gp3 data volume per member under the cluster key, separate attachment, prevent_destroy',
    (name) => {
      const t = example(name);
      const volumes = allResources(synthesized[name], 'aws_ebs_volume');
      expect(volumes).toHaveLength(t.members.length);
      for (const m of t.members) {
        const v = volumes.find((x) => (x.config.tags as Json)['pgtopo:member'] === m.name)!;
        expect(v.config).toMatchObject({
          availability_zone: m.az,
          size: m.volume.sizeGiB,
          type: 'gp3',
          iops: m.volume.iops,
          throughput: m.volume.throughputMiBps,
          encrypted: true,
          lifecycle: { prevent_destroy: true },
        });
        const key = resources(synthesized[name].stacks[v.stack]!, 'aws_kms_key').find((k) =>
          pathOf(k).includes('/cluster-key/'),
        )!;
        expect(v.config.kms_key_id).toBe(`\${aws_kms_key.${key.name}.arn}`);
      }
      expect(allResources(synthesized[name], 'aws_volume_attachment')).toHaveLength(t.members.length);
      for (const lt of allResources(synthesized[name], 'aws_launch_template')) {
        for (const bd of lt.config.block_device_mappings as Json[]) {
          expect(bd.ebs).toMatchObject({ encrypted: 'true', volume_type: 'gp3' });
          expect(String((bd.ebs as Json).kms_key_id)).toMatch(ref('aws_kms_key'));
        }
      }
    },
  );

  each('%s: node roles: no wildcard action or resource, writes only the own cluster prefix', (name) => {
    const t = example(name);
    const policies = allResources(synthesized[name], 'aws_iam_role_policy');
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      expect(wildcardProblems(String(p.config.policy)), p.name).toEqual([]);
      const doc = JSON.parse(String(p.config.policy)) as {
        Statement: { Resource: string | string[]; Action: string[] }[];
      };
      for (const s of doc.Statement) expect([s.Resource].flat()).not.toContain('*');
    }
    for (const m of t.members) {
      const p = policies.find((x) => pathOf(x).includes(`member-${m.name}/`))!;
      const doc = JSON.parse(String(p.config.policy)) as {
        Statement: { Sid: string; Action: string[]; Resource: string | string[] }[];
      };
      const writes = doc.Statement.filter((s) => s.Action.includes('s3:PutObject')).flatMap((s) =>
        [s.Resource].flat(),
      );
      const cluster = t.clusters.find((c) => c.scope === m.cluster)!;
      if (cluster.role === 'standby') {
        expect(writes).toEqual([]);
      } else {
        expect(writes.length).toBeGreaterThan(0);
        for (const w of writes)
          expect(w).toMatch(new RegExp(`:s3:::[^/]+/${t.archive.prefixes[m.cluster]}\\*$`));
      }
      const put = doc.Statement.find((s) => s.Action.includes('secretsmanager:PutSecretValue'));
      expect(Boolean(put), m.name).toBe(m.region === t.primaryRegion);
    }
  });

  each('%s: node roles write a credential once, at bootstrap, and never again', (name) => {
    type Statement = { Sid: string; Action: string[]; Resource: string[]; Condition?: Json };
    const statements = allResources(synthesized[name], 'aws_iam_role_policy').flatMap(
      (p) => (JSON.parse(String(p.config.policy)) as { Statement: Statement[] }).Statement,
    );
    const actions = (a: string) => statements.filter((s) => s.Action.includes(a));
    expect(actions('secretsmanager:PutSecretValue').length).toBeGreaterThan(0);
    for (const s of actions('secretsmanager:PutSecretValue'))
      expect(s.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${AWAITING_VALUE_TAG}`]: 'true' } });
    for (const s of actions('secretsmanager:UntagResource'))
      expect(s.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': [AWAITING_VALUE_TAG] } });
    // Nothing lets a node put the tag back (or change a secret any other way).
    const writes = statements.flatMap((s) => s.Action).filter((a) => a.startsWith('secretsmanager:'));
    expect([...new Set(writes)].sort()).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UntagResource',
    ]);
    const t = example(name);
    const secrets = synthesized[name].stacks[`${t.name}-global`]!;
    for (const secret of resources(secrets, 'aws_secretsmanager_secret')) {
      expect((secret.config.tags as Json)[AWAITING_VALUE_TAG]).toBe('true');
      expect((secret.config.lifecycle as Json).ignore_changes).toEqual(['tags', 'tags_all']);
    }
  });
});

describe('node certificates (security.ca)', () => {
  type Statement = { Sid: string; Action: string[]; Resource: string | string[]; Condition?: Json };
  const statementsOf = (p: { config: Json }) =>
    (JSON.parse(String(p.config.policy)) as { Statement: Statement[] }).Statement;
  /** The role policy of a bootable host, by the construct path of its node. */
  const policyOf = (name: ExampleName, host: string) => {
    const t = example(name);
    const policies = allResources(synthesized[name], 'aws_iam_role_policy');
    const isMember = t.members.some((m) => m.name === host);
    const found = policies.filter((p) =>
      isMember ? pathOf(p).includes(`/member-${host}/`) : pathOf(p).includes(`/${host}/`),
    );
    expect(found, host).toHaveLength(1);
    return found[0]!;
  };

  test('the examples cover both modes', () => {
    expect(EXAMPLE_NAMES.map((n) => example(n).security.ca.mode)).toEqual([
      'self-managed',
      'self-managed',
      'aws-private-ca',
      'self-managed',
    ]);
  });

  each('%s: which nodes can read a CA private key (and so mint any certificate)', (name) => {
    const t = example(name);
    const caSecret = `:secret:pgtopo/${t.name}/tls-ca-??????`;
    for (const host of bootableHosts(t)) {
      const statements = statementsOf(policyOf(name, host));
      const readsCaKey = statements.some(
        (s) =>
          s.Action.includes('secretsmanager:GetSecretValue') &&
          [s.Resource].flat().some((r) => r.endsWith(caSecret)),
      );
      // Self-managed: every node signs its own certificate, so every node reads the key. Private CA: none.
      expect(readsCaKey, host).toBe(t.security.ca.mode === 'self-managed');
      if (t.security.ca.mode === 'self-managed') {
        expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('acm-pca:'))).toEqual([]);
      }
    }
  });

  test('aws-private-ca: a short-lived root CA per region, protected, named to the region by an SSM parameter', () => {
    const t = example('threeRegionStretched');
    for (const r of t.regions) {
      const stack = synthesized.threeRegionStretched.stacks[`${t.name}-${r.name}`]!;
      const cas = resources(stack, 'aws_acmpca_certificate_authority');
      expect(cas).toHaveLength(1);
      expect(cas[0]!.config).toMatchObject({
        type: 'ROOT',
        usage_mode: 'SHORT_LIVED_CERTIFICATE',
        certificate_authority_configuration: { key_algorithm: 'EC_prime256v1' },
        lifecycle: { prevent_destroy: true },
      });
      const root = resources(stack, 'aws_acmpca_certificate');
      expect(root).toHaveLength(1);
      expect(String(root[0]!.config.template_arn)).toMatch(/:acm-pca:::template\/RootCACertificate\/V1$/);
      expect(resources(stack, 'aws_acmpca_certificate_authority_certificate')).toHaveLength(1);
      const params = resources(stack, 'aws_ssm_parameter');
      expect(params.map((p) => [p.config.name, p.config.type, p.config.insecure_value])).toEqual([
        [tlsParameters(t).issuer, 'String', tf(`aws_acmpca_certificate_authority.${cas[0]!.name}.arn`)],
      ]);
      const endpoints = resources(stack, 'aws_vpc_endpoint').map((e) => e.config.service_name);
      expect(endpoints).toContain(`com.amazonaws.${r.name}.acm-pca`);
      // No CA key anywhere: no secret for it in any stack.
      expect(resources(stack, 'aws_secretsmanager_secret')).toEqual([]);
    }
    const global = synthesized.threeRegionStretched.stacks[`${t.name}-global`]!;
    const bundles = resources(global, 'aws_ssm_parameter');
    expect(bundles).toHaveLength(t.regions.length);
    for (const b of bundles) {
      expect(b.config).toMatchObject({ name: tlsParameters(t).trust, type: 'String' });
      // Every region's CA certificate, from each region stack's output.
      for (const r of t.regions) expect(String(b.config.insecure_value)).toContain(`region-${r.name}`);
    }
  });

  test('aws-private-ca: each node may only request end-entity certificates from its own region’s CA', () => {
    const name = 'threeRegionStretched';
    const t = example(name);
    for (const host of bootableHosts(t)) {
      const region = hostRegion(t, host);
      const stack = synthesized[name].stacks[`${t.name}-${region}`]!;
      const ca = tf(
        `aws_acmpca_certificate_authority.${resources(stack, 'aws_acmpca_certificate_authority')[0]!.name}.arn`,
      );
      const statements = statementsOf(policyOf(name, host));
      const pca = statements.filter((s) => s.Action.some((a) => a.startsWith('acm-pca:')));
      expect(pca.map((s) => [s.Action, s.Resource, s.Condition])).toEqual([
        [
          ['acm-pca:IssueCertificate'],
          ca,
          {
            StringEquals: {
              'acm-pca:TemplateArn': expect.stringMatching(
                /^arn:\$\{data\.aws_partition\.[^.]+\.partition\}:acm-pca:::template\/EndEntityCertificate\/V1$/,
              ),
            },
          },
        ],
        [['acm-pca:GetCertificate'], ca, undefined],
      ]);
      const ssm = statements.filter((s) => s.Action.some((a) => a.startsWith('ssm:')));
      expect(ssm.flatMap((s) => s.Action)).toEqual(['ssm:GetParameter']);
      expect([ssm[0]!.Resource].flat().map((r) => r.replace(/^arn:.*:parameter/, ''))).toEqual([
        tlsParameters(t).issuer,
        tlsParameters(t).trust,
      ]);
      for (const r of [ssm[0]!.Resource].flat()) expect(r).toContain(`:ssm:${region}:`);
      expect(
        statements.some((s) => [s.Resource].flat().some((r) => r.includes('/tls-ca'))),
        host,
      ).toBe(false);
    }
  });

  test('aws-private-ca: the boot step requests the certificate and a timer renews it; no CA secret is fetched', () => {
    const name = 'threeRegionStretched';
    const t = example(name);
    const instances = allResources(synthesized[name], 'aws_instance');
    expect(instances).toHaveLength(bootableHosts(t).length);
    for (const i of instances) {
      const u = decodeUserData(String(i.config.user_data_base64));
      expect(u).not.toContain(`pgtopo/${t.name}/tls-ca`);
      expect(u).not.toContain('PGTOPO_SECRET_TLS_CA');
      expect(u).toContain('aws acm-pca issue-certificate');
      expect(u).toContain(`${CERT_RENEWAL_UNIT}.timer`);
      expect(u).toContain(`systemctl enable --now`);
    }
  });

  test('aws-private-ca: the statements of a node need its region CA', () => {
    const t = exampleWith('singleRegion', (s) => {
      s.security = { ...s.security, ca: { mode: 'aws-private-ca' } };
    });
    const facts = { accountId: '123456789012', partition: 'aws' };
    expect(() => nodeStatements(t, t.members[0]!.name, { facts })).toThrow(/certificateAuthorityArn/);
    const ca =
      'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';
    const statements = nodeStatements(t, t.members[0]!.name, { facts, certificateAuthorityArn: ca });
    expect(statements.find((s) => s.Sid === 'RequestNodeCertificate')).toEqual({
      Sid: 'RequestNodeCertificate',
      Effect: 'Allow',
      Action: ['acm-pca:IssueCertificate'],
      Resource: ca,
      Condition: {
        StringEquals: { 'acm-pca:TemplateArn': 'arn:aws:acm-pca:::template/EndEntityCertificate/V1' },
      },
    });
    expect(statements.flatMap((s) => [s.Resource].flat()).filter((r) => r.includes('/tls-ca'))).toEqual([]);
    expect(wildcardProblems(JSON.stringify({ Statement: statements }))).toEqual([]);
  });
});

describe('ClusterEndpoints', () => {
  each(
    '%s: internal NLB over the member AZs, protected, cross-zone, HTTP(S) checks on the Patroni REST port',
    (name) => {
      const t = example(name);
      for (const c of t.clusters) {
        const stack = synthesized[name].stacks[`${t.name}-${c.regions[0]}`]!;
        const lb = resources(stack, 'aws_lb').find(
          (l) => (l.config.tags as Json)['pgtopo:cluster'] === c.scope,
        )!;
        expect(lb.config).toMatchObject({
          internal: true,
          load_balancer_type: 'network',
          enable_deletion_protection: true,
          enable_cross_zone_load_balancing: true,
        });
        const memberAzs = new Set(c.members.map((n) => t.members.find((m) => m.name === n)!.az));
        expect((lb.config.subnets as string[]).length).toBe(memberAzs.size);
        const groups = resources(stack, 'aws_lb_target_group').filter(
          (g) => (g.config.tags as Json)['pgtopo:cluster'] === c.scope,
        );
        const byKey = Object.fromEntries(
          groups.map((g) => [(g.config.tags as Json)['pgtopo:endpoint'], g.config]),
        );
        const writerPath = c.role === 'standby' ? HEALTH_PATHS.standbyLeader : HEALTH_PATHS.writer;
        const readerPath = HEALTH_PATHS.reader(t.endpoints.readerMaxLagBytes);
        for (const [key, path, port] of [
          ['writer', writerPath, PORTS.postgres],
          ['reader', readerPath, PORTS.postgres],
          ['writerPooled', writerPath, PORTS.pgbouncer],
          ['readerPooled', readerPath, PORTS.pgbouncer],
        ] as const) {
          expect(byKey[key], `${c.scope} ${key}`).toMatchObject({
            port,
            protocol: 'TCP',
            target_type: 'ip',
            health_check: {
              protocol: 'HTTPS',
              port: String(PORTS.patroniRest),
              path,
              interval: t.failover.healthCheck.intervalSeconds,
              healthy_threshold: t.failover.healthCheck.healthyThreshold,
              unhealthy_threshold: t.failover.healthCheck.unhealthyThreshold,
            },
          });
        }
        const listeners = resources(stack, 'aws_lb_listener').filter(
          (l) => l.config.load_balancer_arn === `\${aws_lb.${lb.name}.arn}`,
        );
        expect(listeners.map((l) => l.config.port).sort()).toEqual(
          [PORTS.writer, PORTS.reader, PORTS.writerPooled, PORTS.readerPooled].sort(),
        );
        const attachments = resources(stack, 'aws_lb_target_group_attachment').filter((a) =>
          groups.some((g) => a.config.target_group_arn === `\${aws_lb_target_group.${g.name}.arn}`),
        );
        expect(attachments.map((a) => a.config.target_id).sort()).toEqual(
          c.members.flatMap((n) => Array(4).fill(t.members.find((m) => m.name === n)!.privateIp)).sort(),
        );
      }
    },
  );

  each('%s: private zone over every VPC with writer and reader records, and the global writer', (name) => {
    const t = example(name);
    const global = synthesized[name].stacks[`${t.name}-global`]!;
    const zone = resources(global, 'aws_route53_zone')[0]!;
    expect(zone.config.name).toBe(t.endpoints.zone);
    expect((zone.config.vpc as Json[]).map((v) => v.vpc_region)).toEqual(t.regions.map((r) => r.name));
    const records = resources(global, 'aws_route53_record').map((r) => r.config.name);
    for (const c of t.clusters) {
      expect(records).toContain(t.endpoints.names[c.scope]!.writer);
      expect(records).toContain(t.endpoints.names[c.scope]!.reader);
    }
    const globalWriter = resources(global, 'aws_route53_record').find(
      (r) => r.config.name === t.endpoints.globalWriter,
    )!;
    expect(globalWriter.config).toMatchObject({
      type: 'CNAME',
      ttl: t.endpoints.dnsTtlSeconds,
      records: [`writer.${t.primaryRegion}.${t.endpoints.zone}`],
    });
  });
});

describe('WalArchive', () => {
  each(
    '%s: a bucket per region: SSE-KMS with a rotated CMK, versioning, BPA, TLS-only, lifecycle, prevent_destroy',
    (name) => {
      const t = example(name);
      const buckets = allResources(synthesized[name], 'aws_s3_bucket');
      expect(buckets.map((b) => b.config.bucket)).toEqual(
        t.regions.map((r) => `pgtopo-${t.name}-archive-${r.name}`),
      );
      for (const b of buckets) {
        const stack = synthesized[name].stacks[b.stack]!;
        const bucketRef = `\${aws_s3_bucket.${b.name}.id}`;
        const on = (type: string) =>
          resources(stack, type).find((r) => r.config.bucket === bucketRef)!.config;
        expect(b.config).toMatchObject({ lifecycle: { prevent_destroy: true }, force_destroy: false });
        expect(b.config.object_lock_enabled).toBe(t.archive.objectLock !== 'none');
        const sse = on('aws_s3_bucket_server_side_encryption_configuration');
        expect(sse.rule).toMatchObject([
          { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' }, bucket_key_enabled: true },
        ]);
        const keyRef = String(
          ((sse.rule as Json[])[0]!.apply_server_side_encryption_by_default as Json).kms_master_key_id,
        );
        const key = resources(stack, 'aws_kms_key').find((k) => keyRef === `\${aws_kms_key.${k.name}.arn}`)!;
        expect(key.config).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
        expect(on('aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
        expect(on('aws_s3_bucket_public_access_block')).toMatchObject({
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        });
        const policy = JSON.parse(String(on('aws_s3_bucket_policy').policy)) as { Statement: Json[] };
        expect(policy.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
        const lifecycle = (on('aws_s3_bucket_lifecycle_configuration').rule as Json[])[0]!;
        expect(lifecycle.expiration).toEqual([{ days: t.archive.expireAfterDays }]);
        if (t.archive.objectLock !== 'none') {
          expect(on('aws_s3_bucket_object_lock_configuration').rule).toEqual({
            default_retention: { mode: 'GOVERNANCE', days: t.archive.objectLockDays },
          });
        }
      }
    },
  );

  each(
    '%s: replication to each copy region with its key by full ARN, a role scoped to exactly those buckets',
    (name) => {
      const t = example(name);
      const global = synthesized[name].stacks[`${t.name}-global`]!;
      const configs = resources(global, 'aws_s3_bucket_replication_configuration');
      const copies = t.archive.copyTo.filter((r) => r !== t.primaryRegion);
      if (copies.length === 0) {
        expect(configs).toEqual([]);
        return;
      }
      expect(configs).toHaveLength(1);
      const config = configs[0]!.config;
      expect(config).toMatchObject({
        bucket: `pgtopo-${t.name}-archive-${t.primaryRegion}`,
        provider: `aws.${t.primaryRegion}`,
      });
      const rules = config.rule as Json[];
      expect(rules).toHaveLength(copies.length);
      copies.forEach((region, i) => {
        const destination = rules[i]!.destination as Json;
        expect(String(destination.bucket)).toMatch(new RegExp(`:s3:::pgtopo-${t.name}-archive-${region}$`));
        // The destination key comes from that region's stack: its archive key's full ARN.
        expect(destination.encryption_configuration).toEqual({
          replica_kms_key_id: `\${local.region-${region}.archive_key_arn}`,
        });
        if (t.archive.replicationTimeControl) {
          expect(destination).toMatchObject({
            replication_time: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled' },
          });
        } else {
          expect(destination.replication_time).toBeUndefined();
        }
        expect(rules[i]!.source_selection_criteria).toEqual({
          sse_kms_encrypted_objects: { status: 'Enabled' },
        });
      });
      const rolePolicy = JSON.parse(String(resources(global, 'aws_iam_role_policy')[0]!.config.policy)) as {
        Statement: { Action: string[]; Resource: string | string[] }[];
      };
      const s3Resources = rolePolicy.Statement.flatMap((s) => [s.Resource].flat()).filter((r) =>
        r.includes(':s3:::'),
      );
      const allowed = [t.primaryRegion, ...copies].map((r) => `pgtopo-${t.name}-archive-${r}`);
      for (const r of s3Resources)
        expect(
          allowed.some((b) => r.endsWith(`:::${b}`) || r.endsWith(`:::${b}/*`)),
          r,
        ).toBe(true);
      const kmsResources = rolePolicy.Statement.filter((s) =>
        s.Action.some((a) => a.startsWith('kms:')),
      ).flatMap((s) => [s.Resource].flat());
      expect(kmsResources.sort()).toEqual(
        [t.primaryRegion, ...copies].map((r) => `\${local.region-${r}.archive_key_arn}`).sort(),
      );
    },
  );
});

describe('ClusterSecrets', () => {
  each(
    '%s: one secret per generated credential under the cluster key, replicated to every other region, no value',
    (name) => {
      const t = example(name);
      const global = synthesized[name].stacks[`${t.name}-global`]!;
      const secrets = resources(global, 'aws_secretsmanager_secret');
      // The CA key is a secret only where the nodes sign their own certificates (self-managed).
      const ca = t.security.ca.mode === 'self-managed' ? ['tls-ca'] : [];
      expect(secrets.map((s) => s.config.name).sort()).toEqual(
        ['superuser', 'replication', 'rewind', 'pgbouncer', 'rest-api', 'archive-cipher', ...ca]
          .map((k) => `pgtopo/${t.name}/${k}`)
          .sort(),
      );
      for (const s of secrets) {
        expect(s.config).toMatchObject({
          kms_key_id: `alias/pgtopo/${t.name}/${t.primaryRegion}/cluster`,
          lifecycle: { prevent_destroy: true },
        });
        expect(((s.config.replica ?? []) as Json[]).map((r) => [r.region, r.kms_key_id])).toEqual(
          t.regions
            .filter((r) => r.name !== t.primaryRegion)
            .map((r) => [r.name, `alias/pgtopo/${t.name}/${r.name}/cluster`]),
        );
      }
      for (const json of Object.values(synthesized[name].stacks)) {
        expect(Object.keys((json.resource ?? {}) as Json)).not.toContain('aws_secretsmanager_secret_version');
      }
    },
  );
});

describe('ClusterAlarms', () => {
  each(
    '%s: writer none/unhealthy/split, replica lag and archive failures, notifying the region topic',
    (name) => {
      const t = example(name);
      for (const c of t.clusters) {
        const stack = synthesized[name].stacks[`${t.name}-${c.regions[0]}`]!;
        const alarms = resources(stack, 'aws_cloudwatch_metric_alarm').filter((a) =>
          String(a.config.alarm_name).startsWith(`${c.scope}-`),
        );
        expect(alarms.map((a) => a.config.alarm_name).sort()).toEqual(
          ['archive-failures', 'replica-lag', 'writer-none', 'writer-split', 'writer-unhealthy'].map(
            (x) => `${c.scope}-${x}`,
          ),
        );
        const lag = alarms.find((a) => a.config.metric_name === 'ReplicaLagBytes')!;
        expect(lag.config).toMatchObject({
          threshold: t.observability.alarms.replicaLagBytes,
          dimensions: { Cluster: c.scope },
        });
        const topic = resources(stack, 'aws_sns_topic')[0]!;
        for (const a of alarms)
          expect(a.config.alarm_actions).toEqual([`\${aws_sns_topic.${topic.name}.arn}`]);
      }
    },
  );
});

describe('prevent_destroy', () => {
  each('%s: buckets, keys, data volumes and secrets are protected', (name) => {
    for (const type of ['aws_s3_bucket', 'aws_kms_key', 'aws_ebs_volume', 'aws_secretsmanager_secret']) {
      const all = allResources(synthesized[name], type);
      expect(all.length, type).toBeGreaterThan(0);
      for (const r of all)
        expect((r.config.lifecycle as Json | undefined)?.prevent_destroy, `${type} ${r.name}`).toBe(true);
    }
  });
});

describe('Prometheus reaches the metrics ports only', () => {
  each('%s: the declared Prometheus source reaches the scrape ports and nothing else', (name) => {
    const t = example(name);
    const prom = t.observability.prometheus;
    for (const r of t.regions) {
      const stack = synthesized[name].stacks[`${t.name}-${r.name}`]!;
      const sources = [
        ...prom.allowedCidrs.map((c) => ({ cidr_ipv4: c })),
        ...(prom.allowedSecurityGroupIds[r.name] ?? []).map((g) => ({ referenced_security_group_id: g })),
      ];
      const rules = resources(stack, 'aws_vpc_security_group_ingress_rule');
      for (const source of sources) {
        const [key, value] = Object.entries(source)[0]!;
        const ports = [
          ...new Set(rules.filter((x) => x.config[key] === value).map((x) => x.config.from_port)),
        ].sort();
        // The members' exporters and Patroni, the PgBouncer exporter (Debian 13), etcd's metrics listener.
        expect(ports, `${r.name} ${value}`).toEqual([...new Set(scrapeJobs(t).map((j) => j.port))].sort());
      }
      // A group of another region is never referenced here.
      const foreign = Object.entries(prom.allowedSecurityGroupIds)
        .filter(([region]) => region !== r.name)
        .flatMap(([, ids]) => ids);
      for (const x of rules) expect(foreign).not.toContain(x.config.referenced_security_group_id);
    }
  });

  test('the examples declare Prometheus sources (a CIDR, per-region groups)', () => {
    expect(example('singleRegion').observability.prometheus.allowedCidrs).toEqual(['10.99.0.0/24']);
    expect(Object.keys(example('twoRegionStandby').observability.prometheus.allowedSecurityGroupIds)).toEqual(
      ['us-east-1', 'us-west-2'],
    );
  });
});
