// IPv4 and IPv6 addresses and CIDR blocks, as NetworkPolicy ipBlocks use them.
// Addresses are held as BigInts so one prefix comparison serves both families.

import { isIP } from 'node:net';

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** The address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
  value: bigint;
  text: string;
}

export interface Cidr {
  family: IpFamily;
  /** The network address: the address with its host bits cleared. */
  network: bigint;
  prefix: number;
  /** The CIDR as written. */
  text: string;
}

/** A malformed address or CIDR; the message quotes the input and says what is wrong. */
export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** Expands `::` and a trailing dotted IPv4 part into eight 16-bit groups. Input already passed `isIP`. */
function ipv6ToBigInt(text: string): bigint {
  const groupsOf = (part: string): string[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1];
    if (last !== undefined && last.includes('.')) {
      const v4 = ipv4ToBigInt(last);
      groups.splice(groups.length - 1, 1, (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
    }
    return groups;
  };
  const halves = text.split('::');
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length > 1 ? groupsOf(halves[1] ?? '') : [];
  const zeros: string[] = halves.length > 1 ? Array<string>(8 - head.length - tail.length).fill('0') : [];
  return [...head, ...zeros, ...tail].reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function parseIp(text: string): IpAddress {
  if (text.includes('%')) throw new CidrError(`"${text}" is not an IP address: zone identifiers are not supported`);
  const family = isIP(text);
  if (family === 4) return { family, value: ipv4ToBigInt(text), text };
  if (family === 6) return { family, value: ipv6ToBigInt(text), text };
  throw new CidrError(`"${text}" is not an IPv4 or IPv6 address`);
}

export function tryParseIp(text: string): { ok: true; ip: IpAddress } | { ok: false; error: string } {
  try {
    return { ok: true, ip: parseIp(text) };
  } catch (e) {
    if (e instanceof CidrError) return { ok: false, error: e.message };
    throw e;
  }
}

/**
 * Parses `ADDRESS/PREFIX`. Host bits may be set (`10.0.0.1/8` means `10.0.0.0/8`), as Kubernetes has long
 * accepted; the prefix is required, as the API server requires it for an ipBlock.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new CidrError(`"${text}" is not a CIDR: the /prefix length is missing`);
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = tryParseIp(addressText);
  if (!address.ok) throw new CidrError(`"${text}" is not a CIDR: ${address.error}`);
  const bits = BITS[address.ip.family];
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new CidrError(
      `"${text}" is not a CIDR: the prefix length "${prefixText}" is not a number from 0 to ${bits} (IPv${address.ip.family})`,
    );
  }
  const prefix = Number(prefixText);
  return { family: address.ip.family, network: address.ip.value & maskOf(bits, prefix), prefix, text };
}

export function tryParseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; error: string } {
  try {
    return { ok: true, cidr: parseCidr(text) };
  } catch (e) {
    if (e instanceof CidrError) return { ok: false, error: e.message };
    throw e;
  }
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

/** True when the address lies inside the block. An IPv4 address never lies inside an IPv6 block, nor the reverse. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  return (ip.value & maskOf(BITS[cidr.family], cidr.prefix)) === cidr.network;
}
