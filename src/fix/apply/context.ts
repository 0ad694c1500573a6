// What every write needs, built exactly as the live collector builds it: kubeconfig and cluster, Google
// credentials, endpoints, and one CallRunner (bounded, timed out, 429/5xx retried with backoff; a 403 or a 409
// is never retried by it). Plus the conversion of a client library's HTTP error into the runner's HttpFailure.

import type { KubeConfig } from '@kubernetes/client-node';
import type { LiveHooks, LiveOptions } from '../../collect/live/live.js';
import { CallRunner, HttpFailure, parseRetryAfter } from '../../collect/live/calls.js';
import type { GoogleCredentials } from '../../collect/live/credentials.js';
import { googleCredentials, loadKubeConfig, resolveClusterRef } from '../../collect/live/credentials.js';
import type { Endpoints } from '../../collect/live/endpoints.js';
import { parseEndpointFlags, resolveEndpoints } from '../../collect/live/endpoints.js';
import type { ClusterRef } from '../../model/facts.js';

export interface WriteContext {
  kc: KubeConfig;
  cluster: ClusterRef;
  credentials: GoogleCredentials;
  endpoints: Endpoints;
  runner: CallRunner;
}

export function writeContext(options: LiveOptions, hooks: LiveHooks = {}): WriteContext {
  const env = hooks.env ?? process.env;
  const endpoints = resolveEndpoints(parseEndpointFlags(options.endpoint), env);
  const kc = loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context }, env);
  const cluster = resolveClusterRef(options, kc.getCurrentContext() || undefined);
  const credentials = googleCredentials(options, env);
  const runner = new CallRunner({
    // Writes go one at a time (the plan is ordered); reads in between need no more.
    concurrency: Math.min(options.concurrency ?? 8, 4),
    timeoutMs: (options.timeout ?? 20) * 1000,
    ...(hooks.retryBaseDelayMs !== undefined ? { baseDelayMs: hooks.retryBaseDelayMs } : {}),
    ...(hooks.maxAttempts !== undefined ? { maxAttempts: hooks.maxAttempts } : {}),
    ...(hooks.random ? { random: hooks.random } : {}),
    ...(hooks.onTrace ? { onTrace: hooks.onTrace } : {}),
  });
  return { kc, cluster, credentials, endpoints, runner };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const v: unknown = get.call(headers, name);
    return typeof v === 'string' ? v : undefined;
  }
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** A gaxios or @kubernetes/client-node HTTP error becomes HttpFailure (status, parsed body); others pass through. */
export async function asHttp<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    const e = error as {
      code?: unknown;
      body?: unknown;
      headers?: unknown;
      status?: unknown;
      response?: { status?: number; data?: unknown; headers?: unknown };
    };
    const status =
      e.response?.status ?? (typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : undefined);
    if (typeof status === 'number' && status >= 300) {
      let body = e.response ? e.response.data : e.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          // Not JSON: the text is the message.
        }
      }
      const headers = e.response ? e.response.headers : e.headers;
      throw new HttpFailure(status, body, parseRetryAfter(headerOf(headers, 'retry-after')));
    }
    throw error;
  }
}
