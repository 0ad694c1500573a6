// Where a fleet run's clusters are diagnosed: on one worker thread, so that the main thread's calls for the
// clusters still being collected keep going while one is diagnosed and rendered (a cluster of hundreds of KSAs
// is a fraction of a second of CPU that the calls would otherwise wait out). Running from the TypeScript sources
// (tests) there is no compiled worker to start: the clusters are diagnosed on the main thread, the same way.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ClusterJob, ClusterOutcome, ClusterWork } from './fleet-cluster.js';
import { diagnoseCluster } from './fleet-cluster.js';
import type { SharedResults, WorkerReply, WorkerRequest } from './fleet-worker.js';

export interface ClusterDiagnoser {
  diagnose(work: ClusterWork): Promise<ClusterOutcome>;
  /** Stops the worker, if one was started. */
  close(): Promise<void>;
  readonly onWorker: boolean;
}

function inline(job: ClusterJob): ClusterDiagnoser {
  return {
    onWorker: false,
    diagnose: (work) => Promise.resolve().then(() => diagnoseCluster(work, job)),
    close: () => Promise.resolve(),
  };
}

/** The compiled worker next to this module, when there is one. */
function workerFile(): URL | undefined {
  const url = new URL('./fleet-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * The results of an asset search are the same for every cluster of a run (one search serves them all): they cross
 * to the worker once, with the first cluster that has them, and later clusters name them by number (copying the
 * organization's search results to the worker for every cluster was most of the cost of handing a cluster over).
 */
function sharing(): (work: ClusterWork) => Pick<WorkerRequest, 'work' | 'shared'> {
  const sent = new WeakMap<unknown[], number>();
  let next = 0;
  return (work) => {
    const files = new Map(work.input.files);
    const shared: SharedResults[] = [];
    for (const [path, entry] of files) {
      if (!path.startsWith('gcp/asset-search/') || !('json' in entry)) continue;
      const json = entry.json;
      if (typeof json !== 'object' || json === null || !('results' in json) || !Array.isArray(json.results)) continue;
      const results = json.results as unknown[];
      const known = sent.get(results);
      const id = known ?? next++;
      if (known === undefined) sent.set(results, id);
      shared.push({ path, id, ...(known === undefined ? { results } : {}) });
      files.set(path, { json: { ...json, results: [] } });
    }
    return { work: { ...work, input: { ...work.input, files } }, shared };
  };
}

export function clusterDiagnoser(job: ClusterJob): ClusterDiagnoser {
  const file = workerFile();
  if (file === undefined) return inline(job);
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (o: ClusterOutcome) => void; reject: (e: Error) => void }>();
  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  // Started with the first cluster: a run whose clusters all fail to resolve never pays for it.
  const started = (): Worker => {
    if (worker !== undefined) return worker;
    const w = new Worker(file);
    w.on('message', (reply: WorkerReply) => {
      const p = pending.get(reply.id);
      if (p === undefined) return;
      pending.delete(reply.id);
      if ('outcome' in reply) p.resolve(reply.outcome);
      else p.reject(new Error(reply.crash));
    });
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`the fleet's diagnosis thread stopped (exit code ${String(code)})`)));
    worker = w;
    return w;
  };
  const shared = sharing();
  return {
    onWorker: true,
    diagnose: (work) =>
      new Promise<ClusterOutcome>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const request: WorkerRequest = { id, job, ...shared(work) };
        started().postMessage(request);
      }),
    close: async () => {
      if (worker === undefined) return;
      const w = worker;
      worker = undefined;
      w.removeAllListeners('exit');
      await w.terminate();
    },
  };
}
