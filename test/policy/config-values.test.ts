/**
 * Issue 15, class 6: values that reach configuration files are checked. Control characters and malformed
 * instance types make the spec invalid; known PostgreSQL parameters get their type, unit and range checked
 * (PGT-PG-007); closed egress needs a pre-built image (PGT-EC2-005).
 */
import { describe, expect, test } from 'vitest';
import { hits, layout, specIssues, twoRegions } from './helpers.js';

describe('control characters never reach postgresql.conf', () => {
  test.each([
    ['a plain value', 'pg_stat_statements', []],
    [
      'a newline',
      "x'\nlog_directory = '/tmp",
      ['invalid_union postgres.parameters.shared_preload_libraries'],
    ],
    ['a carriage return', 'a\rb', ['invalid_union postgres.parameters.shared_preload_libraries']],
    ['a tab', 'a\tb', ['invalid_union postgres.parameters.shared_preload_libraries']],
    ['a NUL', 'a\u0000b', ['invalid_union postgres.parameters.shared_preload_libraries']],
    ['DEL', 'a\u007fb', ['invalid_union postgres.parameters.shared_preload_libraries']],
    ['non-ASCII text is fine', 'café', []],
  ])('%s', (_name, value, issues) => {
    const got = specIssues((s) => (s.postgres = { parameters: { shared_preload_libraries: value } }));
    expect(got.map((g) => g.replace(/^(invalid_union|custom|invalid_format)/, 'invalid_union'))).toEqual(
      issues,
    );
  });
});

describe('instance types have a valid form', () => {
  test.each([
    ['r6i.xlarge', true],
    ['m7gd.16xlarge', true],
    ['c7i-flex.large', true],
    ['u-6tb1.metal', true],
    ['m7i.metal-24xl', true],
    ['t3.nano', true],
    ['r6i.huge', false],
    ['r6i.0xlarge', false],
    ['r6i', false],
    ['R6I.large', false],
    ['large.r6i', false],
    ['r.large', false],
    ['r6i.large\n', false],
  ])('%s: %s', (type, valid) => {
    expect(specIssues((s) => (s.regions[0].members[0].instanceType = type)).length === 0).toBe(valid);
    expect(specIssues((s) => (s.dcs = { mode: 'per-region', instanceType: type })).length === 0).toBe(valid);
  });
});

describe('PGT-PG-007: known parameters have values of their type, unit and range', () => {
  test.each([
    ['shared_buffers 4GB', { shared_buffers: '4GB' }, []],
    ['shared_buffers 4 GB (space allowed)', { shared_buffers: '4 GB' }, []],
    [
      'shared_buffers 4gb (units are case-sensitive)',
      { shared_buffers: '4gb' },
      ['postgres.parameters.shared_buffers'],
    ],
    ['shared_buffers 4s (a time unit)', { shared_buffers: '4s' }, ['postgres.parameters.shared_buffers']],
    ['shared_buffers 15 (below 16 blocks)', { shared_buffers: 15 }, ['postgres.parameters.shared_buffers']],
    ['shared_buffers 16 (the minimum)', { shared_buffers: 16 }, []],
    [
      'shared_buffers 127kB (under 16 blocks of 8 kB)',
      { shared_buffers: '127kB' },
      ['postgres.parameters.shared_buffers'],
    ],
    ['shared_buffers 128kB (16 blocks)', { shared_buffers: '128kB' }, []],
    ['work_mem lots', { work_mem: 'lots' }, ['postgres.parameters.work_mem']],
    ['work_mem 64kB (the minimum)', { work_mem: '64kB' }, []],
    ['work_mem 63kB', { work_mem: '63kB' }, ['postgres.parameters.work_mem']],
    ['statement_timeout 30s', { statement_timeout: '30s' }, []],
    ['statement_timeout 5min', { statement_timeout: '5min' }, []],
    ['statement_timeout 30MB', { statement_timeout: '30MB' }, ['postgres.parameters.statement_timeout']],
    ['statement_timeout -1', { statement_timeout: -1 }, ['postgres.parameters.statement_timeout']],
    ['checkpoint_timeout 29s', { checkpoint_timeout: '29s' }, ['postgres.parameters.checkpoint_timeout']],
    ['checkpoint_timeout 1d', { checkpoint_timeout: '1d' }, []],
    ['checkpoint_timeout 2d', { checkpoint_timeout: '2d' }, ['postgres.parameters.checkpoint_timeout']],
    ['max_connections 2.5', { max_connections: 2.5 }, ['postgres.parameters.max_connections']],
    ['max_connections 0', { max_connections: 0 }, ['postgres.parameters.max_connections']],
    ['max_connections 262143', { max_connections: 262143 }, []],
    ['max_connections 262144', { max_connections: 262144 }, ['postgres.parameters.max_connections']],
    ['checkpoint_completion_target 0.9', { checkpoint_completion_target: 0.9 }, []],
    [
      'checkpoint_completion_target 1.5',
      { checkpoint_completion_target: 1.5 },
      ['postgres.parameters.checkpoint_completion_target'],
    ],
    ['jit maybe', { jit: 'maybe' }, ['postgres.parameters.jit']],
    ['jit off', { jit: 'off' }, []],
    ['jit true (boolean)', { jit: true }, []],
    ['log_statement everything', { log_statement: 'everything' }, ['postgres.parameters.log_statement']],
    ['log_statement DDL (enums ignore case)', { log_statement: 'DDL' }, []],
    ['an unknown parameter is left alone', { 'pg_stat_statements.max': 'whatever' }, []],
  ])('%s', (_name, parameters, paths) => {
    expect(
      hits(
        layout((s) => (s.postgres = { parameters })),
        'PGT-PG-007',
      ),
    ).toEqual(paths);
  });
});

describe('PGT-EC2-005: closed egress needs a pre-built image', () => {
  test.each([
    ['egress nat, default image', layout(), []],
    ['egress none, default image', layout((s) => (s.hosts = { egress: 'none' })), ['hosts.egress']],
    [
      'egress none with an image',
      layout((s) => (s.hosts = { egress: 'none', imageId: 'ami-0123456789abcdef0' })),
      [],
    ],
    [
      'egress none with an image per region',
      layout((s) => {
        twoRegions(s);
        s.hosts = {
          egress: 'none',
          imageId: { 'us-east-1': 'ami-0123456789abcdef0', 'us-west-2': 'ami-0123456789abcdef1' },
        };
      }),
      [],
    ],
  ])('%s', (_name, t, paths) => {
    expect(hits(t, 'PGT-EC2-005')).toEqual(paths);
  });
});
