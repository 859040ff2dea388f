/**
 * `toPassTerraformValidate`: every synthesized stack passes `terraform init -backend=false` and
 * `terraform validate` against the real AWS provider. Asynchronous (terraform runs as a child process
 * for seconds per stack; a synchronous matcher would block the test runner's worker): await it, in
 * jest and in vitest alike.
 *
 * Providers: from a local plugin directory (`pluginDir`, or PGTOPO_TERRAFORM_PLUGIN_DIR: the folder
 * that holds `registry.terraform.io/...`, as for `terraform init -plugin-dir`), offline; otherwise a
 * plain `terraform init` as on a developer's machine (the registry, or whatever the Terraform CLI
 * configuration says: a mirror, TF_PLUGIN_CACHE_DIR).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export interface TerraformValidateOptions {
  /**
   * A local provider directory for `terraform init -plugin-dir` (offline).
   * @default PGTOPO_TERRAFORM_PLUGIN_DIR when set, otherwise none: a plain `terraform init`
   */
  readonly pluginDir?: string;
  /**
   * The terraform binary.
   * @default PGTOPO_TERRAFORM, otherwise `terraform` on the PATH
   */
  readonly terraform?: string;
  /**
   * Time allowed for each terraform command, in seconds.
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

/** The environment variable that names the plugin directory when the options do not. */
export const PLUGIN_DIR_ENV = 'PGTOPO_TERRAFORM_PLUGIN_DIR';

/** One stack to validate: a label and the directory holding its cdk.tf.json. */
export interface StackDir {
  readonly id: string;
  readonly dir: string;
}

export interface StackValidation {
  readonly id: string;
  readonly valid: boolean;
  /** `terraform validate`'s diagnostics (error and warning summaries with where they are). */
  readonly diagnostics: readonly string[];
}

/**
 * The stacks of a received value: a `synthesize()` result, a stack directory, a cdktf output
 * directory (`<out>/stacks/*`), or the path of a `cdk.tf.json`. A string error when it is none.
 */
export function stackDirs(received: unknown): StackDir[] | string {
  if (typeof received === 'string') {
    if (!existsSync(received)) return `${received} does not exist`;
    if (statSync(received).isFile()) return [{ id: received, dir: dirname(received) }];
    if (existsSync(join(received, 'cdk.tf.json'))) return [{ id: received, dir: received }];
    const stacks = join(received, 'stacks');
    if (existsSync(stacks)) {
      const dirs = readdirSync(stacks)
        .sort()
        .filter((d) => existsSync(join(stacks, d, 'cdk.tf.json')));
      if (dirs.length > 0) return dirs.map((d) => ({ id: d, dir: join(stacks, d) }));
    }
    return `${received} holds no cdk.tf.json (a stack directory, a cdktf output directory or a cdk.tf.json path)`;
  }
  const r = received as { stacks?: { id?: unknown; dir?: unknown }[] } | null;
  if (r && typeof r === 'object' && Array.isArray(r.stacks)) {
    return r.stacks.map((s) => ({ id: String(s.id), dir: String(s.dir) }));
  }
  return `received ${received === null ? 'null' : typeof received}: expected a synthesize() result or a path`;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: Error;
}

function run(bin: string, args: string[], cwd: string, timeoutSeconds: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        cwd,
        encoding: 'utf8',
        timeout: timeoutSeconds * 1000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({
          status: error ? (typeof code === 'number' ? code : null) : 0,
          stdout: stdout ?? '',
          stderr: stderr ?? '',
          // Only a failure to run at all (no binary, killed by the timeout) is an error here.
          ...(error && typeof code !== 'number' ? { error } : {}),
        });
      },
    );
  });
}

/** A diagnostic of `terraform validate -json`, as one line. */
interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  range?: { filename: string; start: { line: number } };
}
const diagnosticLine = (d: Diagnostic) =>
  `${d.severity}: ${d.summary}${d.range ? ` (${d.range.filename}:${d.range.start.line})` : ''}${
    d.detail ? `: ${d.detail.replace(/\s+/g, ' ').slice(0, 300)}` : ''
  }`;

/**
 * Validates each stack in a scratch copy (only its cdk.tf.json: the synthesized directory gets no
 * `.terraform`). Throws an Error when terraform cannot run or init fails for a reason that is not the
 * stack's (no terraform, no provider): the matcher turns it into MatcherInputError.
 */
export async function validateStacks(
  stacks: readonly StackDir[],
  options: TerraformValidateOptions = {},
): Promise<StackValidation[]> {
  const bin = options.terraform ?? process.env.PGTOPO_TERRAFORM ?? 'terraform';
  const pluginDir = options.pluginDir ?? process.env[PLUGIN_DIR_ENV] ?? undefined;
  const timeout = options.timeoutSeconds ?? 300;
  if (pluginDir !== undefined && !existsSync(pluginDir)) {
    throw new Error(`the plugin directory ${pluginDir} does not exist (pluginDir or ${PLUGIN_DIR_ENV})`);
  }
  const results: StackValidation[] = [];
  // One stack at a time: each terraform loads the provider's schema (CPU and memory heavy).
  for (const stack of stacks) {
    const work = mkdtempSync(join(tmpdir(), 'pgtopo-validate-'));
    try {
      copyFileSync(join(stack.dir, 'cdk.tf.json'), join(work, 'cdk.tf.json'));
      const init = await run(
        bin,
        [
          'init',
          '-backend=false',
          '-no-color',
          '-input=false',
          ...(pluginDir ? [`-plugin-dir=${pluginDir}`] : []),
        ],
        work,
        timeout,
      );
      if (init.error) {
        throw new Error(
          (init.error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `terraform not found (${bin}): install Terraform or set PGTOPO_TERRAFORM / the terraform option`
            : `terraform init of ${stack.id}: ${init.error.message}`,
        );
      }
      if (init.status !== 0) {
        throw new Error(
          `terraform init of ${stack.id} failed (exit ${init.status}${pluginDir ? `, plugin dir ${pluginDir}` : ', plain init'}):\n${init.stderr.trim()}`,
        );
      }
      const validate = await run(bin, ['validate', '-json', '-no-color'], work, timeout);
      let report: { valid?: boolean; diagnostics?: Diagnostic[] };
      try {
        report = JSON.parse(validate.stdout) as typeof report;
      } catch {
        throw new Error(
          `terraform validate of ${stack.id} gave no JSON (exit ${validate.status}):\n${validate.stderr.trim()}`,
        );
      }
      results.push({
        id: stack.id === stack.dir ? basename(stack.dir) : stack.id,
        valid: report.valid === true,
        diagnostics: (report.diagnostics ?? []).map(diagnosticLine),
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return results;
}
