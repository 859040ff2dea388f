import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/diff.js';
import { memoryIo, UsageError } from '../../src/cli/io.js';
import { topologyFrom } from '../../src/model/load.js';
import { type ChangeKind, diffTopologies } from '../../src/review/diff.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { EXAMPLES } from '../helpers/examples.js';
import { base, edit, type Spec } from './specs.js';

const member = (s: Spec, name: string) =>
  s.regions.flatMap((r: Spec) => r.members).find((m: Spec) => m.name === name);

/** The primary region moves to us-west-2: roles swap and the archive copy goes the other way. */
const switched = (): Spec =>
  edit((s) => {
    s.primaryRegion = 'us-west-2';
    s.regions[0].role = 'standby';
    s.regions[1].role = 'primary';
    s.archive.copyTo = 'us-east-1';
  });

const KMS = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

const CASES: readonly {
  name: string;
  old: () => Spec;
  new: () => Spec;
  kinds: readonly ChangeKind[];
  destroysData: boolean;
}[] = [
  { name: 'identical specs', old: base, new: base, kinds: [], destroysData: false },
  {
    name: 'a member is added to the primary region (joins the sync set)',
    old: base,
    new: () => edit((s) => s.regions[0].members.push({ name: 'use1-d', az: 'us-east-1a' })),
    kinds: ['member-added', 'sync-set-changed'],
    destroysData: false,
  },
  {
    name: 'a member is added to the standby region',
    old: base,
    new: () => edit((s) => s.regions[1].members.push({ name: 'usw2-d', az: 'us-west-2a' })),
    kinds: ['member-added'],
    destroysData: false,
  },
  {
    name: 'a member is removed',
    old: base,
    new: () => edit((s) => s.regions[1].members.splice(1, 1)),
    kinds: ['member-removed'],
    destroysData: true,
  },
  {
    name: 'a member moves AZ (replaces its data volume)',
    old: base,
    new: () => edit((s) => (member(s, 'use1-c').az = 'us-east-1b')),
    kinds: ['member-moved'],
    destroysData: true,
  },
  {
    name: 'a data volume shrinks (needs a new volume)',
    old: base,
    new: () => edit((s) => (member(s, 'use1-a').volume = { sizeGiB: 50 })),
    kinds: ['volume-shrunk'],
    destroysData: true,
  },
  {
    name: 'a data volume grows (in place)',
    old: base,
    new: () => edit((s) => (member(s, 'use1-a').volume = { sizeGiB: 200 })),
    kinds: ['volume-grown'],
    destroysData: false,
  },
  {
    name: 'a data volume changes type (in place)',
    old: base,
    new: () => edit((s) => (member(s, 'use1-a').volume = { type: 'io2', iops: 8000 })),
    kinds: ['volume-type-changed', 'volume-performance-changed'],
    destroysData: false,
  },
  {
    name: 'an instance type changes (restart)',
    old: base,
    new: () => edit((s) => (member(s, 'usw2-b').instanceType = 'r6i.2xlarge')),
    kinds: ['instance-type-changed'],
    destroysData: false,
  },
  {
    name: 'a nosync tag shrinks the sync set',
    old: base,
    new: () => edit((s) => (member(s, 'use1-b').tags = { nosync: true })),
    kinds: ['member-tags-changed', 'sync-set-changed'],
    destroysData: false,
  },
  {
    name: 'a cascading replica follows the leader instead',
    old: base,
    new: () => edit((s) => delete member(s, 'usw2-c').replicateFrom),
    kinds: ['replication-changed'],
    destroysData: false,
  },
  {
    name: 'primary region switchover',
    old: base,
    new: switched,
    kinds: ['primary-region-switchover', 'sync-set-changed'],
    destroysData: false,
  },
  {
    name: 'primary region failback to the home region',
    old: switched,
    new: base,
    kinds: ['primary-region-failback', 'sync-set-changed'],
    destroysData: false,
  },
  {
    name: 'Object Lock switched off (replaces both buckets)',
    old: base,
    new: () => edit((s) => (s.archive.objectLock = 'none')),
    kinds: ['archive-bucket-replaced', 'archive-bucket-replaced'],
    destroysData: true,
  },
  {
    name: 'the archive copy is dropped',
    old: base,
    new: () => edit((s) => (s.archive.copyTo = [])),
    kinds: ['archive-bucket-removed'],
    destroysData: true,
  },
  {
    name: 'the standby region is removed',
    old: base,
    new: () =>
      edit((s) => {
        s.regions.splice(1, 1);
        s.archive.copyTo = [];
        delete s.observability.prometheus.allowedSecurityGroupIds['us-west-2'];
      }),
    // The region's Prometheus group goes with it (a security group rule change).
    kinds: ['region-removed', 'etcd-changed', 'field-changed'],
    destroysData: true,
  },
  {
    name: 'data volumes move to a customer key (replaces every volume)',
    old: base,
    new: () => edit((s) => (s.hosts = { ebsKmsKeyArn: KMS })),
    kinds: ['volume-encryption-changed'],
    destroysData: true,
  },
  {
    name: 'the archive moves to a customer key (pgtopo key deleted)',
    old: base,
    new: () => edit((s) => (s.archive.kmsKeyArn = KMS)),
    kinds: ['archive-key-changed'],
    destroysData: true,
  },
  {
    name: "a switchover with a customer key on the source drops the new source region's pgtopo key",
    old: () => edit((s) => (s.archive.kmsKeyArn = KMS)),
    new: () => {
      const s = switched();
      s.archive.kmsKeyArn = KMS;
      return s;
    },
    kinds: ['primary-region-switchover', 'sync-set-changed', 'archive-key-changed'],
    destroysData: true,
  },
  {
    name: 'the cluster is renamed',
    old: base,
    new: () => edit((s) => (s.name = 'payments')),
    kinds: ['cluster-renamed', 'etcd-changed', 'etcd-changed', 'etcd-changed', 'etcd-changed'],
    destroysData: true,
  },
  {
    name: 'a faster failover profile (settings only)',
    old: base,
    new: () => edit((s) => (s.failover = { profile: 'fast' })),
    kinds: ['field-changed'], // named by the spec field; the timers it implies live in the DCS
    destroysData: false,
  },
];

describe('diffTopologies', () => {
  test.each(CASES)('$name', (c) => {
    const d = diffTopologies(
      topologyFrom(c.old() as TopologySpecInput),
      topologyFrom(c.new() as TopologySpecInput),
    );
    expect(d.changes.map((x) => x.kind).sort()).toEqual([...c.kinds].sort());
    expect(d.destroysData).toBe(c.destroysData);
    // Every change that destroys data says what is lost.
    for (const x of d.changes.filter((y) => y.destroysData)) expect(x.lost?.length).toBeGreaterThan(0);
  });

  test('a switchover implies an ordered runbook: demote the old primary before promoting the new one', () => {
    const d = diffTopologies(topologyFrom(base()), topologyFrom(switched()));
    const steps = d.runbook!.steps;
    expect(d.runbook!.title).toMatch(/^Switchover .*us-east-1 → us-west-2/);
    const demote = steps.findIndex((s) => s.startsWith('Demote orders-us-east-1'));
    const promote = steps.findIndex((s) => s.startsWith('Promote orders-us-west-2'));
    const stopWrites = steps.findIndex((s) => s.startsWith('Stop application writes'));
    const caughtUp = steps.findIndex((s) => s.includes('pg_last_wal_replay_lsn()'));
    const deploy = steps.findIndex((s) => s.startsWith('Apply the new spec'));
    expect([stopWrites, caughtUp, demote, promote, deploy].every((i) => i >= 0)).toBe(true);
    expect(stopWrites).toBeLessThan(caughtUp);
    expect(caughtUp).toBeLessThan(demote);
    expect(demote).toBeLessThan(promote);
    expect(promote).toBeLessThan(deploy);
    // The standby cluster the old primary follows is reached through the new primary's writer name.
    expect(steps[demote]).toContain('writer.us-west-2.orders.db.internal');
  });

  test('a failback adds the rebuild check before the switch', () => {
    const d = diffTopologies(topologyFrom(switched()), topologyFrom(base()));
    expect(d.runbook!.title).toMatch(/^Failback .*us-west-2 → us-east-1/);
    expect(d.runbook!.steps.some((s) => s.startsWith('Failback only'))).toBe(true);
  });

  test('switching to a region that did not exist gives no runbook and says why', () => {
    const d = diffTopologies(
      topologyFrom(base()),
      topologyFrom(
        edit((s) => {
          s.regions[1].name = 'us-west-1';
          delete s.observability.prometheus.allowedSecurityGroupIds['us-west-2'];
          s.regions[1].azs = ['us-west-1a', 'us-west-1b', 'us-west-1c'];
          s.regions[1].members = [{ name: 'usw1-a', az: 'us-west-1a' }];
          s.regions[1].role = 'primary';
          s.regions[0].role = 'standby';
          s.primaryRegion = 'us-west-1';
          s.archive.copyTo = 'us-east-1';
        }),
      ),
    );
    const sw = d.changes.find((c) => c.kind === 'primary-region-switchover')!;
    expect(sw.summary).toContain('holds no replica to promote');
    expect(d.runbook).toBeUndefined();
    expect(d.destroysData).toBe(true); // us-west-2 and its members go
  });
});

describe('pgtopo diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgtopo-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, spec: Spec) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(spec));
    return path;
  };

  test.each([
    { name: 'no change', old: base, new: base, exit: 0 },
    // A switchover follows a runbook: it needs a procedure, so a pipeline stops on it.
    { name: 'switchover', old: base, new: switched, exit: 1 },
    {
      name: 'a cheaper alarm threshold',
      old: base,
      new: () => edit((s) => (s.observability = { alarms: { archiveFailures: 3 } })),
      exit: 0,
    },
    {
      name: 'volume shrink',
      old: base,
      new: () => edit((s) => (member(s, 'use1-a').volume = { sizeGiB: 50 })),
      exit: 1,
    },
    { name: 'member removed', old: base, new: () => edit((s) => s.regions[1].members.splice(1, 1)), exit: 1 },
  ])('exit code: $name -> $exit', async (c) => {
    const io = memoryIo();
    const code = await command.run(
      [file(`${c.name}-old.json`, c.old()), file(`${c.name}-new.json`, c.new())],
      io,
    );
    expect(code).toBe(c.exit);
  });

  test('text output lists destroyed data first and prints the runbook', async () => {
    const io = memoryIo();
    const oldFile = file('t-old.json', base());
    const newFile = file(
      't-new.json',
      edit((s) => (member(s, 'use1-c').az = 'us-east-1b')),
    );
    expect(await command.run([oldFile, newFile], io)).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/DESTROYS DATA\n\s+member-moved\s+member use1-c/);
    expect(text).toContain('lost: data volume of use1-c');

    const io2 = memoryIo();
    expect(await command.run([oldFile, file('t-sw.json', switched())], io2)).toBe(1);
    expect(io2.stdout.join('\n')).toMatch(/RUNBOOK: Switchover[^\n]*\n\s+1\. Check us-west-2 is ready/);
  });

  test('json output is the diff with a version', async () => {
    const io = memoryIo();
    const code = await command.run(
      [file('j-old.json', base()), file('j-new.json', switched()), '--format', 'json'],
      io,
    );
    expect(code).toBe(1);
    const report = JSON.parse(io.stdout.join(''));
    expect(report.version).toBe(1);
    expect(report.destroysData).toBe(false);
    expect(report.needsCare).toBe(true);
    expect(report.changes.map((c: { kind: string }) => c.kind)).toContain('primary-region-switchover');
    expect(report.runbook.steps.length).toBeGreaterThan(5);
  });

  test('an invalid spec exits 2 and names the path', async () => {
    const io = memoryIo();
    const bad = file(
      'bad.json',
      edit((s) => (s.regions[0].members[0].az = 'us-east-1z')),
    );
    expect(await command.run([EXAMPLES.twoRegionStandby, bad], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('regions[0].members[0].az');
  });

  test.each([[[]], [['one.yaml']], [['a', 'b', 'c']], [['a', 'b', '--format', 'xml']]])(
    'bad command line %j is a usage error',
    async (args) => {
      await expect(command.run(args, memoryIo())).rejects.toBeInstanceOf(UsageError);
    },
  );
});
