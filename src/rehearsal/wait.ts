/**
 * Bounded waiting: every wait in the rehearsal names what it waits for and gives up after a deadline.
 */

/** A bounded wait ran out. `what` names the condition, `last` the last observation (for the report). */
export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last?: string,
  ) {
    super(
      `timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}${last ? ` (last: ${last})` : ''}`,
    );
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Pause between attempts. Default 100 ms. */
  readonly intervalMs?: number;
  /** Aborts the wait early (e.g. on SIGINT). */
  readonly signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, or throws WaitTimeout.
 * Errors thrown by `probe` count as "not yet" and are kept as the last observation.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let last: string | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`interrupted while waiting for ${what}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = undefined;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() + interval > deadline) throw new WaitTimeout(what, opts.timeoutMs, last);
    await sleep(interval);
  }
}

/** Races a promise against a deadline. */
export async function withTimeout<T>(what: string, p: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeout(what, timeoutMs)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
