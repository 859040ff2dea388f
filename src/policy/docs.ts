/** docs/rules.md, generated from the rules' own metadata (`RULES`). A test fails when the checked-in file is stale. */
import { RULES } from './engine.js';
import type { RuleGroup, RuleMeta } from './types.js';

const GROUPS: Readonly<Record<RuleGroup, string>> = {
  etcd: 'etcd',
  patroni: 'Patroni',
  postgres: 'PostgreSQL',
  network: 'Network and load balancers',
  hosts: 'EC2 hosts',
  archive: 'WAL archive',
  iam: 'IAM',
  waivers: 'Waivers',
  logical: 'Logical layer',
  fleet: 'Sharded fleets',
};

/** One rule as Markdown (also what `pgtopo explain` prints). */
export function ruleMarkdown(r: RuleMeta, heading = '###'): string {
  return [
    `${heading} ${r.id}: ${r.title}`,
    '',
    `Severity: **${r.severity}**`,
    '',
    r.rationale,
    '',
    `**Fix:** ${r.fix}`,
    '',
  ].join('\n');
}

export function rulesMarkdown(): string {
  const out = [
    '# pgtopo policy rules',
    '',
    '<!-- Generated from src/policy/rules/*.ts by rulesMarkdown() (src/policy/docs.ts). Do not edit by hand. -->',
    '',
    '`pgtopo check` runs every rule below. An `error` fails `check` (exit 1) and `cdktf synth`; a `warning` ' +
      'is reported. Accept a finding with a waiver in the spec:',
    '',
    '```yaml',
    'waivers:',
    '  - rule: PGT-PAT-011',
    '    target: use1-c            # optional: a member, region, AZ or spec path; default every finding',
    '    reason: smaller replica kept for reporting queries only, never promoted in practice',
    '    expires: 2027-03-31       # optional; after this date the waiver is itself an error',
    '```',
    '',
    '`pgtopo explain <rule-id>` prints one rule.',
    '',
    '| Rule | Severity | Title |',
    '| --- | --- | --- |',
    ...RULES.map((r) => `| [${r.id}](#${anchor(r)}) | ${r.severity} | ${r.title.replace(/\|/g, '\\|')} |`),
    '',
  ];
  for (const [group, heading] of Object.entries(GROUPS)) {
    const rules = RULES.filter((r) => r.group === group);
    if (rules.length === 0) continue;
    out.push(`## ${heading}`, '', ...rules.map((r) => ruleMarkdown(r)));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** GitHub's heading anchor for a rule's section. */
function anchor(r: RuleMeta): string {
  return `${r.id}: ${r.title}`
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
