// The worker thread of a fleet run: diagnoses and renders the clusters the main thread hands it, one message
// each, while the main thread goes on with the calls of the clusters still being collected.

import { parentPort } from 'node:worker_threads';
import type { ClusterJob, ClusterOutcome, ClusterWork } from './fleet-cluster.js';
import { diagnoseCluster } from './fleet-cluster.js';

export interface WorkerRequest {
  id: number;
  work: ClusterWork;
  job: ClusterJob;
}

export type WorkerReply = { id: number; outcome: ClusterOutcome } | { id: number; crash: string };

const port = parentPort;
if (port !== null) {
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply;
    const transfer: ArrayBuffer[] = [];
    try {
      const outcome = diagnoseCluster(request.work, { ...request.job, encode: true });
      // The encoded pieces change hands (each has a buffer of its own): no copy of the report between threads.
      if (outcome.kind === 'report') {
        for (const piece of outcome.body) if (typeof piece !== 'string') transfer.push(piece.buffer as ArrayBuffer);
      }
      reply = { id: request.id, outcome };
    } catch (error) {
      // A bug, not bad input: the main thread fails the run with it, as it would on its own thread.
      reply = { id: request.id, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    port.postMessage(reply, transfer);
  });
}
