// The worker thread of a split `check` run (check-shares.ts): one share, then it stops. Its rendered text and
// JSON bytes are transferred, not copied.

import { parentPort, workerData } from 'node:worker_threads';
import { BundleError } from '../../collect/bundle/manifest.js';
import { UsageError } from '../../engine/errors.js';
import type { ShareJob, ShareReply } from './check-shares.js';
import { runShare } from './check-shares.js';

const port = parentPort;
if (port !== null) {
  const job = workerData as ShareJob;
  let reply: ShareReply;
  try {
    reply = { outcome: await runShare(job) };
  } catch (error) {
    const kind = error instanceof UsageError ? 'usage' : error instanceof BundleError ? 'bundle' : 'internal';
    reply = { error: { kind, message: error instanceof Error ? error.message : String(error) } };
  }
  const transfer = 'outcome' in reply ? (reply.outcome.json ?? []).map((b) => b.buffer as ArrayBuffer) : [];
  port.postMessage(reply, transfer);
}
