// Every API call of a live collection goes through one CallRunner: a concurrency bound, a timeout per
// attempt, retries with exponential backoff and full jitter on 429/5xx and network errors (honouring
// Retry-After), and the counts the report and the benchmark print. Transports (gaxios, the Kubernetes
// client's agent) throw HttpFailure for an HTTP error; anything else thrown is a network error.

import { redactSecrets } from '../../model/redact.js';

/** An HTTP answer that is not 2xx, with what the API said. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    /** The parsed body (Google's `{error: …}`, a Kubernetes Status), or the raw text. */
    readonly body: unknown,
    /** Retry-After in milliseconds, when the server sent one. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

/** A 2xx whose body is not what the API documents (not an object, nested too deep): unknown, not retried. */
export class UnexpectedAnswer extends Error {
  constructor(message: string) {
    super(`unexpected answer: ${message}`);
    this.name = 'UnexpectedAnswer';
  }
}

export class CallTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms / 1000} s`);
    this.name = 'CallTimeout';
  }
}

export interface CallSpec<T> {
  /** For stats and the trace: `container`, `iam`, `kubernetes`, … */
  api: string;
  method: string;
  /** The URL, for the trace (never carries credentials: see redactUrl). */
  url: string;
  /** The permission the call needs, named in a 403's message. */
  permission?: string;
  /** One attempt; must honour the signal. */
  attempt(signal: AbortSignal): Promise<T>;
}

export type CallOutcome<T> =
  | { ok: true; value: T }
  /** `absent`: the API answered 404. `error`: anything else, with the message checks will show. */
  | { ok: false; kind: 'absent' | 'error'; status: number | undefined; message: string };

export interface TraceEvent {
  method: string;
  url: string;
  /** HTTP status, or `timeout` / `network error`. */
  status: number | string;
  ms: number;
  attempt: number;
}

export interface CallStats {
  /** Attempts made, per API. */
  calls: Record<string, number>;
  retries: number;
  failures: number;
  /** Milliseconds from the first call to the last answer. */
  wallMs: number;
  /** Most calls in flight at once. */
  peakInFlight: number;
}

export interface RunnerOptions {
  concurrency: number;
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** First backoff step; each retry doubles it (full jitter), capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onTrace?: (event: TraceEvent) => void;
  onSettled?: (done: number, started: number) => void;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drop query values that could be credentials (`access_token`, `key`, …) from a traced URL. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const name of [...u.searchParams.keys()]) {
      if (/token|key|secret|password|signature|assertion/i.test(name)) u.searchParams.set(name, 'REDACTED');
    }
    if (u.username || u.password) {
      u.username = 'REDACTED';
      u.password = '';
    }
    return u.href;
  } catch {
    return url;
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * One line, as checks show it: `403 PERMISSION_DENIED: <the API's message> (needs <permission>)`, or a
 * Kubernetes Status as `403 Forbidden: <message>`.
 */
export function describeFailure(status: number, body: unknown, permission: string | undefined): string {
  let code = CANONICAL[status] ?? `HTTP_${status}`;
  let message = '';
  if (isRecord(body) && isRecord(body.error)) {
    const e = body.error;
    if (typeof e.status === 'string') code = e.status;
    if (typeof e.message === 'string') message = e.message;
  } else if (isRecord(body) && body.kind === 'Status') {
    if (typeof body.reason === 'string' && body.reason !== '') code = body.reason;
    if (typeof body.message === 'string') message = body.message;
  } else if (isRecord(body) && typeof body.error === 'string') {
    // OAuth-style errors (STS, token endpoints).
    code = body.error;
    if (typeof body.error_description === 'string') message = body.error_description;
  } else if (typeof body === 'string') {
    // Redacted before it is cut: a cut through a token or key would leave a piece no pattern recognises.
    message = redactSecrets(body.trim()).slice(0, 300);
  }
  const needs = status === 403 && permission !== undefined ? ` (needs ${permission})` : '';
  return `${status} ${code}${message ? `: ${message}` : ''}${needs}`;
}

const TRANSIENT =
  /\b(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_[A-Z_]+|socket hang up)\b/;

/** Connection-level failures worth another try; a credentials or programming error is not. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: unknown }).cause;
  const codes = [
    (error as NodeJS.ErrnoException).code,
    cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined,
  ];
  return codes.some((c) => c !== undefined && TRANSIENT.test(c)) || TRANSIENT.test(error.message);
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && /Could not load the default credentials/i.test(error.message)) {
    return 'no Google credentials: run `gcloud auth application-default login`, or give --access-token-file (or CLOUDSDK_AUTH_ACCESS_TOKEN)';
  }
  if (error instanceof CallTimeout) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const cause = (error as { cause?: unknown }).cause;
    const causeCode = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
    const detail = code ?? causeCode;
    return `network error: ${error.message}${detail && !error.message.includes(detail) ? ` (${detail})` : ''}`;
  }
  return `network error: ${String(error)}`;
}

/** `3600 s`, `1.5 s`: a duration as messages show it. */
const formatSeconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** A counting semaphore: at most `limit` holders. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  get inUse(): number {
    return this.active;
  }
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    // Hand the slot over directly so a burst of new acquirers cannot overtake the queue.
    if (next) next();
    else this.active--;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class CallRunner {
  private readonly semaphore: Semaphore;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private started = 0;
  private settled = 0;
  private firstStart: number | undefined;
  private lastEnd: number | undefined;
  readonly stats: CallStats = { calls: {}, retries: 0, failures: 0, wallMs: 0, peakInFlight: 0 };

  constructor(private readonly options: RunnerOptions) {
    this.semaphore = new Semaphore(Math.max(1, Math.floor(options.concurrency)));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async call<T>(spec: CallSpec<T>): Promise<CallOutcome<T>> {
    this.started++;
    this.firstStart ??= Date.now();
    try {
      return await this.run(spec);
    } finally {
      this.settled++;
      this.lastEnd = Date.now();
      this.stats.wallMs = this.lastEnd - (this.firstStart ?? this.lastEnd);
      this.options.onSettled?.(this.settled, this.started);
    }
  }

  private async run<T>(spec: CallSpec<T>): Promise<CallOutcome<T>> {
    let transient = false;
    let failure: CallOutcome<T> = { ok: false, kind: 'error', status: undefined, message: 'not attempted' };
    // Retry-After is honoured up to this deadline (--timeout after the call started), never past it.
    const deadline = Date.now() + this.options.timeoutMs;
    let advice: string | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) this.stats.retries++;
      await this.semaphore.acquire();
      this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.semaphore.inUse);
      this.stats.calls[spec.api] = (this.stats.calls[spec.api] ?? 0) + 1;
      const start = Date.now();
      let retryAfter: number | undefined;
      let retryable = false;
      try {
        const value = await this.attemptWithTimeout(spec);
        this.trace(spec, 200, start, attempt);
        return { ok: true, value };
      } catch (error) {
        if (error instanceof HttpFailure) {
          this.trace(spec, error.status, start, attempt);
          const message = describeFailure(error.status, error.body, spec.permission);
          failure = { ok: false, kind: error.status === 404 ? 'absent' : 'error', status: error.status, message };
          retryable = RETRYABLE.has(error.status);
          retryAfter = error.retryAfterMs;
        } else if (error instanceof UnexpectedAnswer) {
          this.trace(spec, 200, start, attempt);
          failure = { ok: false, kind: 'error', status: undefined, message: error.message };
        } else {
          const timeout = error instanceof CallTimeout;
          this.trace(spec, timeout ? 'timeout' : 'network error', start, attempt);
          failure = { ok: false, kind: 'error', status: undefined, message: describeNetworkError(error) };
          // A timeout already cost the full budget; a refused or reset connection may be a blip.
          retryable = !timeout && isTransient(error);
          transient = retryable;
        }
      } finally {
        this.semaphore.release();
      }
      if (!retryable || attempt === this.maxAttempts) break;
      if (retryAfter !== undefined && Date.now() + retryAfter > deadline) {
        // Waiting as asked would outlast the call's budget: give up now and pass the server's advice on.
        advice = `the server asked to retry after ${formatSeconds(retryAfter)}, beyond the ${formatSeconds(this.options.timeoutMs)} timeout`;
        break;
      }
      await this.sleep(this.backoff(attempt, retryAfter, deadline));
    }
    this.stats.failures++;
    if (failure.ok) return failure;
    if (advice !== undefined) return { ...failure, message: `${failure.message} (${advice})` };
    const retried = failure.status === undefined ? transient : RETRYABLE.has(failure.status);
    const tries = retried && this.maxAttempts > 1 ? ` (after ${this.maxAttempts} attempts)` : '';
    return { ...failure, message: `${failure.message}${tries}` };
  }

  /**
   * Full jitter: uniform in [0, min(cap, base·2^(n-1))], but never sooner than the server asked; with
   * Retry-After, never past the call's deadline either (the caller checked that the asked wait fits).
   */
  private backoff(attempt: number, retryAfterMs: number | undefined, deadline: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = this.random() * ceiling;
    if (retryAfterMs === undefined) return jittered;
    return Math.max(retryAfterMs, Math.min(jittered, deadline - Date.now()));
  }

  private async attemptWithTimeout<T>(spec: CallSpec<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CallTimeout(this.options.timeoutMs));
      }, this.options.timeoutMs);
    });
    try {
      // The race also bounds work the transport does not tie to the signal (token refresh, exec plugins).
      return await Promise.race([spec.attempt(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private trace(spec: CallSpec<unknown>, status: number | string, start: number, attempt: number): void {
    this.options.onTrace?.({
      method: spec.method,
      url: redactUrl(spec.url),
      status,
      ms: Date.now() - start,
      attempt,
    });
  }
}
