// Minimal X.509 v3 certificates (RFC 5280) for the sandbox's own keys: the public certificates of
// service-account keys (served as Google serves them: `publicKeyData`, the robot x509 endpoint) and the
// TLS certificates of the clusters' HTTPS endpoints (`clusters get-credentials`). Node can parse and verify
// certificates but not make them, so the DER is written here; only what those two uses need.

import { createHash, sign, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]): Buffer => tlv(0xa0 + n, ...parts);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function bits(b: Buffer, unused = 0): Buffer {
  return tlv(0x03, Buffer.from([unused]), b);
}

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
  if (((v[0] ?? 0) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n % 128];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v % 128));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/\.\d+Z$/, 'Z');
  const digits = iso.replace(/[-:T]/g, '');
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits));
}

function name(commonName: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function algorithm(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec'
    ? seq(oid('1.2.840.10045.4.3.2')) // ecdsa-with-SHA256
    : seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)); // sha256WithRSAEncryption, NULL parameters
}

export interface CertificateSpec {
  subject: string;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** Self-signed when absent. */
  issuer?: { name: string; privateKey: KeyObject };
  /** The subject's private key, for a self-signed certificate. */
  privateKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
  /** IPv4 addresses and DNS names the certificate is valid for (a TLS server certificate). */
  ipAddresses?: string[];
  dnsNames?: string[];
  serial?: Buffer;
}

/** A DER certificate. */
export function certificate(spec: CertificateSpec): Buffer {
  const signer = spec.issuer?.privateKey ?? spec.privateKey;
  if (!signer) throw new Error('a certificate needs an issuer key or its own private key');
  const issuerName = spec.issuer?.name ?? spec.subject;
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' });
  const extensions: Buffer[] = [
    extension('2.5.29.14', false, octets(createHash('sha1').update(spki).digest())), // subjectKeyIdentifier
  ];
  if (spec.ca) {
    extensions.push(extension('2.5.29.19', true, seq(bool(true)))); // basicConstraints CA
    extensions.push(extension('2.5.29.15', true, bits(Buffer.from([0x86]), 1))); // digitalSignature, keyCertSign, cRLSign
  } else {
    extensions.push(extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7))); // digitalSignature
  }
  const san: Buffer[] = [
    ...(spec.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(spec.ipAddresses ?? []).map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  ];
  if (san.length > 0) {
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))); // extKeyUsage serverAuth
    extensions.push(extension('2.5.29.17', false, seq(...san)));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(spec.serial ?? createHash('sha256').update(spki).update(spec.subject).digest().subarray(0, 16)),
    algorithm(signer),
    name(issuerName),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = sign(signer.asymmetricKeyType === 'ec' ? 'sha256' : 'RSA-SHA256', tbs, signer);
  return seq(tbs, algorithm(signer), bits(signature));
}

export function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
