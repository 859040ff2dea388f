/**
 * Every stack of every example against the real hashicorp/aws 5.100.0 provider: `terraform init`
 * (offline from the local mirror when present, plain otherwise, one shared plugin cache),
 * `terraform validate` and an offline `terraform plan -var offline_plan=true` (no credentials, no
 * AWS API). The same run proves that no secret value reaches the synthesized JSON, the plan JSON
 * (`terraform show -json`) or any user data.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeUserData } from '../../src/aws/index.js';
import { ALL_SECRET_KEYS, AWAITING_VALUE_TAG, secretEnvName, tlsParameters } from '../../src/render/index.js';
import { type ExampleName, example, slowProofExamples } from '../helpers/examples.js';
import {
  type Json,
  pool,
  type SynthesizedExample,
  synthExample,
  tempDir,
  terraform,
  terraformEnv,
} from './helpers.js';

/** Every example, or those PGTOPO_SLOW_EXAMPLES names (the cdktn run plans one). */
const EXAMPLE_NAMES = slowProofExamples();

const tmp = tempDir('terraform');
const synthesized = {} as Record<ExampleName, SynthesizedExample>;
interface Planned {
  readonly example: ExampleName;
  readonly id: string;
  dir: string;
  validate?: string;
  plan?: string;
  show?: Json;
  showText?: string;
  error?: Error;
}
/** Every stack of every example, known from the model before anything is synthesized. */
const stacks: Planned[] = EXAMPLE_NAMES.flatMap((name) => {
  const t = example(name);
  return [...t.regions.map((r) => `${t.name}-${r.name}`), `${t.name}-global`].map((id) => ({
    example: name,
    id,
    dir: '',
  }));
});

/** Values a careless implementation could pick up: the boot step's secret variables, provider credentials, TF_VAR_*. */
const CANARIES: Readonly<Record<string, string>> = Object.fromEntries([
  ...ALL_SECRET_KEYS.map((k) => [secretEnvName(k), `canary-${k}-7f3d9a1c5e2b4d6f8a0c`]),
  ['AWS_ACCESS_KEY_ID', 'AKIACANARY7F3D9A1C5E'],
  ['AWS_SECRET_ACCESS_KEY', 'canary-aws-secret-7f3d9a1c5e2b4d6f8a0c1e3b5d7f9a'],
  ['TF_VAR_superuser_password', 'canary-tfvar-7f3d9a1c5e2b4d6f8a0c'],
]);
const saved: Record<string, string | undefined> = {};

/** Paths whose `after_sensitive` marker is true. */
function sensitivePaths(marker: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (marker === true) return [path];
  if (Array.isArray(marker)) return marker.flatMap((m, i) => sensitivePaths(m, [...path, i]));
  if (marker && typeof marker === 'object') {
    return Object.entries(marker).flatMap(([k, m]) => sensitivePaths(m, [...path, k]));
  }
  return [];
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v == null ? undefined : (v as Record<string | number, unknown>)[k]),
    root,
  );
}

beforeAll(async () => {
  for (const [k, v] of Object.entries(CANARIES)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  for (const name of EXAMPLE_NAMES) {
    synthesized[name] = synthExample(name, `${tmp.dir}/${name}`);
    for (const s of synthesized[name].result.stacks) {
      stacks.find((x) => x.example === name && x.id === s.id)!.dir = s.dir;
    }
  }
  const env = { ...terraformEnv(tmp.dir), ...CANARIES };
  // init one at a time: the shared plugin cache is not safe for concurrent installs.
  for (const s of stacks) await terraform(s.dir, ['init', '-input=false', '-no-color'], env);
  // validate, plan and show, two stacks at a time (2-core CI).
  await pool(stacks, 2, async (s) => {
    try {
      s.validate = (await terraform(s.dir, ['validate', '-no-color'], env)).stdout;
      s.plan = (
        await terraform(
          s.dir,
          ['plan', '-input=false', '-lock=false', '-no-color', '-var', 'offline_plan=true', '-out=plan.bin'],
          env,
        )
      ).stdout;
      s.showText = (await terraform(s.dir, ['show', '-json', '-no-color', 'plan.bin'], env)).stdout;
      s.show = JSON.parse(s.showText) as Json;
    } catch (e) {
      s.error = e as Error;
    }
  });
}, 1_800_000);

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  tmp.cleanup();
});

const byStack = () => stacks.map((s) => [`${s.example} ${s.id}`, s] as const);

describe('terraform against hashicorp/aws 5.100.0', () => {
  test('every example stack is covered', () => {
    const expected: Record<ExampleName, string[]> = {
      singleRegion: ['orders-us-east-1', 'orders-global'],
      twoRegionStandby: ['orders-us-east-1', 'orders-us-west-2', 'orders-global'],
      threeRegionStretched: ['ledger-eu-west-1', 'ledger-eu-central-1', 'ledger-eu-north-1', 'ledger-global'],
      logicalSubscriber: ['reports-us-east-1', 'reports-global'],
    };
    expect(stacks.map((s) => s.id)).toEqual(EXAMPLE_NAMES.flatMap((name) => expected[name]));
    const lock = readFileSync(`${stacks[0]!.dir}/.terraform.lock.hcl`, 'utf8');
    expect(lock).toMatch(/provider "registry.terraform.io\/hashicorp\/aws"[\s\S]*version\s*=\s*"5\.100\.0"/);
  });

  test.each(byStack())('%s: validate and offline plan succeed', (_label, s) => {
    if (s.error) throw s.error;
    expect(s.validate).toContain('Success! The configuration is valid.');
    expect(s.plan).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
  });

  test.each(byStack())('%s: the plan creates exactly the synthesized resources', (_label, s) => {
    if (s.error) throw s.error;
    const json = synthesized[s.example].stacks[s.id]!;
    const expected = Object.values((json.resource ?? {}) as Record<string, object>).reduce(
      (n, byName) => n + Object.keys(byName).length,
      0,
    );
    const changes = (s.show!.resource_changes as { mode: string; change: { actions: string[] } }[]).filter(
      (c) => c.mode === 'managed',
    );
    expect(changes).toHaveLength(expected);
    expect(changes.every((c) => c.change.actions.join() === 'create')).toBe(true);
  });

  test('the plan shows the cluster the spec describes: members at their fixed IPs', () => {
    for (const name of EXAMPLE_NAMES) {
      const t = example(name);
      const planned = stacks
        .filter((s) => s.example === name && s.show)
        .flatMap((s) =>
          (s.show!.resource_changes as { type: string; change: { after: Json } }[]).filter(
            (c) => c.type === 'aws_instance',
          ),
        );
      const ips = planned.map((c) => c.change.after.private_ip);
      for (const m of t.members) expect(ips, `${name} ${m.name}`).toContain(m.privateIp);
    }
  });
});

describe('blast radius of one node, as planned', () => {
  type Statement = { Action: string[]; Condition?: Json };
  test.each(byStack())('%s: credentials are written once, at bootstrap', (_label, s) => {
    if (s.error) throw s.error;
    const changes = s.show!.resource_changes as {
      type: string;
      change: { after: Json; after_unknown: Json };
    }[];
    if (s.id.endsWith('-global')) {
      const secrets = changes.filter((c) => c.type === 'aws_secretsmanager_secret');
      expect(secrets.length).toBeGreaterThan(0);
      for (const c of secrets) expect((c.change.after.tags as Json)[AWAITING_VALUE_TAG]).toBe('true');
      return;
    }
    // Role policies the plan already knows (ARNs built from the account and partition are known offline).
    const known = changes.filter(
      (c) => c.type === 'aws_iam_role_policy' && typeof c.change.after.policy === 'string',
    );
    const statements = known.flatMap(
      (c) => (JSON.parse(String(c.change.after.policy)) as { Statement: Statement[] }).Statement,
    );
    const puts = statements.filter((x) => x.Action.includes('secretsmanager:PutSecretValue'));
    for (const x of puts)
      expect(x.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${AWAITING_VALUE_TAG}`]: 'true' } });
    const secretActions = new Set(
      statements.flatMap((x) => x.Action).filter((a) => a.startsWith('secretsmanager:')),
    );
    expect(
      [...secretActions].filter(
        (a) =>
          ![
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UntagResource',
          ].includes(a),
      ),
    ).toEqual([]);
    const t = example(s.example);
    if (s.id === `${t.name}-${t.primaryRegion}` && known.length > 0) expect(puts.length).toBeGreaterThan(0);
  });

  test.each(byStack())(
    '%s: no node can read a CA key; with AWS Private CA each region plans a short-lived CA',
    (_label, s) => {
      if (s.error) throw s.error;
      const t = example(s.example);
      const changes = s.show!.resource_changes as { type: string; change: { after: Json } }[];
      const policies = changes
        .filter((c) => c.type === 'aws_iam_role_policy' && typeof c.change.after.policy === 'string')
        .map((c) => String(c.change.after.policy));
      const cas = changes.filter((c) => c.type === 'aws_acmpca_certificate_authority');
      if (t.security.ca.mode === 'self-managed') {
        expect(cas).toEqual([]);
        return;
      }
      for (const p of policies) expect(p).not.toContain(`secret:pgtopo/${t.name}/tls-ca`);
      expect(
        changes.filter((c) => c.type === 'aws_secretsmanager_secret').map((c) => c.change.after.name),
      ).not.toContain(`pgtopo/${t.name}/tls-ca`);
      if (s.id.endsWith('-global')) {
        const bundles = changes.filter((c) => c.type === 'aws_ssm_parameter');
        expect(bundles.map((c) => [c.change.after.name, c.change.after.type])).toEqual(
          t.regions.map(() => [tlsParameters(t).trust, 'String']),
        );
        return;
      }
      expect(cas.map((c) => [c.change.after.type, c.change.after.usage_mode])).toEqual([
        ['ROOT', 'SHORT_LIVED_CERTIFICATE'],
      ]);
    },
  );
});

/** A PEM private key block (PGT-EC2-004 looks for the same in the spec). */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

describe('no secret value in Terraform JSON, plan JSON or user data', () => {
  const leaks = (text: string) =>
    Object.entries(CANARIES)
      .filter(([, v]) => text.includes(v))
      .map(([k]) => k);

  test.each(byStack())('%s: no canary in the synthesized JSON or the plan JSON', (_label, s) => {
    if (s.error) throw s.error;
    expect(leaks(synthesized[s.example].text[s.id]!)).toEqual([]);
    expect(leaks(s.showText!)).toEqual([]);
    // No private key of any kind (a CA key above all): neither mode passes one through Terraform.
    expect(synthesized[s.example].text[s.id]!).not.toMatch(PRIVATE_KEY);
    expect(s.showText!).not.toMatch(PRIVATE_KEY);
  });

  test.each(byStack())('%s: no resource or attribute that holds a secret value', (_label, s) => {
    if (s.error) throw s.error;
    const json = synthesized[s.example].stacks[s.id]!;
    const types = Object.keys((json.resource ?? {}) as Json);
    for (const forbidden of ['aws_secretsmanager_secret_version', 'random_password']) {
      expect(types).not.toContain(forbidden);
    }
    // SSM parameters only name public things (the CA's ARN, CA certificates): String, pgtopo's names,
    // set through insecure_value (the provider's attribute for values that are not secret).
    const t = example(s.example);
    const tlsNames = Object.values(tlsParameters(t));
    for (const p of Object.values(
      ((json.resource ?? {}) as Record<string, Record<string, Json>>).aws_ssm_parameter ?? {},
    )) {
      expect(p.type).toBe('String');
      expect(tlsNames).toContain(p.name);
      expect(p.value).toBeUndefined();
    }
    const changes = s.show!.resource_changes as {
      type: string;
      change: { after: Json; after_sensitive: unknown };
    }[];
    for (const c of changes.filter((x) => x.type === 'aws_secretsmanager_secret')) {
      expect(
        Object.keys(c.change.after).filter((k) => /secret_string|secret_binary|password/.test(k)),
      ).toEqual([]);
    }
    // Attributes the provider marks sensitive (e.g. the Object Lock token) carry no value in the plan.
    const withValues = changes.flatMap((c) =>
      sensitivePaths(c.change.after_sensitive)
        .filter((p) => valueAt(c.change.after, p) != null)
        .map((p) => `${c.type} ${p.join('.')}`),
    );
    expect(withValues).toEqual([]);
  });

  test.each(byStack())('%s: user data holds placeholders and secret names, never values', (_label, s) => {
    if (s.error) throw s.error;
    const changes = s.show!.resource_changes as { type: string; change: { after: Json } }[];
    const userData = changes
      .filter((c) => c.type === 'aws_instance')
      .map((c) => decodeUserData(String(c.change.after.user_data_base64)));
    const t = example(s.example);
    if (s.id.endsWith('-global')) {
      expect(userData).toEqual([]);
      return;
    }
    expect(userData.length).toBeGreaterThan(0);
    for (const u of userData) {
      expect(leaks(u)).toEqual([]);
      expect(u).not.toMatch(PRIVATE_KEY);
      expect(u).toMatch(/^#cloud-config/);
      // The CA key is fetched only where nodes sign their own certificates; otherwise they ask the region's CA.
      if (t.security.ca.mode === 'self-managed') expect(u).toContain(`pgtopo/${t.name}/tls-ca`);
      else {
        expect(u).not.toContain(`pgtopo/${t.name}/tls-ca`);
        expect(u).toContain(tlsParameters(t).issuer);
      }
      // Generated values are 32 random bytes in hex: none is present.
      expect(u).not.toMatch(/\b[0-9a-f]{64}\b/);
      // Credential files are templates: every password line carries a placeholder.
      for (const line of u.split('\n').filter((l) => /PASSWORD=/.test(l)))
        expect(line).toMatch(/@@[A-Za-z]+@@/);
    }
  });
});
