// Watches (`?watch=true`): a chunked stream of `{"type":…,"object":…}` lines, as the API server sends them to
// `kubectl get -w`, `kubectl rollout status` and `kubectl wait`. Starting from a resourceVersion it replays
// the changes after it (from a short history; older ones are 410 Gone, as an expired one is on a real
// server), without one it starts with an ADDED for every current object. An object that stops matching the
// selectors is DELETED for that watch. `timeoutSeconds` (or the request's `timeout`) ends the stream.

import type { KObject } from '../../model/k8s/types.js';
import { kubeStatus } from '../http/errors.js';
import type { SandboxResponse } from '../http/router.js';
import type { KubeStore, StoreEvent } from './store.js';

export interface WatchOptions {
  resource: string;
  namespace: string | undefined;
  /** Whether an object belongs to this watch (namespace, labels, fields). */
  matches: (o: KObject) => boolean;
  /** How each object is sent (a Table row, events.k8s.io fields…). */
  render: (o: KObject, first: boolean) => unknown;
  resourceVersion: string | null;
  timeoutMs: number | undefined;
  bookmarks: boolean;
}

/** Go duration text (`2s`, `1m30s`, `500ms`) in milliseconds. */
export function parseGoDuration(s: string | null): number | undefined {
  if (s === null || s === '') return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    const n = Number(m[1]);
    const unit = m[2] ?? 's';
    total += n * ({ ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1000);
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

export function watchResponse(store: KubeStore, opts: WatchOptions): SandboxResponse {
  const key = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const fromRv =
    opts.resourceVersion !== null && opts.resourceVersion !== '' && opts.resourceVersion !== '0'
      ? Number(opts.resourceVersion)
      : undefined;
  let replay: StoreEvent[] = [];
  if (fromRv !== undefined) {
    const history = store.historySince(opts.resource, fromRv);
    if (history === undefined)
      return kubeStatus(410, 'Expired', `too old resource version: ${fromRv} (${store.resourceVersion})`);
    replay = history;
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' },
    stream: (sink) => {
      const sent = new Set<string>();
      let first = true;
      const send = (type: string, o: KObject): void => {
        sink.write(`${JSON.stringify({ type, object: opts.render(o, first) })}\n`);
        first = false;
      };
      const handle = (e: StoreEvent): void => {
        if (e.resource !== opts.resource) return;
        const k = key(e.object);
        const known = sent.has(k);
        if (e.type === 'DELETED') {
          if (known || (fromRv !== undefined && opts.matches(e.object))) send('DELETED', e.object);
          sent.delete(k);
          return;
        }
        const matches = opts.matches(e.object);
        if (matches) {
          send(known || (e.type === 'MODIFIED' && fromRv !== undefined) ? 'MODIFIED' : 'ADDED', e.object);
          sent.add(k);
        } else if (known) {
          send('DELETED', e.object);
          sent.delete(k);
        }
      };
      if (fromRv === undefined) {
        for (const o of store.list(opts.resource, opts.namespace)) {
          if (!opts.matches(o)) continue;
          send('ADDED', o);
          sent.add(key(o));
        }
      } else {
        // Objects the client listed at fromRv count as known.
        for (const o of store.list(opts.resource, opts.namespace))
          if (opts.matches(o) && Number(o.metadata.resourceVersion ?? 0) <= fromRv) sent.add(key(o));
        for (const e of replay) handle(e);
      }
      const stop = store.watch(handle);
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => sink.end(), opts.timeoutMs);
        timer.unref();
      }
      sink.onClose(() => {
        stop();
        if (timer) clearTimeout(timer);
      });
    },
  };
}
