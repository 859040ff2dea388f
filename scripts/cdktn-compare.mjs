// Synthesizes every bundled example with two builds of pgtopo (argv: the cdktf build's dist/, the cdktn
// build's dist/) and compares the Terraform JSON stack by stack without the synthesizer's version stamp.
// Prints one line per example; exits 1 on any difference (with the first differing path).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [cdktfDist, cdktnDist] = process.argv.slice(2).map((d) => resolve(d));
const load = (dist, entry) => import(pathToFileURL(join(dist, entry)).href);
const flavours = [
  ['cdktf', await load(cdktfDist, 'aws/index.js')],
  ['cdktn', await load(cdktnDist, 'aws/index.js')],
];
const { stableTerraform } = await load(cdktfDist, 'testing/index.js');

/** The first path where two JSON values differ, or undefined. */
function firstDifference(a, b, path = '') {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path || '(root)'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return undefined;
}

// Every cluster spec among the examples; a fleet document (`kind: fleet`) is many clusters, not one stack set.
const examples = readdirSync('examples').filter(
  (f) => f.endsWith('.yaml') && !/^kind:\s*fleet\b/m.test(readFileSync(join('examples', f), 'utf8')),
);
const tmp = mkdtempSync(join(tmpdir(), 'pgtopo-cdktn-'));
let failed = 0;
try {
  for (const example of examples) {
    const out = {};
    const stamps = {};
    for (const [name, aws] of flavours) {
      const r = aws.synthesize(join('examples', example), join(tmp, name, example), {
        now: new Date('2026-01-01T00:00:00Z'),
      });
      out[name] = Object.fromEntries(
        r.stacks.map((s) => [s.id, JSON.parse(readFileSync(s.file, 'utf8'))]),
      );
      stamps[name] = Object.values(out[name])[0]['//'].metadata.version;
    }
    const ids = Object.keys(out.cdktf);
    const differences = [...new Set([...ids, ...Object.keys(out.cdktn)])].flatMap((id) => {
      const d = firstDifference(stableTerraform(out.cdktf[id] ?? {}), stableTerraform(out.cdktn[id] ?? {}));
      return d ? [`${id}: ${d}`] : [];
    });
    if (stamps.cdktf === stamps.cdktn) differences.push(`both builds stamp version ${stamps.cdktf}: not two synthesizers`);
    failed += differences.length > 0 ? 1 : 0;
    console.log(
      `${differences.length === 0 ? 'same' : 'DIFFERENT'}  ${example}: ${ids.length} stacks, cdktf ${stamps.cdktf} vs cdktn ${stamps.cdktn}`,
    );
    for (const d of differences) console.log(`    ${d}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = failed > 0 ? 1 : 0;
