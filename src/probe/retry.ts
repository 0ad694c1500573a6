// Retries that tell the startup race from a hard failure (a pod may ask before the metadata server knows
// it). Connection errors and 5xx answers are retried, spread over the retry window; a timeout
// is not (a hang is a blocked path or a dead server, and retrying would multiply the wait); 4xx answers
// are final.

import { request, type HttpOutcome, type HttpRequest } from './http.js';

export interface RetriedOutcome {
  outcome: HttpOutcome;
  attempts: number;
  /** What the earlier attempts saw, one line each. */
  earlier: string[];
  ms: number;
}

export function retryable(o: HttpOutcome): boolean {
  if (!o.ok) return o.code !== 'timeout';
  return o.status >= 500;
}

function brief(o: HttpOutcome): string {
  return o.ok ? `HTTP ${o.status}${o.body.trim() ? `: ${o.body.trim().split('\n')[0] ?? ''}` : ''}` : o.code;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function requestWithRetries(
  req: HttpRequest,
  attempts: number,
  retryWindowMs: number,
): Promise<RetriedOutcome> {
  const started = Date.now();
  const delay = attempts > 1 ? retryWindowMs / (attempts - 1) : 0;
  const earlier: string[] = [];
  let outcome = await request(req);
  let made = 1;
  while (made < attempts && retryable(outcome)) {
    earlier.push(brief(outcome));
    await sleep(delay);
    outcome = await request(req);
    made++;
  }
  return { outcome, attempts: made, earlier, ms: Date.now() - started };
}

/** "succeeded after 2 retries: startup race" / "still failing after 5 attempts over 4.1 s". */
export function retryVerdict(r: RetriedOutcome): { recovered: boolean; text: string } | undefined {
  if (r.attempts === 1) return undefined;
  const seconds = (r.ms / 1000).toFixed(1);
  const retries = `${r.attempts - 1} ${r.attempts === 2 ? 'retry' : 'retries'}`;
  if (!retryable(r.outcome)) {
    const success = r.outcome.ok && r.outcome.status < 400;
    if (!success)
      return { recovered: true, text: `answered after ${retries} over ${seconds} s (first: ${r.earlier[0] ?? ''})` };
    return {
      recovered: true,
      text: `succeeded after ${retries} over ${seconds} s (first: ${r.earlier[0] ?? ''}): the startup race — the app must retry for a few seconds`,
    };
  }
  return {
    recovered: false,
    text: `still failing after ${r.attempts} attempts over ${seconds} s (${r.earlier[0] ?? ''}): not the startup race`,
  };
}
