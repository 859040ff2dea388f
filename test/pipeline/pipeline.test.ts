/**
 * examples/pipeline: the GitHub Actions workflow's structure (jobs, order, gate, permissions), that
 * it runs the same steps as pipeline.sh, and pipeline.sh itself end to end in a dry run: check →
 * synth → terraform plan (offline, the local provider mirror) → review → apply skipped, loudly.
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
  afterAll(() => tmp.cleanup());
  const env = () => ({
    ...terraformEnv(tmp.dir),
    PGTOPO: `node ${join(ROOT, 'bin/pgtopo.js')}`,
    PIPELINE_OUT: join(tmp.dir, 'out'),
    PGTOPO_MOTO_ENDPOINT: '',
    PGTOPO_STATE_BUCKET: '',
  });

  test('without --dry-run, synth refuses to run without a state bucket', async () => {
    const r = await run(SCRIPT, ['synth', EXAMPLES.singleRegion], { env: env() }).catch((e) => e);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('PGTOPO_STATE_BUCKET is not set');
  });

  let stdout = '';
  beforeAll(async () => {
    mkdirSync(tmp.dir, { recursive: true });
    ({ stdout } = await run(SCRIPT, ['--dry-run', 'all', EXAMPLES.singleRegion], {
      env: env(),
      cwd: tmp.dir,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    }));
  }, 660_000);

  test('a dry run goes through every step; apply is skipped with the reason', () => {
    const steps = [...stdout.matchAll(/^== pipeline \(dry run\) (\w+)/gm)].map((m) => m[1]);
    expect(steps).toEqual(['check', 'synth', 'plan', 'plan', 'review', 'gate', 'apply']);
    expect(stdout).toContain(
      'apply: SKIPPED: no AWS emulator endpoint configured (PGTOPO_MOTO_ENDPOINT is unset)',
    );
  });

  test('its artefacts: SARIF, JUnit, a plan per stack in deploy order, the review with the plans', () => {
    const out = join(tmp.dir, 'out');
    const sarif = JSON.parse(readFileSync(join(out, 'check.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(readFileSync(join(out, 'check.junit.xml'), 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuites/);
    const planned = [...stdout.matchAll(/^== pipeline \(dry run\) plan: (\S+)/gm)].map((m) => m[1]);
    expect(planned).toEqual(['orders-us-east-1', 'orders-global']);
    for (const id of planned) {
      const plan = JSON.parse(readFileSync(join(out, 'plans', `${id}.json`), 'utf8'));
      expect(plan.format_version, id).toBeDefined();
      expect(plan.resource_changes.length, id).toBeGreaterThan(0);
    }
    expect(readdirSync(join(out, 'review')).sort()).toEqual(['review.md', 'topology.mmd', 'topology.svg']);
    expect(readFileSync(join(out, 'review/review.md'), 'utf8')).toMatch(/## Plan[\s\S]*orders-global/);
    expect(existsSync(join(out, 'cdktf.out/stacks/orders-global/tfplan'))).toBe(true);
  });
});
