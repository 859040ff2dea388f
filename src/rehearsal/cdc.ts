/**
 * A change-data-capture consumer as Debezium behaves: it streams a logical slot with pgoutput through the
 * writer endpoint, records every row it receives, confirms a transaction's end only after recording it,
 * and after any disconnect (the primary died, the endpoint moved) reconnects and resumes from the last
 * transaction it processed, like a connector restarting from its stored offset. The slot must then exist
 * on whichever server the endpoint reaches: a gap (an acknowledged write never received) means the slot did
 * not survive the failover, or survived ahead of what the consumer had seen.
 */

import type { Pgoutput } from 'pg-logical-replication';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { type ConnInfo, clientConfig } from './load.js';
import { sleep } from './wait.js';

export interface CdcTarget {
  readonly conn: ConnInfo;
  readonly slot: string;
  readonly publication: string;
  /** The table whose `seq` column the consumer counts, as pgoutput names it (unquoted). */
  readonly relation: { readonly schema: string; readonly table: string };
}

export interface CdcCounts {
  /** Distinct `seq` values received. */
  readonly received: number;
  /** Rows received more than once (allowed: at-least-once delivery). */
  readonly duplicates: number;
  /** Acknowledged writes never received (never allowed). */
  readonly gaps: number;
  readonly reconnects: number;
  /** Errors the stream ended with, in order, deduplicated. */
  readonly errors: readonly string[];
}

/** Sequence numbers acknowledged to the writer but not received by the consumer. */
export function cdcGaps(acked: readonly number[], received: ReadonlyMap<number, number>): number[] {
  return acked.filter((s) => !received.has(s));
}

/** Rows delivered more than once, counting each extra delivery. */
export function cdcDuplicates(received: ReadonlyMap<number, number>): number {
  let n = 0;
  for (const c of received.values()) n += c - 1;
  return n;
}

/**
 * The LSN one byte before `lsn`. pg-logical-replication's acknowledge() reports `lsn + 1` as written and
 * flushed (it is meant for the start of the message last received); a transaction's end LSN is already the
 * position after it, so the offset is handed over one byte back. Confirming one byte too far would keep the
 * slot ahead of every standby, and PostgreSQL 17 would never synchronize it ("ahead of the standby position").
 */
export function lsnBefore(lsn: string): string {
  const [hi, lo] = lsn.split('/').map((x) => BigInt(`0x${x}`)) as [bigint, bigint];
  const v = ((hi << 32n) | lo) - 1n;
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

export class CdcConsumer {
  /** seq -> times received. */
  readonly received = new Map<number, number>();
  /** seq -> when it first arrived (ms epoch). */
  readonly arrivedAt = new Map<number, number>();
  /** The stream has started at least once. */
  streaming = false;
  readonly errors: string[] = [];
  reconnects = 0;
  private running = false;
  private loop?: Promise<void>;
  private service?: LogicalReplicationService;
  /** End LSN of the last transaction recorded: the connector's offset. */
  private offset = '0/0';
  private target: CdcTarget;

  constructor(
    target: CdcTarget,
    readonly opts: { backoffMs?: { min: number; max: number } } = {},
  ) {
    this.target = target;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.service?.stop().catch(() => undefined);
    await this.loop;
  }

  /** When the last of the given writes first arrived (ms epoch), or undefined if one never did. */
  allArrivedAt(acked: readonly number[]): number | undefined {
    let last = 0;
    for (const s of acked) {
      const at = this.arrivedAt.get(s);
      if (at === undefined) return undefined;
      last = Math.max(last, at);
    }
    return last;
  }

  counts(acked: readonly number[]): CdcCounts {
    return {
      received: this.received.size,
      duplicates: cdcDuplicates(this.received),
      gaps: cdcGaps(acked, this.received).length,
      reconnects: this.reconnects,
      errors: [...new Set(this.errors)],
    };
  }

  private record(msg: Pgoutput.Message): string | undefined {
    const { schema, table } = this.target.relation;
    if (msg.tag === 'insert' && msg.relation.schema === schema && msg.relation.name === table) {
      const seq = Number(msg.new.seq);
      this.received.set(seq, (this.received.get(seq) ?? 0) + 1);
      if (!this.arrivedAt.has(seq)) this.arrivedAt.set(seq, Date.now());
    }
    return msg.tag === 'commit' ? (msg.commitEndLsn ?? undefined) : undefined;
  }

  private async run(): Promise<void> {
    const { min, max } = this.opts.backoffMs ?? { min: 100, max: 1000 };
    let backoff = min;
    let first = true;
    while (this.running) {
      if (!first) this.reconnects++;
      first = false;
      const service = new LogicalReplicationService(
        // The service opens the connection in replication=database mode itself.
        clientConfig(this.target.conn, { connectMs: 2000, app: 'pgtopo-rehearsal-cdc' }),
        { acknowledge: { auto: false, timeoutSeconds: 0 } },
      );
      this.service = service;
      service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
        const end = this.record(msg);
        if (end) {
          this.offset = end;
          backoff = min;
          service.acknowledge(lsnBefore(end)).catch(() => undefined);
        }
      });
      service.on('heartbeat', (_lsn: string, _ts: number, reply: boolean) => {
        if (reply && this.offset !== '0/0')
          service.acknowledge(lsnBefore(this.offset)).catch(() => undefined);
      });
      service.on('start', () => {
        this.streaming = true;
      });
      service.on('error', (e: Error) => this.errors.push(e.message));
      try {
        await service.subscribe(
          new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.target.publication] }),
          this.target.slot,
          this.offset,
        );
      } catch (e) {
        this.errors.push((e as Error).message);
      }
      await service.stop().catch(() => undefined);
      if (!this.running) break;
      await sleep(backoff);
      backoff = Math.min(max, backoff * 2);
    }
  }
}
