/** Issue 15, class 3: every Patroni cluster can elect a leader (PGT-PAT-002). */
import { describe, expect, test } from 'vitest';
import { hits, layout, twoRegions } from './helpers.js';

const standby = (edit: (members: any[]) => void) =>
  layout((s) => {
    twoRegions(s);
    edit(s.regions[1].members);
  });

describe('PGT-PAT-002: a cluster without a member that can lead is an error', () => {
  test.each([
    [
      'a standby cluster with every member nofailover',
      standby((ms) =>
        ms.forEach((m) => {
          m.tags = { nofailover: true };
        }),
      ),
      ['regions[1].members'],
    ],
    [
      'a standby cluster with failoverPriority 0 everywhere',
      standby((ms) =>
        ms.forEach((m) => {
          m.tags = { failoverPriority: 0 };
        }),
      ),
      ['regions[1].members'],
    ],
    [
      'a standby cluster whose only eligible member cascades',
      standby((ms) => {
        ms[0].tags = { nofailover: true };
        ms[1].tags = { nofailover: true };
        ms[2].replicateFrom = 'usw2-a';
      }),
      ['regions[1].members'],
    ],
    [
      'a standby cluster whose only eligible member is delayed',
      standby((ms) => {
        ms[0].tags = { nofailover: true };
        ms[1].tags = { nofailover: true };
        ms[2].recoveryMinApplyDelay = 3600;
      }),
      ['regions[1].members'],
    ],
    [
      'a standby cluster with one member that can lead',
      standby((ms) =>
        ms.slice(1).forEach((m) => {
          m.tags = { nofailover: true };
        }),
      ),
      [],
    ],
    [
      'a primary cluster with every member nofailover: one finding, not two',
      layout((s) =>
        s.regions[0].members.forEach((m: any) => {
          m.tags = { nofailover: true };
        }),
      ),
      ['regions[0].members'],
    ],
    [
      'a primary cluster with one eligible member: can lead, but no failover',
      layout((s) =>
        s.regions[0].members.slice(1).forEach((m: any) => {
          m.tags = { nofailover: true };
        }),
      ),
      ['regions[0].members'],
    ],
    ['the base layout', layout(), []],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-PAT-002')).toEqual(paths);
  });
});
