/**
 * Cross-reference checks over a schema-valid spec: the facts one field cannot
 * check alone. Reported in the same form as schema issues.
 */
import { overlaps, parseCidr } from './cidr.js';
import { describeValue, type PathSegment, type SpecIssue } from './issues.js';
import { type NodeRelease, RELEASE_NAMES, RELEASES, releaseNamed } from './releases.js';
import type { ParsedSpec } from './schema.js';
import { closest } from './suggest.js';

/** A hint naming the releases that have what the spec asked for. */
function otherReleases(has: (r: NodeRelease) => boolean, what: string): string | undefined {
  const names = RELEASE_NAMES.filter((n) => has(RELEASES[n]));
  return names.length > 0
    ? `${what} comes with hosts.os ${names.map((n) => JSON.stringify(n)).join(' or ')}`
    : undefined;
}

export function crossReferenceIssues(spec: ParsedSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (
    code: SpecIssue['code'],
    path: PathSegment[],
    found: string,
    expected: string,
    hint?: string,
  ) => issues.push({ code, path, found, expected, ...(hint ? { hint } : {}) });

  const regionNames = spec.regions.map((r) => r.name);

  // Duplicate region names and primary region.
  for (const [i, n] of firstDuplicates(regionNames)) {
    add('duplicate_name', ['regions', i, 'name'], JSON.stringify(n), 'a region name used once');
  }
  if (!regionNames.includes(spec.primaryRegion)) {
    const s = closest(spec.primaryRegion, regionNames);
    add(
      'primary_region_missing',
      ['primaryRegion'],
      JSON.stringify(spec.primaryRegion),
      `one of the regions: ${regionNames.join(', ')}`,
      s ? `did you mean ${JSON.stringify(s)}?` : undefined,
    );
  }

  // AZ lists: unique, in the region.
  spec.regions.forEach((r, i) => {
    for (const [j, az] of firstDuplicates(r.azs)) {
      add('duplicate_name', ['regions', i, 'azs', j], JSON.stringify(az), 'each AZ listed once');
    }
    r.azs.forEach((az, j) => {
      if (!az.startsWith(r.name) || az.length !== r.name.length + 1) {
        add(
          'az_region_mismatch',
          ['regions', i, 'azs', j],
          JSON.stringify(az),
          `an AZ of ${r.name} (${r.name}a, ${r.name}b, ...)`,
        );
      }
    });
  });

  // Member names unique across the whole spec; AZ in region list; replicateFrom resolves.
  const members = spec.regions.flatMap((r, i) => r.members.map((m, j) => ({ m, i, j, region: r })));
  const seen = new Map<string, string>();
  for (const { m, i, j } of members) {
    const path = `regions[${i}].members[${j}]`;
    const first = seen.get(m.name);
    if (first) {
      add(
        'duplicate_name',
        ['regions', i, 'members', j, 'name'],
        JSON.stringify(m.name),
        `a name not used by ${first}`,
      );
    } else {
      seen.set(m.name, path);
    }
  }
  for (const { m, i, j, region } of members) {
    if (!region.azs.includes(m.az)) {
      const s = closest(m.az, region.azs);
      add(
        'unknown_az',
        ['regions', i, 'members', j, 'az'],
        JSON.stringify(m.az),
        `one of ${region.name}'s azs: ${region.azs.join(', ')}`,
        s ? `did you mean ${JSON.stringify(s)}?` : undefined,
      );
    }
    if (m.replicateFrom !== undefined && !seen.has(m.replicateFrom)) {
      const s = closest(
        m.replicateFrom,
        region.members.map((x) => x.name),
      );
      add(
        'unknown_member',
        ['regions', i, 'members', j, 'replicateFrom'],
        JSON.stringify(m.replicateFrom),
        'the name of a member of the spec',
        s ? `did you mean ${JSON.stringify(s)}?` : undefined,
      );
    }
    if (m.volume.type === 'io2' && m.volume.iops === undefined) {
      add(
        'inconsistent',
        ['regions', i, 'members', j, 'volume', 'iops'],
        'nothing',
        'provisioned IOPS for an io2 volume',
      );
    }
  }

  // Region CIDRs do not overlap (PGT-NET-005 restates this as policy; here the spec is unusable).
  const cidrs = spec.regions.map((r) => parseCidr(r.cidr));
  for (let a = 0; a < cidrs.length; a++) {
    for (let b = a + 1; b < cidrs.length; b++) {
      if (overlaps(cidrs[a]!, cidrs[b]!)) {
        add(
          'cidr_overlap',
          ['regions', b, 'cidr'],
          JSON.stringify(spec.regions[b]!.cidr),
          `a CIDR that does not overlap regions[${a}] (${spec.regions[a]!.cidr})`,
        );
      }
    }
  }

  // VPC CIDRs fit AWS's limits: CreateVpc accepts /16 to /28 only (checked here, not at apply).
  spec.regions.forEach((r, i) => {
    const { prefix } = parseCidr(r.cidr);
    if (prefix < VPC_PREFIX.min || prefix > VPC_PREFIX.max)
      add(
        prefix < VPC_PREFIX.min ? 'too_big' : 'too_small',
        ['regions', i, 'cidr'],
        JSON.stringify(r.cidr),
        `a VPC CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} (AWS's limits)`,
      );
  });

  // Security groups exist in one region: a multi-region spec names each group under its region.
  securityGroups(add, regionNames, spec.security.allowedSecurityGroupIds);

  // DCS regions, archive copies name known regions.
  if (spec.dcs.mode === 'stretched' && spec.dcs.regions) {
    spec.dcs.regions.forEach((r, k) => {
      if (!regionNames.includes(r)) {
        add(
          'unknown_region',
          ['dcs', 'regions', k],
          JSON.stringify(r),
          `one of the regions: ${regionNames.join(', ')}`,
        );
      }
    });
  }
  const copies = spec.archive.copyTo === undefined ? [] : [spec.archive.copyTo].flat();
  copies.forEach((r, k) => {
    const path: PathSegment[] = Array.isArray(spec.archive.copyTo)
      ? ['archive', 'copyTo', k]
      : ['archive', 'copyTo'];
    if (r === spec.primaryRegion) {
      add(
        'inconsistent',
        path,
        JSON.stringify(r),
        'a region other than primaryRegion (the source bucket lives there)',
      );
    } else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(r)) {
      add('invalid_format', path, describeValue(r), 'an AWS region name such as us-west-2');
    }
  });

  // Settings whose values each live in one region: one value, or one per region.
  regionalSetting(add, regionNames, ['hosts', 'imageId'], spec.hosts.imageId, {
    noun: 'AMI id',
    why: 'AMI ids are regional; a copy in another region gets a new id',
    unique: true,
  });
  regionalSetting(add, regionNames, ['archive', 'bucket'], spec.archive.bucket, {
    noun: 'bucket name',
    why: 'each region holds its own archive bucket, and S3 names are global',
    unique: true,
  });
  regionalSetting(
    add,
    regionNames,
    ['observability', 'alarms', 'snsTopicArn'],
    spec.observability.alarms.snsTopicArn,
    {
      noun: 'SNS topic ARN',
      why: 'alarms notify only topics in their own region',
      regionOf: (arn) => arn.split(':')[3] ?? '',
    },
  );

  // Durability settings agree with each other.
  if (spec.durability.rpo === 'zero-in-region' && spec.durability.synchronousMode === 'off') {
    add(
      'inconsistent',
      ['durability', 'synchronousMode'],
      '"off"',
      '"on", "strict" or "quorum": rpo zero-in-region needs synchronous replication',
    );
  }

  // What the node release ships.
  const release = releaseNamed(spec.hosts.os);
  if (spec.postgres.version !== undefined && spec.postgres.version !== release.postgresMajor) {
    add(
      'not_in_release',
      ['postgres', 'version'],
      String(spec.postgres.version),
      `${release.postgresMajor}, the PostgreSQL major ${release.name} ships`,
      otherReleases((r) => r.postgresMajor === spec.postgres.version, `PostgreSQL ${spec.postgres.version}`),
    );
  }
  if (spec.durability.synchronousMode === 'quorum' && !release.features.quorumCommit) {
    add(
      'not_in_release',
      ['durability', 'synchronousMode'],
      '"quorum"',
      `"on" or "strict": quorum commit needs Patroni 4, and ${release.name} ships Patroni ${release.packages.patroni}`,
      otherReleases((r) => r.features.quorumCommit, 'quorum commit'),
    );
  }
  return issues;
}

/** The prefix lengths AWS accepts for a VPC's primary CIDR block. */
export const VPC_PREFIX = { min: 16, max: 28 } as const;

/**
 * `security.allowedSecurityGroupIds`: a group id is valid in its own region only, so a list is accepted in a
 * single-region spec, and a multi-region spec maps each region to its groups; a group given under two
 * regions exists in (at most) one of them.
 */
function securityGroups(
  add: Add,
  regionNames: readonly string[],
  value: readonly string[] | Readonly<Record<string, readonly string[]>>,
): void {
  const path: PathSegment[] = ['security', 'allowedSecurityGroupIds'];
  if (Array.isArray(value)) {
    if (value.length > 0 && regionNames.length > 1)
      add(
        'inconsistent',
        path,
        `${value.length} security group id(s) without a region, for ${regionNames.length} regions`,
        `a map from each region to the groups in it (security group ids are regional): ${regionNames.map((n) => `${n}: [sg-...]`).join(', ')}`,
      );
    return;
  }
  const seen = new Map<string, string>();
  for (const [region, ids] of Object.entries(value as Readonly<Record<string, readonly string[]>>)) {
    if (!regionNames.includes(region)) {
      const s = closest(region, regionNames);
      add(
        'unknown_region',
        [...path, region],
        JSON.stringify(region),
        `one of the regions: ${regionNames.join(', ')}`,
        s ? `did you mean ${JSON.stringify(s)}?` : undefined,
      );
    }
    ids.forEach((id, k) => {
      const other = seen.get(id);
      if (other !== undefined && other !== region)
        add(
          'inconsistent',
          [...path, region, k],
          `${id}, also given for ${other}`,
          'a group of this region: a security group id exists in one region only',
        );
      else seen.set(id, region);
    });
  }
}

type Add = (
  code: SpecIssue['code'],
  path: PathSegment[],
  found: string,
  expected: string,
  hint?: string,
) => void;

/**
 * A setting whose values each exist in one region (AMI ids, bucket names, SNS topics): one value for a
 * single-region spec, else a map with exactly one value per region of the spec.
 */
function regionalSetting(
  add: Add,
  regionNames: readonly string[],
  path: PathSegment[],
  value: string | Readonly<Record<string, string>> | undefined,
  kind: { noun: string; why: string; regionOf?: (v: string) => string; unique?: boolean },
): void {
  if (value === undefined) return;
  const inRegion = (v: string, region: string, at: PathSegment[]) => {
    const actual = kind.regionOf?.(v);
    if (actual !== undefined && actual !== region)
      add('inconsistent', at, `${v} (in ${actual})`, `a ${kind.noun} in ${region}: ${kind.why}`);
  };
  if (typeof value === 'string') {
    if (regionNames.length > 1)
      add(
        'inconsistent',
        path,
        `one ${kind.noun} (${value}) for ${regionNames.length} regions`,
        `a map from each region to its own ${kind.noun} (${kind.why}): ${regionNames.map((n) => `${n}: ...`).join(', ')}`,
      );
    else if (regionNames[0]) inRegion(value, regionNames[0], path);
    return;
  }
  const seen = new Map<string, string>();
  for (const [region, v] of Object.entries(value)) {
    const at = [...path, region];
    if (!regionNames.includes(region)) {
      const s = closest(region, regionNames);
      add(
        'unknown_region',
        at,
        JSON.stringify(region),
        `one of the regions: ${regionNames.join(', ')}`,
        s ? `did you mean ${JSON.stringify(s)}?` : undefined,
      );
    } else inRegion(v, region, at);
    const other = seen.get(v);
    if (kind.unique && other)
      add('inconsistent', at, `${v}, also given for ${other}`, `the region's own ${kind.noun} (${kind.why})`);
    else seen.set(v, region);
  }
  const missing = regionNames.filter((n) => !(n in value));
  if (missing.length > 0)
    add(
      'inconsistent',
      path,
      `no ${kind.noun} for ${missing.join(', ')}`,
      `a ${kind.noun} for every region, or none (pgtopo's default)`,
    );
}

function firstDuplicates<T>(values: readonly T[]): [number, T][] {
  const seen = new Set<T>();
  const dups: [number, T][] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) dups.push([i, v]);
    seen.add(v);
  });
  return dups;
}
