/**
 * The release roots' cache rules, without building one: what a root holds, and when a cached root is
 * used as it is or rebuilt (missing, recipe changed, too old). Building and entering a root is proven by
 * every real-tool test and the rehearsal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  aptSources,
  cachedRoot,
  MAX_AGE_DAYS,
  recipeOf,
  rootPackages,
  staleness,
} from '../../src/rehearsal/release-root.js';
import { nodePackages } from '../../src/render/index.js';
import { RELEASE_NAMES, RELEASES } from '../../src/spec/releases.js';

const cacheDir = mkdtempSync('/tmp/pgtopo-roots-test-');
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
const MIRROR = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
const DAY = 86_400_000;

describe.each(RELEASE_NAMES)('the %s root', (name) => {
  const release = RELEASES[name];

  test('holds every package a node of the release may run, but not the AWS tools', () => {
    const pkgs = rootPackages(release);
    const { aws, ...parts } = nodePackages(release);
    for (const p of Object.values(parts).flat()) expect(pkgs).toContain(p);
    expect(aws).toContain('awscli');
    expect(pkgs).not.toContain('awscli'); // curl, the other AWS-side tool, is a test tool too
    expect(pkgs).toContain(`postgresql-${release.postgresMajor}`);
    expect(pkgs).toContain('prometheus');
  });

  test('apt sources name the release, its updates and its security archive', () => {
    expect(aptSources(release, MIRROR, SECURITY).trim().split('\n')).toEqual([
      `deb ${MIRROR} ${release.codename} main`,
      `deb ${MIRROR} ${release.codename}-updates main`,
      `deb ${SECURITY} ${release.codename}-security main`,
    ]);
  });

  test('is rebuilt when missing, when its recipe changed or when too old; used as it is otherwise', () => {
    const opts = (now: number) => ({ cacheDir, mirror: MIRROR, now: () => now });
    const built = Date.parse('2026-12-01T00:00:00Z');
    expect(staleness(release, opts(built))).toEqual({ reason: 'not built yet' });

    mkdirSync(join(cacheDir, name, 'usr/bin'), { recursive: true });
    writeFileSync(join(cacheDir, name, 'usr/bin/patroni'), '');
    const stamp = (recipe: string) =>
      writeFileSync(
        join(cacheDir, `${name}.json`),
        JSON.stringify({ recipe, builtAt: new Date(built).toISOString(), versions: { patroni: 'x' } }),
      );
    stamp('another recipe');
    expect(staleness(release, opts(built))).toEqual({ reason: 'its recipe changed' });

    stamp(recipeOf(release, MIRROR, SECURITY));
    expect(staleness(release, opts(built + MAX_AGE_DAYS * DAY))).toBeUndefined();
    expect(cachedRoot(name, opts(built))?.dir).toBe(join(cacheDir, name));
    expect(staleness(release, opts(built + (MAX_AGE_DAYS + 1) * DAY))?.reason).toMatch(/days old/);
    // Another mirror is another recipe.
    expect(staleness(release, { ...opts(built), mirror: 'http://mirror.invalid/debian' })).toEqual({
      reason: 'its recipe changed',
    });
  });
});

test('the two releases differ in what decides a rebuild', () => {
  const [a, b] = RELEASE_NAMES.map((n) => recipeOf(RELEASES[n], MIRROR, SECURITY));
  expect(a).not.toBe(b);
});
