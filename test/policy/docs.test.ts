import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { command as explain } from '../../src/cli/commands/explain.js';
import { memoryIo } from '../../src/cli/io.js';
import { RULES, rulesMarkdown } from '../../src/policy/index.js';

const DOC = new URL('../../docs/rules.md', import.meta.url);

describe('docs/rules.md', () => {
  test('is generated from the rules and up to date (regenerate: npm run docs:rules)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(rulesMarkdown());
  });

  test('documents every rule with its severity, rationale and fix', () => {
    const md = rulesMarkdown();
    for (const r of RULES) {
      expect(md).toContain(`### ${r.id}: ${r.title}`);
      expect(md).toContain(r.rationale);
      expect(md).toContain(`**Fix:** ${r.fix}`);
    }
  });

  test('`pgtopo explain --all` prints exactly the checked-in file', async () => {
    const io = memoryIo();
    expect(await explain.run(['--all'], io)).toBe(0);
    expect(io.stdout.join('')).toBe(readFileSync(DOC, 'utf8'));
  });
});
