/**
 * The layer rules of docs/architecture.md, enforced on the source: each layer imports only
 * layers above it, only src/aws/ touches cdktf (deep imports only), and the
 * `check` command's import closure never reaches cdktf.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const LAYERS = ['spec', 'model', 'policy', 'render', 'aws', 'review', 'rehearsal', 'cli', 'testing'] as const;
const CDKTF = /^(cdktf|cdktf-cli|constructs|@cdktf\/.+)$/;
const PULUMI = /^@pulumi\/.+$/;
const STACKS = fileURLToPath(new URL('../stacks/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers a file imports (static, dynamic and re-exports; type-only imports included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return [...new Set(specs)];
}

function layerOf(file: string): string | undefined {
  return relative(SRC, file).split('/')[0];
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\.js$/, '.ts'));
  return existsSync(base) ? base : existsSync(join(base, 'index.ts')) ? join(base, 'index.ts') : undefined;
}

const all = files(SRC);

describe('layering', () => {
  test('only src/aws/ imports cdktf, constructs or provider bindings', () => {
    const offenders = all
      .filter((f) => layerOf(f) !== 'aws')
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => CDKTF.test(s))
          .map((s) => `${relative(SRC, f)} -> ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  test('only src/pulumi/ and stacks/logical/ import @pulumi/*', () => {
    const stackFiles = files(STACKS).filter((f) => !f.includes('/node_modules/'));
    const offenders = [...all.filter((f) => layerOf(f) !== 'pulumi'), ...stackFiles]
      .filter((f) => !relative(STACKS, f).startsWith('logical/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => PULUMI.test(s))
          .map((s) => `${relative(SRC, f)} -> ${s}`),
      );
    expect(offenders).toEqual([]);
    // Nothing else in src/ (the CLI, `src/index.ts`, the AWS layer behind synth) loads the Pulumi layer.
    const loaders = all
      .filter((f) => layerOf(f) !== 'pulumi')
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolveLocal(f, s))
          .filter((t): t is string => t !== undefined && layerOf(t) === 'pulumi')
          .map((t) => `${relative(SRC, f)} -> ${relative(SRC, t)}`),
      );
    expect(loaders).toEqual([]);
    // The Pulumi layer reads the model and the SQL renderer, never a layer below them.
    const pulumiImports = all
      .filter((f) => layerOf(f) === 'pulumi')
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolveLocal(f, s))
          .filter((t): t is string => t !== undefined)
          .map((t) => layerOf(t)!),
      );
    expect(pulumiImports.filter((l) => !['spec', 'model', 'render', 'pulumi'].includes(l))).toEqual([]);
  });

  test('provider bindings are deep imports, never the package barrel', () => {
    const barrels = all.flatMap((f) =>
      importsOf(f)
        .filter(
          (s) =>
            s === '@cdktf/provider-aws' ||
            s === '@cdktf/provider-aws/lib' ||
            s === '@cdktf/provider-aws/lib/index.js',
        )
        .map((s) => `${relative(SRC, f)} -> ${s}`),
    );
    expect(barrels).toEqual([]);
  });

  test('each layer imports only itself and layers above it', () => {
    const rank = new Map<string, number>(LAYERS.map((l, i) => [l, i]));
    const offenders = all.flatMap((f) => {
      const own = layerOf(f)!;
      if (!rank.has(own)) return [];
      return importsOf(f)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolveLocal(f, s))
        .filter((target): target is string => target !== undefined)
        .filter((target) => {
          const other = layerOf(target)!;
          return rank.has(other) && rank.get(other)! > rank.get(own)! && own !== 'cli';
        })
        .map((target) => `${relative(SRC, f)} -> ${relative(SRC, target)}`);
    });
    expect(offenders).toEqual([]);
  });

  test('the check command never loads cdktf or provider bindings', () => {
    const { seen, external } = closureOf(join(SRC, 'cli/commands/check.ts'));
    expect([...external].filter((s) => CDKTF.test(s) || PULUMI.test(s))).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);
  });

  test.each(['src/cli/main.ts', 'src/index.ts', 'src/aws/index.ts', 'stacks/main.ts'])(
    '%s never loads pgtopo/testing (src/testing/)',
    (entry) => {
      const { seen } = closureOf(fileURLToPath(new URL(`../${entry}`, import.meta.url)));
      expect([...seen].filter((f) => layerOf(f) === 'testing').map((f) => relative(SRC, f))).toEqual([]);
      expect(seen.size).toBeGreaterThan(5);
    },
  );
});

/** Every source file an entry reaches through relative imports, and the packages it imports. */
function closureOf(entry: string): { seen: Set<string>; external: Set<string> } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const s of importsOf(file)) {
      if (s.startsWith('.')) {
        const target = resolveLocal(file, s);
        if (target) visit(target);
      } else {
        external.add(s);
      }
    }
  };
  visit(entry);
  return { seen, external };
}
