/**
 * The PITR drill: a backup into the local repository (standing in for S3), rows before and after a
 * recovery target, and a restore to that target into a scratch instance on a spare loopback address.
 * The rows before the target must all be there; none after it.
 */
import type { DrillContext, PitrOutcome } from './drills.js';
import { WRITES_TABLE, WriteLoad } from './load.js';
import type { PitrCounts } from './measure.js';
import { prepareScratch, type ScratchInstance, startScratch, stopScratch, waitScratch } from './scratch.js';
import { sleep, waitFor } from './wait.js';

export interface PitrSetup {
  /** Environment pointing pgBackRest at a member's configuration (PGBACKREST_CONFIG...). */
  readonly env: (member: string) => Readonly<Record<string, string>>;
  readonly stanza: string;
  readonly pgbackrest: string;
  /** PostgreSQL binaries. */
  readonly binDir: string;
  readonly scratchAddress: string;
  readonly scratchPort: number;
  readonly scratchDir: string;
  readonly scratchTls: { readonly certFile: string; readonly keyFile: string };
}

const PITR_TABLE = 'pgtopo_rehearsal_pitr';
const BEFORE = 1000;
const AFTER = 500;

export function pitrRunner(setup: PitrSetup): (ctx: DrillContext) => Promise<PitrOutcome> {
  return async (ctx) => {
    const { cluster, sup } = ctx;
    const scope = cluster.primaryScope;
    const leader = await cluster.waitHealthy(scope, 180_000);
    const m = cluster.member(leader);
    const env = setup.env(leader);
    const tool = async (name: string, args: string[], timeoutMs: number) => {
      const r = await sup.run(
        { name: `pgbackrest-${name}`, node: m.node, command: setup.pgbackrest, args, env: { ...env } },
        timeoutMs,
      );
      if (r.code !== 0) throw new Error(`pgbackrest ${args.join(' ')} failed (exit ${r.code}):\n${r.output}`);
    };
    // Batches and DDL as the superuser straight through the writer endpoint; the load as the application.
    const w = cluster.writerDirectConn(scope);

    ctx.progress(`pitr: full backup of ${leader} into the local repository`);
    await tool('stanza-create', [`--stanza=${setup.stanza}`, 'stanza-create'], 120_000);
    await tool('backup', [`--stanza=${setup.stanza}`, '--repo=1', '--type=full', 'backup'], 300_000);

    const load = new WriteLoad(cluster.writerConn(scope), { firstSeq: ctx.firstSeq });
    let target = '';
    let targetMs = 0;
    try {
      load.start();
      await waitFor('the write load to flow', () => load.acks.length >= 20, { timeoutMs: 30_000 });
      await cluster.sql(w, `DROP TABLE IF EXISTS ${PITR_TABLE}`);
      await cluster.sql(w, `CREATE TABLE ${PITR_TABLE} (id bigserial PRIMARY KEY, batch text NOT NULL)`);
      await cluster.sql(
        w,
        `INSERT INTO ${PITR_TABLE} (batch) SELECT 'before' FROM generate_series(1, ${BEFORE})`,
      );
      // The target is read from the server after the commit returned: every 'before' row precedes it.
      await sleep(200);
      const [row] = await cluster.sql<{ t: string; ms: string }>(
        w,
        `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms`,
      );
      target = row!.t;
      targetMs = Number(row!.ms);
      await sleep(1000);
      await cluster.sql(
        w,
        `INSERT INTO ${PITR_TABLE} (batch) SELECT 'after' FROM generate_series(1, ${AFTER})`,
      );
      await sleep(500);
    } finally {
      await load.stop();
    }
    ctx.progress(`pitr: target ${target}; archiving the WAL`);
    // `check` switches WAL and waits until the segment is in the repository.
    await tool('check', [`--stanza=${setup.stanza}`, 'check'], 120_000);

    const scratch: ScratchInstance = {
      name: 'pitr-scratch',
      sup,
      binDir: setup.binDir,
      dir: setup.scratchDir,
      address: setup.scratchAddress,
      port: setup.scratchPort,
      tls: setup.scratchTls,
      env,
    };
    const data = prepareScratch(scratch);
    ctx.progress(`pitr: restoring to ${target} into a scratch instance at ${setup.scratchAddress}`);
    await tool(
      'restore',
      [
        `--stanza=${setup.stanza}`,
        `--pg1-path=${data}`,
        '--type=time',
        `--target=${target}`,
        '--target-action=promote',
        'restore',
      ],
      300_000,
    );
    startScratch(scratch);
    const conn = { ...cluster.memberConn(leader), host: setup.scratchAddress, port: setup.scratchPort };
    try {
      await waitScratch(cluster, scratch, conn);
      const [c] = await cluster.sql<{ before: string; after: string }>(
        conn,
        `SELECT count(*) FILTER (WHERE batch = 'before') AS before, count(*) FILTER (WHERE batch = 'after') AS after FROM ${PITR_TABLE}`,
      );
      const seqs = await cluster.sql<{ seq: string }>(
        conn,
        `SELECT seq FROM ${WRITES_TABLE} WHERE seq >= $1`,
        [ctx.firstSeq],
      );
      const present = new Set(seqs.map((r) => Number(r.seq)));
      // Same host, same clock; a millisecond either side of the target is left out as ambiguous.
      const counts: PitrCounts = {
        target,
        beforeWritten: BEFORE,
        beforeFound: Number(c!.before),
        afterWritten: AFTER,
        afterFound: Number(c!.after),
        loadAckedBeforeMissing: load.acks.filter((a) => a.ackAt < targetMs - 1 && !present.has(a.seq)).length,
        loadSentAfterPresent: load.acks.filter((a) => a.sentAt > targetMs + 1 && present.has(a.seq)).length,
      };
      return {
        counts,
        loadAcks: load.acks.length,
        fault: `full backup, ${BEFORE} rows, target ${target}, ${AFTER} rows, restore to the target at ${setup.scratchAddress}`,
      };
    } finally {
      await stopScratch(scratch);
    }
  };
}
