import type { PathSegment } from '../../spec/issues.js';
import type { Draft, Rule } from '../types.js';

export const rule: Rule = {
  id: 'PGT-PAT-001',
  group: 'patroni',
  title:
    'Patroni timers are consistent: loop_wait + 2 x retry_timeout <= ttl, ttl >= 20, loop_wait >= 1, retry_timeout >= 3',
  severity: 'error',
  rationale:
    'The leader refreshes its key every loop_wait and may spend up to retry_timeout on a DCS or PostgreSQL ' +
    'operation, twice in one cycle. If that does not fit in ttl, a healthy leader loses its key during a slow ' +
    'etcd moment and the cluster fails over for nothing (or demotes with nobody to take over). A ttl below 20 s ' +
    '(the `fast` profile on Patroni 3.0.2) works but leaves little room for etcd elections and EBS stalls: a warning. ' +
    'Patroni 3.2 and later (debian-13) raise ttl to 20 s, loop_wait to 1 s and retry_timeout to 3 s themselves: ' +
    'there a smaller value is an error, because the rendered configuration would not be what runs (pgtopo ' +
    'derives the profiles at or above those floors).',
  fix:
    'Use `failover.profile: balanced` (20/5/5) or `conservative` (30/10/10), or set `failover.ttl`, ' +
    '`failover.loopWait` and `failover.retryTimeout` so that loop_wait + 2 x retry_timeout <= ttl.',
  check(t) {
    const { ttl, loopWait, retryTimeout } = t.failover.timers;
    const overridden = t.spec.failover;
    const at = (field: 'ttl' | 'loopWait' | 'retryTimeout'): PathSegment[] =>
      overridden[field] !== undefined ? ['failover', field] : ['failover', 'profile'];
    const drafts: Draft[] = [];
    if (loopWait + 2 * retryTimeout > ttl) {
      drafts.push({
        path: at('ttl'),
        found: `loop_wait ${loopWait} + 2 x retry_timeout ${retryTimeout} = ${loopWait + 2 * retryTimeout} s > ttl ${ttl} s`,
        expected: 'loop_wait + 2 x retry_timeout <= ttl',
      });
    }
    if (loopWait < 1) {
      drafts.push({ path: at('loopWait'), found: `loop_wait ${loopWait} s`, expected: 'loop_wait >= 1 s' });
    }
    if (retryTimeout < 3) {
      drafts.push({
        path: at('retryTimeout'),
        found: `retry_timeout ${retryTimeout} s`,
        expected: 'retry_timeout >= 3 s',
      });
    }
    const floor = t.release.patroniTimerFloor;
    if (floor && ttl < floor.ttl) {
      drafts.push({
        path: at('ttl'),
        found: `ttl ${ttl} s on ${t.release.name} (Patroni ${t.release.packages.patroni} runs it as ${floor.ttl} s)`,
        expected: `ttl >= ${floor.ttl} s, the smallest Patroni ${t.release.packages.patroni} runs with`,
      });
    } else if (ttl < 20) {
      drafts.push({
        path: at('ttl'),
        severity: 'warning',
        found: `ttl ${ttl} s (profile ${t.failover.profile})`,
        expected: 'ttl >= 20 s, unless fast failover is worth spurious failovers',
      });
    }
    return drafts;
  },
};
