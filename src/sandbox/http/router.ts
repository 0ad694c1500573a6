// Declarative route tables (msw-style): each API is a list of {method, path pattern, handler}. A request no
// route matches fails loudly with the API's own 404 shape naming the path, so a client calling something the
// sandbox does not play finds out at once instead of getting a plausible lie.

import type { IncomingHttpHeaders } from 'node:http';

export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  params: Record<string, string>;
  /** The caller's address as the socket saw it (audit entries' callerIp). */
  remoteAddress?: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is set. */
  json?: unknown;
  text?: string;
  /** Never answer: the client's own timeout decides (metadata server behind a NetworkPolicy, faults). */
  hang?: boolean;
  /** A long answer written over time (a watch): called once headers are sent; `body` is raw bytes. */
  stream?: (sink: StreamSink) => void;
  /** Raw bytes, sent as they are (Content-Type from `headers`). */
  body?: Buffer;
}

/** Where a streamed answer goes. `onClose` runs once, when the client leaves or the server stops. */
export interface StreamSink {
  write(chunk: string | Buffer): void;
  end(): void;
  onClose(fn: () => void): void;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: string;
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/** `{name}` matches one segment (lazily, so `{email}:disable` works); `{name=**}` matches the rest. */
function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let source = '';
  let rest = route.path;
  const re = /\{([A-Za-z]+)(=\*\*)?\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    source += escape(rest.slice(last, m.index));
    names.push(m[1] ?? '');
    source += m[2] ? '(.+)' : '([^/]+?)';
    last = m.index + m[0].length;
  }
  source += escape(rest.slice(last));
  rest = '';
  return { ...route, regex: new RegExp(`^${source}$`), names };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(
    routes: Route[],
    private readonly notFound: (req: SandboxRequest) => SandboxResponse,
  ) {
    this.routes = routes.map(compile);
  }

  async handle(req: SandboxRequest): Promise<SandboxResponse> {
    for (const route of this.routes) {
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      const m = route.regex.exec(req.path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1] ?? '');
      });
      return route.handler({ ...req, params });
    }
    return this.notFound(req);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a JSON or form-encoded body; an empty body is `{}`. */
export function readBody(req: SandboxRequest): Record<string, unknown> {
  const text = req.body.toString('utf8').trim();
  if (text === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new SyntaxError('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SandboxResponse {
  return headers ? { status, json: body, headers } : { status, json: body };
}

/** A request field as a string: strings as they are, numbers and booleans printed, anything else empty. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
