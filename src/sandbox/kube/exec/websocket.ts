// `kubectl exec` and `kubectl cp` over the websocket protocol kubectl 1.32 speaks (subprotocol
// v5.channel.k8s.io, or v4): binary frames whose first byte is the stream — 0 stdin, 1 stdout, 2 stderr,
// 3 error (a metav1.Status when the command ends), 4 resize; v5 adds 255 (the client closes a stream,
// `[255, 0]` ends stdin). The command runs in the pod's sandbox container (commands.ts, shell.ts), against
// that pod's own metadata server. An exit code other than 0 is reported as the kubelet reports it
// (NonZeroExitCode with the code in details.causes), a missing binary as containerd words it.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod } from '../../../model/k8s/types.js';
import type { ClusterState, World } from '../../world.js';
import { arr, at, obj, str } from '../json.js';
import { METADATA_SERVER_IMAGE } from '../objects.js';
import { lookup, type ExecContext } from './commands.js';
import { containerEnv, podFs } from './container.js';
import { runScript } from './shell.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

function refuse(
  socket: Socket,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  const body = status(code, reason, message, details);
  const text =
    { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' }[code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function containerId(pod: Pod, container: string): string {
  const cs = arr(at(pod, 'status', 'containerStatuses'))
    .map(obj)
    .find((s) => str(s.name) === container);
  return str(cs?.containerID).replace(/^containerd:\/\//, '');
}

export function execUpgrade(world: World, cluster: ClusterState) {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols: Set<string>) => PROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  return (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/.exec(url.pathname);
    if (!m) return refuse(socket, 404, 'NotFound', 'the server could not find the requested resource');
    const header = req.headers.authorization;
    if (header !== undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (token === undefined || !world.callers.has(token)) return refuse(socket, 401, 'Unauthorized', 'Unauthorized');
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
      return refuse(socket, 400, 'BadRequest', 'Upgrade request required');
    const ns = decodeURIComponent(m[1] ?? '');
    const name = decodeURIComponent(m[2] ?? '');
    const pod = cluster.store.get<Pod>('pods', ns, name);
    if (!pod) return refuse(socket, 404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const container = url.searchParams.get('container') ?? pod.spec.containers[0]?.name ?? '';
    if (!pod.spec.containers.some((c) => c.name === container))
      return refuse(socket, 400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    const running = arr(at(pod, 'status', 'containerStatuses'))
      .map(obj)
      .some((s) => str(s.name) === container && at(s, 'state', 'running') !== undefined);
    if (!running)
      return refuse(socket, 400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`);
    if (m[3] === 'attach') return refuse(socket, 400, 'BadRequest', 'the sandbox does not play kubectl attach');
    const command = url.searchParams.getAll('command');
    const tty = url.searchParams.get('tty') === 'true';
    const withStdin = url.searchParams.get('stdin') === 'true';
    wss.handleUpgrade(req, socket, head, (ws) => {
      void session(ws, { world, cluster, pod, container, command, tty, withStdin });
    });
  };
}

interface SessionArgs {
  world: World;
  cluster: ClusterState;
  pod: Pod;
  container: string;
  command: string[];
  tty: boolean;
  withStdin: boolean;
}

/**
 * The pause between a command's last output and its status frame. kubectl's websocket executor may return as soon
 * as the status arrives, before it has copied the output frames read just before it to its stdout
 * (kubernetes/kubernetes#124571, "kubectl exec truncates stdout without reporting error"); a real API server,
 * relaying the kubelet's streams, leaves a gap there. Without one, `kubectl exec … cat FILE` printed nothing now
 * and then.
 */
const STATUS_AFTER_OUTPUT_MS = 25;

async function session(ws: WebSocket, a: SessionArgs): Promise<void> {
  let wroteOutput = false;
  const send = (channel: number, data: string | Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (channel === STDOUT || channel === STDERR) wroteOutput = true;
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), body]));
  };
  const aborts: (() => void)[] = [];
  const stdinChunks: Buffer[] = [];
  const stdinListeners: ((d: Buffer) => void)[] = [];
  let stdinDone = !a.withStdin;
  let resolveStdin: (() => void) | undefined;
  const stdinClosed = new Promise<void>((resolve) => {
    resolveStdin = resolve;
    if (stdinDone) resolve();
  });
  const endStdin = (): void => {
    stdinDone = true;
    resolveStdin?.();
  };
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    const channel = data[0];
    if (channel === STDIN) {
      const chunk = data.subarray(1);
      stdinChunks.push(chunk);
      for (const fn of stdinListeners) fn(chunk);
    } else if (channel === CLOSE && data[1] === STDIN) endStdin();
  });
  ws.on('close', () => {
    endStdin();
    for (const fn of aborts) fn();
  });
  ws.on('error', () => undefined);
  const ctx: ExecContext = {
    world: a.world,
    cluster: a.cluster,
    pod: a.pod,
    container: a.container,
    env: containerEnv(a.cluster, a.pod, a.container, a.tty),
    fs: podFs(a.world, a.cluster, a.pod),
    tty: a.tty,
    cwd: '/',
    io: {
      out: (d) => send(STDOUT, d),
      err: (d) => send(a.tty ? STDOUT : STDERR, a.tty && typeof d === 'string' ? d.replace(/\r?\n/g, '\r\n') : d),
      stdin: async () => {
        await stdinClosed;
        return Buffer.concat(stdinChunks);
      },
    },
    onAbort: (fn) => aborts.push(fn),
  };
  let code: number;
  const image = a.pod.spec.containers.find((c) => c.name === a.container)?.image ?? '';
  const [bin = '', ...args] = a.command;
  const shell = /^(\/bin\/|\/usr\/bin\/)?(sh|bash|ash)$/.test(bin);
  try {
    if (image === METADATA_SERVER_IMAGE || (!shell && lookup(bin) === undefined)) {
      // gke-metadata-server's image has no shell or tools; other containers have the sandbox's toolbox.
      const id = containerId(a.pod, a.container);
      const text = `error executing command in container: failed to exec in container: failed to start exec "${id}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${bin}": executable file not found in $PATH: unknown`;
      send(ERROR, status(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] }));
      ws.close(1000);
      return;
    }
    if (shell && args[0] === '-c') code = await runScript(ctx, args[1] ?? '');
    else if (shell && args.length > 0) {
      const script =
        ctx.fs.stat(ctx.fs.resolve(args[0] ?? ''))?.type === 'file'
          ? (await ctx.fs.read(ctx.fs.resolve(args[0] ?? ''))).toString('utf8')
          : undefined;
      if (script === undefined) {
        ctx.io.err(`${bin.replace(/^.*\//, '')}: 0: cannot open ${args[0] ?? ''}: No such file\n`);
        code = 2;
      } else code = await runScript(ctx, script);
    } else if (shell && a.tty) code = await repl(ctx, stdinListeners, stdinClosed);
    else if (shell) code = await runScript(ctx, (await ctx.io.stdin()).toString('utf8'));
    else code = await (lookup(bin) ?? (() => Promise.resolve(127)))(ctx, args);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    send(ERROR, status(500, 'InternalError', `Internal error occurred: ${text}`));
    ws.close(1000);
    return;
  }
  if (wroteOutput) await new Promise((resolve) => setTimeout(resolve, STATUS_AFTER_OUTPUT_MS));
  if (code === 0) send(ERROR, JSON.stringify({ metadata: {}, status: 'Success' }));
  else
    send(
      ERROR,
      JSON.stringify({
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: error executing command [${a.command.join(' ')}], exit code ${code}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
      }),
    );
  ws.close(1000);
}

/** An interactive shell on a terminal: echo, backspace, Ctrl-C, Ctrl-D, one command line at a time. */
async function repl(ctx: ExecContext, listeners: ((d: Buffer) => void)[], closed: Promise<void>): Promise<number> {
  const prompt = (): void => ctx.io.out('# ');
  let line = '';
  let status = 0;
  let queue = Promise.resolve();
  let finish: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const runLine = async (text: string): Promise<void> => {
    const lineCtx: ExecContext = { ...ctx, io: { ...ctx.io, stdin: () => Promise.resolve(Buffer.alloc(0)) } };
    if (/^\s*exit(\s+\d+)?\s*$/.test(text)) {
      finish?.(Number(/\d+/.exec(text)?.[0] ?? status));
      return;
    }
    status = await runScript(lineCtx, text, { '?': String(status) });
    ctx.cwd = lineCtx.cwd;
    prompt();
  };
  listeners.push((chunk) => {
    for (const ch of chunk.toString('utf8')) {
      if (ch === '\r' || ch === '\n') {
        ctx.io.out('\r\n');
        const text = line;
        line = '';
        queue = queue.then(() => runLine(text));
      } else if (ch === '\x7f' || ch === '\b') {
        if (line.length > 0) {
          line = line.slice(0, -1);
          ctx.io.out('\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        ctx.io.out('^C\r\n');
        prompt();
      } else if (ch === '\x04') {
        if (line === '') finish?.(status);
      } else if (ch >= ' ') {
        line += ch;
        ctx.io.out(ch);
      }
    }
  });
  prompt();
  void closed.then(() => finish?.(status));
  return done;
}
