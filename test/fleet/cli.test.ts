import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { FleetCheckReport } from '../../src/policy/fleet.js';
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
