import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { topologyFrom } from '../../src/model/load.js';
import { analyzeFailures, ruleById, runPolicy } from '../../src/policy/index.js';
import { bootableHosts } from '../../src/render/index.js';
import { buildReview, REVIEW_SECTIONS } from '../../src/review/report.js';
import { RELEASE_NAMES, RELEASES } from '../../src/spec/releases.js';
import { EXAMPLE_NAMES, EXAMPLES, example, exampleOn, exampleWith } from '../helpers/examples.js';

const SECTIONS = [
  'At a glance',
  'Summary',
  'Topology',
  'Failure domains',
  'Policy',
  'Logical replication',
  'Alerts',
  'AWS inventory',
  'Plan',
];

/** The review of a topology, with its policy report and failure analysis, as `pgtopo review` builds it. */
const reviewOf = (t: ReturnType<typeof example>, specFile?: string) =>
  buildReview({
    topology: t,
    ...(specFile ? { specFile } : {}),
    policy: runPolicy(t),
    ruleTitle: (id) => ruleById(id)?.title,
    failures: analyzeFailures(t),
  });

describe.each(EXAMPLE_NAMES)('review.md of %s', (name) => {
  const t = example(name);
  const review = () => reviewOf(t, `examples/${name}.yaml`);

  test('has every section, in order, each once', async () => {
    const { markdown } = await review();
    expect(REVIEW_SECTIONS).toEqual(SECTIONS);
    const headings = markdown
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3));
    expect(headings).toEqual(SECTIONS);
    expect(markdown.startsWith(`# Topology review: ${t.name}\n`)).toBe(true);
  });

  test('summary names every region with its role, every member with its AZ, every etcd member and endpoint', async () => {
    const { markdown } = await review();
    const summary = markdown.slice(markdown.indexOf('## Summary'), markdown.indexOf('## Topology'));
    for (const r of t.regions) expect(summary).toMatch(new RegExp(`^\\| ${r.name} \\| ${r.role} \\|`, 'm'));
    for (const m of t.members)
      expect(summary).toMatch(new RegExp(`^\\| \\*\\*${m.name}\\*\\* \\| ${m.region} / ${m.az} \\|`, 'm'));
    for (const e of t.etcd.flatMap((q) => q.members)) expect(summary).toContain(`\`${e.name}\` (${e.az})`);
    expect(summary).toContain(`\`${t.endpoints.globalWriter}\``);
    for (const n of Object.values(t.endpoints.names)) {
      expect(summary).toContain(`\`${n.writer}\``);
      expect(summary).toContain(`\`${n.reader}\``);
    }
    for (const r of t.archive.copyTo) expect(summary).toMatch(new RegExp(`^\\| ${r} \\| copy`, 'm'));
  });

  test('embeds the same Mermaid diagram it writes to topology.mmd', async () => {
    const { markdown, mermaid } = await review();
    expect(markdown).toContain(`\`\`\`mermaid\n${mermaid.trimEnd()}\n\`\`\``);
  });

  test('failure table has one row per single failure, double-AZ failures as information', async () => {
    const { markdown } = await review();
    const a = analyzeFailures(t);
    const section = markdown.slice(markdown.indexOf('## Failure domains'), markdown.indexOf('## Policy'));
    const [single, double = ''] = section.split('<summary>Double-AZ failures');
    const rows = single!.split('\n').filter((l) => /^\| \*\*(member|AZ|region|link) /.test(l));
    expect(rows).toHaveLength(a.failures.length);
    for (const f of a.failures) {
      const row = rows.find((r) =>
        r.includes(` ${f.kind === 'link' ? f.id.replace('<->', ' ↔ ') : f.id}**`),
      )!;
      expect(row, f.id).toBeDefined();
      expect(row).toContain(f.writable === 'auto' ? '✅' : f.writable === 'manual' ? '⚠️ manual' : '❌ none');
    }
    expect(double.split('\n').filter((l) => l.startsWith('| **AZs '))).toHaveLength(
      a.doubleAzFailures.length,
    );
  });
});

describe('summary: the node release and the failover bound', () => {
  const summaryOf = async (t: ReturnType<typeof example>) => {
    const { markdown } = await reviewOf(t);
    return markdown.slice(markdown.indexOf('## Summary'), markdown.indexOf('## Topology'));
  };

  test.each(RELEASE_NAMES)('names the release %s and the versions its nodes run', async (os) => {
    const summary = await summaryOf(exampleOn('singleRegion', os));
    const r = RELEASES[os];
    expect(summary).toContain(
      `- **Nodes** \`${os}\` (Debian ${r.debianVersion}): PostgreSQL ${r.postgresMajor}, Patroni ${r.packages.patroni},`,
    );
  });

  test('rpo async: maximum_lag_on_failover is unbounded, not a byte count', async () => {
    const summary = await summaryOf(exampleWith('singleRegion', (s) => (s.durability = { rpo: 'async' })));
    expect(summary).toContain('maximum_lag_on_failover unbounded;');
  });

  test.each(EXAMPLE_NAMES)('%s: says which nodes can mint a TLS certificate', async (name) => {
    const t = example(name);
    const summary = await summaryOf(t);
    const line = summary.split('\n').find((l) => l.startsWith('- **TLS signer**'));
    const nodes = bootableHosts(t).length;
    if (t.security.ca.mode === 'self-managed') {
      expect(line).toContain(`all ${nodes} nodes read the CA key at boot`);
      expect(line).toContain('can mint a certificate for any member or etcd peer');
    } else {
      expect(line).toContain(`none of the ${nodes} nodes holds a CA key`);
      expect(line).toContain('IAM cannot bind the names');
    }
  });
});

describe('policy section', () => {
  // Example 2 with an even etcd quorum (errors) and a smaller failover candidate, waived with an expiry.
  const spec = parseYaml(readFileSync(EXAMPLES.twoRegionStandby, 'utf8'));
  spec.regions[0].members[2].instanceType = 'r6i.large';
  spec.dcs.membersPerRegion = 2;
  spec.waivers = [
    {
      rule: 'PGT-PAT-011',
      target: 'use1-c',
      reason: 'use1-c is a reporting replica and is never promoted on purpose',
      expires: '2027-03-31',
    },
  ];
  const t = topologyFrom(spec);
  const now = new Date('2027-03-10T00:00:00Z');

  test('lists active findings with rule, path, found, expected and fix; waivers with reason and expiry', async () => {
    const policy = runPolicy(t, { now });
    expect(policy.errors).toBeGreaterThan(0);
    expect(policy.waived).toBe(1);
    const { markdown } = await buildReview({
      topology: t,
      policy,
      ruleTitle: (id) => ruleById(id)?.title,
      failures: analyzeFailures(t),
      now,
    });
    expect(markdown).toMatch(/^> \[!WARNING\]\n> \*\*\d+ policy errors\*\*/m);
    expect(markdown).toMatch(/\| ❌ \| Policy \| \d+ errors, 0 warnings, 1 waived \|/);
    const section = markdown.slice(markdown.indexOf('## Policy'), markdown.indexOf('## AWS inventory'));
    expect(section).toContain(
      '| ❌ error | **PGT-ETCD-001**<br>Each etcd quorum has 3, 5 or 7 members | `dcs.membersPerRegion`<br>us-east-1 | 2 member(s) in etcd quorum orders-etcd-us-east-1 | 3, 5 or 7 members |',
    );
    const waivers = section.slice(section.indexOf('### Waivers'));
    expect(waivers).toMatch(
      /\| \*\*PGT-PAT-011\*\*<br>[^|]+\| warning \| [^|]+<br>use1-c \| [^|]+\| use1-c is a reporting replica and is never promoted on purpose \| \*\*2027-03-31 \(in 21 days\)\*\* \|/,
    );
    // A waived finding is not listed as active.
    expect(section.slice(0, section.indexOf('### Waivers'))).not.toContain('PGT-PAT-011');
  });
});
