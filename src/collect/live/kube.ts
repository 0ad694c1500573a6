// Kubernetes lists across all namespaces, as raw API JSON (the typed clients would turn timestamps into
// Dates and drop unknown fields; a bundle file must be what the API returned). Authentication, TLS and
// proxies come from KubeConfig (exec plugins included); pagination follows `limit`/`continue`.

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { K8sKind, KObject } from '../../model/k8s/types.js';
import type { CallOutcome, CallRunner } from './calls.js';
import { HttpFailure, UnexpectedAnswer, parseRetryAfter } from './calls.js';
import { depthExceededAt, jsonType, tooDeep } from '../bundle/validate.js';

/** Where each kind is listed, and the apiVersion its items carry. */
export const KIND_PATHS: Record<K8sKind, { path: string; apiVersion: string; kind: string }> = {
  namespaces: { path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace' },
  serviceaccounts: { path: '/api/v1/serviceaccounts', apiVersion: 'v1', kind: 'ServiceAccount' },
  pods: { path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod' },
  nodes: { path: '/api/v1/nodes', apiVersion: 'v1', kind: 'Node' },
  deployments: { path: '/apis/apps/v1/deployments', apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulsets: { path: '/apis/apps/v1/statefulsets', apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonsets: { path: '/apis/apps/v1/daemonsets', apiVersion: 'apps/v1', kind: 'DaemonSet' },
  replicasets: { path: '/apis/apps/v1/replicasets', apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  jobs: { path: '/apis/batch/v1/jobs', apiVersion: 'batch/v1', kind: 'Job' },
  cronjobs: { path: '/apis/batch/v1/cronjobs', apiVersion: 'batch/v1', kind: 'CronJob' },
  networkpolicies: {
    path: '/apis/networking.k8s.io/v1/networkpolicies',
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
  },
};

/** The RBAC the tool needs per kind (`kubectl auth can-i list pods -A`). */
export const KIND_RBAC: Record<K8sKind, string> = {
  namespaces: 'list namespaces',
  serviceaccounts: 'list serviceaccounts',
  pods: 'list pods',
  nodes: 'list nodes',
  deployments: 'list deployments.apps',
  statefulsets: 'list statefulsets.apps',
  daemonsets: 'list daemonsets.apps',
  replicasets: 'list replicasets.apps',
  jobs: 'list jobs.batch',
  cronjobs: 'list cronjobs.batch',
  networkpolicies: 'list networkpolicies.networking.k8s.io',
};

export const PAGE_LIMIT = 500;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class KubeApi {
  private readonly server: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly runner: CallRunner,
  ) {
    const cluster = kc.getCurrentCluster();
    this.server = (cluster?.server ?? '').replace(/\/+$/, '');
  }

  /** GET a path of the API server: JSON on 2xx, HttpFailure otherwise. */
  private async get(url: string, signal: AbortSignal): Promise<unknown> {
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(options);
    const transport = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          // Refuse nesting deeper than any API object before parsing: later code recurses over values.
          if (depthExceededAt(text) !== undefined) {
            reject(new UnexpectedAnswer(tooDeep()));
            return;
          }
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the message.
          }
          if (status >= 200 && status < 300) resolve(body);
          else {
            const retryAfter = res.headers['retry-after'];
            reject(
              new HttpFailure(status, body, parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined)),
            );
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Every object of a kind in all namespaces, as one kubectl-style `List` whose items carry kind and
   * apiVersion. A failed page fails the kind: a partial list must not make objects look absent.
   */
  async list(kind: K8sKind): Promise<CallOutcome<{ apiVersion: 'v1'; kind: 'List'; items: KObject[] }>> {
    const { path, apiVersion, kind: itemKind } = KIND_PATHS[kind];
    const items: KObject[] = [];
    let next: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
      if (next !== undefined) query.set('continue', next);
      const url = `${this.server}${path}?${query.toString()}`;
      const outcome = await this.runner.call({
        api: 'kubernetes',
        method: 'GET',
        url,
        permission: KIND_RBAC[kind],
        attempt: (signal) => this.get(url, signal),
      });
      if (!outcome.ok) return outcome;
      const body = outcome.value;
      if (!isRecord(body) || !Array.isArray(body.items)) {
        const problem = isRecord(body)
          ? `items: must be array (found ${jsonType(body.items)})`
          : `must be object (found ${jsonType(body)})`;
        return { ok: false, kind: 'error', status: undefined, message: `unexpected answer from ${path}: ${problem}` };
      }
      // Items are kept as they came (a non-object too): the facts validate each one and name what is wrong.
      for (const item of body.items as unknown[]) {
        items.push((isRecord(item) ? { apiVersion, kind: itemKind, ...item } : item) as KObject);
      }
      const meta = isRecord(body.metadata) ? body.metadata : {};
      next = typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
    } while (next !== undefined);
    return { ok: true, value: { apiVersion: 'v1', kind: 'List', items } };
  }
}
