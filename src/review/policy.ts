/**
 * Policy results for the review: active findings first, then waived findings
 * with their reasons and expiries. Reads the policy layer's PolicyReport.
 */
import type { Finding, PolicyReport } from '../policy/types.js';
import { formatPath } from '../spec/issues.js';
import { code, plural, raw, table } from './markdown.js';

/** Days between `now` and a YYYY-MM-DD expiry (negative once expired). */
export function daysUntil(expires: string, now: Date): number {
  const end = Date.parse(`${expires}T23:59:59Z`);
  return Math.floor((end - now.getTime()) / 86_400_000);
}

function where(f: Finding): string {
  return `${code(formatPath(f.path))}${f.target ? `<br>${f.target}` : ''}`;
}

function expiryText(expires: string | undefined, now: Date): string {
  if (!expires) return 'never';
  const d = daysUntil(expires, now);
  if (d < 0) return `**${expires} (expired)**`;
  if (d <= 30) return `**${expires} (in ${plural(d, 'day')})**`;
  return expires;
}

/** The `## Policy` section body. */
export function renderPolicy(
  report: PolicyReport,
  opts: { readonly now: Date; readonly ruleTitle?: (id: string) => string | undefined },
): string {
  const out: string[] = [];
  const active = report.findings.filter((f) => !f.waived);
  const waived = report.findings.filter((f) => f.waived);
  const title = (id: string) => {
    const t = opts.ruleTitle?.(id);
    return t ? `**${id}**<br>${t}` : `**${id}**`;
  };
  out.push(
    `**${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}, ${report.waived} waived.**` +
      (report.errors > 0 ? ' Errors fail `pgtopo check` and `cdktf synth`.' : ''),
    '',
  );
  if (active.length > 0) {
    out.push(
      table(
        ['Severity', 'Rule', 'Where', 'Found', 'Expected', 'Fix'],
        active.map((f) => [
          f.severity === 'error' ? '❌ error' : '⚠️ warning',
          raw(title(f.ruleId)),
          raw(where(f)),
          f.found,
          f.expected,
          f.fix,
        ]),
      ),
      '',
    );
  } else {
    out.push('No active findings.', '');
  }
  if (waived.length > 0) {
    out.push(
      '### Waivers',
      '',
      table(
        ['Rule', 'Severity', 'Where', 'Found', 'Reason', 'Expires'],
        waived.map((f) => [
          raw(title(f.ruleId)),
          f.severity,
          raw(where(f)),
          f.found,
          f.waived!.reason,
          raw(expiryText(f.waived!.expires, opts.now)),
        ]),
      ),
      '',
    );
  } else {
    out.push('No waivers.', '');
  }
  return out.join('\n').trimEnd();
}
