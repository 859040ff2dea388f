/**
 * No secret value in any rendered file: plant recognisable fake secrets where
 * the boot step puts them (with the rendered write-secrets.sh, as root, like
 * the boot step), then render every file of every host of every example for
 * both address maps, user data included, and search them all.
 */
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { topologyFrom } from '../../src/model/load.js';
import type { Topology } from '../../src/model/types.js';
import {
  ALL_SECRET_KEYS,
  awsAddressMap,
  bootableHosts,
  fillSecretTemplate,
  generatedSecretName,
  haproxyHost,
  localAddressMap,
  renderHaproxy,
  renderHost,
  renderUserData,
  SECRET_KEYS,
  secretFiles,
  secretSource,
  secretsNeeded,
} from '../../src/render/index.js';
import type { TopologySpecInput } from '../../src/spec/schema.js';
import { EXAMPLE_NAMES, type ExampleName, example } from '../helpers/examples.js';
import { variant } from '../helpers/spec.js';
import {
  fakeSecrets,
  makeBaseDir,
  materialize,
  plantSecrets,
  ROOT_BUILD_TIMEOUT_MS,
  removeDir,
  useReleaseRoot,
} from './helpers.js';

const dirs: string[] = [];
// The rendered write-secrets.sh runs in the default release's root, like a node's boot step.
beforeAll(() => useReleaseRoot('debian-13'), ROOT_BUILD_TIMEOUT_MS);
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function everything(t: Topology, baseDir: string): { name: string; content: string }[] {
  const out: { name: string; content: string }[] = [];
  for (const map of [awsAddressMap(t), localAddressMap(t, { baseDir, subnet: '127.0.20' })]) {
    for (const h of [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))]) {
      for (const f of renderHost(t, h, map))
        out.push({ name: `${map.target}:${f.path}`, content: f.content });
    }
    for (const h of bootableHosts(t))
      out.push({ name: `${map.target}:${h}/user-data`, content: renderUserData(t, h, map) });
    for (const c of t.clusters)
      out.push({ name: `${map.target}:${c.scope}/haproxy.cfg`, content: renderHaproxy(t, c.scope, map) });
  }
  return out;
}

describe('no secret material in rendered files', () => {
  test.each(EXAMPLE_NAMES)(
    '%s: planted secrets appear in the secret files and nowhere else',
    async (name: ExampleName) => {
      const t = example(name);
      const base = makeBaseDir('sec');
      dirs.push(base);
      const map = localAddressMap(t, { baseDir: base, subnet: '127.0.20' });
      const fakes = fakeSecrets(name);
      const planted: string[] = [];
      for (const h of bootableHosts(t)) {
        materialize(t, h, map);
        planted.push(...(await plantSecrets(t, h, map, fakes)));
      }
      // The boot script really wrote them, with the TS template filler's exact content and the declared modes.
      expect(planted.length).toBeGreaterThan(0);
      for (const h of t.members.map((m) => m.name)) {
        for (const f of secretFiles(t, h, map)) {
          expect(readFileSync(f.path, 'utf8')).toBe(fillSecretTemplate(f, fakes));
          expect(statSync(f.path).mode & 0o777).toBe(f.mode);
        }
      }
      const plantedText = planted.map((p) => readFileSync(p, 'utf8')).join('\n');
      const values = Object.values(fakes).filter((v) => plantedText.includes(v) || v === fakes.tlsCa);
      expect(values.length).toBeGreaterThanOrEqual(6);

      const leaks = everything(t, base).flatMap((f) =>
        Object.values(fakes)
          .filter((v) => f.content.includes(v) || f.content.includes(v.slice(0, 24)))
          .map((v) => `${f.name} contains ${v}`),
      );
      expect(leaks).toEqual([]);
    },
  );

  test('the scan would notice a leak (a filled template contains the value)', () => {
    const t = example('singleRegion');
    const map = localAddressMap(t, { baseDir: '/tmp/pgt-x', subnet: '127.0.20' });
    const fakes = fakeSecrets('probe');
    const filled = secretFiles(t, 'use1-a', map)
      .map((f) => fillSecretTemplate(f, fakes))
      .join('\n');
    expect(filled).toContain(fakes.superuser);
    expect(filled).toContain(fakes.archiveCipher);
  });

  test.each([
    ['too short', 'abc'],
    ['a quote', `${'a'.repeat(20)}"`],
    ['a space', `${'a'.repeat(20)} b`],
    ['an ampersand', `${'a'.repeat(20)}&`],
  ])('a secret value with %s is refused', (_n, bad) => {
    const t = example('singleRegion');
    const f = secretFiles(t, 'use1-a', awsAddressMap(t))[0]!;
    expect(() => fillSecretTemplate(f, { ...fakeSecrets('x'), superuser: bad })).toThrow(
      /characters outside/,
    );
  });

  test('user data stays below the EC2 limit once gzip-compressed (16 KiB)', () => {
    for (const name of EXAMPLE_NAMES) {
      const t = example(name);
      for (const h of bootableHosts(t)) {
        expect(gzipSync(renderUserData(t, h, awsAddressMap(t))).length).toBeLessThan(16 * 1024);
      }
    }
  });
});

describe('secret sources', () => {
  test('generated secrets have pgtopo names and are read in the node region; ARNs in their own region', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:orders/replication-AbCdEf';
    const t = topologyFrom(
      variant((s) => {
        s.security = { secrets: { replication: arn } };
      }) as TopologySpecInput,
    );
    expect(secretSource(t, 'superuser', 'us-east-1')).toEqual({
      key: 'superuser',
      id: generatedSecretName(t, 'superuser'),
      generate: true,
      region: 'us-east-1',
    });
    expect(generatedSecretName(t, 'archiveCipher')).toBe('pgtopo/orders/archive-cipher');
    expect(secretSource(t, 'replication', 'us-east-1')).toEqual({
      key: 'replication',
      id: arn,
      generate: false,
      region: 'eu-central-1',
    });
  });

  test('members need every credential and the CA; dedicated etcd nodes only the CA', () => {
    const t = example('twoRegionStandby');
    const map = awsAddressMap(t);
    expect(secretsNeeded(t, 'use1-a', map)).toEqual(ALL_SECRET_KEYS);
    expect(secretsNeeded(t, t.etcd[0]!.members[0]!.name, map)).toEqual(['tlsCa']);
    expect(SECRET_KEYS).toEqual(Object.keys(t.security.secrets));
  });
});
