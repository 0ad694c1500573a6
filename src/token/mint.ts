// Mint a KSA token through the TokenRequest API: `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`,
// optionally bound to a pod. The token goes straight to the decoder; it is never written anywhere.

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface MintRequest {
  namespace: string;
  ksa: string;
  /** Bind the token to this pod (its name and uid land in the `kubernetes.io` claim). */
  pod?: string;
  audience: string;
  /** Default 3600 (the API's minimum is 600). */
  expirationSeconds?: number;
  timeoutMs?: number;
}

/** Thrown with the API server's own message (e.g. `serviceaccounts "x" not found`). */
export class MintError extends Error {}

function post(
  kc: KubeConfig,
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; json: unknown }> {
  return (async () => {
    const options: https.RequestOptions = {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    };
    await kc.applyToHTTPSOptions(options);
    const transport = url.startsWith('https:') ? https : http;
    return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
      const req = transport.request(url, { ...options, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the message.
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  })();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function mintToken(kc: KubeConfig, request: MintRequest): Promise<string> {
  const server = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const ns = encodeURIComponent(request.namespace);
  const name = encodeURIComponent(request.ksa);
  const url = `${server}/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`;
  const spec: Record<string, unknown> = {
    audiences: [request.audience],
    expirationSeconds: request.expirationSeconds ?? 3600,
  };
  if (request.pod !== undefined) spec.boundObjectRef = { kind: 'Pod', apiVersion: 'v1', name: request.pod };
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  let answer: { status: number; json: unknown };
  try {
    answer = await post(kc, url, body, request.timeoutMs ?? 20_000);
  } catch (e) {
    throw new MintError(`TokenRequest for ${request.namespace}/${request.ksa}: ${(e as Error).message}`);
  }
  const { status, json } = answer;
  if (status < 200 || status >= 300) {
    const message = isRecord(json) && typeof json.message === 'string' ? json.message : `HTTP ${status}`;
    const rbac = status === 403 ? ' (needs RBAC `create` on `serviceaccounts/token`)' : '';
    throw new MintError(`TokenRequest for ${request.namespace}/${request.ksa}: ${message}${rbac}`);
  }
  const token = isRecord(json) && isRecord(json.status) ? json.status.token : undefined;
  if (typeof token !== 'string')
    throw new MintError(`TokenRequest for ${request.namespace}/${request.ksa}: no token in the answer`);
  return token;
}
