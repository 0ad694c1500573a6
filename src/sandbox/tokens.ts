// Tokens the sandbox mints and accepts: opaque OAuth access tokens (callers, service accounts, federated
// KSA identities) and RS256 JWT signing keys (one per cluster for Kubernetes tokens, one for Google ID tokens).

import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Principal } from './iam/principal.js';

export interface TokenInfo {
  principal: Principal;
  scopes: string[];
  expiresAt: number;
  kind: 'caller' | 'gsa' | 'federated' | 'node';
  /** The token this one was minted from (federated → impersonated), for audit entries. */
  delegatedFrom?: Principal;
}

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export class TokenRegistry {
  private readonly tokens = new Map<string, TokenInfo>();

  constructor(private readonly now: () => number) {}

  register(token: string, info: TokenInfo): void {
    this.tokens.set(token, info);
  }

  mint(
    info: Omit<TokenInfo, 'expiresAt'>,
    lifetimeSeconds = 3600,
    prefix = 'ya29.sandbox',
  ): { token: string; info: TokenInfo } {
    const token = `${prefix}.${randomBytes(24).toString('base64url')}`;
    const full: TokenInfo = { ...info, expiresAt: this.now() + lifetimeSeconds * 1000 };
    this.tokens.set(token, full);
    return { token, info: full };
  }

  /** The token's info when known and not expired. Account state (disabled, deleted) is checked by the caller. */
  lookup(token: string): TokenInfo | undefined {
    const info = this.tokens.get(token);
    if (!info || info.expiresAt <= this.now()) return undefined;
    return info;
  }
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Keys by position within a world (Google's, then one per cluster). Generating an RSA key costs ~0.5 s of CPU,
 * so sandboxes started in the same process reuse them: worlds are then not isolated from each other
 * cryptographically, which a local test peer does not need.
 */
const keyPool: Promise<SigningKey>[] = [];

export function pooledSigningKey(index: number): Promise<SigningKey> {
  let key = keyPool[index];
  if (!key) {
    key = newSigningKey();
    keyPool[index] = key;
  }
  return key;
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } };
}
