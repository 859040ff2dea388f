/**
 * The YAML 1.1 writer: the form it picks for each kind of string, and round
 * trips of generated values and of every rendered YAML document through the
 * `yaml` package (YAML 1.1 mode) and through PyYAML, the reader of Patroni
 * and cloud-init.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ensureReleaseRoot, rootCommand } from '../../src/rehearsal/release-root.js';
import {
  awsAddressMap,
  bootableHosts,
  localAddressMap,
  renderHost,
  renderUserData,
} from '../../src/render/index.js';
import { toYaml11 } from '../../src/render/yaml.js';
import { EXAMPLE_NAMES, example } from '../helpers/examples.js';
import { ROOT_BUILD_TIMEOUT_MS } from './helpers.js';

const read11 = (text: string) => parse(text, { version: '1.1' });
/** What a value is once written as JSON: undefined entries dropped, -0 as 0. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));

/** Strings that YAML 1.1 would read as something else, or that are syntax, or that blocks cannot hold. */
const TRICKY = [
  ...['on', 'Off', 'yes', 'NO', 'y', 'n', 'true', 'FALSE', 'null', 'Null', '~', '', '<<', '='],
  ...['0755', '0o17', '0x1F', '0b101', '1_000', '1:20', '190:20:30.15', '1e5', '1.5', '.5', '+1', '-1'],
  ...['.inf', '-.Inf', '.NaN', '2026-01-01', '2026-1-1 10:00:00', '127.0.0.1', '10.0.0.0/8', '5432'],
  ...[
    '- x',
    '-x',
    '? x',
    ': x',
    'a: b',
    'a:',
    'a #b',
    'a#b',
    '#x',
    '&a',
    '*a',
    '!x',
    '|',
    '>',
    '%x',
    '@x',
    '`x',
  ],
  ...["'", '"', 'a"b', "it's", 'a\\b', '[a]', '{a}', 'a,b', ' a', 'a ', '---', '...', '--- x'],
  ...['\n', 'a\n', 'a\n\n', 'a\nb', '\na', ' a\nb', 'a\n \nb', 'a\n\tb', '\ta\nb', 'a\r\nb', 'a\x85b'],
  ...['a\u2028b', '\ufeffa', 'caf\u00e9', '\u{1F418}', 'a\u0007b', 'a\x7fb', 'a\ud800b', 'a\nb\n\n\n'],
];

const trickyString = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc
    .array(fc.constantFrom(...TRICKY, 'x', ' ', '\n', '#', ':', '-'), { maxLength: 6 })
    .map((xs) => xs.join('')),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    trickyString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(trickyString, fc.string({ maxLength: 8 })), tie('node'), { maxKeys: 4 }),
  ),
})).node;

/** The default node release's root: its PyYAML is what Patroni and cloud-init read the files with. */
let releaseRoot = '';
beforeAll(async () => {
  releaseRoot = (await ensureReleaseRoot('debian-13')).dir;
}, ROOT_BUILD_TIMEOUT_MS);

/** PyYAML's safe_load of each text, compared in Python with the JSON of the expected value. */
function pyyamlMismatches(cases: readonly { text: string; expected: unknown }[]): string[] {
  const script = [
    'import json, sys, yaml',
    'out = []',
    'for c in json.load(sys.stdin):',
    '    try:',
    '        got = yaml.safe_load(c["text"])',
    '    except Exception as e:',
    '        out.append(repr(c["text"][:200]) + " -> " + repr(e)); continue',
    '    if got != c["expected"] or json.dumps(got, sort_keys=True) != json.dumps(c["expected"], sort_keys=True):',
    '        out.append(repr(c["text"][:200]) + " -> " + repr(got)[:200])',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  const [cmd, args] = rootCommand(releaseRoot, ['python3', '-c', script]);
  const stdout = execFileSync(cmd, args, {
    input: JSON.stringify(cases),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString('utf8'));
}

describe('toYaml11 picks a form per string', () => {
  test('plain where YAML 1.1 reads the same string, quoted where it would read another type or syntax', () => {
    expect(
      toYaml11({
        name: 'pg-a',
        cidr: '10.0.0.0/8',
        url: 'https://10.0.1.5:8008/primary',
        on: 'on',
        port: '5432',
        ip: '127.0.0.1',
        listen: '10.0.1.5:5432',
        version: '1.5',
        command: 'archive-push "%p"',
        comment: 'a #b',
        pair: 'a: b',
        flag: '-x',
        empty: '',
      }),
    ).toBe(
      [
        'name: pg-a',
        'cidr: 10.0.0.0/8',
        'url: https://10.0.1.5:8008/primary',
        '"on": "on"',
        'port: "5432"',
        'ip: 127.0.0.1',
        'listen: 10.0.1.5:5432',
        'version: "1.5"',
        'command: archive-push "%p"',
        'comment: "a #b"',
        'pair: "a: b"',
        'flag: "-x"',
        'empty: ""',
        '',
      ].join('\n'),
    );
  });

  test('multi-line text becomes a literal block with the chomping that keeps its final newlines', () => {
    expect(toYaml11({ a: 'x\ny\n', b: 'x\ny', c: 'x\n\n', d: [' x\ny', 'x\r\ny'] })).toBe(
      [
        'a: |',
        '  x',
        '  y',
        'b: |-',
        '  x',
        '  y',
        'c: |+',
        '  x',
        '',
        'd:',
        '  - " x\\ny"',
        '  - "x\\r\\ny"',
        '',
      ].join('\n'),
    );
  });

  test('nested maps and lists, empty ones inline, numbers YAML 1.1 reads as numbers', () => {
    expect(
      toYaml11({
        files: [{ path: '/etc/x', content: 'a\n', defer: true }],
        runcmd: [['bash', '/x']],
        none: {},
        nothing: [],
        skipped: undefined,
        numbers: [0, -3, 0.5, 1e-7, 1e21, null],
      }),
    ).toBe(
      [
        'files:',
        '  - path: /etc/x',
        '    content: |',
        '      a',
        '    defer: true',
        'runcmd:',
        '  - - bash',
        '    - /x',
        'none: {}',
        'nothing: []',
        'numbers:',
        '  - 0',
        '  - -3',
        '  - 0.5',
        '  - 1.0e-7',
        '  - 1.0e+21',
        '  - null',
        '',
      ].join('\n'),
    );
  });
});

describe('round trips', () => {
  test('generated values read back equal through the yaml package in YAML 1.1 mode', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(read11(toYaml11(v))).toEqual(asJson(v));
      }),
      { numRuns: 3000 },
    );
  });

  test('every tricky string, and generated values, read back equal through PyYAML', () => {
    const values = [
      ...TRICKY.map((s) => ({ s, list: [s, { [s]: s }] })),
      ...fc.sample(value, { numRuns: 3000, seed: 4242 }),
    ];
    const cases = values.map((v) => ({ text: toYaml11(v), expected: asJson(v) }));
    expect(pyyamlMismatches(cases)).toEqual([]);
  });

  test('every rendered YAML document of every example reads the same through PyYAML and the yaml package', () => {
    const cases: { text: string; expected: unknown }[] = [];
    for (const name of EXAMPLE_NAMES) {
      const t = example(name);
      for (const map of [
        awsAddressMap(t),
        localAddressMap(t, { baseDir: '/tmp/pgt-yaml', subnet: '127.0.20' }),
      ]) {
        for (const host of bootableHosts(t)) {
          for (const f of renderHost(t, host, map).filter((x) => /\.ya?ml$/.test(x.path)))
            cases.push({ text: f.content, expected: read11(f.content) });
          const userData = renderUserData(t, host, map);
          cases.push({ text: userData, expected: read11(userData) });
        }
      }
    }
    expect(cases.length).toBeGreaterThan(50);
    expect(pyyamlMismatches(cases)).toEqual([]);
  });
});
