/**
 * `pgtopo rehearse <fleet.yaml> --drills ...`: a fleet document (`kind: fleet`) boots every shard and the
 * coordinator once and runs the fleet drills in the order given (names may repeat). Loaded only for a
 * fleet document, so a cluster rehearsal starts as before.
 */

import { isFleetDocument } from '../../spec/fleet-kind.js';
import { decodeSpecFile } from '../../spec/parse.js';
import type { CliIo } from '../io.js';
import { EXIT, paint, UsageError } from '../io.js';
import { printIssues } from './check.js';

/**
 * What a kept cluster's report says (the cluster rehearsal's words), with how to stop it: every process of
 * its cgroup killed at once, then its cgroups and run directory removed.
 */
export function keptLine(
  c: { readonly runId: string; readonly runDir: string },
  cgroupRoot = '/sys/fs/cgroup',
): string {
  const group = `${cgroupRoot}/pgtopo-${c.runId}`;
  return `cluster left running; files and logs in ${c.runDir}; stop it with: echo 1 > ${group}/cgroup.kill; sleep 1; find ${group} -depth -type d -exec rmdir {} +; rm -rf ${c.runDir}`;
}

/**
 * Whether the file is a fleet document (an unreadable or undecodable file is not: the cluster path reports
 * it; standard input is read once, by the cluster path).
 */
export function isFleetFile(file: string): boolean {
  if (file === '-') return false;
  const doc = decodeSpecFile(file);
  return doc.ok && isFleetDocument(doc.value);
}

export interface FleetRehearseOptions {
  readonly drills: string;
  readonly format: 'text' | 'json';
  readonly subnet?: string;
  readonly baseDir?: string;
  readonly keep: boolean;
  readonly regionStandby: boolean;
}

/** Runs the fleet drills of a fleet document; the exit codes of `pgtopo rehearse`. */
export async function rehearseFleetFile(file: string, o: FleetRehearseOptions, io: CliIo): Promise<number> {
  const [
    { resolveFleetDecoded },
    { rehearseFleet },
    { FLEET_DRILL_NAMES },
    { HostError, cgroup2Root },
    { parseNames },
  ] = await Promise.all([
    import('../../model/fleet.js'),
    import('../../rehearsal/fleet-drills.js'),
    import('../../rehearsal/measure.js'),
    import('../../rehearsal/host.js'),
    import('../../rehearsal/rehearse.js'),
  ]);
  let names: (typeof FLEET_DRILL_NAMES)[number][];
  try {
    // In the order given, repeats allowed.
    names = parseNames(o.drills, FLEET_DRILL_NAMES, 'fleet drill');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (o.regionStandby) throw new UsageError('--region-standby is for a cluster spec, not a fleet');
  if (o.subnet !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(o.subnet)) {
    throw new UsageError(
      `--subnet must be three loopback octets such as 127.0.10; got ${JSON.stringify(o.subnet)}`,
    );
  }
  const resolved = resolveFleetDecoded(decodeSpecFile(file));
  if (!resolved.ok) {
    io.err(`${paint(io, 'red', 'invalid')} ${file}: ${resolved.issues.length} issue(s)`);
    printIssues(io, resolved.issues);
    return EXIT.invalid;
  }
  try {
    const report = await rehearseFleet(resolved.fleet, names, {
      spec: file,
      ...(o.subnet ? { subnet: o.subnet } : {}),
      ...(o.baseDir ? { baseDir: o.baseDir } : {}),
      keep: o.keep,
      progress: (line) => io.err(paint(io, 'dim', `[rehearse] ${line}`)),
    });
    if (o.format === 'json') io.out(JSON.stringify(report, null, 2));
    else
      io.out(
        report.drills
          .map((d) => {
            const f = d.figures ?? {};
            const figures =
              d.drill === 'shard-move'
                ? `write pause ${f.writePauseSeconds ?? '-'} s, ${f.rowsMoved ?? '-'} row(s) moved, ${f.duplicatedRows ?? '-'} duplicated`
                : `RTO ${d.rtoSeconds ?? '-'} s (predicted worst ${d.predicted?.worstSeconds ?? '-'} s)`;
            return `${d.drill.padEnd(21)} ${d.status.padEnd(7)} ${figures}, ${d.lostAcknowledgedWrites ?? '-'} of ${d.acknowledgedWrites} acknowledged write(s) lost`;
          })
          .join('\n'),
      );
    // As a cluster's --keep: each cluster's line says where its files are (JSON: `kept`, clusters[].runDir).
    if (o.format === 'text' && report.kept)
      for (const c of report.clusters) io.out(`${c.name}: ${keptLine(c, cgroup2Root() ?? undefined)}`);
    return report.passed ? EXIT.ok : EXIT.findings;
  } catch (e) {
    const what = e instanceof HostError ? `cannot rehearse [${e.code}]` : 'rehearsal failed';
    io.err(`${paint(io, 'red', what)} ${(e as Error).message}`);
    return EXIT.internal;
  }
}
