/**
 * A failing synthesis reports everything at once and writes nothing: policy errors and resource-level
 * (guard) findings together, each once, in `pgtopo check`'s form; through `synthesize()` and through
 * the cdktf app behind `npx cdktf synth` (stacks/main.ts, run in process the way the cdktf CLI runs it).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { Aspects } from 'cdktf';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import {
  type BackendFactory,
  defaultBackend,
  SynthesisError,
  synthesisErrorLines,
  synthesize,
} from '../../src/aws/index.js';
import { EXAMPLES } from '../helpers/examples.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('synth-failures');
afterAll(() => tmp.cleanup());

/** Two policy errors (a two-member etcd quorum, a world-open client CIDR), the second also a guard finding. */
const UNSAFE = `name: orders
primaryRegion: us-east-1
dcs: { mode: per-region, membersPerRegion: 2 }
regions:
  - name: us-east-1
    cidr: 10.10.0.0/16
    azs: [us-east-1a, us-east-1b, us-east-1c]
    members:
      - { name: use1-a, az: us-east-1a }
      - { name: use1-b, az: us-east-1b }
      - { name: use1-c, az: us-east-1c }
security: { allowedCidrs: [0.0.0.0/0] }
`;

/** Every file below `dir` with its content: to show a failed synthesis changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const ids = (lines: readonly string[]) =>
  lines.filter((l) => /^error\s/.test(l)).map((l) => l.split(/\s+/).slice(1, 3).join(' '));

describe('synthesize()', () => {
  test('policy errors and guard findings of every stack come together, each once', () => {
    const spec = join(tmp.dir, 'unsafe.yaml');
    writeFileSync(spec, UNSAFE);
    // An escape hatch in every stack: guard findings beside the policy errors that stop synthesis first.
    const publicNodes: BackendFactory = (stack, id) => {
      Aspects.of(stack).add({
        visit: (n) => {
          if (n instanceof Instance) n.addOverride('associate_public_ip_address', true);
        },
      });
      return defaultBackend(stack, id);
    };
    let error: unknown;
    try {
      synthesize(spec, join(tmp.dir, 'out'), { backend: publicNodes });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SynthesisError);
    const e = error as SynthesisError;
    expect(new Set(e.findings.map((f) => f.ruleId))).toEqual(
      new Set(['PGT-ETCD-001', 'PGT-ETCD-002', 'PGT-NET-001']),
    );
    expect(new Set(e.guard.map((f) => f.ruleId))).toEqual(new Set(['PGT-NET-001', 'PGT-EC2-003']));
    expect(e.findings.find((f) => f.ruleId === 'PGT-ETCD-001')?.location).toMatchObject({ line: 3 });
    const lines = synthesisErrorLines(e);
    expect(new Set(ids(lines)).size).toBe(ids(lines).length);
    expect(e.messages).toHaveLength(ids(lines).length);
  });
});

describe('the cdktf app (stacks/main.ts)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  /** Runs stacks/main.ts as `cdktf synth` does: CDKTF_OUTDIR set, synthesis continued on error annotations. */
  async function app(spec: string, outdir: string, env: Readonly<Record<string, string>> = {}) {
    Object.assign(process.env, env);
    process.env.PGTOPO_SPEC = spec;
    process.env.CDKTF_OUTDIR = outdir;
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = 'true';
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
    vi.resetModules();
    await import('../../stacks/main.js');
    const code = process.exitCode;
    process.exitCode = undefined;
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('an unsafe spec: exit 1, every finding once in check form, no success line, the last output kept', async () => {
    const outdir = join(tmp.dir, 'cdktf.out');
    const good = await app(EXAMPLES.singleRegion, outdir);
    expect(good.code ?? 0).toBe(0);
    expect(good.out).toContain('Terraform JSON');
    const before = snapshot(outdir);
    expect(Object.keys(before).some((f) => f.endsWith('cdk.tf.json'))).toBe(true);

    const spec = join(tmp.dir, 'unsafe-app.yaml');
    writeFileSync(spec, UNSAFE);
    const bad = await app(spec, outdir);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    const found = ids(bad.err.split('\n'));
    expect(new Set(found.map((x) => x.split(' ')[0]))).toEqual(
      new Set(['PGT-ETCD-001', 'PGT-ETCD-002', 'PGT-NET-001']),
    );
    expect(new Set(found).size).toBe(found.length);
    // The policy finding in check form: rule id, file:line:col and spec path, then found/expected/fix.
    expect(bad.err).toMatch(/^error\s+PGT-ETCD-001 .*unsafe-app\.yaml:3:\d+: dcs\.membersPerRegion$/m);
    expect(bad.err).toMatch(/^\s+fix:\s/m);
    expect(bad.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(snapshot(outdir)).toEqual(before);
  });

  test('PGTOPO_STATE_* give every stack the S3 backend; an empty variable counts as unset', async () => {
    const outdir = join(tmp.dir, 'remote');
    const env = { PGTOPO_STATE_BUCKET: 'acme-tfstate', PGTOPO_STATE_PREFIX: 'db', PGTOPO_STATE_REGION: '' };
    const r = await app(EXAMPLES.singleRegion, outdir, env);
    expect(r.code ?? 0).toBe(0);
    const json = JSON.parse(readFileSync(join(outdir, 'stacks/orders-global/cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend.s3).toMatchObject({
      bucket: 'acme-tfstate',
      key: 'db/orders-global.tfstate',
      region: 'us-east-1',
    });
  });

  test('unusable PGTOPO_STATE_* settings: exit 64 naming each variable, nothing written', async () => {
    const outdir = join(tmp.dir, 'remote-bad');
    const r = await app(EXAMPLES.singleRegion, outdir, {
      PGTOPO_STATE_BUCKET: 'Acme_State',
      PGTOPO_STATE_REGION: 'moon-1',
    });
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/^PGTOPO_STATE_BUCKET: found "Acme_State"/m);
    expect(r.err).toMatch(/^PGTOPO_STATE_REGION: found "moon-1"/m);
    expect(() => statSync(outdir)).toThrow();
  });

  test('an invalid spec: exit 2 with the issues in check form', async () => {
    const spec = join(tmp.dir, 'invalid-app.yaml');
    writeFileSync(spec, `${UNSAFE}postgres: { version: 9 }\n`);
    const r = await app(spec, join(tmp.dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/postgres\.version \[too_small\]/);
    expect(() => statSync(join(tmp.dir, 'never'))).toThrow();
  });
});
