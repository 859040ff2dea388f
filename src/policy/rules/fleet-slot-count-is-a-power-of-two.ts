import type { FleetRule } from './fleet-rule.js';

/** Whether n is a power of two (1, 2, 4, ...). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export const rule: FleetRule = {
  id: 'PGT-SHD-001',
  group: 'fleet',
  title: 'A hash fleet has a power-of-two slot count',
  severity: 'error',
  rationale:
    'A key lands in slot hash mod slots. With a power of two, every slot of a doubled slot count is a clean ' +
    'half of one old slot (hash mod 2S is hash mod S or that plus S), so slots can later be split without ' +
    'rehashing, and equal shares stay equal every time the shard count doubles.',
  fix: 'Set `strategy.slots` to a power of two at least twice the shard count (64, 128, 256, ...).',
  check(f) {
    const st = f.spec.strategy;
    if (st.kind !== 'hash' || isPowerOfTwo(st.slots)) return [];
    return [
      {
        path: ['strategy', 'slots'],
        found: `${st.slots} slots`,
        expected: 'a power of two (1, 2, 4, ... 4096)',
      },
    ];
  },
};
