// The worker thread of a fleet run: diagnoses and renders the clusters the main thread hands it, one message
// each, while the main thread goes on with the calls of the clusters still being collected.

import { parentPort } from 'node:worker_threads';
import type { ClusterJob, ClusterOutcome, ClusterWork } from './fleet-cluster.js';
import { diagnoseCluster } from './fleet-cluster.js';

/** An asset search's results, sent with the first cluster that has them and named by `id` afterwards. */
export interface SharedResults {
  path: string;
  id: number;
  results?: unknown[];
}

export interface WorkerRequest {
  id: number;
  /** Its asset searches' `results` are empty: `shared` holds them. */
  work: ClusterWork;
  shared: SharedResults[];
  job: ClusterJob;
}

const sharedResults = new Map<number, unknown[]>();
const encoder = new TextEncoder();

/** The cluster's files with the shared results put back in place. */
function unpacked(request: WorkerRequest): ClusterWork {
  const files = request.work.input.files;
  for (const s of request.shared) {
    if (s.results !== undefined) sharedResults.set(s.id, s.results);
    const entry = files.get(s.path);
    const results = sharedResults.get(s.id);
    if (entry !== undefined && 'json' in entry && results !== undefined) {
      files.set(s.path, { json: { ...(entry.json as Record<string, unknown>), results } });
    }
  }
  return request.work;
}

export type WorkerReply = { id: number; outcome: ClusterOutcome } | { id: number; crash: string };

const port = parentPort;
if (port !== null) {
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply;
    const transfer: ArrayBuffer[] = [];
    try {
      const outcome = diagnoseCluster(unpacked(request), request.job);
      // The report's pieces as UTF-8 bytes change hands (each has a buffer of its own): no copy between threads,
      // and the main thread writes them without encoding them.
      if (outcome.kind === 'report') {
        outcome.body = outcome.body.map((piece) => {
          const bytes = typeof piece === 'string' ? encoder.encode(piece) : piece;
          transfer.push(bytes.buffer as ArrayBuffer);
          return bytes;
        });
      }
      reply = { id: request.id, outcome };
    } catch (error) {
      // A bug, not bad input: the main thread fails the run with it, as it would on its own thread.
      reply = { id: request.id, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    port.postMessage(reply, transfer);
  });
}
