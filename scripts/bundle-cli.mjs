// Bundles the CLI entry (src/cli/main.ts) with zod and yaml into dist/bin/ so `pgtopo check` starts fast
// (bench/check.mjs: ~2.3x `node -e ''` bundled vs ~3.1x unbundled). Commands stay lazily loaded chunks;
// cdktf, the provider bindings, pg and graphviz stay external and load only in the commands that use them.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// Chunk names carry content hashes: without a clean directory every build leaves the last one's chunks
// behind, and `npm pack` (files: dist) would ship them all.
rmSync('dist/bin', { recursive: true, force: true });

// zod re-exports every locale (`z.locales`, ~240 kB of the ~970 kB `check` loads) and configures English;
// pgtopo words its own messages and never switches locale. The bundle keeps English only.
const englishOnlyZodLocales = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [englishOnlyZodLocales],
  external: ['cdktf', 'cdktf-cli', '@cdktf/*', 'constructs', 'pg', '@hpcc-js/*', 'fast-check', 'vitest'],
  // yaml is CommonJS and requires node built-ins: give the ESM bundle a real `require`.
  banner: { js: "import { createRequire as __pgtopoRequire } from 'node:module'; const require = __pgtopoRequire(import.meta.url);" },
});
