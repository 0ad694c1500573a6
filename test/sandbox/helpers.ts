// Shared by the sandbox tests: start a scenario, talk to a pod's metadata server, build official clients.

import { execFileSync } from 'node:child_process';
import { OAuth2Client } from 'google-auth-library';
import { fileURLToPath } from 'node:url';
import { startSandbox, type PodEndpoint, type RunningSandbox } from '../../src/sandbox/index.js';

export const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
export const CART_GSA = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
export const NODE_SA = 'gke-nodes@acme-shop.iam.gserviceaccount.com';

export function scenario(name: string): string {
  return `${SCENARIOS}${name}.yaml`;
}

export async function withSandbox<T>(name: string, fn: (sb: RunningSandbox) => Promise<T>): Promise<T> {
  const sb = await startSandbox({ scenario: scenario(name) });
  try {
    return await fn(sb);
  } finally {
    await sb.stop();
  }
}

export function pod(sb: RunningSandbox, prefix: string): PodEndpoint {
  const p = sb.pods.find((x) => x.name.startsWith(prefix));
  if (!p) throw new Error(`no pod ${prefix} in ${sb.pods.map((x) => x.name).join(', ')}`);
  return p;
}

export interface MdsAnswer {
  status: number | 'timeout';
  body: string;
  flavor: string | null;
}

/** One metadata request; a server that never answers shows up as 'timeout' after `timeoutMs`. */
export async function mds(
  p: PodEndpoint,
  path: string,
  opts: { flavor?: boolean; timeoutMs?: number } = {},
): Promise<MdsAnswer> {
  try {
    const res = await fetch(`${p.metadataUrl}/computeMetadata/v1/${path}`, {
      headers: opts.flavor === false ? {} : { 'Metadata-Flavor': 'Google' },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
    });
    return { status: res.status, body: await res.text(), flavor: res.headers.get('metadata-flavor') };
  } catch (e) {
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
      return { status: 'timeout', body: '', flavor: null };
    throw e;
  }
}

export function authFor(token: string): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token });
  return auth;
}

export function rootUrl(sb: RunningSandbox, api: string): string {
  const url = sb.endpoints[api];
  if (!url) throw new Error(`no endpoint ${api}`);
  return `${url}/`;
}

/** Whether this machine has kubectl (tests that drive it skip themselves, visibly, when it does not). */
export const HAS_KUBECTL = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/** Polls until `condition` holds (controllers work a moment after a write); throws after `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'the condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
