// One HTTP request with a hard deadline, on node:http/https only (the probe bundles without dependencies).
// Failures come back as values, never thrown: every step reports what happened, including a hang.

import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  ok: true;
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface HttpFailure {
  ok: false;
  /** `timeout` when nothing came back in time; otherwise the socket error code (ECONNREFUSED, ENOTFOUND, …). */
  code: string;
  message: string;
  ms: number;
}

export type HttpOutcome = HttpAnswer | HttpFailure;

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Bodies are capped: the probe reads small answers, and a misbehaving peer must not fill memory. */
const MAX_BODY = 1024 * 1024;

export function request(req: HttpRequest): Promise<HttpOutcome> {
  const started = Date.now();
  const elapsed = (): number => Date.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      finish({ ok: false, code: 'EINVALIDURL', message: `not a URL: ${req.url}`, ms: 0 });
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'User-Agent': 'wi-doctor-probe', ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    // `agent: false`: a fresh socket per request, so a proxy-less direct dial is what is measured.
    const r = transport.request(url, { method: req.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) =>
        finish({ ok: false, code: e.code ?? 'ERESPONSE', message: e.message, ms: elapsed() }),
      );
      res.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        finish({
          ok: true,
          status: res.statusCode ?? 0,
          headers: flat,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: elapsed(),
        });
      });
    });
    const timer = setTimeout(() => {
      finish({ ok: false, code: 'timeout', message: `no answer within ${req.timeoutMs} ms`, ms: elapsed() });
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (e: NodeJS.ErrnoException) =>
      finish({ ok: false, code: e.code ?? 'EREQUEST', message: e.message, ms: elapsed() }),
    );
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** A short, human description of a failure, e.g. "timeout: no answer within 3000 ms". */
export function describeFailure(f: HttpFailure): string {
  return f.code === 'timeout' ? `timeout: ${f.message}` : `${f.code}: ${f.message}`;
}

/** The `error.message` of a Google JSON error, the `error_description` of an OAuth error, or the text. */
export function googleErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: string | { message?: string; status?: string };
      error_description?: string;
    };
    if (typeof parsed.error === 'object' && parsed.error?.message) {
      return parsed.error.status ? `${parsed.error.status}: ${parsed.error.message}` : parsed.error.message;
    }
    if (typeof parsed.error === 'string') {
      return parsed.error_description ? `${parsed.error}: ${parsed.error_description}` : parsed.error;
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  return body.trim();
}
