/**
 * examples/pipeline: the GitHub Actions workflow's structure (jobs, order, gate, permissions), that
 * it runs the same steps as pipeline.sh, and pipeline.sh itself end to end in a dry run: check →
 * synth → terraform plan (offline, the local provider mirror) → review → apply to an AWS emulator
 * (moto_server with pgtopo's patches, test/helpers/moto.ts) in stack order → a second plan with no
 * changes → destroy. Where moto_server is absent, the apply is skipped and the suite says so loudly.
 *
 * Example 1 (single-region) is the smallest bundled example with every kind of stack: a region
 * stack (network, etcd, members, load balancer, archive, alarms) and the global stack (DNS, secrets)
 * that reads the region stack's outputs through its state.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { tempDir, terraformEnv } from '../aws/helpers.js';
import { EXAMPLES } from '../helpers/examples.js';
import { type Moto, motoPython, startMoto } from '../helpers/moto.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'examples/pipeline');
const SCRIPT = join(DIR, 'pipeline.sh');

interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  steps: { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }[];
}
const workflow = parse(readFileSync(join(DIR, 'github-actions.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
};
const jobs = workflow.jobs;
const needs = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
/** The pipeline.sh steps a job runs, in order. */
const scriptSteps = (j: Job) =>
  j.steps.flatMap((s) => [...(s.run ?? '').matchAll(/\$PIPELINE (\w+)/g)].map((m) => m[1]!));
const ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'";

describe('github-actions.yml', () => {
  test('runs on pull requests and on pushes to main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push).toEqual({ branches: ['main'] });
  });

  test('jobs in order: check → synth → plan → approve (manual gate) → apply', () => {
    expect(Object.keys(jobs)).toEqual(['check', 'synth', 'plan', 'approve', 'apply']);
    expect(needs(jobs.check!)).toEqual([]);
    expect(needs(jobs.synth!)).toEqual(['check']);
    expect(needs(jobs.plan!)).toEqual(['synth']);
    expect(needs(jobs.approve!)).toEqual(['plan']);
    expect(needs(jobs.apply!)).toContain('approve');
    // Every need names an earlier job: the order above is the only one.
    const names = Object.keys(jobs);
    for (const [i, name] of names.entries()) {
      for (const n of needs(jobs[name]!)) expect(names.indexOf(n), `${name} needs ${n}`).toBeLessThan(i);
    }
  });

  test('the gate is an environment with reviewers, and only main deploys', () => {
    expect(jobs.approve!.environment).toBe('production');
    expect(jobs.approve!.if).toBe(ON_MAIN);
    expect(jobs.apply!.if).toBe(ON_MAIN);
    for (const j of ['check', 'synth', 'plan']) expect(jobs[j]!.if, j).toBeUndefined();
  });

  test('each job runs its pipeline.sh step; together, the steps of `pipeline.sh all`, in order', () => {
    const all = readFileSync(SCRIPT, 'utf8')
      .match(/all\) for s in ([\w ]+);/)![1]!
      .split(' ');
    expect(all).toEqual(['check', 'synth', 'plan', 'review', 'gate', 'apply']);
    expect(Object.values(jobs).flatMap(scriptSteps)).toEqual(all);
    expect(workflow.env.PGTOPO_STATE_BUCKET).toBeDefined();
  });

  test('SARIF to code scanning, the review on the pull request, AWS through OIDC where AWS is reached', () => {
    const uses = (j: Job) => j.steps.map((s) => s.uses?.split('@')[0]);
    expect(uses(jobs.check!)).toContain('github/codeql-action/upload-sarif');
    expect(jobs.check!.permissions?.['security-events']).toBe('write');
    expect(jobs.plan!.steps.some((s) => /gh pr comment .*review\.md/.test(s.run ?? ''))).toBe(true);
    for (const j of ['plan', 'apply']) {
      expect(uses(jobs[j]!), j).toContain('aws-actions/configure-aws-credentials');
      expect(jobs[j]!.permissions?.['id-token'], j).toBe('write');
    }
    for (const j of ['check', 'synth'])
      expect(uses(jobs[j]!), j).not.toContain('aws-actions/configure-aws-credentials');
  });
});

describe('pipeline.sh', () => {
  const run = promisify(execFile);
  const tmp = tempDir('pipeline');
  let moto: Moto | undefined;
  /** Why there is no emulator here ('' when there is one). */
  const python = motoPython();
  const noMoto = typeof python === 'string' ? python : '';
  if (noMoto) console.warn(`\n*** pipeline.sh: NO APPLY AGAINST AN AWS EMULATOR: ${noMoto} ***\n`);
  afterAll(async () => {
    await moto?.stop();
    tmp.cleanup();
  });
  const env = () => ({
    ...terraformEnv(tmp.dir),
    PGTOPO: `node ${join(ROOT, 'bin/pgtopo.js')}`,
    PIPELINE_OUT: join(tmp.dir, 'out'),
    PGTOPO_MOTO_ENDPOINT: moto?.endpoint ?? '',
    PGTOPO_STATE_BUCKET: '',
  });
  const out = () => join(tmp.dir, 'out');
  const pipeline = (...args: string[]) =>
    run(SCRIPT, args, { env: env(), cwd: tmp.dir, maxBuffer: 64 * 1024 * 1024, timeout: 1_500_000 });

  test('without --dry-run, synth refuses to run without a state bucket; destroy never runs on AWS', async () => {
    const r = await run(SCRIPT, ['synth', EXAMPLES.singleRegion], { env: env() }).catch((e) => e);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('PGTOPO_STATE_BUCKET is not set');
    const d = await run(SCRIPT, ['destroy', EXAMPLES.singleRegion], { env: env() }).catch((e) => e);
    expect(d.code).toBe(64);
    expect(d.stderr).toContain('it never destroys on AWS');
  });

  let stdout = '';
  let destroyed = '';
  beforeAll(async () => {
    mkdirSync(tmp.dir, { recursive: true });
    if (!noMoto) {
      // moto_server is installed: it must start (a failure here is a failure, not a skip).
      const started = await startMoto();
      if (typeof started === 'string') throw new Error(started);
      moto = started;
    }
    ({ stdout } = await pipeline('--dry-run', 'all', EXAMPLES.singleRegion));
    if (moto) ({ stdout: destroyed } = await pipeline('--dry-run', 'destroy', EXAMPLES.singleRegion));
    // The emulator run's figures, in the CI log: resources and seconds per stack and step.
    const figures = `${stdout}${destroyed}`.match(
      /^(== pipeline \(dry run\) (applied|replan|destroyed): .*|(Apply|Destroy) complete.*)$/gm,
    );
    if (figures) console.log(`pipeline.sh against moto_server:\n  ${figures.join('\n  ')}`);
  }, 3_100_000);

  const STACKS = ['orders-us-east-1', 'orders-global'];
  const lines = (text: string, step: string) =>
    [...text.matchAll(new RegExp(`^== pipeline \\(dry run\\) ${step}: (\\S+)(.*)$`, 'gm'))].map((m) => [
      m[1]!,
      m[2]!,
    ]);

  test('a dry run goes through every step', () => {
    const steps = [...stdout.matchAll(/^== pipeline \(dry run\) (\w+)/gm)].map((m) => m[1]);
    const apply = !noMoto ? ['apply', 'applied', 'apply', 'applied', 'replan', 'replan'] : ['apply'];
    expect(steps).toEqual(['check', 'synth', 'plan', 'plan', 'review', 'gate', ...apply]);
  });

  test.runIf(noMoto !== '')('without moto_server, apply is skipped with the reason', () => {
    expect(stdout).toContain(
      'apply: SKIPPED: no AWS emulator endpoint configured (PGTOPO_MOTO_ENDPOINT is unset)',
    );
  });

  test('its artefacts: SARIF, JUnit, a plan per stack in deploy order, the review with the plans', () => {
    const sarif = JSON.parse(readFileSync(join(out(), 'check.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(readFileSync(join(out(), 'check.junit.xml'), 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuites/);
    const planned = lines(stdout, 'plan').map(([id]) => id);
    expect(planned).toEqual(STACKS);
    for (const id of planned) {
      const plan = JSON.parse(readFileSync(join(out(), 'plans', `${id}.json`), 'utf8'));
      expect(plan.format_version, id).toBeDefined();
      expect(plan.resource_changes.length, id).toBeGreaterThan(0);
    }
    expect(readdirSync(join(out(), 'review')).sort()).toEqual(['review.md', 'topology.mmd', 'topology.svg']);
    expect(readFileSync(join(out(), 'review/review.md'), 'utf8')).toMatch(/## Plan[\s\S]*orders-global/);
    expect(existsSync(join(out(), 'cdktf.out/stacks/orders-global/tfplan'))).toBe(true);
  });

  describe.skipIf(noMoto !== '')(`against the AWS emulator${noMoto ? ` (SKIPPED: ${noMoto})` : ''}`, () => {
    test('the emulator runs with every patch of test support', () => {
      const declared = [
        ...readFileSync(join(ROOT, 'test/helpers/moto/pgtopo_moto.py'), 'utf8').matchAll(
          /^@patch\(\s*"([\w-]+)"/gm,
        ),
      ].map((m) => m[1]);
      expect(declared.length).toBeGreaterThan(0);
      expect(moto!.patches).toEqual(declared);
    });

    test('every stack of the offline plan is applied, in stack order, to the emulator', () => {
      expect(lines(stdout, 'apply').map(([id]) => id)).toEqual(STACKS);
      for (const id of STACKS) {
        const planned = JSON.parse(readFileSync(join(out(), 'plans', `${id}.json`), 'utf8')) as {
          resource_changes: { mode: string; change: { actions: string[] } }[];
        };
        const creates = planned.resource_changes.filter(
          (c) => c.mode === 'managed' && c.change.actions.includes('create'),
        ).length;
        const log = readFileSync(join(out(), 'plans', `${id}.apply.log`), 'utf8');
        // All that the reviewed plan creates, and nothing else.
        expect(log, id).toContain(`Apply complete! Resources: ${creates} added, 0 changed, 0 destroyed.`);
      }
    });

    test('a second plan of every stack shows no changes', () => {
      expect(lines(stdout, 'replan')).toEqual(
        STACKS.map((id) => [`${id}:`, expect.stringMatching(/^ no changes \(\d+ s\)$/)]),
      );
    });

    test('destroy clears the emulator, global stack first, and leaves no resource in any state', () => {
      expect(lines(destroyed, 'destroy').map(([id]) => id)).toEqual([...STACKS].reverse());
      for (const id of STACKS) {
        const state = JSON.parse(readFileSync(join(out(), `terraform.${id}.tfstate`), 'utf8'));
        expect(
          state.resources.filter((r: { mode: string }) => r.mode === 'managed'),
          id,
        ).toEqual([]);
        // The override file is gone: the synthesized stack is as it was.
        expect(existsSync(join(out(), 'cdktf.out/stacks', id, 'pgtopo_emulator_override.tf.json'))).toBe(
          false,
        );
      }
    });
  });
});
