import { regionPath } from '../facts.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-IAM-001',
  group: 'iam',
  title: "Node roles have no wildcard actions or resources and write only their own cluster's archive prefix",
  severity: 'error',
  rationale:
    "Every node runs with an instance role. If a node of one cluster can write another cluster's archive " +
    'prefix (or the whole bucket), one compromised or misconfigured node corrupts every repository, and a ' +
    "restore finds someone else's WAL. Node roles are scoped to `<bucket>/<scope>/`, so each prefix must be " +
    "its own, literal, and not a prefix of another cluster's.",
  fix: 'Keep the archive layout pgtopo derives (`<scope>/` per cluster); do not hand-edit repository prefixes.',
  check(t) {
    const drafts: Draft[] = [];
    const prefixes = t.clusters.map((c) => ({ c, p: t.archive.prefixes[c.scope] ?? '' }));
    for (const { c, p } of prefixes) {
      const path = regionPath(t, c.regions[0]!);
      if (!p || /[*?]/.test(p) || !p.endsWith('/') || p === '/') {
        drafts.push({
          path,
          target: c.regions[0]!,
          found: `archive prefix ${JSON.stringify(p)} for ${c.scope}`,
          expected: 'a literal prefix ending in "/" (no wildcard, not the bucket root)',
        });
        continue;
      }
      const shared = prefixes
        .filter((o) => o.c !== c && o.p !== '' && o.p.startsWith(p))
        .map((o) => o.c.scope);
      if (shared.length > 0) {
        drafts.push({
          path,
          target: c.regions[0]!,
          found: `${c.scope}'s prefix ${p} also covers ${shared.join(', ')}`,
          expected: "a prefix that covers only the cluster's own repository",
        });
      }
    }
    // Resources the spec hands to node roles: the secrets they read and the archive key they use.
    const granted: [string[], string | undefined][] = [
      ...Object.entries(t.security.secrets).map(([k, v]): [string[], string] => [
        ['security', 'secrets', k],
        v,
      ]),
      [['archive', 'kmsKeyArn'], t.archive.kmsKeyArn],
    ];
    for (const [path, arn] of granted) {
      if (arn === undefined || arn === 'generate' || !/[*?]/.test(arn)) continue;
      drafts.push({ path, found: `a wildcard resource ${JSON.stringify(arn)}`, expected: 'a literal ARN' });
    }
    return drafts;
  },
};
