import { tryLoad } from '../../model/load.js';
import { analyzeFailures } from '../../policy/index.js';
import { HostError } from '../../rehearsal/host.js';
import { ALERT_DRILL_NAMES, DRILL_NAMES, FLEET_DRILL_NAMES } from '../../rehearsal/measure.js';
import { parseDrills, rehearse } from '../../rehearsal/rehearse.js';
import { formatTable } from '../../rehearsal/report.js';
import { flag, oneOf, parse, str } from '../args.js';
import type { Command } from '../command.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';
import { isFleetFile, rehearseFleetFile } from './rehearse-fleet.js';

export const command: Command = {
  name: 'rehearse',
  summary: 'Boot the rendered cluster locally and run failure drills',
  usage: [
    'Usage: pgtopo rehearse <spec.yaml|spec.json> --drills <list|all> [--region-standby] [--alerts]',
    '                       [--format text|json] [--keep] [--base-dir DIR] [--subnet 127.0.10]',
    '',
    'Boots the primary region of the spec on this machine from the very files the renderers produce',
    '(only the address map differs from AWS: every node gets a loopback address, production ports),',
    'runs each drill under a continuous write load through the writer endpoint, and reports RTO as the',
    'client saw it, lost acknowledged writes and the most members that accepted writes at once, beside',
    'the failure-domain analysis\u2019 predicted RTO range.',
    '',
    `Drills: ${DRILL_NAMES.join(', ')}`,
    '        (region-promotion needs --region-standby: the first standby region boots too).',
    `Alert drills: ${ALERT_DRILL_NAMES.join(', ')} (need --alerts).`,
    `Fleet documents (kind: fleet): ${FLEET_DRILL_NAMES.join(', ')}, in the order given, repeats allowed.`,
    '--alerts: a Prometheus scrapes the rehearsal with the rendered rules; every drill reports when each',
    '        alert went pending, fired and resolved, and `all` includes the alert drills.',
    '',
    'Needs root (daemons run as user postgres), cgroup v2, iptables, and the packages of the README.',
    'Everything started is stopped and removed at the end, on failure and on Ctrl-C, unless --keep.',
    'Exit codes: 0 every drill passed, 1 a drill failed, 2 invalid spec, 70 the cluster did not boot.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parse(args, {
      drills: { type: 'string', short: 'd' },
      'region-standby': { type: 'boolean' },
      alerts: { type: 'boolean' },
      format: { type: 'string', short: 'f' },
      keep: { type: 'boolean' },
      'base-dir': { type: 'string' },
      subnet: { type: 'string' },
    });
    const format = oneOf('format', str(parsed, 'format'), ['text', 'json'] as const, 'text');
    if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one spec file');
    const drillsText = str(parsed, 'drills');
    if (!drillsText) throw new UsageError('--drills is required: a comma-separated list, or all');
    if (isFleetFile(parsed.positionals[0]!)) {
      if (flag(parsed, 'alerts'))
        throw new UsageError('--alerts rehearses a cluster spec, not a fleet document');
      return rehearseFleetFile(
        parsed.positionals[0]!,
        {
          drills: drillsText,
          format,
          subnet: str(parsed, 'subnet'),
          baseDir: str(parsed, 'base-dir'),
          keep: flag(parsed, 'keep'),
          regionStandby: flag(parsed, 'region-standby'),
        },
        io,
      );
    }
    let drills: ReturnType<typeof parseDrills>;
    try {
      drills = parseDrills(drillsText, { alerts: flag(parsed, 'alerts') });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const subnet = str(parsed, 'subnet');
    if (subnet !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(subnet)) {
      throw new UsageError(
        `--subnet must be three loopback octets such as 127.0.10; got ${JSON.stringify(subnet)}`,
      );
    }
    const file = parsed.positionals[0]!;
    const loaded = tryLoad(file);
    if (!loaded.ok) {
      io.err(`${paint(io, 'red', 'invalid')} ${file}: ${loaded.issues.length} issue(s)`);
      printIssues(io, loaded.issues);
      return EXIT.invalid;
    }
    const t = loaded.topology;
    const regionStandby = flag(parsed, 'region-standby');
    if (drills.includes('region-promotion') && !regionStandby && drillsText.trim() !== 'all') {
      throw new UsageError('region-promotion needs --region-standby');
    }
    if (regionStandby && !t.clusters.some((c) => c.role === 'standby')) {
      throw new UsageError(`--region-standby: ${file} has no standby region`);
    }
    const progress = (line: string) => io.err(paint(io, 'dim', `[rehearse] ${line}`));
    try {
      const report = await rehearse(t, drills, {
        spec: file,
        keep: flag(parsed, 'keep'),
        baseDir: str(parsed, 'base-dir'),
        subnet,
        regionStandby,
        prometheus: flag(parsed, 'alerts'),
        progress,
        analysis: analyzeFailures(t, { endpoint: 'haproxy' }),
      });
      io.out(format === 'json' ? JSON.stringify(report, null, 2) : formatTable(report));
      return report.passed ? EXIT.ok : EXIT.findings;
    } catch (e) {
      if (e instanceof HostError) {
        io.err(`${paint(io, 'red', 'cannot rehearse')} [${e.code}] ${e.message}`);
        return EXIT.internal;
      }
      io.err(`${paint(io, 'red', 'rehearsal failed')}: ${(e as Error).message}`);
      return EXIT.internal;
    }
  },
};
