import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/render.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import { topologyFrom } from '../../src/model/load.js';
import { renderDebeziumConnectors } from '../../src/render/index.js';
import { EXAMPLES } from '../helpers/examples.js';
import { logicalSpec } from './fixtures.js';

describe('Debezium connector configuration', () => {
  const t = topologyFrom(logicalSpec() as never);
  const [connector] = renderDebeziumConnectors(t.logical[0]!);

  test('streams the slot and publication pgtopo owns, never creating either', () => {
    expect(connector!.name).toBe('orders_cdc');
    expect(connector!.config).toMatchObject({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'plugin.name': 'pgoutput',
      'slot.name': 'debezium_orders',
      'slot.drop.on.stop': 'false',
      'publication.name': 'orders_pub',
      'publication.autocreate.mode': 'disabled',
      'topic.prefix': 'orders_cdc',
      'table.include.list': 'public\\.orders',
    });
  });

  test('the writer endpoint over verified TLS, the password by reference only', () => {
    expect(connector!.config).toMatchObject({
      'database.hostname': 'writer.orders.pgtopo.internal',
      'database.port': '5432',
      'database.dbname': 'orders',
      'database.user': 'debezium',
      'database.sslmode': 'verify-full',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kafka Connect config-provider placeholder
      'database.password': '${secretsManager:pgtopo/orders/logical/debezium:password}',
    });
  });

  test('heartbeats write the heartbeat table of the publication', () => {
    expect(connector!.config['heartbeat.interval.ms']).toBe('10000');
    expect(connector!.config['heartbeat.action.query']).toMatch(
      /^INSERT INTO "public"\."debezium_heartbeat" /,
    );
  });
});

describe('pgtopo render --logical', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = join(mkdtempSync(join(tmpdir(), 'pgt-logical-')), 'out');
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(join(d, '..'), { recursive: true, force: true });
  });

  test('example 2: scripts in apply order and one connector per feed', async () => {
    const out = fresh();
    expect(await command.run([EXAMPLES.twoRegionStandby, '--logical', '--out', out], memoryIo())).toBe(
      EXIT.ok,
    );
    const dir = join(out, 'logical', 'orders-us-east-1');
    expect(readdirSync(dir).sort()).toEqual([
      '01-publisher-postgres.sql',
      '02-publisher-orders.sql',
      'debezium',
    ]);
    const connector = JSON.parse(readFileSync(join(dir, 'debezium', 'orders_cdc.json'), 'utf8'));
    expect(connector.config['slot.name']).toBe('debezium_orders');
  });

  test('the subscriber example: a subscriber script', async () => {
    const out = fresh();
    const spec = EXAMPLES.logicalSubscriber;
    expect(await command.run([spec, '--logical', '--out', out], memoryIo())).toBe(EXIT.ok);
    expect(readdirSync(join(out, 'logical', 'reports-us-east-1')).sort()).toEqual([
      '01-publisher-postgres.sql',
      '02-publisher-orders_read.sql',
      '03-subscriber-orders_read.sql',
    ]);
  });

  test('--logical with --member is a usage error', async () => {
    await expect(
      command.run(
        [EXAMPLES.twoRegionStandby, '--logical', '--member', 'use1-a', '--out', fresh()],
        memoryIo(),
      ),
    ).rejects.toThrow(UsageError);
  });
});
