/**
 * The real tools read every rendered file of every example: etcd quorums start
 * from their rendered settings and report healthy over TLS, `patroni
 * --validate-config` accepts every patroni.yml (against those running quorums),
 * `haproxy -c` every haproxy.cfg, `cloud-init schema` every user-data document
 * and `bash -n` every script. Loopback 127.0.20.1-.99 only, one example at a time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
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
import { EXAMPLE_NAMES, type ExampleName, example } from '../helpers/examples.js';
import {
  type Daemon,
  etcdctlArgs,
  fakeSecrets,
  issueCert,
  makeBaseDir,
  makeCa,
  materialize,
  plantSecrets,
  RUN_AS,
  removeDir,
  run,
  serviceEnv,
  startService,
  waitFor,
} from './helpers.js';

const SUBNET = '127.0.20';
/** Host offsets per example: disjoint ranges inside .1-.99 (boot.test.ts uses .100 and up). */
const OFFSET: Record<ExampleName, number> = {
  singleRegion: 0,
  twoRegionStandby: 20,
  threeRegionStretched: 40,
};
/** PostgreSQL installed on this machine; examples on another major version validate against it. */
const INSTALLED_PG = 15;

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

async function prepare(name: ExampleName): Promise<Prepared> {
  const t = example(name);
  const base = makeBaseDir(`tools${OFFSET[name]}`);
  dirs.push(base);
  const map = localAddressMap(t, {
    baseDir: base,
    subnet: SUBNET,
    hostOffset: OFFSET[name],
    postgresBinDir: () => `/usr/lib/postgresql/${INSTALLED_PG}/bin`,
  });
  const ca = await makeCa(base);
  const fakes = fakeSecrets(name);
  for (const h of [...bootableHosts(t), ...t.clusters.map((c) => haproxyHost(c.scope))]) {
    materialize(t, h, map);
    await issueCert(t, h, map, ca);
    await plantSecrets(t, h, map, fakes);
  }
  return { t, map, base };
}

describe.each(EXAMPLE_NAMES)('%s', (name) => {
  let p: Prepared;
  let started: Daemon[] = [];

  test('every etcd quorum starts from its rendered settings and reports healthy over TLS', async () => {
    p = await prepare(name);
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

  test('haproxy -c accepts every cluster configuration', async () => {
    const { t, map } = p;
    for (const c of t.clusters) {
      const cfg = layout(map.paths(haproxyHost(c.scope)), t).haproxyCfg;
      const r = await run('haproxy', ['-c', '-f', cfg]);
      expect(r.stdout + r.stderr).toContain('Configuration file is valid');
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
      const r = await run('cloud-init', ['schema', '--config-file', file]).catch((e: Error) => ({
        stdout: e.message,
        stderr: '',
      }));
      if (!r.stdout.includes('Valid cloud-config')) bad.push(`${file}: ${r.stdout}${r.stderr}`);
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

describe('versions this machine does not run', () => {
  test('the AWS render keeps the spec major version in bin_dir and packages', () => {
    const t = example('threeRegionStretched');
    const files = renderHost(t, t.members[0]!.name, awsAddressMap(t));
    expect(files.find((f) => f.path.endsWith('patroni.yml'))!.content).toContain(
      'bin_dir: /usr/lib/postgresql/16/bin',
    );
    expect(renderUserData(t, t.members[0]!.name, awsAddressMap(t))).toContain('- postgresql-16');
  });
});
