/** IPv4 CIDR arithmetic. Addresses are unsigned 32-bit numbers. */

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [addr, len] = text.split('/');
  const octets = (addr ?? '').split('.').map(Number);
  const prefix = Number(len);
  const raw = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (raw & mask(prefix)) >>> 0, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function formatAddress(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.base)}/${c.prefix}`;
}

/** Splits `c` into 2^bits equal blocks and returns block `index`. */
export function subnet(c: Cidr, bits: number, index: number): Cidr {
  const prefix = c.prefix + bits;
  return { base: (c.base + index * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** Whether `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    inner.base + size(inner) <= outer.base + size(outer)
  );
}

// ---------------------------------------------------------------------------------------------------
// Address sets: a list of CIDRs judged as the set of addresses it covers, never as strings.

/** An inclusive range of addresses. IPv4 and IPv6 share the arithmetic, so addresses are bigints. */
export interface AddressRange {
  readonly lo: bigint;
  readonly hi: bigint;
}

/** The canonical text of an IPv4 CIDR: decimal octets without leading zeros, host bits cleared. */
export function canonicalCidr(text: string): string {
  return formatCidr(parseCidr(text));
}

export function ipv4Range(c: Cidr): AddressRange {
  return { lo: BigInt(c.base), hi: BigInt(c.base) + BigInt(size(c)) - 1n };
}

/** Parses an IPv6 CIDR (`::/0`, `2001:db8::/32`, `0::0/00`) into its range, or undefined when malformed. */
export function parseIpv6Range(text: string): AddressRange | undefined {
  const m = /^([0-9a-f:]+)\/(\d{1,3})$/i.exec(text.trim());
  if (!m) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 128) return undefined;
  const halves = m[1]!.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const value = all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  const span = 1n << BigInt(128 - prefix);
  const lo = (value / span) * span;
  return { lo, hi: lo + span - 1n };
}

/** The union of `ranges` as sorted, disjoint, non-adjacent ranges. */
export function unionOf(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: { lo: bigint; hi: bigint }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else out.push({ lo: r.lo, hi: r.hi });
  }
  return out;
}

/** Addresses in `set` (a union) that are not in `minus` (a union). */
export function countOutside(set: readonly AddressRange[], minus: readonly AddressRange[]): bigint {
  let total = 0n;
  for (const r of set) {
    let n = r.hi - r.lo + 1n;
    for (const x of minus) {
      const lo = r.lo > x.lo ? r.lo : x.lo;
      const hi = r.hi < x.hi ? r.hi : x.hi;
      if (lo <= hi) n -= hi - lo + 1n;
    }
    total += n;
  }
  return total;
}

/**
 * IPv4 space that is not publicly routable (IANA IPv4 Special-Purpose Address Registry, RFC 6890 and
 * updates, every block whose "Globally Reachable" is false, plus multicast 224.0.0.0/4): "this network",
 * RFC 1918 private space, shared CGNAT space, loopback, link-local, IETF protocol assignments, the three
 * documentation nets, benchmarking and the reserved 240.0.0.0/4 (which holds the broadcast address).
 */
export const NON_PUBLIC_IPV4: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const NON_PUBLIC_V4 = unionOf(NON_PUBLIC_IPV4.map((c) => ipv4Range(parseCidr(c))));

/** IPv6 outside global unicast 2000::/3 is not publicly routable (ULA, link-local, multicast, ...). */
const GLOBAL_UNICAST_V6 = parseIpv6Range('2000::/3')!;
const NON_PUBLIC_V6 = unionOf([
  { lo: 0n, hi: GLOBAL_UNICAST_V6.lo - 1n },
  { lo: GLOBAL_UNICAST_V6.hi + 1n, hi: (1n << 128n) - 1n },
]);

/**
 * The threshold of "world-open": a set of sources that covers at least this many public IPv4 addresses
 * (2^24, a /8's worth) counts as the internet, like 0.0.0.0/0. Why a /8: no client network of one
 * organisation needs more public space than that (the largest single allocations ever made are /8s,
 * to a handful of legacy holders, who can waive the finding with a reason), while a range that large is
 * shared by the unrelated customers of an ISP or a cloud provider (3.0.0.0/8 is EC2: anybody can rent an
 * address there). Counting addresses, not blocks, makes the judgement independent of how the space is
 * cut: 0.0.0.0/1 + 128.0.0.0/1, 256 /16s or 0.0.0.0/00 all count the same.
 */
export const WORLD_OPEN_IPV4_ADDRESSES = 2n ** 24n;
/** The IPv6 counterpart: a /32 of global unicast, the usual allocation to a whole ISP (an RIR's minimum LIR block). */
export const WORLD_OPEN_IPV6_ADDRESSES = 2n ** 96n;

/** Public IPv4 addresses the union of `cidrs` covers. */
export function publicIpv4Count(cidrs: readonly Cidr[]): bigint {
  return countOutside(unionOf(cidrs.map(ipv4Range)), NON_PUBLIC_V4);
}

/** Public (global unicast) IPv6 addresses the union of `ranges` covers. */
export function publicIpv6Count(ranges: readonly AddressRange[]): bigint {
  return countOutside(unionOf(ranges), NON_PUBLIC_V6);
}

/** Whether the union of the IPv4 `cidrs` is as open as 0.0.0.0/0 (see WORLD_OPEN_IPV4_ADDRESSES). */
export function isWorldOpenIpv4(cidrs: readonly Cidr[]): boolean {
  return publicIpv4Count(cidrs) >= WORLD_OPEN_IPV4_ADDRESSES;
}

/** Public addresses as a short phrase: `2^31.9 public addresses` style is hard to read, so a count and a /N equivalent. */
export function describePublicCount(n: bigint, bits: 32 | 128 = 32): string {
  if (n === 0n) return 'no public address';
  const log2 = n.toString(2).length - 1;
  return `${n} public address(es), about a /${bits - log2}'s worth`;
}

/** Parses an IPv4 CIDR leniently (leading zeros, `/00`, host bits), or undefined when it is not one. */
export function tryParseIpv4Cidr(text: string): Cidr | undefined {
  const m = /^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})\s*$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return parseCidr(`${octets.join('.')}/${prefix}`);
}
