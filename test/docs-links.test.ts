/**
 * The project documents itself: every relative link of README.md and docs/*.md names a file or
 * directory inside the repository (a user's clone has nothing beside it, e.g. no ../shared/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative link targets of a Markdown text (inline links; no URLs, no in-page anchors). */
function targets(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/i.test(t));
}

test.each(DOCS)('%s links only to files inside the repository', (doc) => {
  const base = dirname(join(ROOT, doc));
  const problems = targets(readFileSync(join(ROOT, doc), 'utf8')).flatMap((t) => {
    const path = resolve(base, t);
    if (relative(ROOT, path).startsWith('..')) return [`${t}: outside the repository`];
    return existsSync(path) ? [] : [`${t}: no such file`];
  });
  expect(problems).toEqual([]);
  // Nor in prose or code: the notes a session kept beside the repository are not the project's.
  expect(readFileSync(join(ROOT, doc), 'utf8')).not.toMatch(/\.\.\/shared\/|DESIGN\.md/);
});

test('the architecture notes are in docs/', () => {
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('](docs/architecture.md)');
});
