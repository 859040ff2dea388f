import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import {
  psqlScript,
  quoteConninfoValue,
  quoteIdent,
  quoteLiteral,
  renderLogicalSql,
} from '../../src/render/logical-sql.js';
import { logicalSpec, subscriberSpec } from './fixtures.js';

/**
 * Reference readers, written from PostgreSQL's lexer (scan.l: a quoted identifier ends at a lone `"`, `""`
 * stands for `"`; a standard string ends at a lone `'`, `''` stands for `'`) and libpq's conninfo parser
 * (a quoted value ends at an unescaped `'`, `\x` stands for x). Each returns the value and what follows it.
 */
function readQuoted(text: string, quote: string, style: 'double' | 'backslash'): [string, string] {
  if (text[0] !== quote) throw new Error('not quoted');
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (style === 'backslash' && c === '\\') {
      out += text[++i] ?? '';
    } else if (c === quote) {
      if (style === 'double' && text[i + 1] === quote) {
        out += quote;
        i++;
      } else return [out, text.slice(i + 1)];
    } else out += c;
  }
  throw new Error('unterminated');
}

const name = fc.string({ minLength: 1, maxLength: 63, unit: 'binary' }).filter((s) => !s.includes('\0'));

describe('quoting', () => {
  test('identifiers read back whole, whatever they hold, and nothing follows them', () => {
    fc.assert(
      fc.property(name, fc.constantFrom('', ' x', '.y'), (s, tail) => {
        expect(readQuoted(quoteIdent(s) + tail, '"', 'double')).toEqual([s, tail]);
      }),
    );
  });
  test('literals read back whole', () => {
    fc.assert(
      fc.property(name, (s) => {
        expect(readQuoted(quoteLiteral(s), "'", 'double')).toEqual([s, '']);
      }),
    );
  });
  test('conninfo values read back whole', () => {
    fc.assert(
      fc.property(name, (s) => {
        expect(readQuoted(`${quoteConninfoValue(s)} user=x`, "'", 'backslash')).toEqual([s, ' user=x']);
      }),
    );
  });
  test('NUL is refused, never truncated', () => {
    expect(() => quoteIdent('a\0b')).toThrow();
    expect(() => quoteIdent('')).toThrow();
  });
});

describe('renderLogicalSql', () => {
  const publisher17 = () => renderLogicalSql(topologyFrom(logicalSpec('debian-13') as never).logical[0]!);

  test('groups: roles and databases in postgres first, then each database; publisher before subscriber', () => {
    expect(publisher17().map((g) => `${g.side} ${g.database}`)).toEqual([
      'publisher postgres',
      'publisher orders',
    ]);
    const sub = renderLogicalSql(topologyFrom(subscriberSpec('debian-13') as never).logical[0]!);
    expect(sub.map((g) => `${g.side} ${g.database}`)).toEqual([
      'publisher postgres',
      'subscriber orders_copy',
    ]);
  });

  test('publications come before the failover slots that stream them, every CREATE is guarded', () => {
    const orders = publisher17()[1]!.statements;
    const pub = orders.findIndex((s) => s.sql.startsWith('CREATE PUBLICATION'));
    const slots = orders.filter((s) => s.sql.includes('pg_create_logical_replication_slot'));
    expect(slots.map((s) => s.sql)).toEqual([
      `SELECT pg_catalog.pg_create_logical_replication_slot('debezium_orders', 'pgoutput', false, false, true)`,
      `SELECT pg_catalog.pg_create_logical_replication_slot('orders_read_model', 'pgoutput', false, false, true)`,
    ]);
    expect(orders.indexOf(slots[0]!)).toBeGreaterThan(pub);
    for (const s of publisher17().flatMap((g) => g.statements)) {
      if (/^CREATE (ROLE|DATABASE|PUBLICATION|SUBSCRIPTION)/.test(s.sql) || s.sql.includes('pg_create_'))
        expect(s.unless, s.sql).toBeDefined();
    }
    expect(orders.find((s) => s.sql.startsWith('CREATE PUBLICATION'))!.sql).toBe(
      'CREATE PUBLICATION "orders_pub" FOR TABLE "public"."debezium_heartbeat", "public"."orders"',
    );
  });

  test('PostgreSQL 15: Patroni owns the slots, no slot SQL and no failover argument anywhere', () => {
    const groups = renderLogicalSql(topologyFrom(logicalSpec('debian-12') as never).logical[0]!);
    const sql = groups.flatMap((g) => g.statements.map((s) => s.sql)).join('\n');
    expect(sql).not.toContain('pg_create_logical_replication_slot');
    expect(sql).not.toContain('failover');
    const sub = renderLogicalSql(topologyFrom(subscriberSpec('debian-12') as never).logical[0]!);
    expect(sub.at(-1)!.statements[0]!.sql).not.toContain('failover');
  });

  test('subscription: no slot of its own, publisher failover stated, password only from the environment', () => {
    const [, group] = renderLogicalSql(topologyFrom(subscriberSpec('debian-13') as never).logical[0]!, {
      sslrootcert: '/etc/pgtopo/tls/ca.crt',
    });
    const s = group!.statements[0]!;
    expect(s.sql).toBe(
      `CREATE SUBSCRIPTION "orders_read_model" CONNECTION :'pgtopo_conninfo_orders_read_model' PUBLICATION "orders_pub" WITH (create_slot = false, slot_name = 'orders_read_model', copy_data = true, failover = true)`,
    );
    expect(s.env).toEqual([
      {
        variable: 'pgtopo_logical_subscription_orders_read_model_password',
        env: 'PGTOPO_LOGICAL_SUBSCRIPTION_ORDERS_READ_MODEL_PASSWORD',
      },
    ]);
    const [fixed] = readQuoted(s.prepare!.replace(/^SELECT /, ''), "'", 'double');
    expect(fixed).toBe(
      "host='writer.orders.db.internal' port='5432' dbname='orders' user='orders_reader' sslmode='verify-full' sslrootcert='/etc/pgtopo/tls/ca.crt' password=",
    );
  });

  test('scripts: stop on error, fail on a missing password variable, never log the statements', () => {
    const script = psqlScript(publisher17()[0]!, 'orders');
    expect(script).toContain('\\set ON_ERROR_STOP on');
    expect(script).toContain('SET log_statement = none;');
    expect(script).toContain(
      '\\getenv pgtopo_logical_role_debezium_password PGTOPO_LOGICAL_ROLE_DEBEZIUM_PASSWORD',
    );
    expect(script).toContain(
      "RAISE EXCEPTION 'pgtopo: environment variable PGTOPO_LOGICAL_ROLE_DEBEZIUM_PASSWORD is not set'",
    );
    expect(script).toMatch(
      /SELECT NOT \(SELECT EXISTS \(SELECT 1 FROM pg_catalog\.pg_roles WHERE rolname = 'debezium'\)\) AS pgtopo_apply \\gset\n\\if :pgtopo_apply\nCREATE ROLE "debezium";\n\\endif/,
    );
  });
});
