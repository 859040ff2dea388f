/** Synthesis and Terraform helpers for the AWS-layer tests. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SynthesizeOptions, type SynthResult, synthesize } from '../../src/aws/index.js';
import { EXAMPLES, type ExampleName } from '../helpers/examples.js';

export type Json = Record<string, unknown>;

/** A Terraform interpolation `${expr}` as it appears in the synthesized JSON. */
export const tf = (expr: string): string => `\${${expr}}`;
export type Resource = { readonly name: string; readonly config: Json & Record<string, unknown> };

export interface SynthesizedExample {
  readonly result: SynthResult;
  /** Parsed cdk.tf.json by stack id. */
  readonly stacks: Readonly<Record<string, Json>>;
  /** Raw cdk.tf.json text by stack id. */
  readonly text: Readonly<Record<string, string>>;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `pgtopo-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function synthExample(
  name: ExampleName,
  outdir: string,
  opts: SynthesizeOptions = {},
): SynthesizedExample {
  const result = synthesize(EXAMPLES[name], outdir, { now: new Date('2026-01-01T00:00:00Z'), ...opts });
  const text = Object.fromEntries(result.stacks.map((s) => [s.id, readFileSync(s.file, 'utf8')]));
  const stacks = Object.fromEntries(Object.entries(text).map(([id, t]) => [id, JSON.parse(t) as Json]));
  return { result, stacks, text };
}

/** Resources of one type in a synthesized stack. */
export function resources(stack: Json, type: string): Resource[] {
  const byName = ((stack.resource ?? {}) as Record<string, Record<string, Json>>)[type] ?? {};
  return Object.entries(byName).map(([name, config]) => ({ name, config }));
}

/** Resources of one type across all stacks of an example. */
export function allResources(ex: SynthesizedExample, type: string): (Resource & { stack: string })[] {
  return Object.entries(ex.stacks).flatMap(([stack, json]) =>
    resources(json, type).map((r) => ({ ...r, stack })),
  );
}

/** The `terraform.backend` block of a synthesized stack, by backend type. */
export const backendOf = (stack: Json): Record<string, Json> =>
  (stack.terraform as Json).backend as Record<string, Json>;

/** The `terraform_remote_state` reads of a synthesized stack, by name. */
export const remoteStates = (stack: Json): Record<string, Json> =>
  ((stack.data ?? {}) as Record<string, Record<string, Json>>).terraform_remote_state ?? {};

/** The construct path of a synthesized resource. */
export function pathOf(r: Resource): string {
  return ((r.config['//'] as Json).metadata as { path: string }).path;
}

// ---------------------------------------------------------------------------------------------------
// Terraform

const run = promisify(execFile);
export const PLUGIN_MIRROR = '/opt/tf-plugins';

/**
 * Environment for terraform: a CLI config that installs hashicorp/aws from the local mirror when it
 * exists (offline, symlinked, nothing copied) and otherwise from the registry through one plugin
 * cache shared by every run (TF_PLUGIN_CACHE_DIR, or a directory under the OS temp dir).
 */
export function terraformEnv(home: string): NodeJS.ProcessEnv {
  const cache = process.env.TF_PLUGIN_CACHE_DIR ?? join(tmpdir(), 'pgtopo-terraform-plugin-cache');
  mkdirSync(cache, { recursive: true });
  const mirror = existsSync(PLUGIN_MIRROR)
    ? `provider_installation {
  filesystem_mirror {
    path    = "${PLUGIN_MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`
    : '';
  const config = join(home, 'terraformrc');
  writeFileSync(config, `plugin_cache_dir = "${cache}"\n${mirror}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: config,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };
  delete env.TF_PLUGIN_CACHE_DIR;
  return env;
}

export async function terraform(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('terraform', [...args], {
      cwd: dir,
      env,
      maxBuffer: 256 * 1024 * 1024,
      timeout: 600_000,
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `terraform ${args.join(' ')} in ${dir} failed:\n${err.stderr ?? ''}\n${(err.stdout ?? '').slice(-4000)}`,
    );
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
