import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  classifyActions,
  PlanFormatError,
  parsePlan,
  renderPlans,
  renderStatefulCallout,
} from '../../src/review/plan.js';
import { buildReview } from '../../src/review/report.js';
import { example } from '../helpers/examples.js';

const FIXTURE = new URL('./fixtures/handwritten/plan.json', import.meta.url);
const handwritten = () => parsePlan(JSON.parse(readFileSync(FIXTURE, 'utf8')), 'handwritten/plan.json');

describe('classifyActions', () => {
  test.each([
    [['no-op'], 'no-op', undefined],
    [['create'], 'create', undefined],
    [['read'], 'read', undefined],
    [['update'], 'update', undefined],
    [['delete'], 'destroy', undefined],
    [['delete', 'create'], 'replace', 'destroy-before-create'],
    [['create', 'delete'], 'replace', 'create-before-destroy'],
    [['forget'], 'forget', undefined],
  ] as const)('%j -> %s', (actions, action, order) => {
    const r = classifyActions(actions);
    expect(r.action).toBe(action);
    expect(r.order).toBe(order);
  });

  test.each([[['explode']], [['delete', 'update']], [[]]])('%j is not a Terraform action list', (actions) => {
    expect(() => classifyActions(actions)).toThrow(PlanFormatError);
  });
});

describe('parsePlan on a real offline plan (test/review/fixtures/handwritten)', () => {
  test('counts creates, updates, replacements and destroys from change.actions', () => {
    const p = handwritten();
    expect(p.terraformVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(p.region).toBe('us-east-1');
    expect(p.counts).toMatchObject({ create: 1, update: 1, replace: 1, destroy: 1, 'no-op': 2 });
    expect(p.errored).toBe(false);
  });

  test('replacement of a data volume and destroy of a bucket are stateful losses', () => {
    const p = handwritten();
    expect(p.statefulLosses.map((c) => [c.address, c.action])).toEqual([
      ['aws_ebs_volume.data_use1_c', 'replace'],
      ['aws_s3_bucket.old_copy', 'destroy'],
    ]);
    const volume = p.statefulLosses[0]!;
    expect(volume.order).toBe('destroy-before-create');
    expect(volume.replacePaths).toEqual(['availability_zone']);
    expect(volume.label).toBe('orders/use1-c/data');
    // An update of a key is not a loss, and names the attribute it changes.
    const key = p.changes.find((c) => c.address === 'aws_kms_key.archive')!;
    expect(key.action).toBe('update');
    expect(key.changedAttributes).toEqual(['description']);
  });

  test('the callout names every stateful loss with what forced it', () => {
    const text = renderStatefulCallout([handwritten()]);
    expect(text.startsWith('> [!CAUTION]')).toBe(true);
    expect(text).toContain(
      '`aws_ebs_volume.data_use1_c` (orders/use1-c/data) in us-east-1: **replaced (destroyed first',
    );
    expect(text).toContain('forced by `availability_zone`');
    expect(text).toContain('`aws_s3_bucket.old_copy`');
    expect(renderStatefulCallout([])).toBe('');
  });

  test('drives the review: callout above "At a glance", plan section with the replacement', async () => {
    const r = await buildReview({ topology: example('twoRegionStandby'), plans: [handwritten()] });
    const md = r.markdown;
    expect(md.indexOf('> [!CAUTION]')).toBeGreaterThan(0);
    expect(md.indexOf('> [!CAUTION]')).toBeLessThan(md.indexOf('## At a glance'));
    const plan = md.slice(md.indexOf('## Plan'));
    expect(plan).toContain('1 to create, 1 to update, 1 to replace, 1 to destroy (2 unchanged)');
    expect(plan).toMatch(
      /\| `aws_ebs_volume\.data_use1_c`<br>orders\/use1-c\/data \| \*\*replace\*\* \(destroy-before-create\) \| `availability_zone` \| \*\*lost\*\*/,
    );
    expect(plan).toMatch(
      /\| `aws_s3_bucket\.old_copy`<br>orders-pgtopo-wal-copy-us-east-1 \| \*\*destroy\*\* \| removed from the configuration \| \*\*lost\*\*/,
    );
    expect(md).toMatch(/\| ❌ \| Plan \| .*2 stateful resources replaced or destroyed/);
  });
});

describe('parsePlan input checks', () => {
  test.each([
    ['a list', []],
    ['an object without format_version', { resource_changes: [] }],
    ['a state document', { format_version: '1.0', values: { root_module: {} } }],
    ['resource_changes that is not a list', { format_version: '1.2', resource_changes: {} }],
    [
      'a change without actions',
      { format_version: '1.2', resource_changes: [{ address: 'a.b', change: {} }] },
    ],
  ])('rejects %s', (_name, doc) => {
    expect(() => parsePlan(doc, 'x.json')).toThrow(PlanFormatError);
  });

  test('never prints attribute values, and hides a name the plan marks sensitive', () => {
    const doc = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_secretsmanager_secret_version.superuser',
          mode: 'managed',
          type: 'aws_secretsmanager_secret_version',
          change: {
            actions: ['update'],
            before: { secret_string: 'hunter2-old' },
            after: { secret_string: 'hunter2-new' },
            before_sensitive: { secret_string: true },
            after_sensitive: { secret_string: true },
          },
        },
        {
          address: 'aws_ebs_volume.v',
          mode: 'managed',
          type: 'aws_ebs_volume',
          change: {
            actions: ['delete'],
            before: { tags: { Name: 'secret-name' }, size: 100 },
            after: null,
            before_sensitive: { tags: true },
          },
        },
      ],
    };
    const p = parsePlan(doc, 'x.json');
    const text = renderPlans([p]) + renderStatefulCallout([p]);
    expect(text).toContain('`secret_string`');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('secret-name');
    expect(p.statefulLosses.map((c) => c.address)).toEqual(['aws_ebs_volume.v']);
  });

  test('data sources are not counted', () => {
    const p = parsePlan(
      {
        format_version: '1.2',
        resource_changes: [
          {
            address: 'data.aws_partition.p',
            mode: 'data',
            type: 'aws_partition',
            change: { actions: ['read'] },
          },
        ],
      },
      'x.json',
    );
    expect(p.counts.read).toBe(0);
    expect(p.changes).toEqual([]);
  });
});

test('creates are listed by count, ties in code-unit order whatever the locale', () => {
  const create = (type: string, n: number) => ({
    address: `${type}.r${n}`,
    mode: 'managed',
    type,
    change: { actions: ['create'], before: null, after: {} },
  });
  const p = parsePlan(
    {
      format_version: '1.2',
      resource_changes: [
        create('aws_route_table', 1),
        create('aws_route53_record', 1),
        create('aws_subnet', 1),
        create('aws_subnet', 2),
      ],
    },
    'x.json',
  );
  // localeCompare would put aws_route_table first: ICU sorts `_` before digits.
  expect(renderPlans([p])).toContain('Creates: 2 `aws_subnet`, 1 `aws_route53_record`, 1 `aws_route_table`.');
});
