/**
 * The rendered monitoring bundle against Debian's own promtool, in the node release's root:
 * `promtool check config` (both scrape variants), `promtool check rules`, and `promtool test rules` with the
 * rendered unit tests, in which every alert fires on its failing input and stays quiet on its healthy one; for
 * each node release, with its own rules (metric names differ: the PgBouncer exporter is Debian 13's only).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { alertsOf } from '../../src/render/alerts.js';
import { awsAddressMap, localAddressMap } from '../../src/render/index.js';
import { dataMountOf, renderMonitoring } from '../../src/render/monitoring.js';
import { RULES_FILE } from '../../src/render/prometheus.js';
import { RELEASE_NAMES } from '../../src/spec/releases.js';
import { exampleOn } from '../helpers/examples.js';
import { ROOT_BUILD_TIMEOUT_MS, run, useReleaseRoot } from '../render/helpers.js';

/** A `promtool test rules` run, at most. */
const PROMTOOL_TEST_MS = 120_000;
const EXAMPLES = ['single-region', 'two-region-standby', 'three-region-stretched'] as const;
const EXAMPLE_KEYS = {
  'single-region': 'singleRegion',
  'two-region-standby': 'twoRegionStandby',
  'three-region-stretched': 'threeRegionStretched',
} as const;

let base: string;
beforeAll(() => {
  base = mkdtempSync('/tmp/pgt-promtool-');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function write(dir: string, files: readonly { rel: string; content: string }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.rel)), { recursive: true });
    writeFileSync(join(dir, f.rel), f.content);
  }
}

// Each release's rules (its own metric names, e.g. the PgBouncer exporter's) with that release's promtool.
describe.each(RELEASE_NAMES)('%s', (release) => {
  beforeAll(async () => {
    await useReleaseRoot(release);
  }, ROOT_BUILD_TIMEOUT_MS);

  describe.each(EXAMPLES)('%s', (example) => {
    const t = exampleOn(EXAMPLE_KEYS[example], release);

    test('the AWS bundle passes promtool check config and check rules', async () => {
      const dir = join(base, `${release}-${example}-aws`);
      write(dir, renderMonitoring(t, awsAddressMap(t)));
      for (const config of ['prometheus.yml', 'prometheus-file-sd.yml']) {
        const out = await run('promtool', ['check', 'config', join(dir, config)]);
        expect(out.stdout).toMatch(/SUCCESS/);
      }
      const rules = await run('promtool', ['check', 'rules', join(dir, RULES_FILE(t))]);
      expect(rules.stdout).toContain(
        `SUCCESS: ${alertsOf(t, dataMountOf(t, awsAddressMap(t))).length} rules found`,
      );
    });

    test(
      'promtool test rules: every alert fires on its failing input and not on its healthy one',
      async () => {
        const dir = join(base, `${release}-${example}-tests`);
        const files = renderMonitoring(t, awsAddressMap(t));
        write(dir, files);
        const tests = files.find((f) => f.rel.endsWith('.test.yml'))!;
        // Evaluations every TEST_EVALUATION_SECONDS up to the longest case (the disk trend's 90 min): 15-20 s of
        // CPU per file on a loaded machine.
        const out = await run('promtool', ['test', 'rules', join(dir, tests.rel)], {
          timeoutMs: PROMTOOL_TEST_MS,
        });
        expect(out.stdout).toMatch(/SUCCESS/);
        // Each alert has a firing and a quiet case in the file promtool passed.
        for (const a of alertsOf(t, dataMountOf(t, awsAddressMap(t)))) {
          expect(tests.content).toContain(`${a.name} fires`);
          expect(tests.content).toContain(`${a.name} stays quiet`);
        }
      },
      PROMTOOL_TEST_MS + 10_000,
    );

    test('the local (rehearsal) file_sd variant passes promtool check config', async () => {
      const dir = join(base, `${release}-${example}-local`);
      write(
        dir,
        renderMonitoring(t, localAddressMap(t, { baseDir: join(base, `n${EXAMPLES.indexOf(example)}`) })),
      );
      const out = await run('promtool', ['check', 'config', join(dir, 'prometheus-file-sd.yml')]);
      expect(out.stdout).toMatch(/SUCCESS/);
    });
  });
});
