import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { OutputDirError, REVIEW_FILES, writeReviewDir } from '../../src/review/output.js';

const root = mkdtempSync(join(tmpdir(), 'pgtopo-review-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files = (tag: string) => ({
  'review.md': `# ${tag}\n`,
  'topology.svg': `<svg>${tag}</svg>`,
  'topology.mmd': tag,
});

describe('writeReviewDir', () => {
  test('creates a new directory (and its parents) holding exactly the review files', () => {
    const out = join(root, 'a', 'b', 'review');
    writeReviewDir(out, files('one'));
    expect(readdirSync(out).sort()).toEqual([...REVIEW_FILES].sort());
    expect(readFileSync(join(out, 'review.md'), 'utf8')).toBe('# one\n');
    // No temp or backup directory is left beside it.
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['review']);
  });

  test('replaces a previous review directory', () => {
    const out = join(root, 'again');
    writeReviewDir(out, files('one'));
    writeReviewDir(out, files('two'));
    expect(readFileSync(join(out, 'topology.mmd'), 'utf8')).toBe('two');
    expect(readdirSync(root).filter((n) => n.startsWith('.again'))).toEqual([]);
  });

  test('refuses a directory holding other files and leaves it untouched', () => {
    const out = join(root, 'project');
    mkdirSync(out);
    writeFileSync(join(out, 'main.tf'), 'keep me');
    expect(() => writeReviewDir(out, files('x'))).toThrow(OutputDirError);
    expect(readdirSync(out)).toEqual(['main.tf']);
    expect(readdirSync(root).filter((n) => n.startsWith('.project'))).toEqual([]);
  });

  test('refuses a path that is a file', () => {
    const out = join(root, 'plain-file');
    writeFileSync(out, 'x');
    expect(() => writeReviewDir(out, files('x'))).toThrow(OutputDirError);
    expect(readFileSync(out, 'utf8')).toBe('x');
  });

  test('a failure while writing leaves neither a half-written output nor a temp directory', () => {
    const out = join(root, 'broken');
    // A content that cannot be written (not a string or buffer) makes writeFileSync throw mid-way.
    const bad = { ...files('x'), 'topology.mmd': undefined as unknown as string };
    expect(() => writeReviewDir(out, bad)).toThrow();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((n) => n.startsWith('.broken'))).toEqual([]);
  });

  test('a failure while writing keeps the previous review intact', () => {
    const out = join(root, 'kept');
    writeReviewDir(out, files('old'));
    const bad = { ...files('new'), 'topology.mmd': undefined as unknown as string };
    expect(() => writeReviewDir(out, bad)).toThrow();
    expect(readFileSync(join(out, 'review.md'), 'utf8')).toBe('# old\n');
    expect(readdirSync(out).sort()).toEqual([...REVIEW_FILES].sort());
  });
});
