/** Builds dist/ once when it is missing or older than the sources, so tests that spawn bin/pgtopo.js run the current code. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string): number {
  return readdirSync(dir).reduce((max, name) => {
    const p = join(dir, name);
    const s = statSync(p);
    return Math.max(max, s.isDirectory() ? newest(p) : s.mtimeMs);
  }, 0);
}

export default function setup(): void {
  const bundle = join(ROOT, 'dist/bin/main.js');
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest(join(ROOT, 'src'))) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
