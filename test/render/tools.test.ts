/**
 * The real tools read every rendered file of every example: etcd quorums start
 * from their rendered settings and report healthy over TLS, `patroni
 * --validate-config` accepts every patroni.yml (against those running quorums),
 * `haproxy -c` every haproxy.cfg, `cloud-init schema` every user-data document
 * and `bash -n` every script. Loopback 127.0.20.1-.99 only, one example at a time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Topology } from '../../src/model/types.js';
import {
  type AddressMap,
  awsAddressMap,
  bootableHosts,
  etcdHost,
  haproxyHost,
  layout,
  localAddressMap,
  renderHost,
  renderUserData,
  servicesOf,
  UNITS,
} from '../../src/render/index.js';
import { RELEASE_NAMES, RELEASES, type ReleaseName } from '../../src/spec/releases.js';
import { EXAMPLE_NAMES, type ExampleName, exampleOn } from '../helpers/examples.js';
import {
  type Daemon,
  etcdctlArgs,
  fakeSecrets,
  issueCert,
  makeBaseDir,
  makeCa,
  materialize,
  plantSecrets,
  ROOT_BUILD_TIMEOUT_MS,
  RUN_AS,
  removeDir,
  run,
  serviceEnv,
  startService,
  useReleaseRoot,
  waitFor,
} from './helpers.js';

const SUBNET = '127.0.20';
/**
 * What runs: every example on the default release (Debian 13), and example 1 on Debian 12, each in the
 * root of its release, so both releases' own tools read what pgtopo renders for them.
 */
const CASES: readonly (readonly [ExampleName, ReleaseName])[] = [
  ...EXAMPLE_NAMES.map((n) => [n, 'debian-13'] as const),
  ['singleRegion', 'debian-12'],
];
/** Host offsets per case: disjoint ranges inside .1-.99 (boot.test.ts uses .100 and up). */
const OFFSET = (name: ExampleName, release: ReleaseName) =>
  ({ singleRegion: 0, twoRegionStandby: 20, threeRegionStretched: 40, logicalSubscriber: 80 })[name] +
  (release === 'debian-12' ? 60 : 0);

const dirs: string[] = [];
const daemons: Daemon[] = [];
// Throwaway quorums: SIGKILL, no graceful leadership transfer to wait for.
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  for (const d of dirs) removeDir(d);
});

async function inBatches<T>(items: readonly T[], size: number, fn: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

interface Prepared {
  readonly t: Topology;
  readonly map: AddressMap;
  readonly base: string;
}

async function prepare(name: ExampleName, release: ReleaseName): Promise<Prepared> {
  const t = exampleOn(name, release);
  const base = makeBaseDir(`tools${OFFSET(name, release)}`);
  dirs.push(base);
  const map = localAddressMap(t, { baseDir: base, subnet: SUBNET, hostOffset: OFFSET(name, release) });
  const ca = await makeCa(base);
  const fakes = fakeSecrets(name);
  for (const h of [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))]) {
    materialize(t, h, map);
    await issueCert(t, h, map, ca);
    await plantSecrets(t, h, map, fakes);
  }
  return { t, map, base };
}

describe.each(CASES)('%s on %s', (name, release) => {
  let p: Prepared;
  let started: Daemon[] = [];

  beforeAll(async () => {
    const root = await useReleaseRoot(release);
    expect(root.versions.patroni).toContain(RELEASES[release].packages.patroni);
    p = await prepare(name, release);
  }, ROOT_BUILD_TIMEOUT_MS);

  test('every etcd quorum starts from its rendered settings and reports healthy over TLS', async () => {
    const { t, map } = p;
    for (const q of t.etcd) {
      const names = q.members.map((e) => e.name);
      const ds = names.map((n) =>
        startService(servicesOf(t, etcdHost(t, n), map).find((s) => s.unit === UNITS.etcd)!, n),
      );
      started.push(...ds);
      daemons.push(...ds);
      const out = await waitFor(
        `quorum ${q.id}`,
        async () => {
          const r = await run('etcdctl', [...etcdctlArgs(t, names, map), 'endpoint', 'health'], {
            env: { ...process.env, ETCDCTL_API: '3' },
            timeoutMs: 10_000,
          });
          return r.stdout + r.stderr;
        },
        30_000,
      );
      expect(out.match(/is healthy/g)).toHaveLength(q.members.length);
      const list = await run('etcdctl', [...etcdctlArgs(t, names, map), 'member', 'list'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      for (const n of names) expect(list.stdout).toContain(n);
    }
  }, 90_000);

  test('patroni --validate-config accepts every member, with its quorum running', async () => {
    const { t, map } = p;
    const results: string[] = [];
    await inBatches(t.members, 2, async (m) => {
      const svc = servicesOf(t, m.name, map).find((s) => s.unit === UNITS.patroni)!;
      try {
        await run('patroni', ['--validate-config', svc.exec[1]!], {
          as: RUN_AS,
          env: { PATH: process.env.PATH, ...serviceEnv(svc) },
        });
        results.push(`${m.name}: ok`);
      } catch (e) {
        results.push(`${m.name}: ${(e as Error).message}`);
      }
    });
    expect(results.sort()).toEqual(t.members.map((m) => `${m.name}: ok`).sort());
  }, 60_000);

  test('the validation fails without a reachable DCS (it is a real check)', async () => {
    const { t, map } = p;
    await Promise.all(started.map((d) => d.stop('SIGKILL')));
    started = [];
    const svc = servicesOf(t, t.members[0]!.name, map).find((s) => s.unit === UNITS.patroni)!;
    await expect(
      run('patroni', ['--validate-config', svc.exec[1]!], {
        as: RUN_AS,
        env: { PATH: process.env.PATH, ...serviceEnv(svc) },
      }),
    ).rejects.toThrow(/is not reachable/);
  }, 30_000);

  test('haproxy -c accepts every cluster configuration, without a warning (-dW)', async () => {
    const { t, map } = p;
    for (const c of t.clusters) {
      const cfg = layout(map.paths(haproxyHost(c.scope)), t).haproxyCfg;
      // Exit 0 is the verdict (3.0 prints nothing on success); -dW makes any warning fatal.
      const r = await run('haproxy', ['-c', '-dW', '-f', cfg]);
      expect(r.stdout + r.stderr).not.toMatch(/WARNING|ALERT/);
    }
  });

  test('cloud-init schema validates the user data of every member and etcd node (AWS and local)', async () => {
    const { t, map } = p;
    const dir = mkdtempSync(join(p.base, 'ud-'));
    const docs: string[] = [];
    for (const m of [awsAddressMap(t), map]) {
      for (const h of bootableHosts(t)) {
        const file = join(dir, `${m.target}-${h}.yaml`);
        writeFileSync(file, renderUserData(t, h, m));
        docs.push(file);
      }
    }
    const bad: string[] = [];
    await inBatches(docs, 2, async (file) => {
      // Exit 0 is the verdict (the wording changed between releases: "Valid cloud-config", "Valid schema").
      await run('cloud-init', ['schema', '--config-file', file]).catch((e: Error) =>
        bad.push(`${file}: ${e.message}`),
      );
    });
    expect(bad).toEqual([]);
  }, 90_000);

  test('bash -n accepts every rendered script (AWS and local)', async () => {
    const { t, map } = p;
    const scripts = [awsAddressMap(t), map].flatMap((m) =>
      [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))].flatMap((h) =>
        renderHost(t, h, m).filter((f) => f.content.startsWith('#!/bin/bash')),
      ),
    );
    expect(scripts.length).toBeGreaterThan(t.members.length * 3);
    for (const s of scripts) {
      const file = join(p.base, 'check.sh');
      writeFileSync(file, s.content);
      await run('bash', ['-n', file]);
    }
  });
});

describe.each(RELEASE_NAMES)('the AWS render on %s', (release) => {
  test("names the release's PostgreSQL major in bin_dir and packages, from Debian's own archive", () => {
    const t = exampleOn('threeRegionStretched', release);
    const major = RELEASES[release].postgresMajor;
    const files = renderHost(t, t.members[0]!.name, awsAddressMap(t));
    expect(files.find((f) => f.path.endsWith('patroni.yml'))!.content).toContain(
      `bin_dir: /usr/lib/postgresql/${major}/bin`,
    );
    const userData = renderUserData(t, t.members[0]!.name, awsAddressMap(t));
    expect(userData).toContain(`- postgresql-${major}`);
    expect(userData).not.toContain('apt.postgresql.org');
  });
});
