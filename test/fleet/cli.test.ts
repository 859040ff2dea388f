import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { command as rehearseCommand } from '../../src/cli/commands/rehearse.js';
import { keptLine } from '../../src/cli/commands/rehearse-fleet.js';
import { memoryIo, UsageError } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { FleetCheckReport } from '../../src/policy/fleet.js';
import type { MovePlan } from '../../src/render/shard-move.js';
import { FLEET_EXAMPLE, fleetVariant } from './helpers.js';

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join(''), err: io.stderr.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'pgt-fleetcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function fleetFile(edit: (s: Record<string, any>) => void): string {
  const file = join(dir, `fleet-${files++}.yaml`);
  writeFileSync(file, stringify(fleetVariant(edit)));
  return file;
}

describe('pgtopo check <fleet>', () => {
  test('the example fleet passes, with a failure table per tier', async () => {
    const r = await run('check', FLEET_EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.out).toContain('fleet valid');
    expect(r.out).toContain('4 shard(s), hash over 64 slots');
    expect(r.out).toContain('Shard clusters (all 4 built from the template; shown for shop-s00)');
    expect(r.out).toContain('The catalog cluster shop-catalog');
  });

  test('json: the fleet document, one report per cluster with template-prefixed paths', async () => {
    const file = fleetFile((s) => {
      s.strategy.slots = 48;
      s.template.dcs.membersPerRegion = 2;
    });
    const r = await run('check', file, '--format', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as FleetCheckReport;
    expect(doc.kind).toBe('fleet');
    expect(doc.policy!.findings.map((f) => f.ruleId)).toEqual(['PGT-SHD-001']);
    expect(doc.clusters!.map((c) => `${c.role} ${c.name}`)).toEqual([
      'shard shop-s00',
      'shard shop-s01',
      'shard shop-s02',
      'shard shop-s03',
      'catalog shop-catalog',
    ]);
    const shard = doc.clusters![0]!.report.policy!.findings;
    expect(shard.length).toBeGreaterThan(0);
    expect(shard.every((f) => f.path[0] === 'template' && f.pathText.startsWith('template.'))).toBe(true);
    expect(shard.every((f) => f.location?.file === file)).toBe(true);
  });

  test('an invalid fleet exits 2 with located issues', async () => {
    const file = fleetFile((s) => (s.tables[0].key = 'customerid'));
    const r = await run('check', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fleet-\d+\.yaml:\d+:\d+: tables\[0\]\.key \[unknown_member\]/);
    expect(r.err).toContain('did you mean "customer_id"?');
  });

  test('sarif and junit list the fleet and cluster findings', async () => {
    const file = fleetFile((s) => (s.strategy.slots = 48));
    const sarif = JSON.parse((await run('check', file, '--format', 'sarif')).out);
    expect(sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toContain('PGT-SHD-001');
    expect((await run('check', file, '--format', 'junit')).out).toContain('PGT-SHD-001');
  });
});

const hashMoved = (moves: unknown[]) => (s: Record<string, any>) => {
  s.strategy.assignments = [
    { shard: 0, slots: '0-15' },
    { shard: 3, slots: '16-19' },
    { shard: 1, slots: '20-31' },
    { shard: 2, slots: '32-47' },
    { shard: 3, slots: '48-63' },
  ];
  s.moves = moves;
};

describe('pgtopo diff <fleet> <fleet>', () => {
  test('an undeclared reassignment is refused: code, spec path, found and expected (exit 1)', async () => {
    const r = await run('diff', FLEET_EXAMPLE, fleetFile(hashMoved([])), '--format', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.kind).toBe('fleet');
    expect(doc.refused.map((x: { code: string; pathText: string }) => `${x.code} ${x.pathText}`)).toEqual([
      'undeclared-move strategy.assignments[1]',
    ]);
    const text = await run('diff', FLEET_EXAMPLE, fleetFile(hashMoved([])));
    expect(text.out).toMatch(/REFUSED\n {2}undeclared-move {2}strategy\.assignments\[1\]/);
    expect(text.out).toContain('expected: a declared move under moves: {slots: "16-19",from: 1,to: 3}');
  });

  test('a declared move is listed as a move, nothing refused', async () => {
    const r = await run('diff', FLEET_EXAMPLE, fleetFile(hashMoved([{ slots: '16-19', from: 1, to: 3 }])));
    expect(r.code).toBe(1);
    expect(r.out).toContain('1 move(s), 0 refused');
    expect(r.out).toContain('slots 16-19: shard 1 → shard 3');
    expect(r.out).not.toContain('REFUSED');
  });

  test('a fleet beside a cluster spec is an invalid pair (exit 2), an unchanged fleet exits 0', async () => {
    const mixed = await run(
      'diff',
      FLEET_EXAMPLE,
      `${FLEET_EXAMPLE.replace('fleet.yaml', 'single-region.yaml')}`,
    );
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('kind [inconsistent]');
    expect((await run('diff', FLEET_EXAMPLE, FLEET_EXAMPLE)).code).toBe(0);
  });
});

describe('pgtopo render / review / synth <fleet>', () => {
  test('--moves writes the plan in order; refused without a declared move, writing nothing', async () => {
    const out = join(dir, 'moves-ok');
    const ok = await run(
      'render',
      fleetFile(hashMoved([{ slots: '16-19', from: 1, to: 3 }])),
      '--moves',
      FLEET_EXAMPLE,
      '--out',
      out,
    );
    expect(ok.code).toBe(0);
    const files = readdirSync(join(out, 'moves'));
    expect(files).toContain('plan.sql');
    expect(files.filter((f) => /^\d\d-flip-commit-coordinator\.sql$/.test(f)).length).toBe(1);
    // plan.json tells a runner what each answer means: the same plan the rehearsal runs.
    const plan = JSON.parse(readFileSync(join(out, 'moves', 'plan.json'), 'utf8')) as MovePlan;
    expect(plan.steps.filter((x) => x.expect?.kind === 'poll').map((x) => x.phase)).toEqual([
      'synced',
      'caught-up',
      'verify',
    ]);
    expect(plan.steps.filter((x) => x.session === 'flip').map((x) => x.phase)).toEqual([
      'flip-lock',
      'flip-commit',
      'abort',
    ]);
    const bad = join(dir, 'moves-bad');
    const refused = await run('render', fleetFile(hashMoved([])), '--moves', FLEET_EXAMPLE, '--out', bad);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('undeclared-move');
    expect(existsSync(bad)).toBe(false);
  });

  test('--routing writes the catalog, coordinator and shard SQL; --cluster picks one cluster with did-you-mean', async () => {
    const out = join(dir, 'routing');
    expect((await run('render', FLEET_EXAMPLE, '--routing', '--out', out)).code).toBe(0);
    expect(readdirSync(join(out, 'routing', 'shards'))).toEqual([
      'shop-s00.sql',
      'shop-s01.sql',
      'shop-s02.sql',
      'shop-s03.sql',
    ]);
    const wrong = await run(
      'render',
      FLEET_EXAMPLE,
      '--cluster',
      'shop-s1',
      '--member',
      'use1-a',
      '--out',
      join(dir, 'm1'),
    );
    expect(wrong.code).toBe(64);
    expect(wrong.err).toContain('did you mean "shop-s01"?');
    const member = await run(
      'render',
      FLEET_EXAMPLE,
      '--cluster',
      'shop-s01',
      '--member',
      'use1-a',
      '--out',
      join(dir, 'm2'),
    );
    expect(member.code).toBe(0);
    expect(
      (
        await run(
          'render',
          FLEET_EXAMPLE.replace('fleet.yaml', 'single-region.yaml'),
          '--routing',
          '--out',
          join(dir, 'm3'),
        )
      ).code,
    ).toBe(64);
  });

  test('review draws the fleet and its slot map before each tier', async () => {
    const out = join(dir, 'review');
    const r = await run('review', FLEET_EXAMPLE, '--out', out);
    expect(r.code).toBe(0);
    const md = readFileSync(join(out, 'review.md'), 'utf8');
    expect(md).toContain('| shop-s01 | 3 | 16-31 | 25.0 % |');
    expect(md).toContain('# Topology review: shop-s00');
    expect(md).toContain('# Topology review: shop-catalog');
    expect(readFileSync(join(out, 'topology.mmd'), 'utf8')).toContain('shop_catalog --> shop_s03');
  }, 60_000);

  test('synth of an invalid fleet exits 2 with fleet paths, writing nothing', async () => {
    const out = join(dir, 'synth-bad');
    const r = await run(
      'synth',
      fleetFile((s) => (s.tables[0].key = 'customerid')),
      '--out',
      out,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('tables[0].key [unknown_member]');
    expect(existsSync(out)).toBe(false);
  });
});

describe('pgtopo rehearse <fleet> --keep', () => {
  test('a kept cluster says where its files are and how to stop it: its cgroup killed, its groups and run directory removed', () => {
    const line = keptLine({ runId: 'ab12', runDir: '/tmp/pgtopo-x' }, '/sys/fs/cgroup');
    expect(line).toMatch(/^cluster left running; files and logs in \/tmp\/pgtopo-x; stop it with: /);
    expect(line).toContain('echo 1 > /sys/fs/cgroup/pgtopo-ab12/cgroup.kill;');
    expect(line).toContain(
      'find /sys/fs/cgroup/pgtopo-ab12 -depth -type d -exec rmdir {} +; rm -rf /tmp/pgtopo-x',
    );
  });

  test('--keep with --region-standby is still a usage error, before anything boots', async () => {
    await expect(
      rehearseCommand.run(
        [FLEET_EXAMPLE, '--drills', 'shard-move', '--keep', '--region-standby'],
        memoryIo(),
      ),
    ).rejects.toBeInstanceOf(UsageError);
  });
});
