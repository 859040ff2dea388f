/**
 * Citus on Patroni: Patroni 4's own `--validate-config` (debian-13 root, as `postgres`) accepts the
 * rendered patroni.yml of every member of every group (coordinator group 0, shard groups 1..N), against the
 * one etcd quorum (the coordinator's, running on 127.0.51.x) all groups share; and it rejects a bad
 * `citus` section, so the check is real. Citus itself is not packaged in Debian: this is as far as a
 * Citus fleet can be verified on these machines (no rehearsal).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { Fleet, Shard } from '../../src/model/fleet.js';
import type { Topology } from '../../src/model/types.js';
import {
  type AddressMap,
  bootableHosts,
  etcdHost,
  localAddressMap,
  servicesOf,
  UNITS,
} from '../../src/render/index.js';
import { citusGroup, renderCitusPatroni } from '../../src/render/shard-citus.js';
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
} from '../render/helpers.js';
import { fleetOf } from './helpers.js';

const SUBNET = '127.0.51';
const dirs: string[] = [];
const daemons: Daemon[] = [];
let fleet: Fleet;
let coordinatorMap: AddressMap;
const maps = new Map<string, AddressMap>();

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  for (const d of dirs) removeDir(d);
}, 60_000);

async function prepare(
  t: Topology,
  offset: number,
  ca: string | undefined,
): Promise<{ map: AddressMap; ca: string }> {
  const base = makeBaseDir(`shd${offset}`);
  dirs.push(base);
  const map = localAddressMap(t, { baseDir: base, subnet: SUBNET, hostOffset: offset });
  const bundle = ca ?? (await makeCa(base));
  for (const h of bootableHosts(t)) {
    materialize(t, h, map);
    await issueCert(t, h, map, bundle);
    await plantSecrets(t, h, map, fakeSecrets('citus'));
  }
  return { map, ca: bundle };
}

/** Writes a member's Citus patroni.yml over its rendered one and runs Patroni's validation on it. */
async function validate(of: 'coordinator' | Shard, member: string, edit: (doc: string) => string = (d) => d) {
  const t = of === 'coordinator' ? fleet.coordinator : of.topology;
  const map = of === 'coordinator' ? coordinatorMap : maps.get(of.name)!;
  const svc = servicesOf(t, member, map).find((s) => s.unit === UNITS.patroni)!;
  const file = svc.exec[1]!;
  writeFileSync(file, edit(renderCitusPatroni(fleet, of, member, map, coordinatorMap)));
  return run('patroni', ['--validate-config', file], {
    as: RUN_AS,
    env: { PATH: process.env.PATH, ...serviceEnv(svc) },
  });
}

beforeAll(async () => {
  await useReleaseRoot('debian-13');
  fleet = fleetOf((s) => {
    s.shards = 2;
    s.router.engine = 'citus';
  });
  const c = await prepare(fleet.coordinator, 0, undefined);
  coordinatorMap = c.map;
  for (const s of fleet.shards) maps.set(s.name, (await prepare(s.topology, 20 * (s.index + 1), c.ca)).map);
  // The one etcd quorum every group uses: the coordinator's.
  const q = fleet.coordinator.etcd[0]!;
  const names = q.members.map((e) => e.name);
  for (const n of names) {
    daemons.push(
      startService(
        servicesOf(fleet.coordinator, etcdHost(fleet.coordinator, n), coordinatorMap).find(
          (x) => x.unit === UNITS.etcd,
        )!,
        n,
      ),
    );
  }
  await waitFor(
    'the coordinator etcd quorum',
    async () => {
      const r = await run(
        'etcdctl',
        [...etcdctlArgs(fleet.coordinator, names, coordinatorMap), 'endpoint', 'health'],
        {
          env: { ...process.env, ETCDCTL_API: '3' },
          timeoutMs: 10_000,
        },
      );
      return (r.stdout + r.stderr).match(/is healthy/g)?.length === names.length;
    },
    30_000,
  );
}, ROOT_BUILD_TIMEOUT_MS);

describe('Citus on Patroni (rendered, validated by Patroni 4; not rehearsable: Citus is not in Debian)', () => {
  test('every group shares the fleet scope and the coordinator etcd; groups are 0 (coordinator) and 1..N', () => {
    const docs = [
      ...fleet.coordinator.members.map((m) =>
        parse(renderCitusPatroni(fleet, 'coordinator', m.name, coordinatorMap)),
      ),
      ...fleet.shards.flatMap((s) =>
        s.topology.members.map((m) =>
          parse(renderCitusPatroni(fleet, s, m.name, maps.get(s.name)!, coordinatorMap)),
        ),
      ),
    ];
    expect(new Set(docs.map((d) => d.scope))).toEqual(new Set([fleet.name]));
    expect(new Set(docs.map((d) => JSON.stringify(d.etcd3.hosts))).size).toBe(1);
    expect([...new Set(docs.map((d) => d.citus.group))].sort()).toEqual([0, 1, 2]);
    expect(new Set(docs.map((d) => d.citus.database))).toEqual(new Set(['app']));
    expect(citusGroup(fleet.shards[1]!)).toBe(2);
  });

  test('patroni --validate-config accepts every member of every group', async () => {
    const results: string[] = [];
    const all: ['coordinator' | Shard, string][] = [
      ...fleet.coordinator.members.map((m) => ['coordinator', m.name] as ['coordinator', string]),
      ...fleet.shards.flatMap((s) => s.topology.members.map((m) => [s, m.name] as [Shard, string])),
    ];
    for (const [of, member] of all) {
      const label = `${of === 'coordinator' ? 'coordinator' : of.name}/${member}`;
      try {
        await validate(of, member);
        results.push(`${label}: ok`);
      } catch (e) {
        results.push(`${label}: ${(e as Error).message}`);
      }
    }
    expect(results).toEqual(
      all.map(([of, m]) => `${of === 'coordinator' ? 'coordinator' : of.name}/${m}: ok`),
    );
  }, 120_000);

  test.each([
    [
      'a negative group',
      (d: string) => d.replace(/group: 1\b/, 'group: -1'),
      /citus\.group -1 didn't pass validation/,
    ],
    [
      'a group that is not a number',
      (d: string) => d.replace(/group: 1\b/, 'group: one'),
      /citus\.group one is not an integer/,
    ],
    ['no database', (d: string) => d.replace(/\n {2}database: app/, ''), /citus\.database +is not defined/],
  ])(
    'Patroni rejects %s (the check is real)',
    async (_, edit, message) => {
      const shard = fleet.shards[0]!;
      const err = await validate(shard, shard.topology.members[0]!.name, edit).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
      expect(err).toMatch(message);
    },
    30_000,
  );
});
