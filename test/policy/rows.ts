import type { FailureResult } from '../../src/policy/types.js';

/** One failure as a compact table row: domain | quorums touched | writable | RPO | RTO best/typical/worst. */
export function rowOf(f: FailureResult): string {
  const q =
    f.quorums.map((x) => `${x.id} ${x.reachable}/${x.size}${x.survives ? '' : ' lost'}`).join(', ') || '-';
  const w = `${f.writable} ${f.recovery}${f.writer ? ` ${f.writer}` : ''}`;
  const rpo = f.rpo.bound === 'bounded' ? `<=${f.rpo.bytes}` : f.rpo.bound;
  const rto = f.rto ? `${f.rto.bestSeconds}/${f.rto.typicalSeconds}/${f.rto.worstSeconds}` : '-';
  return `${f.kind} ${f.id} | ${q} | ${w} | ${rpo} | ${rto}`;
}
