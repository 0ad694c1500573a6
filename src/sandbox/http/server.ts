// One node:http server per API, on loopback. Applies faults, dispatches to the API's route table, writes
// JSON or text, and keeps track of hung requests so that stop() can end them.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Faults } from '../faults.js';
import type { ApiName } from '../scenario/types.js';
import { googleError } from './errors.js';
import type { RouteTable, SandboxRequest, SandboxResponse } from './router.js';

export interface ApiServer {
  api: ApiName;
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  api: ApiName;
  table: RouteTable;
  faults?: Faults;
  host: string;
  port: number;
  /** Handled before faults and routes (the /_sandbox admin endpoints). */
  admin?: RouteTable;
  /** Adds headers to every answer (the metadata server's Metadata-Flavor). */
  headers?: Record<string, string>;
  onError?: (e: unknown) => SandboxResponse;
  /** How this API words an injected 429/503 (STS has its own shape). */
  faultError?: (status: 429 | 503, retryAfterSeconds: number) => SandboxResponse;
  /** HTTP upgrades (the Kubernetes API's websocket exec); without it an upgrade request is refused. */
  upgrade?: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  /** Told about every answer given (the metadata server's own log). */
  onAnswer?: (req: SandboxRequest, res: SandboxResponse) => void;
}

const MAX_BODY = 10 * 1024 * 1024;

export async function serve(opts: ServeOptions): Promise<ApiServer> {
  const server = createServer((req, res) => {
    void dispatch(opts, req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (opts.upgrade) opts.upgrade(req, socket, head);
    else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  // Idle connections stay open for Node's default 5 s, as a real front end keeps them for a while. A 1 s window
  // was tried and was worse than none: Node's client agent retires a kept-alive socket one second before the
  // server's advertised `Keep-Alive: timeout=N`, so with N = 1 every call opened a new connection.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host}:${port}`;
  return {
    api: opts.api,
    server,
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(opts: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: SandboxResponse;
  let sreq: SandboxRequest | undefined;
  try {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    sreq = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      params: {},
      ...(req.socket.remoteAddress !== undefined ? { remoteAddress: req.socket.remoteAddress } : {}),
    };
    if (opts.admin && sreq.path.startsWith('/_sandbox/')) {
      response = await opts.admin.handle(sreq);
    } else {
      const fault = opts.faults?.decide(opts.api, sreq.path) ?? { kind: 'none', latencyMs: 0 };
      if (fault.kind === 'hang') return; // never answered; closeAllConnections ends it on stop
      if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.kind === 'error') {
        response = opts.faultError
          ? opts.faultError(fault.status, fault.retryAfterSeconds)
          : fault.status === 429
            ? {
                ...googleError(429, 'Quota exceeded (sandbox fault injection).', 'RESOURCE_EXHAUSTED'),
                headers: { 'Retry-After': String(fault.retryAfterSeconds) },
              }
            : googleError(503, 'The service is currently unavailable (sandbox fault injection).', 'UNAVAILABLE');
      } else {
        response = await opts.table.handle(sreq);
      }
    }
  } catch (e) {
    response = opts.onError
      ? opts.onError(e)
      : googleError(e instanceof SyntaxError ? 400 : 500, e instanceof Error ? e.message : String(e));
  }
  if (sreq && opts.onAnswer) opts.onAnswer(sreq, response);
  if (response.hang) return;
  const headers: Record<string, string> = { ...(opts.headers ?? {}), ...(response.headers ?? {}) };
  if (response.stream) {
    headers['Content-Type'] ??= 'application/json';
    res.writeHead(response.status, headers);
    res.flushHeaders();
    let closed = false;
    const closers: (() => void)[] = [];
    const close = (): void => {
      if (closed) return;
      closed = true;
      for (const fn of closers) fn();
    };
    res.on('close', close);
    response.stream({
      write: (chunk) => {
        if (!closed) res.write(chunk);
      },
      end: () => {
        if (!closed) res.end();
        close();
      },
      onClose: (fn) => {
        if (closed) fn();
        else closers.push(fn);
      },
    });
    return;
  }
  let payload: string | Buffer;
  if (response.body !== undefined) {
    payload = response.body;
    headers['Content-Type'] ??= 'application/octet-stream';
  } else if (response.text !== undefined) {
    payload = response.text;
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(response.json ?? {});
    headers['Content-Type'] ??= 'application/json; charset=UTF-8';
  }
  res.writeHead(response.status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
