#!/usr/bin/env node
// Builds (or reuses, when current) the cached root of every node release, in parallel, with progress:
// the real-tool tests and the rehearsal run the daemons in them. Run after `npm run build`; needs root.
// Usage: node scripts/release-roots.mjs [debian-13 debian-12 ...]
import { ensureReleaseRoot } from '../dist/rehearsal/release-root.js';
import { RELEASE_NAMES } from '../dist/spec/releases.js';

const names = process.argv.length > 2 ? process.argv.slice(2) : [...RELEASE_NAMES];
const started = Date.now();
const roots = await Promise.all(
  names.map((n) => ensureReleaseRoot(n, { progress: (line) => console.log(`[${n}] ${line}`) })),
).catch((e) => {
  console.error(`release roots: ${e.message}`);
  process.exit(1);
});
for (const r of roots) {
  const versions = Object.entries(r.versions).map(([k, v]) => `${k} ${v}`);
  console.log(`${r.release.name}: ${r.dir} (built ${r.builtAt}): ${versions.join(', ')}`);
}
console.log(`release roots ready in ${Math.round((Date.now() - started) / 1000)} s`);
