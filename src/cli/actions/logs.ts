// `wi-doctor logs`: read the KSA, its GSA, the project policies (audit configs) and the token entries of the window,
// from a bundle or live (the same facts either way), and print what they say.

import { readBundle } from '../../collect/bundle/read.js';
import { factsFromFiles } from '../../collect/bundle/facts.js';
import type { LiveOptions } from '../../collect/live/live.js';
import { UsageError } from '../../engine/errors.js';
import { logsReport } from '../../engine/logs.js';
import type { Facts } from '../../model/facts.js';
import { parseDuration } from '../../model/log-query.js';
import { renderLogsJson, renderLogsText } from '../../report/logs.js';
import type { Io } from '../output.js';
import { emit, warn } from '../output.js';
import { describeStats, liveHooks } from './collect.js';

export interface LogsCommandOptions extends LiveOptions {
  ksa: string;
  since: string;
  from?: string;
  format: 'text' | 'json';
  output?: string;
}

const MAX_MS = 400 * 86_400_000;
/** Entries read per step at most; the report says when more matched. */
const MAX_ENTRIES = 2000;

async function readLive(options: LogsCommandOptions, sinceMs: number, io: Io): Promise<Facts> {
  const hooks = liveHooks(io, options);
  try {
    const since = new Date(Date.now() - sinceMs);
    const { collectLiveInput } = await import('../../collect/live/live.js');
    const { input, stats } = await collectLiveInput(
      { ...options, ksa: [options.ksa] },
      ['cluster', 'project', 'projectPolicy', 'ancestorPolicies', 'serviceAccount', 'k8s:serviceaccounts'],
      hooks,
      { logs: { tokens: { since, maxEntries: MAX_ENTRIES }, sts: { since, maxEntries: MAX_ENTRIES } } },
    );
    if (options.debug) warn(io, describeStats(stats));
    return factsFromFiles(input);
  } finally {
    hooks.finish();
  }
}

export async function runLogsCommand(options: LogsCommandOptions, io: Io): Promise<number> {
  const sinceMs = parseDuration(options.since);
  if (sinceMs === undefined || sinceMs > MAX_MS) {
    throw new UsageError(
      `--since ${JSON.stringify(options.since)}: expected a duration such as 30m, 12h or 7d, at most 400d`,
    );
  }
  if (!/^[^/\s]+\/[^/\s]+$/.test(options.ksa)) {
    throw new UsageError(`--ksa ${JSON.stringify(options.ksa)}: expected NAMESPACE/KSA (e.g. shop/cart)`);
  }
  const { facts, notes } = options.from
    ? await readBundle(options.from)
    : await readLive(options, sinceMs, io).then((f) => ({ facts: f, notes: [...f.notes] }));
  for (const note of notes) warn(io, note);
  const report = logsReport(facts, { ksa: options.ksa, sinceMs, source: options.from ?? 'live' });
  emit(io, options.format === 'json' ? renderLogsJson(report) : renderLogsText(report), options.output);
  return 0;
}
