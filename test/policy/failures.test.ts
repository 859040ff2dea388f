import { describe, expect, test } from 'vitest';
import { analyzeFailures } from '../../src/policy/index.js';
import type { FailureResult } from '../../src/policy/types.js';
import { RELEASES } from '../../src/spec/releases.js';
import { example } from '../helpers/examples.js';
import { layout, threeRegions, twoRegions } from './helpers.js';
import { rowOf } from './rows.js';

const rows = (fs: readonly FailureResult[]) => fs.map(rowOf);
const one = (t: Parameters<typeof analyzeFailures>[0], id: string, endpoint?: 'nlb' | 'haproxy') =>
  analyzeFailures(t, endpoint ? { endpoint } : {}).failures.find((f) => f.id === id)!;

describe('the examples, NLB endpoint', () => {
  test('example 1: any member or AZ fails over with RPO 0; the region has no survivor', () => {
    const a = analyzeFailures(example('singleRegion'));
    expect(a.writableCluster).toBe('orders-us-east-1');
    expect(rows(a.failures)).toEqual([
      'member use1-a | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'member use1-b | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'member use1-c | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'az us-east-1a | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'az us-east-1b | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'az us-east-1c | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'region us-east-1 | orders-etcd-us-east-1 0/3 lost | none none | unbounded | -',
    ]);
    expect(rows(a.doubleAzFailures)).toEqual([
      'double-az us-east-1a+us-east-1b | orders-etcd-us-east-1 1/3 lost | none none | unbounded | -',
      'double-az us-east-1a+us-east-1c | orders-etcd-us-east-1 1/3 lost | none none | unbounded | -',
      'double-az us-east-1b+us-east-1c | orders-etcd-us-east-1 1/3 lost | none none | unbounded | -',
    ]);
  });

  test('example 2: losing the primary region leaves a manual promotion of the standby cluster', () => {
    const a = analyzeFailures(example('twoRegionStandby'));
    expect(rows(a.failures)).toEqual([
      'member use1-a | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'member use1-b | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'member use1-c | - | auto failover orders-us-east-1 | zero | 20/25/42.5',
      'member usw2-a | - | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'member usw2-b | - | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'member usw2-c | - | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'az us-east-1a | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'az us-east-1b | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'az us-east-1c | orders-etcd-us-east-1 2/3 | auto failover orders-us-east-1 | zero | 20/25/45.5',
      'az us-west-2a | orders-etcd-us-west-2 2/3 | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'az us-west-2b | orders-etcd-us-west-2 2/3 | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'az us-west-2c | orders-etcd-us-west-2 2/3 | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'region us-east-1 | orders-etcd-us-east-1 0/3 lost | manual promote-standby-cluster orders-us-west-2 | unbounded | 5/55/110',
      'region us-west-2 | orders-etcd-us-west-2 0/3 lost | auto unaffected orders-us-east-1 | zero | 0/0/0',
      'link us-east-1<->us-west-2 | - | auto unaffected orders-us-east-1 | zero | 0/0/0',
    ]);
    const link = a.failures.find((f) => f.kind === 'link')!;
    expect(link.notes).toEqual([
      'standby cluster orders-us-west-2 stops streaming from orders-us-east-1 and falls behind until the link returns',
    ]);
    expect(rows(a.doubleAzFailures).slice(0, 1)).toEqual([
      'double-az us-east-1a+us-east-1b | orders-etcd-us-east-1 1/3 lost | manual promote-standby-cluster orders-us-west-2 | unbounded | 5/55/110',
    ]);
  });

  test('example 3: the stretched quorum survives every region and link; a double AZ loss needs an operator', () => {
    const a = analyzeFailures(example('threeRegionStretched'));
    expect(rows(a.failures.filter((f) => f.kind !== 'member'))).toEqual([
      'az eu-west-1a | ledger-etcd 2/3 | auto failover ledger-eu-west-1 | zero | 20/25/45.5',
      'az eu-west-1b | - | auto failover ledger-eu-west-1 | zero | 20/25/42.5',
      'az eu-west-1c | - | auto failover ledger-eu-west-1 | zero | 20/25/42.5',
      'az eu-central-1a | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'az eu-central-1b | - | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'az eu-central-1c | - | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'az eu-north-1a | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'az eu-north-1b | - | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'az eu-north-1c | - | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'region eu-west-1 | ledger-etcd 2/3 | manual promote-standby-cluster ledger-eu-central-1 | unbounded | 5/55/110',
      'region eu-central-1 | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'region eu-north-1 | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'link eu-west-1<->eu-central-1 | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'link eu-west-1<->eu-north-1 | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
      'link eu-central-1<->eu-north-1 | ledger-etcd 2/3 | auto unaffected ledger-eu-west-1 | zero | 0/0/0',
    ]);
    expect(rows(a.doubleAzFailures).slice(0, 3)).toEqual([
      'double-az eu-west-1a+eu-west-1b | ledger-etcd 2/3 | manual manual-failover ledger-eu-west-1 | unbounded | 5/10/20',
      'double-az eu-west-1a+eu-west-1c | ledger-etcd 2/3 | manual manual-failover ledger-eu-west-1 | unbounded | 5/10/20',
      'double-az eu-west-1b+eu-west-1c | - | manual manual-failover ledger-eu-west-1 | unbounded | 5/10/20',
    ]);
    expect(a.doubleAzFailures).toHaveLength(9);
    // Every automatic recovery fits the example's 60 s RTO target.
    const worst = Math.max(
      ...a.failures.filter((f) => f.writable === 'auto').map((f) => f.rto!.worstSeconds),
    );
    expect(worst).toBeLessThanOrEqual(60);
  });
});

describe('predicted RTO of a leader loss (base layout, one member)', () => {
  // Formula in src/policy/rto.ts; the numbers are worked out by hand from FAILOVER_PRESETS.
  // `fast` is ttl 10 where Patroni takes it (3.0.2, debian-12) and ttl 20, the floor, on Patroni 4 (debian-13).
  test.each([
    ['conservative', 'debian-13', 'nlb', 40, 50, 77.5],
    ['balanced', 'debian-13', 'nlb', 20, 25, 42.5],
    ['fast', 'debian-12', 'nlb', 13, 16.5, 29.5],
    ['fast', 'debian-13', 'nlb', 23, 26.5, 39.5],
    ['conservative', 'debian-13', 'haproxy', 23, 31, 56.5],
    ['balanced', 'debian-13', 'haproxy', 16, 20, 36.5],
    ['fast', 'debian-12', 'haproxy', 8.5, 10.5, 21],
    ['fast', 'debian-13', 'haproxy', 18.5, 20.5, 31],
  ] as const)('%s on %s via %s: %s/%s/%s s', (profile, os, endpoint, best, typical, worst) => {
    const f = one(
      layout((s) => {
        s.failover = { profile };
        s.hosts = { os };
        s.postgres = { version: RELEASES[os].postgresMajor };
      }),
      'use1-a',
      endpoint,
    );
    expect(f).toMatchObject({ writable: 'auto', recovery: 'failover' });
    expect(f.rto).toEqual({ bestSeconds: best, typicalSeconds: typical, worstSeconds: worst });
  });

  test('an AZ loss may take the etcd leader: three election timeouts more in the worst case', () => {
    const t = layout();
    expect(one(t, 'us-east-1a').rto!.worstSeconds - one(t, 'use1-a').rto!.worstSeconds).toBe(3);
  });

  test('health-check overrides move the NLB term', () => {
    const f = one(
      layout((s) => (s.failover = { healthCheck: { intervalSeconds: 10, healthyThreshold: 3 } })),
      'use1-a',
    );
    expect(f.rto).toEqual({ bestSeconds: 35, typicalSeconds: 42.5, worstSeconds: 62.5 });
  });
});

describe('RPO bounds', () => {
  test('asynchronous and bounded: at most maximum_lag_on_failover', () => {
    const f = one(
      layout((s) => (s.failover = { maximumLagOnFailover: 4194304 })),
      'use1-a',
    );
    expect(f).toMatchObject({
      writable: 'auto',
      recovery: 'failover',
      rpo: { bound: 'bounded', bytes: 4194304 },
    });
  });

  test('rpo async: unbounded', () => {
    expect(
      one(
        layout((s) => (s.durability = { rpo: 'async' })),
        'use1-a',
      ).rpo,
    ).toEqual({ bound: 'unbounded' });
  });

  test('synchronous, the only sync standby shares the AZ: the AZ loss needs an operator, RPO unbounded', () => {
    const t = layout((s) => {
      s.durability = { rpo: 'zero-in-region' };
      s.regions[0].members[1].az = 'us-east-1a';
      s.regions[0].members[2].tags = { nosync: true };
    });
    expect(rowOf(one(t, 'us-east-1a'))).toBe(
      'az us-east-1a | orders-etcd-us-east-1 2/3 | manual manual-failover orders-us-east-1 | unbounded | 5/10/20',
    );
  });

  test('strict: commits wait for a survivor to follow the new primary (loop_wait + wal_retrieve_retry_interval + loop_wait + reload)', () => {
    const f = one(
      layout((s) => (s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict' })),
      'use1-a',
    );
    expect(rowOf(f)).toBe('member use1-a | - | auto failover orders-us-east-1 | zero | 21/33.5/58.5');
    const faster = layout((s) => {
      s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict' };
      s.postgres = { parameters: { wal_retrieve_retry_interval: 1000 } };
    });
    expect(one(faster, 'use1-a').rto!.worstSeconds).toBe(54.5);
  });

  test('strict mode is noted as strict; non-strict carries the sequential-failure caveat', () => {
    const strict = one(
      layout((s) => (s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict' })),
      'use1-a',
    );
    const on = one(
      layout((s) => (s.durability = { rpo: 'zero-in-region' })),
      'use1-a',
    );
    expect(strict.rpo).toEqual({ bound: 'zero' });
    expect(strict.notes.join(' ')).not.toContain('not strict');
    expect(on.notes.join(' ')).toContain('synchronous_mode is not strict');
  });
});

describe('synchronous standby loss with the leader alive', () => {
  /** a and b may lead; c (nofailover) is a sync standby only because two are wanted. */
  const layoutWith = (mode: 'on' | 'strict', extra: Record<string, unknown> = {}) =>
    layout((s) => {
      s.durability = { rpo: 'zero-in-region', synchronousMode: mode, synchronousNodeCount: 2 };
      s.regions[0].members[2].tags = { nofailover: true };
      s.postgres = { parameters: extra };
    });

  test('non-strict: commits wait until Patroni replaces it', () => {
    expect(rowOf(one(layoutWith('on'), 'use1-c'))).toBe(
      'member use1-c | - | auto sync-standby-replaced orders-us-east-1 | zero | 0/3.5/26.5',
    );
  });

  test('a shorter wal_sender_timeout shortens the worst case', () => {
    expect(one(layoutWith('on', { wal_sender_timeout: '10s' }), 'use1-c').rto!.worstSeconds).toBe(16);
  });

  test('strict with no standby left: no writable primary (commits block), nothing lost', () => {
    const t = layout((s) => {
      s.durability = { rpo: 'zero-in-region', synchronousMode: 'strict' };
      s.regions[0].members.pop();
    });
    const f = one(t, 'use1-b');
    expect(rowOf(f)).toBe('member use1-b | - | none none orders-us-east-1 | zero | -');
    expect(f.notes.join(' ')).toContain('commits block');
  });
});

describe('multi-region clusters and links', () => {
  test('a stretched cluster fails over to another region automatically; the writer name moves (DNS)', () => {
    const t = layout((s) => {
      threeRegions(s);
      s.regions[1].role = 'primary';
      s.regions[2].role = 'primary';
      s.dcs = { mode: 'stretched' };
    });
    const f = one(t, 'us-east-1');
    // 42.5 + 3 (etcd election) + DNS TTL 30 + Route 53 propagation 60.
    expect(rowOf(f)).toBe(
      'region us-east-1 | orders-etcd 2/3 | auto failover orders-us-east-1 | <=1048576 | 20/70/135.5',
    );
  });

  test('a link cut that strands the primary on the etcd minority: no automatic primary', () => {
    const t = layout((s) => {
      twoRegions(s);
      s.dcs = { mode: 'stretched', regions: ['us-west-2', 'us-east-1'] };
    });
    const f = one(t, 'us-east-1<->us-west-2');
    expect(rowOf(f)).toBe(
      'link us-east-1<->us-west-2 | orders-etcd 2/3 | manual promote-standby-cluster orders-us-west-2 | unbounded | 5/55/110',
    );
    expect(one(t, 'us-west-2').writable).toBe('none');
  });

  test('the DNS TTL counts only where the writer name moves', () => {
    const t = layout((s) => {
      twoRegions(s);
      s.endpoints = { dnsTtlSeconds: 60 };
    });
    expect(one(t, 'us-east-1').rto!.worstSeconds).toBe(140);
    expect(one(t, 'use1-a').rto!.worstSeconds).toBe(42.5);
  });

  test('50 regions: 1225 links, each answered', () => {
    const t = layout((s) => {
      s.regions = Array.from({ length: 50 }, (_, i) => {
        const r = `${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}-test-1`;
        return {
          name: r,
          cidr: `10.${i}.0.0/16`,
          azs: [`${r}a`, `${r}b`, `${r}c`],
          members: [0, 1, 2].map((j) => ({ name: `m${i}-${j}`, az: `${r}${'abc'[j]}` })),
        };
      });
      s.primaryRegion = 'aa-test-1';
    });
    const a = analyzeFailures(t);
    expect(a.failures.filter((f) => f.kind === 'link')).toHaveLength(1225);
    expect(a.failures.filter((f) => f.kind === 'link').every((f) => f.recovery === 'unaffected')).toBe(true);
    expect(a.doubleAzFailures).toHaveLength(150);
  });
});

describe('quorum commit (Patroni 4): promotion needs the candidate and M - numsync other voters', () => {
  const quorum = (count: number, members?: { name: string; az: string }[]) =>
    layout((s) => {
      s.durability = { rpo: 'zero-in-region', synchronousMode: 'quorum', synchronousNodeCount: count };
      if (members) s.regions[0].members = members;
    });
  /** Five members over three AZs: two in a, two in b, one in c (four voters besides any leader). */
  const five = [
    { name: 'use1-a', az: 'us-east-1a' },
    { name: 'use1-b', az: 'us-east-1a' },
    { name: 'use1-c', az: 'us-east-1b' },
    { name: 'use1-d', az: 'us-east-1b' },
    { name: 'use1-e', az: 'us-east-1c' },
  ];

  test('three members, ANY 1: every member and AZ loss promotes with RPO 0 (both other voters answer)', () => {
    const a = analyzeFailures(quorum(1));
    for (const f of a.failures.filter((x) => x.kind === 'member' || x.kind === 'az')) {
      expect([f.id, f.writable, f.recovery, f.rpo.bound]).toEqual([f.id, 'auto', 'failover', 'zero']);
    }
  });

  test.each([
    // ANY 1 of 4 voters: 4 must answer; losing the leader's AZ leaves 3.
    [1, 'manual', 'manual-failover', 'unbounded'],
    // ANY 2 of 4: 3 must answer, and 3 do.
    [2, 'auto', 'failover', 'zero'],
    [3, 'auto', 'failover', 'zero'],
  ] as const)(
    'five members, ANY %i: losing an AZ with two of them -> %s %s, RPO %s',
    (count, writable, recovery, rpo) => {
      const f = one(quorum(count, five), 'us-east-1a');
      expect([f.writable, f.recovery, f.rpo.bound]).toEqual([writable, recovery, rpo]);
    },
  );

  test('a lost voter never loses data: with the leader kept, commits wait at most until Patroni lowers the count', () => {
    const f = one(quorum(2), 'use1-c');
    expect(f.rpo.bound).toBe('zero');
    expect(f.writable).toBe('auto');
  });
});
