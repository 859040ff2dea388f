/**
 * PostgresTopology end to end: spec in (file or object), policy findings become synth errors with the
 * rule ids of `pgtopo check`, stack dependencies give the deploy order, and one deterministic snapshot
 * per example stack.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { App, Aspects } from 'cdktf';
import { afterAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type BackendFactory,
  decodeUserData,
  defaultBackend,
  PostgresTopology,
  pgtopoAddressMap,
  SynthesisError,
  synthesize,
  USER_DATA_LIMIT,
  USER_DATA_TOO_LARGE,
} from '../../src/aws/index.js';
import { topologyFrom } from '../../src/model/load.js';
import { runPolicy } from '../../src/policy/index.js';
import { renderUserData } from '../../src/render/index.js';
import { SpecError } from '../../src/spec/issues.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { stableTerraform } from '../../src/testing/index.js';
import { EXAMPLE_NAMES, EXAMPLES } from '../helpers/examples.js';
import { type Json, synthExample, tempDir } from './helpers.js';

const tmp = tempDir('topology');
afterAll(() => tmp.cleanup());

const exampleObject = (file: string) => parseYaml(readFileSync(file, 'utf8')) as TopologySpecInput;

function unsafe(): TopologySpecInput {
  const spec = exampleObject(EXAMPLES.singleRegion) as TopologySpecInput & { dcs: object };
  return { ...spec, dcs: { mode: 'per-region', membersPerRegion: 2 } };
}

/** The SynthesisError `f` throws; any other outcome fails the test. */
const failure = (f: () => unknown): SynthesisError => {
  try {
    f();
  } catch (e) {
    if (e instanceof SynthesisError) return e;
    throw e;
  }
  throw new Error('synthesis did not fail');
};

describe('policy in synth', () => {
  test('unwaived policy errors fail synth with the same rule ids as the policy engine, in every stack', () => {
    const spec = unsafe();
    const expected = runPolicy(topologyFrom(spec))
      .findings.filter((f) => f.severity === 'error' && !f.waived)
      .map((f) => f.ruleId);
    expect(expected.length).toBeGreaterThan(0);
    const error = failure(() => synthesize(spec, `${tmp.dir}/unsafe`));
    expect(error).toBeInstanceOf(SynthesisError);
    const ids = [...new Set(error.messages.map((m) => m.split(' ')[0]))].sort();
    expect(ids).toEqual([...new Set(expected)].sort());
    // found/expected/fix of the finding travel with the id.
    const finding = runPolicy(topologyFrom(spec)).findings.find((f) => f.ruleId === 'PGT-ETCD-001')!;
    expect(error.messages.find((m) => m.startsWith('PGT-ETCD-001'))).toContain(finding.found);
    // Every stack carries the errors: deploying any single stack of an unsafe layout fails.
    const app = new App({ outdir: `${tmp.dir}/unsafe-app`, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec });
    for (const stack of [...Object.values(topo.regionStacks), topo.globalStack]) {
      const errors = stack.node.metadata
        .filter((m) => m.type === '@cdktf/error')
        .map((m) => String(m.data).split(' ')[0]);
      expect(errors.sort(), stack.node.id).toEqual([...expected].sort());
    }
  });

  test('a waived error does not stop synth', () => {
    const spec = unsafe();
    const ids = [
      ...new Set(
        runPolicy(topologyFrom(spec))
          .findings.filter((f) => f.severity === 'error')
          .map((f) => f.ruleId),
      ),
    ];
    const waived = {
      ...spec,
      waivers: ids.map((rule) => ({ rule, reason: 'accepted for a throwaway test environment only' })),
    };
    const result = synthesize(waived, `${tmp.dir}/waived`);
    expect(result.policy.errors).toBe(0);
    expect(result.policy.waived).toBeGreaterThan(0);
  });

  test('warnings do not stop synth and are annotated', () => {
    // debian-12 warns (PGT-REL-001), and its Patroni takes the fast profile's ttl 10 (PGT-PAT-001 warns).
    const spec = {
      ...exampleObject(EXAMPLES.singleRegion),
      postgres: { version: 15 },
      hosts: { os: 'debian-12' as const },
      failover: { profile: 'fast' as const },
    };
    const report = runPolicy(topologyFrom(spec));
    expect(report.warnings).toBeGreaterThan(0);
    expect(report.errors).toBe(0);
    const app = new App({ outdir: `${tmp.dir}/warn`, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec });
    app.synth();
    const warnings = [...Object.values(topo.regionStacks), topo.globalStack].flatMap((s) =>
      s.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data).split(' ')[0]),
    );
    expect(warnings.sort()).toEqual(
      report.findings
        .filter((f) => f.severity === 'warning')
        .map((f) => f.ruleId)
        .sort(),
    );
  });

  test('an invalid spec throws SpecError with the issue paths', () => {
    const spec = { ...exampleObject(EXAMPLES.singleRegion), primaryRegion: 'eu-west-9' };
    expect(() => synthesize(spec, `${tmp.dir}/invalid`)).toThrow(SpecError);
    try {
      synthesize(spec, `${tmp.dir}/invalid`);
    } catch (e) {
      expect((e as SpecError).issues.map((i) => i.path.join('.'))).toContain('primaryRegion');
    }
  });
});

/** Every file below `dir` (hidden ones too) with its content, by relative path. */
function filesBelow(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = join(e.parentPath, e.name);
        return [file.slice(dir.length + 1), readFileSync(file, 'utf8')];
      }),
  );
}

describe('the output directory', () => {
  test('a failed synthesis creates nothing: no output directory, no parent it made, no staging directory', () => {
    const parent = `${tmp.dir}/fresh`;
    failure(() => synthesize(unsafe(), `${parent}/cdktf.out`));
    expect(existsSync(parent)).toBe(false);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  test('a synthesis stopped at the second stack leaves the last output as it was; the next good one keeps terraform init files', () => {
    const out = `${tmp.dir}/kept`;
    synthesize(EXAMPLES.twoRegionStandby, out);
    const lock = join(out, 'stacks', 'orders-us-east-1', '.terraform.lock.hcl');
    writeFileSync(lock, '# terraform init wrote this\n');
    const before = filesBelow(out);
    // Another image changes the first stack; an override in the second stack breaks PGT-EC2-003 there.
    // cdktf writes stack after stack, so the first stack is written before the second one fails.
    const images = { 'us-east-1': 'ami-0123456789abcdef0' };
    const publicSecondRegion: BackendFactory = (stack, id) => {
      if (id === 'orders-us-west-2') {
        Aspects.of(stack).add({
          visit: (n) => {
            if (n instanceof Instance) n.addOverride('associate_public_ip_address', true);
          },
        });
      }
      return defaultBackend(stack, id);
    };
    const e = failure(() =>
      synthesize(EXAMPLES.twoRegionStandby, out, { images, backend: publicSecondRegion }),
    );
    expect(new Set(e.messages.map((m) => m.split(' ')[0]))).toEqual(new Set(['PGT-EC2-003']));
    expect(filesBelow(out)).toEqual(before);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.partial-'))).toEqual([]);

    const result = synthesize(EXAMPLES.twoRegionStandby, out, { images });
    // A new output directory gets the mode any new directory gets.
    mkdirSync(`${tmp.dir}/plain-dir`);
    expect(statSync(out).mode).toBe(statSync(`${tmp.dir}/plain-dir`).mode);
    expect(readFileSync(result.stacks[0]!.file, 'utf8')).toContain(images['us-east-1']);
    expect(readFileSync(lock, 'utf8')).toBe('# terraform init wrote this\n');
  });
});

/** A deterministic stream of pseudo-random integers below `n` (a linear congruential generator). */
function randomInts(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return (x >> 16) % n;
  };
}

/** An example spec with one PostgreSQL parameter added (it lands in every member's user data). */
function withParameter(file: string, name: string, value: string): TopologySpecInput {
  const spec = exampleObject(file) as TopologySpecInput & {
    postgres: { parameters?: Record<string, unknown> };
  };
  return {
    ...spec,
    postgres: { ...spec.postgres, parameters: { ...spec.postgres.parameters, [name]: value } },
  };
}

describe('user data', () => {
  test('a node whose user data does not fit EC2 fails synth, named with its size; nothing else does', () => {
    // Letters at random compress poorly: no level of gzip brings them under the limit.
    const next = randomInts(1);
    const noise = Array.from({ length: 30_000 }, () => String.fromCharCode(97 + next(26))).join('');
    const big = withParameter(EXAMPLES.twoRegionStandby, 'application_name', noise);
    const e = failure(() => synthesize(big, `${tmp.dir}/big`));
    const members = topologyFrom(big).members.map((m) => m.name);
    expect(e.messages.map((m) => m.split(' ').slice(0, 2).join(' ')).sort()).toEqual(
      members.map((m) => `${USER_DATA_TOO_LARGE} ${m}:`).sort(),
    );
    for (const m of e.messages)
      expect(Number(/found (\d+) bytes/.exec(m)?.[1])).toBeGreaterThan(USER_DATA_LIMIT);
  });

  test('user data that fits only at the strongest compression still fits', () => {
    // Words drawn at random from a few: gzip -9 packs them clearly tighter than gzip -1. Grow the text
    // until gzip -1 no longer fits.
    const words = ['replica', 'primary', 'archive', 'standby', 'timeline', 'checkpoint', 'vacuum', 'wal'];
    const text = (n: number) => {
      const next = randomInts(7);
      return Array.from({ length: n }, () => words[next(words.length)]).join(' ');
    };
    const withText = (n: number) => withParameter(EXAMPLES.singleRegion, 'application_name', text(n));
    const fitsAt = (n: number, level: number) => {
      const t = topologyFrom(withText(n));
      const ud = renderUserData(t, t.members[0]!.name, pgtopoAddressMap(t));
      return Math.ceil(gzipSync(ud, { level }).length / 3) * 4 <= USER_DATA_LIMIT;
    };
    let n = 0;
    while (fitsAt(n, 1) && n < 20_000) n += 100;
    expect(fitsAt(n, 1)).toBe(false);
    expect(fitsAt(n, 9)).toBe(true);
    const result = synthesize(withText(n), `${tmp.dir}/fits`);
    const instances = Object.values(
      (
        JSON.parse(readFileSync(result.stacks[0]!.file, 'utf8')) as {
          resource: { aws_instance: Record<string, { user_data_base64: string; tags: Json }> };
        }
      ).resource.aws_instance,
    );
    const members = instances.filter((i) => i.tags['pgtopo:member']);
    expect(members).toHaveLength(3);
    for (const i of members) {
      expect(i.user_data_base64.length).toBeLessThanOrEqual(USER_DATA_LIMIT);
      expect(decodeUserData(i.user_data_base64)).toContain(text(n));
    }
  });
});

describe('stacks and deploy order', () => {
  test('region stacks are independent; the global stack depends on every region stack', () => {
    const app = new App({ outdir: `${tmp.dir}/deps`, stackTraces: false });
    const topo = new PostgresTopology(app, 'pgtopo', { spec: EXAMPLES.threeRegionStretched });
    app.synth();
    for (const s of Object.values(topo.regionStacks)) expect(s.dependencies).toEqual([]);
    expect(topo.globalStack.dependencies.map((d) => d.node.id).sort()).toEqual(
      Object.values(topo.regionStacks)
        .map((s) => s.node.id)
        .sort(),
    );
    const manifest = JSON.parse(readFileSync(`${tmp.dir}/deps/manifest.json`, 'utf8')) as {
      stacks: Record<string, { dependencies: string[] }>;
    };
    expect(manifest.stacks['ledger-global']!.dependencies.sort()).toEqual([
      'ledger-eu-central-1',
      'ledger-eu-north-1',
      'ledger-eu-west-1',
    ]);
  });

  test("images per region: the given AMI where named, the release's image through SSM elsewhere", () => {
    const result = synthesize(EXAMPLES.twoRegionStandby, `${tmp.dir}/images`, {
      images: { 'us-west-2': 'ami-0123456789abcdef0' },
    });
    const imagesOf = (id: string) => {
      const json = JSON.parse(readFileSync(result.stacks.find((s) => s.id === id)!.file, 'utf8')) as {
        resource: { aws_launch_template: Record<string, { image_id: string }> };
      };
      return [...new Set(Object.values(json.resource.aws_launch_template).map((lt) => lt.image_id))];
    };
    expect(imagesOf('orders-us-west-2')).toEqual(['ami-0123456789abcdef0']);
    expect(imagesOf('orders-us-east-1')).toEqual(['resolve:ssm:/aws/service/debian/release/13/latest/amd64']);
  });

  test('a debian-12 spec boots Debian 12 images', () => {
    const spec = exampleObject(EXAMPLES.singleRegion);
    const result = synthesize(
      { ...spec, postgres: { version: 15 }, hosts: { ...spec.hosts, os: 'debian-12' } },
      `${tmp.dir}/debian-12`,
    );
    const json = JSON.parse(readFileSync(result.stacks[0]!.file, 'utf8')) as {
      resource: { aws_launch_template: Record<string, { image_id: string }> };
    };
    expect([...new Set(Object.values(json.resource.aws_launch_template).map((lt) => lt.image_id))]).toEqual([
      'resolve:ssm:/aws/service/debian/release/12/latest/amd64',
    ]);
  });

  test("the spec's AMI map gives each region stack its own image, etcd nodes included", () => {
    const spec = exampleObject(EXAMPLES.twoRegionStandby);
    const amis = { 'us-east-1': 'ami-0123456789abcdef0', 'us-west-2': 'ami-0fedcba9876543210' };
    const result = synthesize({ ...spec, hosts: { ...spec.hosts, imageId: amis } }, `${tmp.dir}/spec-images`);
    for (const [region, ami] of Object.entries(amis)) {
      const json = JSON.parse(
        readFileSync(result.stacks.find((s) => s.id === `orders-${region}`)!.file, 'utf8'),
      ) as {
        resource: { aws_launch_template: Record<string, { image_id: string }> };
      };
      const templates = Object.values(json.resource.aws_launch_template);
      expect(templates.length).toBeGreaterThan(3);
      expect(new Set(templates.map((lt) => lt.image_id))).toEqual(new Set([ami]));
    }
  });

  test("the spec's archive bucket names: buckets, node policies, pgBackRest and the replication all use them", () => {
    const spec = exampleObject(EXAMPLES.twoRegionStandby);
    const buckets = { 'us-east-1': 'acme-orders-wal-use1', 'us-west-2': 'acme-orders-wal-usw2' };
    const result = synthesize(
      { ...spec, archive: { ...spec.archive, bucket: buckets } },
      `${tmp.dir}/spec-buckets`,
    );
    const text = Object.fromEntries(result.stacks.map((s) => [s.id, readFileSync(s.file, 'utf8')]));
    for (const [region, bucket] of Object.entries(buckets)) {
      const json = JSON.parse(text[`orders-${region}`]!) as {
        resource: Record<string, Record<string, Record<string, unknown>>>;
      };
      expect(Object.values(json.resource.aws_s3_bucket!).map((b) => b.bucket)).toEqual([bucket]);
      const policies = Object.values(json.resource.aws_iam_role_policy!).map((p) => String(p.policy));
      expect(
        policies.some((p) => p.includes(`arn:\${data.aws_partition.partition.partition}:s3:::${bucket}`)),
      ).toBe(true);
    }
    const userData = Object.values(
      (
        JSON.parse(text['orders-us-east-1']!) as {
          resource: { aws_instance: Record<string, { user_data_base64: string }> };
        }
      ).resource.aws_instance,
    ).map((i) => decodeUserData(i.user_data_base64));
    expect(userData.some((u) => u.includes(`repo1-s3-bucket=${buckets['us-east-1']}`))).toBe(true);
    expect(text['orders-global']).toContain(
      `arn:\${data.aws_partition.partition.partition}:s3:::${buckets['us-west-2']}`,
    );
    expect(Object.values(text).join('\n')).not.toContain('pgtopo-orders-archive-');
  });

  test("the spec's alarm topic per region: every region's alarms notify that region's topic, and no topic is created", () => {
    const spec = exampleObject(EXAMPLES.twoRegionStandby);
    const topics = {
      'us-east-1': 'arn:aws:sns:us-east-1:123456789012:db-alarms',
      'us-west-2': 'arn:aws:sns:us-west-2:123456789012:db-alarms',
    };
    const result = synthesize(
      { ...spec, observability: { ...spec.observability, alarms: { snsTopicArn: topics } } },
      `${tmp.dir}/spec-topics`,
    );
    for (const [region, arn] of Object.entries(topics)) {
      const json = JSON.parse(
        readFileSync(result.stacks.find((s) => s.id === `orders-${region}`)!.file, 'utf8'),
      ) as {
        resource: Record<string, Record<string, Record<string, unknown>>>;
      };
      expect(json.resource.aws_sns_topic, region).toBeUndefined();
      const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm!);
      expect(alarms.length, region).toBeGreaterThan(0);
      for (const a of alarms) expect(a.alarm_actions, region).toEqual([arn]);
    }
  });

  test('a cluster stretched over three regions: member alarms in each region, load-balancer alarms in the first', () => {
    const region = (name: string, cidr: string, prefix: string, count: number) => ({
      name,
      cidr,
      azs: ['a', 'b', 'c'].map((z) => `${name}${z}`),
      members: ['a', 'b', 'c'].slice(0, count).map((z) => ({ name: `${prefix}-${z}`, az: `${name}${z}` })),
    });
    const spec: TopologySpecInput = {
      name: 'orders',
      primaryRegion: 'us-east-1',
      dcs: { mode: 'stretched' },
      archive: { copyTo: ['us-west-2'] },
      regions: [
        region('us-east-1', '10.10.0.0/16', 'use1', 3),
        { ...region('us-west-2', '10.20.0.0/16', 'usw2', 3), role: 'primary' },
        { ...region('eu-west-1', '10.30.0.0/16', 'euw1', 2), role: 'primary' },
      ],
    };
    const result = synthesize(spec, `${tmp.dir}/stretched-alarms`);
    const alarmsIn = (region: string) => {
      const json = JSON.parse(
        readFileSync(result.stacks.find((s) => s.id === `orders-${region}`)!.file, 'utf8'),
      ) as {
        resource: { aws_cloudwatch_metric_alarm: Record<string, Record<string, string>> };
      };
      return Object.values(json.resource.aws_cloudwatch_metric_alarm);
    };
    const names = (region: string) =>
      alarmsIn(region).map((a) => a.alarm_name!.replace('orders-us-east-1-', ''));
    expect(names('us-east-1').sort()).toEqual([
      'archive-failures',
      'replica-lag',
      'writer-none',
      'writer-split',
      'writer-unhealthy',
    ]);
    for (const other of ['us-west-2', 'eu-west-1']) {
      expect(names(other).sort(), other).toEqual(['archive-failures', 'replica-lag']);
      for (const a of alarmsIn(other)) {
        expect(a.alarm_description, other).toContain(`in ${other}`);
        expect(a.dimensions, other).toEqual({ Topology: 'orders', Cluster: 'orders-us-east-1' });
      }
    }
  });

  test('a spec object and its YAML file synthesize the same Terraform', () => {
    const fromFile = synthExample('twoRegionStandby', `${tmp.dir}/file`);
    const result = synthesize(exampleObject(EXAMPLES.twoRegionStandby), `${tmp.dir}/object`, {
      now: new Date('2026-01-01T00:00:00Z'),
    });
    for (const s of result.stacks) expect(readFileSync(s.file, 'utf8'), s.id).toBe(fromFile.text[s.id]);
  });
});

/**
 * User data is the renderer's (snapshotted there): keep the AWS snapshot about AWS resources, and
 * independent of the synthesizer's version stamp (cdktf 0.21 and cdktn 0.24 write the same Terraform).
 */
function normalized(text: string): string {
  return `${JSON.stringify(stableTerraform(JSON.parse(text)), null, 2)}\n`;
}

describe('snapshots', () => {
  test.each(EXAMPLE_NAMES.map((n) => [n] as const))(
    '%s: deterministic, one snapshot per stack',
    async (name) => {
      const a = synthExample(name, `${tmp.dir}/snap-a-${name}`);
      const b = synthExample(name, `${tmp.dir}/snap-b-${name}`);
      expect(b.text).toEqual(a.text);
      for (const [id, text] of Object.entries(a.text)) {
        await expect(normalized(text)).toMatchFileSnapshot(`__snapshots__/${name}/${id}.tf.json`);
      }
    },
  );
});
