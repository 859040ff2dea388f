/**
 * Cross-reference checks over a spec: the facts one field cannot check alone. Reported in the same
 * form as schema issues.
 *
 * The spec need not be schema-valid: given the schema's issues, each comparison is made only where
 * every value it reads passed the schema (no issue at, above or below it), so "all mistakes at once"
 * includes the cross-references that can still be judged. Values the schema would default are read
 * as absent; no check depends on a default other than its absence.
 */
import { overlaps, parseCidr } from './cidr.js';
import {
  type AddIssue,
  describeValue,
  firstDuplicates,
  issueCollector,
  type PathSegment,
  type SpecIssue,
  valueAt,
} from './issues.js';
import { type NodeRelease, RELEASE_NAMES, RELEASES, type ReleaseName, releaseNamed } from './releases.js';
import { REGION } from './schema.js';
import { didYouMean } from './suggest.js';

/** A hint naming the releases that have what the spec asked for. */
function otherReleases(has: (r: NodeRelease) => boolean, what: string): string | undefined {
  const names = RELEASE_NAMES.filter((n) => has(RELEASES[n]));
  return names.length > 0
    ? `${what} comes with hosts.os ${names.map((n) => JSON.stringify(n)).join(' or ')}`
    : undefined;
}

export function crossReferenceIssues(spec: unknown, schemaIssues: readonly SpecIssue[] = []): SpecIssue[] {
  const { issues, add } = issueCollector();
  const read = reader(spec, schemaIssues);
  const str = (path: PathSegment[]) => {
    const v = read.whole(path);
    return typeof v === 'string' ? v : undefined;
  };
  const list = (path: PathSegment[]): unknown[] => {
    const v = read.reachable(path);
    return Array.isArray(v) ? Array.from(v) : [];
  };

  const regions = list(['regions']).map((_, i) => ({
    i,
    name: str(['regions', i, 'name']),
    azs: list(['regions', i, 'azs']).map((__, j) => str(['regions', i, 'azs', j])),
    /** Every AZ passed the schema: membership in the list can be judged. */
    azsWhole: Array.isArray(read.whole(['regions', i, 'azs'])),
    members: list(['regions', i, 'members']).map((__, j) => {
      const at = (...rest: PathSegment[]) => ['regions', i, 'members', j, ...rest];
      return {
        j,
        name: str(at('name')),
        az: str(at('az')),
        replicateFrom: str(at('replicateFrom')),
        replicateFromOk: read.whole(at('replicateFrom')) !== undefined,
        io2: read.whole(at('volume', 'type')) === 'io2',
        iopsMissing: read.isClean(at('volume', 'iops')) && read.whole(at('volume', 'iops')) === undefined,
      };
    }),
    /** The region and its member list passed the schema, at least as containers. */
    reachable: read.reachable(['regions', i, 'members']) !== undefined,
    cidr: str(['regions', i, 'cidr']),
  }));
  const namesKnown =
    Array.isArray(read.reachable(['regions'])) &&
    regions.length > 0 &&
    regions.every((r) => r.name !== undefined);
  const regionNames = regions.map((r) => r.name).filter((n): n is string => n !== undefined);
  const primaryRegion = str(['primaryRegion']);

  // Duplicate region names and primary region.
  for (const [i, n] of firstDuplicates(regions.map((r) => r.name))) {
    add('duplicate_name', ['regions', i, 'name'], JSON.stringify(n), 'a region name used once');
  }
  if (namesKnown && primaryRegion !== undefined && !regionNames.includes(primaryRegion)) {
    add(
      'primary_region_missing',
      ['primaryRegion'],
      JSON.stringify(primaryRegion),
      `one of the regions: ${regionNames.join(', ')}`,
      didYouMean(primaryRegion, regionNames),
    );
  }

  // AZ lists: unique, in the region.
  for (const r of regions) {
    for (const [j, az] of firstDuplicates(r.azs)) {
      add('duplicate_name', ['regions', r.i, 'azs', j], JSON.stringify(az), 'each AZ listed once');
    }
    if (r.name === undefined) continue;
    r.azs.forEach((az, j) => {
      if (az !== undefined && (!az.startsWith(r.name!) || az.length !== r.name!.length + 1)) {
        add(
          'az_region_mismatch',
          ['regions', r.i, 'azs', j],
          JSON.stringify(az),
          `an AZ of ${r.name} (${r.name}a, ${r.name}b, ...)`,
        );
      }
    });
  }

  // Member names unique across the whole spec; AZ in region list; replicateFrom resolves.
  const members = regions.flatMap((r) => r.members.map((m) => ({ m, r })));
  const membersKnown = regions.every((r) => r.reachable) && members.every(({ m }) => m.name !== undefined);
  const seen = new Map<string, string>();
  for (const { m, r } of members) {
    if (m.name === undefined) continue;
    const first = seen.get(m.name);
    if (first) {
      add(
        'duplicate_name',
        ['regions', r.i, 'members', m.j, 'name'],
        JSON.stringify(m.name),
        `a name not used by ${first}`,
      );
    } else {
      seen.set(m.name, `regions[${r.i}].members[${m.j}]`);
    }
  }
  for (const { m, r } of members) {
    const azs = r.azs.filter((az): az is string => az !== undefined);
    if (r.azsWhole && r.name !== undefined && m.az !== undefined && !azs.includes(m.az)) {
      add(
        'unknown_az',
        ['regions', r.i, 'members', m.j, 'az'],
        JSON.stringify(m.az),
        `one of ${r.name}'s azs: ${azs.join(', ')}`,
        didYouMean(m.az, azs),
      );
    }
    if (membersKnown && m.replicateFrom !== undefined && !seen.has(m.replicateFrom)) {
      add(
        'unknown_member',
        ['regions', r.i, 'members', m.j, 'replicateFrom'],
        JSON.stringify(m.replicateFrom),
        'the name of a member of the spec',
        didYouMean(
          m.replicateFrom,
          r.members.map((x) => x.name).filter((n): n is string => n !== undefined),
        ),
      );
    }
    if (m.io2 && m.iopsMissing) {
      add(
        'inconsistent',
        ['regions', r.i, 'members', m.j, 'volume', 'iops'],
        'nothing',
        'provisioned IOPS for an io2 volume',
      );
    }
  }

  // Region CIDRs do not overlap (PGT-NET-005 restates this as policy; here the spec is unusable).
  const cidrs = regions.map((r) => (r.cidr === undefined ? undefined : parseCidr(r.cidr)));
  for (let a = 0; a < cidrs.length; a++) {
    for (let b = a + 1; b < cidrs.length; b++) {
      if (cidrs[a] && cidrs[b] && overlaps(cidrs[a]!, cidrs[b]!)) {
        add(
          'cidr_overlap',
          ['regions', b, 'cidr'],
          JSON.stringify(regions[b]!.cidr),
          `a CIDR that does not overlap regions[${a}] (${regions[a]!.cidr})`,
        );
      }
    }
  }

  // VPC CIDRs fit AWS's limits: CreateVpc accepts /16 to /28 only (checked here, not at apply).
  for (const r of regions) {
    if (r.cidr === undefined) continue;
    const { prefix } = parseCidr(r.cidr);
    if (prefix < VPC_PREFIX.min || prefix > VPC_PREFIX.max)
      add(
        prefix < VPC_PREFIX.min ? 'too_big' : 'too_small',
        ['regions', r.i, 'cidr'],
        JSON.stringify(r.cidr),
        `a VPC CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} (AWS's limits)`,
      );
  }

  // Security groups exist in one region: a multi-region spec names each group under its region.
  for (const path of SECURITY_GROUP_LISTS) {
    const groups = read.whole(path);
    if (namesKnown && groups !== undefined && groups !== null && typeof groups === 'object') {
      securityGroups(
        add,
        path,
        regionNames,
        groups as readonly string[] | Readonly<Record<string, readonly string[]>>,
      );
    }
  }

  // DCS regions, archive copies name known regions.
  if (namesKnown && read.whole(['dcs', 'mode']) === 'stretched') {
    list(['dcs', 'regions']).forEach((_, k) => {
      const r = str(['dcs', 'regions', k]);
      if (r !== undefined && !regionNames.includes(r)) {
        add(
          'unknown_region',
          ['dcs', 'regions', k],
          JSON.stringify(r),
          `one of the regions: ${regionNames.join(', ')}`,
        );
      }
    });
  }
  const copyTo = read.whole(['archive', 'copyTo']);
  const copies = copyTo === undefined ? [] : [copyTo].flat();
  copies.forEach((r, k) => {
    if (typeof r !== 'string') return;
    const path: PathSegment[] = Array.isArray(copyTo) ? ['archive', 'copyTo', k] : ['archive', 'copyTo'];
    if (r === primaryRegion) {
      add(
        'inconsistent',
        path,
        JSON.stringify(r),
        'a region other than primaryRegion (the source bucket lives there)',
      );
    } else if (!REGION.test(r)) {
      add('invalid_format', path, describeValue(r), 'an AWS region name such as us-west-2');
    }
  });

  // Settings whose values each live in one region: one value, or one per region.
  if (namesKnown) {
    const setting = (path: PathSegment[]) => {
      const v = read.whole(path);
      return typeof v === 'string' || (v !== null && typeof v === 'object' && !Array.isArray(v))
        ? (v as string | Readonly<Record<string, string>>)
        : undefined;
    };
    regionalSetting(add, regionNames, ['hosts', 'imageId'], setting(['hosts', 'imageId']), {
      noun: 'AMI id',
      why: 'AMI ids are regional; a copy in another region gets a new id',
      unique: true,
    });
    regionalSetting(add, regionNames, ['archive', 'bucket'], setting(['archive', 'bucket']), {
      noun: 'bucket name',
      why: 'each region holds its own archive bucket, and S3 names are global',
      unique: true,
    });
    regionalSetting(
      add,
      regionNames,
      ['observability', 'alarms', 'snsTopicArn'],
      setting(['observability', 'alarms', 'snsTopicArn']),
      {
        noun: 'SNS topic ARN',
        why: 'alarms notify only topics in their own region',
        regionOf: (arn) => arn.split(':')[3] ?? '',
      },
    );
  }

  // Durability settings agree with each other.
  if (
    read.whole(['durability', 'rpo']) === 'zero-in-region' &&
    read.whole(['durability', 'synchronousMode']) === 'off'
  ) {
    add(
      'inconsistent',
      ['durability', 'synchronousMode'],
      '"off"',
      '"on", "strict" or "quorum": rpo zero-in-region needs synchronous replication',
    );
  }

  // What the node release ships (judged when hosts.os passed the schema; absent means the default).
  if (read.isClean(['hosts', 'os'])) {
    const release = releaseNamed(read.whole(['hosts', 'os']) as ReleaseName | undefined);
    const version = read.whole(['postgres', 'version']);
    if (typeof version === 'number' && version !== release.postgresMajor) {
      add(
        'not_in_release',
        ['postgres', 'version'],
        String(version),
        `${release.postgresMajor}, the PostgreSQL major ${release.name} ships`,
        otherReleases((r) => r.postgresMajor === version, `PostgreSQL ${version}`),
      );
    }
    if (read.whole(['durability', 'synchronousMode']) === 'quorum' && !release.features.quorumCommit) {
      add(
        'not_in_release',
        ['durability', 'synchronousMode'],
        '"quorum"',
        `"on" or "strict": quorum commit needs Patroni 4, and ${release.name} ships Patroni ${release.packages.patroni}`,
        otherReleases((r) => r.features.quorumCommit, 'quorum commit'),
      );
    }
  }
  logicalReferences(add, read);
  return issues;
}

/** The prefix lengths AWS accepts for a VPC's primary CIDR block. */
export const VPC_PREFIX = { min: 16, max: 28 } as const;

/** The spec's lists of security group ids (each a list, or a map from region to ids). */
const SECURITY_GROUP_LISTS: readonly PathSegment[][] = [
  ['security', 'allowedSecurityGroupIds'],
  ['observability', 'prometheus', 'allowedSecurityGroupIds'],
];

/**
 * A list of security group ids (`security.allowedSecurityGroupIds`, `observability.prometheus.allowedSecurityGroupIds`):
 * a group id is valid in its own region only, so a list is accepted in a single-region spec, and a multi-region
 * spec maps each region to its groups; a group given under two regions exists in (at most) one of them.
 */
function securityGroups(
  add: AddIssue,
  path: readonly PathSegment[],
  regionNames: readonly string[],
  value: readonly string[] | Readonly<Record<string, readonly string[]>>,
): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && regionNames.length > 1)
      add(
        'inconsistent',
        [...path],
        `${value.length} security group id(s) without a region, for ${regionNames.length} regions`,
        `a map from each region to the groups in it (security group ids are regional): ${regionNames.map((n) => `${n}: [sg-...]`).join(', ')}`,
      );
    return;
  }
  const seen = new Map<string, string>();
  for (const [region, ids] of Object.entries(value as Readonly<Record<string, readonly string[]>>)) {
    if (!regionNames.includes(region)) {
      add(
        'unknown_region',
        [...path, region],
        JSON.stringify(region),
        `one of the regions: ${regionNames.join(', ')}`,
        didYouMean(region, regionNames),
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

type Reader = ReturnType<typeof reader>;

/**
 * The logical section's names resolve: databases, roles and publications named by other entries exist (with a
 * did-you-mean), names are unique per kind, slots are unique across CDC feeds and subscriber slots, and a CDC
 * feed streams a publication of its own database as a replication role.
 */
function logicalReferences(add: AddIssue, read: Reader): void {
  const entries = (kind: string) => {
    const v = read.reachable(['logical', kind]);
    // Array.from visits holes too (a sparse list from a hostile input has entries map would skip).
    return Array.isArray(v) ? Array.from(v, (_, i) => i) : [];
  };
  const at = (kind: string, i: number, ...rest: PathSegment[]): PathSegment[] => [
    'logical',
    kind,
    i,
    ...rest,
  ];
  const str = (path: PathSegment[]) => {
    const v = read.whole(path);
    return typeof v === 'string' ? v : undefined;
  };
  /** Declared names of a kind, or undefined when one of them failed the schema (no reference is judged then). */
  const declared = (kind: string): string[] | undefined => {
    const names = entries(kind).map((i) => str(at(kind, i, 'name')));
    return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
  };
  const kinds = ['databases', 'roles', 'publications', 'subscriptions', 'cdc'] as const;
  const names = Object.fromEntries(kinds.map((k) => [k, declared(k)])) as Record<
    (typeof kinds)[number],
    string[] | undefined
  >;
  for (const kind of kinds) {
    for (const [i, n] of firstDuplicates(entries(kind).map((i) => str(at(kind, i, 'name'))))) {
      add(
        'duplicate_name',
        at(kind, i, 'name'),
        JSON.stringify(n),
        `a ${kind.replace(/s$/, '')} name used once`,
      );
    }
  }
  const resolves = (path: PathSegment[], kind: 'databases' | 'roles' | 'publications') => {
    const value = str(path);
    const known = names[kind];
    if (value === undefined || known === undefined || known.includes(value)) return;
    add(
      'unknown_reference',
      path,
      JSON.stringify(value),
      known.length > 0
        ? `one of logical.${kind}: ${known.join(', ')}`
        : `a name declared in logical.${kind} (none declared)`,
      didYouMean(value, known),
    );
  };
  for (const i of entries('databases')) resolves(at('databases', i, 'owner'), 'roles');
  for (const i of entries('grants')) {
    resolves(at('grants', i, 'role'), 'roles');
    resolves(at('grants', i, 'database'), 'databases');
  }
  for (const i of entries('publications')) resolves(at('publications', i, 'database'), 'databases');
  for (const i of entries('subscriptions')) resolves(at('subscriptions', i, 'database'), 'databases');
  for (const i of entries('cdc')) {
    resolves(at('cdc', i, 'database'), 'databases');
    resolves(at('cdc', i, 'role'), 'roles');
    resolves(at('cdc', i, 'publication'), 'publications');
    const publication = entries('publications').find(
      (p) => str(at('publications', p, 'name')) === str(at('cdc', i, 'publication')),
    );
    const database = str(at('cdc', i, 'database'));
    const pubDatabase =
      publication === undefined ? undefined : str(at('publications', publication, 'database'));
    if (database !== undefined && pubDatabase !== undefined && database !== pubDatabase)
      add(
        'inconsistent',
        at('cdc', i, 'publication'),
        `${JSON.stringify(str(at('cdc', i, 'publication')))} in database ${pubDatabase}`,
        `a publication of the feed's database ${database}`,
      );
    const role = entries('roles').find((r) => str(at('roles', r, 'name')) === str(at('cdc', i, 'role')));
    if (
      role !== undefined &&
      read.whole(at('roles', role, 'replication')) !== true &&
      read.isClean(at('roles', role))
    )
      add(
        'inconsistent',
        at('cdc', i, 'role'),
        `${JSON.stringify(str(at('cdc', i, 'role')))} without the REPLICATION attribute`,
        `a role with replication: true (logical.roles[${role}].replication)`,
      );
  }
  // One slot, one name: CDC feeds' slots and the slots other clusters' subscriptions use are all on this cluster.
  const slots: [PathSegment[], string | undefined][] = [
    ...entries('cdc').map(
      (i) => [at('cdc', i, 'slot'), str(at('cdc', i, 'slot'))] as [PathSegment[], string | undefined],
    ),
    ...entries('publications').flatMap((p) => {
      const v = read.reachable(at('publications', p, 'subscriberSlots'));
      return Array.from(Array.isArray(v) ? v : [], (x) => x).map(
        (_, k) =>
          [at('publications', p, 'subscriberSlots', k), str(at('publications', p, 'subscriberSlots', k))] as [
            PathSegment[],
            string | undefined,
          ],
      );
    }),
  ];
  for (const [k, n] of firstDuplicates(slots.map(([, n]) => n))) {
    add(
      'duplicate_name',
      slots[k]![0],
      JSON.stringify(n),
      'a replication slot name used once in the cluster',
    );
  }
}

/** Reads `root` where the schema raised no issue. */
function reader(root: unknown, schemaIssues: readonly SpecIssue[]) {
  interface Trie {
    end: boolean;
    next: Map<PathSegment, Trie>;
  }
  const trie: Trie = { end: false, next: new Map() };
  for (const issue of schemaIssues) {
    let t = trie;
    for (const seg of issue.path) {
      let n = t.next.get(seg);
      if (!n) {
        n = { end: false, next: new Map() };
        t.next.set(seg, n);
      }
      t = n;
    }
    t.end = true;
  }
  /** The trie node at `path`, or 'flagged' when an issue sits at `path` or above it. */
  const walk = (path: readonly PathSegment[]): Trie | 'flagged' | undefined => {
    let t: Trie | undefined = trie;
    for (const seg of path) {
      if (t.end) return 'flagged';
      t = t.next.get(seg);
      if (!t) return undefined;
    }
    return t.end ? 'flagged' : t;
  };
  return {
    /** The value at `path` when no issue sits at `path` or above it (issues inside it are allowed). */
    reachable(path: readonly PathSegment[]): unknown {
      return walk(path) === 'flagged' ? undefined : valueAt(root, path);
    },
    /** Whether no issue sits at, above or below `path`. */
    isClean(path: readonly PathSegment[]): boolean {
      const t = walk(path);
      return t === undefined || (t !== 'flagged' && t.next.size === 0);
    },
    /** The value at `path` when it passed the schema as a whole (no issue at, above or below it). */
    whole(path: readonly PathSegment[]): unknown {
      return this.isClean(path) ? valueAt(root, path) : undefined;
    },
  };
}

/**
 * A setting whose values each exist in one region (AMI ids, bucket names, SNS topics): one value for a
 * single-region spec, else a map with exactly one value per region of the spec.
 */
function regionalSetting(
  add: AddIssue,
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
      add(
        'unknown_region',
        at,
        JSON.stringify(region),
        `one of the regions: ${regionNames.join(', ')}`,
        didYouMean(region, regionNames),
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
