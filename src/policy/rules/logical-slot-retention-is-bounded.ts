import { parameterPath } from '../facts.js';
import { numberIn } from '../postgres-parameters.js';
import type { Draft, Rule } from '../types.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Share of the smallest data volume of the owning cluster one feed's slot may hold back. */
export const FEED_WAL_SHARE_OF_VOLUME = 0.25;

export const rule: Rule = {
  id: 'PGT-LOG-003',
  group: 'logical',
  title:
    "Each CDC feed's slot retention is bounded, fits the data volume, and is what max_slot_wal_keep_size keeps",
  severity: 'error',
  rationale:
    'A logical slot holds back WAL until its consumer confirms it. A stopped Debezium connector with unbounded ' +
    'retention fills the data volume and stops the primary; a retention larger than ' +
    `${FEED_WAL_SHARE_OF_VOLUME * 100}% of the smallest data volume leaves too little room for the database and ` +
    "the other slots. `max_slot_wal_keep_size` is what PostgreSQL enforces: below a feed's declared retention it " +
    'invalidates the slot earlier than the feed was promised (the connector must then re-snapshot).',
  fix:
    `Set each feed's \`maxRetainedWalGiB\` to at most ${FEED_WAL_SHARE_OF_VOLUME * 100}% of the smallest data volume, ` +
    'and leave `postgres.parameters.max_slot_wal_keep_size` unset (pgtopo sets the largest feed retention) or at ' +
    'least that large.',
  check(t) {
    const drafts: Draft[] = [];
    const v = t.postgres.parameters.max_slot_wal_keep_size;
    const keepMb = v === undefined ? -1 : numberIn(v, 'MB');
    for (const p of t.logical) {
      const volumes = t.members.filter((m) => m.cluster === p.cluster).map((m) => m.volume.sizeGiB);
      const smallest = Math.min(...volumes);
      for (const f of p.feeds) {
        const gib = f.maxRetainedWalBytes / GIB;
        if (gib > smallest * FEED_WAL_SHARE_OF_VOLUME)
          drafts.push({
            path: [...f.path, 'maxRetainedWalGiB'],
            target: f.name,
            found: `${gib} GiB of WAL for feed ${f.name} on a ${smallest} GiB data volume`,
            expected: `at most ${Math.floor(smallest * FEED_WAL_SHARE_OF_VOLUME)} GiB (${FEED_WAL_SHARE_OF_VOLUME * 100}% of the smallest volume of ${p.cluster})`,
          });
        if (keepMb === undefined) continue;
        if (keepMb < 0)
          drafts.push({
            path: parameterPath('max_slot_wal_keep_size'),
            target: f.name,
            found: 'max_slot_wal_keep_size -1 (unbounded) with a CDC slot',
            expected: `a bound of at least ${gib} GiB (feed ${f.name})`,
          });
        else if (keepMb * MIB < f.maxRetainedWalBytes)
          drafts.push({
            path: parameterPath('max_slot_wal_keep_size'),
            target: f.name,
            found: `max_slot_wal_keep_size ${keepMb}MB, below feed ${f.name}'s ${gib} GiB`,
            expected: `at least ${gib * 1024}MB (or unset: pgtopo sets it)`,
          });
      }
    }
    return drafts;
  },
};
