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
