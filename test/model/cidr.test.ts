import { describe, expect, it } from 'vitest';
import { CidrError, cidrContains, parseCidr, parseIp, tryParseCidr } from '../../src/model/net/cidr.js';

describe('parseIp', () => {
  it.each([
    ['169.254.169.254', 4, 0xa9fea9fen],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['fd20:ce::254', 6, (0xfd20n << 112n) | (0xcen << 96n) | 0x254n],
    ['FD20:CE::254', 6, (0xfd20n << 112n) | (0xcen << 96n) | 0x254n],
    ['1::', 6, 1n << 112n],
    ['::ffff:169.254.169.254', 6, (0xffffn << 32n) | 0xa9fea9fen],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ])('%s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value, text });
  });

  it.each(['', '1.2.3', '1.2.3.256', '01.2.3.4', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'metadata.google.internal'])(
    'rejects %j',
    (text) => {
      expect(() => parseIp(text)).toThrow(CidrError);
    },
  );
});

describe('parseCidr / cidrContains', () => {
  const cases: [cidr: string, ip: string, inside: boolean][] = [
    ['169.254.169.254/32', '169.254.169.254', true],
    ['169.254.169.254/32', '169.254.169.252', false],
    ['169.254.0.0/16', '169.254.169.252', true],
    ['169.254.0.0/16', '169.255.0.1', false],
    ['0.0.0.0/0', '169.254.169.254', true],
    ['10.0.0.1/8', '10.200.3.4', true], // host bits set: masked, as Kubernetes accepts
    ['169.254.169.248/29', '169.254.169.252', true],
    ['169.254.169.248/30', '169.254.169.252', false],
    ['::/0', 'fd20:ce::254', true],
    ['fd20:ce::/32', 'fd20:ce::254', true],
    ['fd20:cf::/32', 'fd20:ce::254', false],
    ['fd20:ce::254/128', 'fd20:ce::254', true],
    ['fd20:ce::254/128', 'fd20:ce::255', false],
    ['0.0.0.0/0', 'fd20:ce::254', false], // families never cross
    ['::/0', '169.254.169.254', false],
    ['::ffff:0:0/96', '169.254.169.254', false], // IPv4-mapped IPv6 is IPv6 here
  ];
  it.each(cases)('%s contains %s: %s', (cidr, ip, inside) => {
    expect(cidrContains(parseCidr(cidr), parseIp(ip))).toBe(inside);
  });

  it.each([
    ['169.254.169.254', /prefix length is missing/],
    ['169.254.169.254/33', /0 to 32/],
    ['::/129', /0 to 128/],
    ['10.0.0.0/-1', /not a number/],
    ['10.0.0.0/', /not a number/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/8/8', /not a number/],
    ['10.0.0.0/ 8', /not a number/],
  ])('rejects %j with a clear message', (cidr, message) => {
    const result = tryParseCidr(cidr);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain(JSON.stringify(cidr));
      expect(result.error).toMatch(message);
    }
  });

  it('clears host bits in the network address', () => {
    expect(parseCidr('10.1.2.3/8').network).toBe(parseIp('10.0.0.0').value);
  });
});
