/** `pgtopo render`: writes one node's files, refuses unknown members and non-empty directories. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { command } from '../../src/cli/commands/render.js';
import { EXIT, memoryIo, UsageError } from '../../src/cli/io.js';
import { EXAMPLES } from '../helpers/examples.js';

const root = mkdtempSync(join(tmpdir(), 'pgtopo-render-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `out${++n}`);

describe('pgtopo render', () => {
  test('--target aws writes the files at their absolute paths plus the user data', async () => {
    const out = fresh();
    const io = memoryIo();
    const code = await command.run([EXAMPLES.twoRegionStandby, '--member', 'usw2-c', '--out', out], io);
    expect(code).toBe(EXIT.ok);
    const yml = readFileSync(join(out, 'etc/pgtopo/patroni.yml'), 'utf8');
    expect(yml).toContain('scope: orders-us-west-2');
    expect(yml).toContain('replicatefrom: usw2-a');
    expect(statSync(join(out, 'etc/pgtopo/boot/pgtopo-boot.sh')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(out, 'user-data.yaml'), 'utf8').startsWith('#cloud-config\n')).toBe(true);
    expect(existsSync(join(out, 'etc/systemd/system/pgtopo-patroni.service'))).toBe(true);
    expect(io.stdout.join('\n')).toMatch(/rendered usw2-c \(aws\): \d+ file\(s\)/);
  });

  test('--target local puts every path under the output directory, with loopback addresses', async () => {
    const out = fresh();
    const code = await command.run(
      [EXAMPLES.singleRegion, '-m', 'use1-b', '-o', out, '--target', 'local'],
      memoryIo(),
    );
    expect(code).toBe(EXIT.ok);
    const yml = readFileSync(join(out, 'use1-b/etc/patroni.yml'), 'utf8');
    expect(yml).toContain('listen: 127.0.10.11:5432');
    expect(yml).toContain(`data_dir: ${out}/use1-b/data/postgresql/17/data`);
  });

  test('a dedicated etcd node and a HAProxy node render too', async () => {
    const etcd = fresh();
    expect(
      await command.run(
        [EXAMPLES.singleRegion, '--member', 'orders-etcd-us-east-1-2', '--out', etcd],
        memoryIo(),
      ),
    ).toBe(EXIT.ok);
    expect(readFileSync(join(etcd, 'etc/pgtopo/etcd/etcd.env'), 'utf8')).toContain(
      'ETCD_NAME=orders-etcd-us-east-1-2',
    );
    const hap = fresh();
    expect(
      await command.run(
        [EXAMPLES.singleRegion, '--member', 'haproxy-orders-us-east-1', '--out', hap],
        memoryIo(),
      ),
    ).toBe(EXIT.ok);
    expect(existsSync(join(hap, 'etc/pgtopo/haproxy/haproxy.cfg'))).toBe(true);
    expect(existsSync(join(hap, 'user-data.yaml'))).toBe(false);
  });

  test.each([
    ['use1a', 'use1-a'],
    ['usw2-z', 'usw2-a'],
    ['nothing-like-it', undefined],
  ])('unknown member %s: exit 64, did-you-mean %s, nothing written', async (name, suggestion) => {
    const out = fresh();
    const io = memoryIo();
    expect(await command.run([EXAMPLES.twoRegionStandby, '--member', name, '--out', out], io)).toBe(
      EXIT.usage,
    );
    const err = io.stderr.join('\n');
    expect(err).toContain(`unknown member "${name}"`);
    if (suggestion) expect(err).toContain(`did you mean "${suggestion}"?`);
    else expect(err).not.toContain('did you mean');
    expect(err).toContain('use1-a, use1-b');
    expect(existsSync(out)).toBe(false);
  });

  test('a non-empty output directory is refused and left untouched', async () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const io = memoryIo();
    expect(await command.run([EXAMPLES.singleRegion, '--member', 'use1-a', '--out', out], io)).toBe(
      EXIT.usage,
    );
    expect(io.stderr.join('\n')).toContain('not empty');
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });

  test('an empty existing directory is filled', async () => {
    const out = fresh();
    mkdirSync(out);
    expect(await command.run([EXAMPLES.singleRegion, '--member', 'use1-a', '--out', out], memoryIo())).toBe(
      EXIT.ok,
    );
    expect(existsSync(join(out, 'etc/pgtopo/pgbouncer/pgbouncer.ini'))).toBe(true);
  });

  test('a local render that cannot work (socket paths too long) writes nothing', async () => {
    const out = join(root, 'x'.repeat(90));
    const io = memoryIo();
    expect(
      await command.run([EXAMPLES.singleRegion, '--member', 'use1-a', '--out', out, '--target', 'local'], io),
    ).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).toContain('too long');
    expect(existsSync(out)).toBe(false);
  });

  test('an invalid spec exits 2 with its issues', async () => {
    const spec = join(root, 'bad.yaml');
    writeFileSync(spec, 'name: Bad Name\nprimaryRegion: us-east-1\nregions: []\n');
    const io = memoryIo();
    expect(await command.run([spec, '--member', 'a', '--out', fresh()], io)).toBe(EXIT.invalid);
    expect(io.stderr.join('\n')).toContain('invalid');
  });

  test.each([
    [['--member', 'use1-a', '--out', '/tmp/x']],
    [[EXAMPLES.singleRegion, '--out', '/tmp/x']],
    [[EXAMPLES.singleRegion, '--member', 'use1-a']],
    [[EXAMPLES.singleRegion, '--member', 'use1-a', '--out', '/tmp/x', '--target', 'gcp']],
  ])('usage errors: %j', async (args) => {
    await expect(command.run(args, memoryIo())).rejects.toThrow(UsageError);
  });
});
