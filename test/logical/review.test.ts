/** The logical layer in the review and in `pgtopo diff`. */
import { describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import { diffTopologies } from '../../src/review/diff.js';
import { logicalMermaid, renderLogical } from '../../src/review/logical.js';
import { baseSpec } from '../helpers/spec.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

const t = (edit: (s: Record<string, any>) => void = () => {}, base = logicalSpec) => {
  const s = base();
  edit(s);
  return topologyFrom(s as never);
};

describe('review: logical replication section', () => {
  test('publications, CDC feeds and slot owners', () => {
    const md = renderLogical(t());
    expect(md).toContain('Slots are owned by: PostgreSQL 17 failover slot');
    expect(md).toContain(
      '| orders_pub | orders | public.debezium_heartbeat, public.orders | orders_read_model |',
    );
    expect(md).toMatch(/\| orders_cdc \| orders \| orders_pub \| debezium_orders \| debezium \|/);
    expect(
      renderLogical(
        t(
          () => {},
          () => logicalSpec('debian-12'),
        ),
      ),
    ).toContain('Patroni permanent slot');
  });

  test('subscriptions name their publisher and the slot it owns', () => {
    expect(renderLogical(t(() => {}, subscriberSpec))).toContain(
      '| orders_read_model | orders_copy | orders (writer.orders.db.internal:5432/orders) | orders_pub | orders_read_model | true | true |',
    );
  });

  test('mermaid edges: publication -> slot -> consumer, remote publisher -> leader', () => {
    const [plan] = t().logical;
    const m = logicalMermaid(plan!);
    expect(m).toContain('pub_orders_pub -->|"failover slot"| slot_debezium_orders');
    expect(m).toContain('slot_debezium_orders ==>|"pgoutput via writer"| cdc_orders_cdc');
    expect(m).toContain('slot_orders_read_model ==>|"pgoutput via writer"| sub_orders_read_model');
    const sub = logicalMermaid(t(() => {}, subscriberSpec).logical[0]!);
    expect(sub).toContain(
      'remote_orders_read_model ==>|"subscription orders_read_model -#gt; orders_copy"| leader_reports_us_east_1',
    );
  });

  test('no logical layer: one line', () => {
    expect(renderLogical(topologyFrom(baseSpec()))).toMatch(/^No logical layer declared/);
  });
});

describe('diff: dropping a slot, publication or CDC feed destroys data', () => {
  test.each<[string, (s: Record<string, any>) => void, string[]]>([
    ['nothing dropped', () => {}, []],
    [
      'a subscriber slot',
      (s) => (s.logical.publications[0].subscriberSlots = []),
      ['logical-slot-removed orders_read_model logical.publications[0].subscriberSlots[0]'],
    ],
    [
      'a CDC feed (and its slot)',
      (s) => (s.logical.cdc = []),
      [
        'logical-slot-removed debezium_orders logical.cdc[0].slot',
        'cdc-feed-removed orders_cdc logical.cdc[0]',
      ],
    ],
    [
      'the whole logical section',
      (s) => delete s.logical,
      [
        'logical-slot-removed debezium_orders logical.cdc[0].slot',
        'logical-slot-removed orders_read_model logical.publications[0].subscriberSlots[0]',
        'publication-removed orders_pub logical.publications[0]',
        'cdc-feed-removed orders_cdc logical.cdc[0]',
      ],
    ],
  ])('%s', (_what, edit, expected) => {
    const d = diffTopologies(t(), t(edit));
    const logical = d.changes.filter((c) => /^(logical-slot|publication|cdc-feed)-removed$/.test(c.kind));
    expect(logical.map((c) => `${c.kind} ${c.subject} ${c.path}`)).toEqual(expected);
    for (const c of logical) {
      expect(c.destroysData).toBe(true);
      expect(c.consequence).toBe('stateful-replacement');
    }
    expect(d.destroysData).toBe(expected.length > 0);
    if (expected.length > 0) expect(d.needsCare).toBe(true);
  });
});
