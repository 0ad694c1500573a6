// Service-account key files: each USER_MANAGED key of a sandbox account holds a real RSA key pair, so a key
// file signs JWT-bearer assertions that the sandbox's OAuth2 token endpoint verifies. These are fake keys of
// a local sandbox, never Google's.

import { generateKeyPair, type KeyObject, createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';
import type { ServiceAccountKey } from '../model/gcp.js';
import type { GsaState, World } from './world.js';

/** A service-account key file as the Cloud console and `gcloud iam service-accounts keys create` write it. */
export interface KeyFileJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface KeyPair {
  /** PKCS#8 PEM, as in a key file's `private_key`. */
  privateKeyPem: string;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

async function newKeyPair(): Promise<KeyPair> {
  const { privateKey } = await generate('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Key pairs by ordinal within a world. RSA generation costs CPU, so worlds in one process share them (as the
 * signing-key pool in tokens.ts does); keys within one world always differ.
 */
const pairPool: Promise<KeyPair>[] = [];

function pooledKeyPair(index: number): Promise<KeyPair> {
  let pair = pairPool[index];
  if (!pair) {
    pair = newKeyPair();
    pairPool[index] = pair;
  }
  return pair;
}

/** The key id: the last segment of `projects/P/serviceAccounts/E/keys/ID`. */
export function keyIdOf(key: ServiceAccountKey): string {
  return key.name.slice(key.name.lastIndexOf('/') + 1);
}

/** Key pairs of one world, made on first use (startup generates none). */
export class KeyMaterial {
  private readonly byName = new Map<string, Promise<KeyPair>>();

  pair(key: ServiceAccountKey): Promise<KeyPair> {
    let pair = this.byName.get(key.name);
    if (!pair) {
      pair = pooledKeyPair(this.byName.size);
      this.byName.set(key.name, pair);
    }
    return pair;
  }

  /** The pair if it was ever made: a key never handed out cannot have signed anything. */
  existing(key: ServiceAccountKey): Promise<KeyPair> | undefined {
    return this.byName.get(key.name);
  }
}

/** Keys a key file can be made for: user-managed ones (system-managed keys never leave Google). */
export function userManagedKeys(gsa: GsaState): ServiceAccountKey[] {
  return gsa.keys.filter((k) => (k.keyType ?? 'USER_MANAGED') === 'USER_MANAGED');
}

export async function keyFileJson(
  material: KeyMaterial,
  gsa: GsaState,
  key: ServiceAccountKey,
  tokenUri: string,
): Promise<KeyFileJson> {
  const pair = await material.pair(key);
  return {
    type: 'service_account',
    project_id: gsa.projectId,
    private_key_id: keyIdOf(key),
    private_key: pair.privateKeyPem,
    client_email: gsa.email,
    client_id: gsa.uniqueId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(gsa.email)}`,
    universe_domain: 'googleapis.com',
  };
}

/**
 * The key file of an account's user-managed key (the first one unless `keyId` names another); undefined
 * when the account does not exist (or is deleted) or has no such key.
 */
export async function keyFileFor(world: World, email: string, keyId?: string): Promise<KeyFileJson | undefined> {
  const gsa = world.gsa(email);
  if (!gsa) return undefined;
  const key = userManagedKeys(gsa).find((k) => keyId === undefined || keyIdOf(k) === keyId);
  if (!key) return undefined;
  return keyFileJson(world.keyMaterial, gsa, key, world.oauth2TokenUrl);
}
