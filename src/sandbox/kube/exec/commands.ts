// The programs a sandbox container has, enough for the reference guide's in-pod checks and wi-doctor's probe:
// curl (to the pod's own metadata server, Google's APIs as the sandbox serves them, the Kubernetes API),
// nslookup, cat, ls, env, node FILE, tar (for `kubectl cp`), test and a few shell basics. Anything else
// answers as a container without that binary does on GKE (containerd: "executable file not found in $PATH").
// Output follows the real tools (GNU coreutils, curl, BIND's nslookup) where the sandbox could check it.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../../model/k8s/types.js';
import type { ClusterState, World } from '../../world.js';
import { sandboxLinks } from '../hooks.js';
import { KUBE_DNS_IP, KUBERNETES_SERVICE_IP } from '../objects.js';
import type { PodFs } from './podfs.js';

export interface ExecIo {
  out(d: string | Buffer): void;
  err(d: string | Buffer): void;
  /** Everything on stdin until it closes (empty when the client sends none). */
  stdin(): Promise<Buffer>;
}

export interface ExecContext {
  world: World;
  cluster: ClusterState;
  pod: Pod;
  container: string;
  env: Record<string, string>;
  fs: PodFs;
  io: ExecIo;
  tty: boolean;
  cwd: string;
  /** Called with a function that ends a running child (the client went away). */
  onAbort(fn: () => void): void;
}

export type Command = (ctx: ExecContext, args: string[]) => Promise<number>;

const NL = (ctx: ExecContext): string => (ctx.tty ? '\r\n' : '\n');

function lines(ctx: ExecContext, text: string): string {
  return ctx.tty ? text.replace(/\r?\n/g, '\r\n') : text;
}

// ---------- curl ----------

const GOOGLE_HOSTS: Record<string, string> = {
  'iam.googleapis.com': 'WI_DOCTOR_IAM_ENDPOINT',
  'iamcredentials.googleapis.com': 'WI_DOCTOR_IAMCREDENTIALS_ENDPOINT',
  'sts.googleapis.com': 'WI_DOCTOR_STS_ENDPOINT',
  'container.googleapis.com': 'WI_DOCTOR_CONTAINER_ENDPOINT',
  'cloudresourcemanager.googleapis.com': 'WI_DOCTOR_CLOUDRESOURCEMANAGER_ENDPOINT',
  'serviceusage.googleapis.com': 'WI_DOCTOR_SERVICEUSAGE_ENDPOINT',
  'logging.googleapis.com': 'WI_DOCTOR_LOGGING_ENDPOINT',
  'storage.googleapis.com': 'WI_DOCTOR_STORAGE_ENDPOINT',
  'oauth2.googleapis.com': 'WI_DOCTOR_OAUTH2_ENDPOINT',
};
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', '169.254.169.254']);
const KUBERNETES_HOSTS = new Set([
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  KUBERNETES_SERVICE_IP,
]);

/** Where a URL of the pod's world goes in the sandbox, or undefined when the name does not resolve. */
function route(ctx: ExecContext, url: URL): string | undefined {
  const host = url.hostname;
  const path = `${url.pathname}${url.search}`;
  if (METADATA_HOSTS.has(host)) {
    const mds = sandboxLinks(ctx.cluster)?.metadataHost(ctx.pod.metadata.namespace ?? '', ctx.pod.metadata.name);
    return mds === undefined ? undefined : `http://${mds}${path}`;
  }
  if (KUBERNETES_HOSTS.has(host)) return `${ctx.cluster.apiUrl}${path}`;
  if (host === 'www.googleapis.com' && url.pathname.startsWith('/oauth2/')) {
    const base = sandboxLinks(ctx.cluster)?.env.WI_DOCTOR_OAUTH2_ENDPOINT;
    return base === undefined ? undefined : `${base}${url.pathname.replace(/^\/oauth2\/v[0-9]+/, '')}${url.search}`;
  }
  const env = GOOGLE_HOSTS[host];
  const base = env !== undefined ? sandboxLinks(ctx.cluster)?.env[env] : undefined;
  return base === undefined ? undefined : `${base}${path}`;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function progressMeter(bytes: number): string {
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  return (
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
    '                                 Dload  Upload   Total   Spent    Left  Speed\n' +
    `100${pad(bytes, 6)}  100${pad(bytes, 6)}    0     0  ${pad(bytes * 10, 5)}      0 --:--:-- --:--:-- --:--:--${pad(bytes * 10, 6)}\n`
  );
}

const curl: Command = async (ctx, args) => {
  const headers: Record<string, string> = { 'User-Agent': 'curl/7.88.1', Accept: '*/*' };
  let silent = false;
  let showError = false;
  let fail = false;
  let include = false;
  let verbose = false;
  let method: string | undefined;
  let data: string | undefined;
  let output: string | undefined;
  let maxTime: number | undefined;
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const value = (): string => args[++i] ?? '';
    if (a === '-H' || a === '--header') {
      const h = value();
      const at = h.indexOf(':');
      if (at > 0) headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
    } else if (a === '-m' || a === '--max-time' || a === '--connect-timeout') maxTime = Number(value());
    else if (a === '-o' || a === '--output') output = value();
    else if (a === '-X' || a === '--request') method = value();
    else if (a === '-d' || a === '--data' || a === '--data-raw' || a === '--data-binary') data = value();
    else if (a === '-A' || a === '--user-agent') headers['User-Agent'] = value();
    else if (a === '-w' || a === '--write-out' || a === '-u' || a === '--user') value();
    else if (a === '--silent') silent = true;
    else if (a === '--show-error') showError = true;
    else if (a === '--fail') fail = true;
    else if (a === '--include') include = true;
    else if (a === '--verbose') verbose = true;
    else if (a === '--location' || a === '--insecure' || a === '--compressed') continue;
    else if (/^-[sSfiLkvI]+$/.test(a)) {
      for (const ch of a.slice(1)) {
        if (ch === 's') silent = true;
        if (ch === 'S') showError = true;
        if (ch === 'f') fail = true;
        if (ch === 'i') include = true;
        if (ch === 'v') verbose = true;
      }
    } else if (a.startsWith('-')) {
      ctx.io.err(
        lines(ctx, `curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n`),
      );
      return 2;
    } else url = a;
  }
  const errors = !silent || showError;
  if (url === undefined) {
    ctx.io.err(lines(ctx, "curl: try 'curl --help' or 'curl --manual' for more information\n"));
    return 2;
  }
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    if (errors) ctx.io.err(lines(ctx, `curl: (3) URL using bad/illegal format or missing URL\n`));
    return 3;
  }
  const target = route(ctx, parsed);
  if (target === undefined) {
    if (errors) ctx.io.err(lines(ctx, `curl: (6) Could not resolve host: ${parsed.hostname}\n`));
    return 6;
  }
  const limitMs = maxTime !== undefined && Number.isFinite(maxTime) && maxTime > 0 ? maxTime * 1000 : 130_000;
  if (data !== undefined) headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  if (verbose) {
    ctx.io.err(
      lines(
        ctx,
        `*   Trying ${parsed.hostname}:${parsed.port || (parsed.protocol === 'https:' ? 443 : 80)}...\n* Connected to ${parsed.hostname}\n> ${method ?? (data !== undefined ? 'POST' : 'GET')} ${parsed.pathname}${parsed.search} HTTP/1.1\n> Host: ${parsed.host}\n${Object.entries(
          headers,
        )
          .map(([k, v]) => `> ${k}: ${v}\n`)
          .join('')}>\n`,
      ),
    );
  }
  let res: Response;
  const abort = new AbortController();
  ctx.onAbort(() => abort.abort());
  const timer = setTimeout(() => abort.abort(), limitMs);
  try {
    res = await fetch(target, {
      method: method ?? (data !== undefined ? 'POST' : 'GET'),
      headers,
      ...(data !== undefined ? { body: data } : {}),
      signal: abort.signal,
      redirect: 'manual',
    });
  } catch {
    clearTimeout(timer);
    if (errors) {
      const where = `${parsed.hostname} port ${parsed.port || (parsed.protocol === 'https:' ? 443 : 80)}`;
      ctx.io.err(
        lines(
          ctx,
          maxTime !== undefined
            ? `curl: (28) Connection timed out after ${limitMs + 1} milliseconds\n`
            : `curl: (28) Failed to connect to ${where} after ${limitMs} ms: Couldn't connect to server\n`,
        ),
      );
    }
    return 28;
  }
  let body: Buffer;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } finally {
    clearTimeout(timer);
  }
  const statusLine = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? ''}`.trimEnd();
  const headerText = [...res.headers.entries()].map(
    ([k, v]) => `${k.replace(/(^|-)[a-z]/g, (m) => m.toUpperCase())}: ${v}`,
  );
  if (verbose) ctx.io.err(lines(ctx, `< ${statusLine}\n${headerText.map((h) => `< ${h}\n`).join('')}<\n`));
  if (fail && res.status >= 400) {
    if (errors) ctx.io.err(lines(ctx, `curl: (22) The requested URL returned error: ${res.status}\n`));
    return 22;
  }
  if (!silent && !ctx.tty && output === undefined) ctx.io.err(progressMeter(body.length));
  const head = include ? `${statusLine}\r\n${headerText.join('\r\n')}\r\n\r\n` : '';
  if (output !== undefined && output !== '-')
    ctx.fs.write(ctx.fs.resolve(output, ctx.cwd), Buffer.concat([Buffer.from(head), body]));
  else {
    if (head !== '') ctx.io.out(head);
    ctx.io.out(ctx.tty ? Buffer.from(body.toString('utf8').replace(/\r?\n/g, '\r\n')) : body);
  }
  return 0;
};

// ---------- nslookup ----------

function resolveName(ctx: ExecContext, name: string): string | undefined {
  const n = name.replace(/\.$/, '');
  if (n === 'metadata.google.internal' || n === 'metadata') return '169.254.169.254';
  if (KUBERNETES_HOSTS.has(n)) return KUBERNETES_SERVICE_IP;
  const svc = /^([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?$/.exec(n);
  if (svc?.[1] && svc[2]) {
    const s = ctx.cluster.store.get('services', svc[2], svc[1]);
    const ip = s ? (s as unknown as { spec?: { clusterIP?: string } }).spec?.clusterIP : undefined;
    if (ip !== undefined) return ip;
  }
  if (n.endsWith('.googleapis.com')) return '127.0.0.1';
  return undefined;
}

const nslookup: Command = async (ctx, args) => {
  const name = args.find((a) => !a.startsWith('-'));
  if (name === undefined) {
    ctx.io.err(lines(ctx, 'Usage: nslookup [-opt ...] host\n'));
    return 1;
  }
  const server = `Server:\t\t${KUBE_DNS_IP}\nAddress:\t${KUBE_DNS_IP}#53\n\n`;
  const ip = resolveName(ctx, name);
  if (ip === undefined) {
    ctx.io.out(lines(ctx, `${server}** server can't find ${name}: NXDOMAIN\n\n`));
    return 1;
  }
  const local = ip === KUBERNETES_SERVICE_IP || ip.startsWith('34.118.');
  ctx.io.out(
    lines(
      ctx,
      `${server}${local ? '' : 'Non-authoritative answer:\n'}Name:\t${local && !name.includes('.svc') ? `${name}.svc.cluster.local` : name}\nAddress: ${ip}\n\n`,
    ),
  );
  return Promise.resolve(0);
};

// ---------- files ----------

const cat: Command = async (ctx, args) => {
  let code = 0;
  if (args.length === 0) {
    ctx.io.out(await ctx.io.stdin());
    return 0;
  }
  for (const a of args) {
    const p = ctx.fs.resolve(a, ctx.cwd);
    const e = ctx.fs.stat(p);
    if (!e) {
      ctx.io.err(lines(ctx, `cat: ${a}: No such file or directory\n`));
      code = 1;
    } else if (e.type === 'dir') {
      ctx.io.err(lines(ctx, `cat: ${a}: Is a directory\n`));
      code = 1;
    } else ctx.io.out(await ctx.fs.read(p));
  }
  return code;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function lsDate(ms: number, now: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const recent = now - ms < 182 * 24 * 3600 * 1000 && ms <= now + 3600_000;
  const tail = recent
    ? `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
    : ` ${d.getUTCFullYear()}`;
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${day} ${tail}`;
}

function modeString(e: { type: string; mode: number }): string {
  const t = e.type === 'dir' ? 'd' : e.type === 'link' ? 'l' : '-';
  const bits = ['r', 'w', 'x'];
  let s = '';
  for (let i = 8; i >= 0; i--) s += e.mode & (1 << i) ? (bits[(8 - i) % 3] ?? '-') : '-';
  if (e.mode & 0o1000) s = `${s.slice(0, 8)}${s[8] === 'x' ? 't' : 'T'}`;
  return t + s;
}

const ls: Command = async (ctx, args) => {
  let long = false;
  let all = false;
  let almost = false;
  const paths: string[] = [];
  for (const a of args) {
    if (/^-[a-zA-Z1]+$/.test(a)) {
      if (a.includes('l')) long = true;
      if (a.includes('a')) all = true;
      if (a.includes('A')) almost = true;
    } else paths.push(a);
  }
  if (paths.length === 0) paths.push('.');
  let code = 0;
  const now = ctx.cluster.now();
  for (const [pi, raw] of paths.entries()) {
    const p = ctx.fs.resolve(raw, ctx.cwd);
    const e = ctx.fs.stat(p);
    if (!e) {
      ctx.io.err(lines(ctx, `ls: cannot access '${raw}': No such file or directory\n`));
      code = 2;
      continue;
    }
    if (paths.length > 1 && e.type === 'dir') ctx.io.out(lines(ctx, `${pi > 0 ? '\n' : ''}${raw}:\n`));
    let names: string[];
    if (e.type === 'dir') {
      names = ctx.fs.list(p).filter((n) => all || almost || !n.startsWith('.'));
      if (all) names = ['.', '..', ...names];
    } else names = [raw];
    if (!long) {
      ctx.io.out(lines(ctx, names.length === 0 ? '' : ctx.tty ? `${names.join('  ')}\n` : `${names.join('\n')}\n`));
      continue;
    }
    const rows: string[][] = [];
    let blocks = 0;
    for (const n of names) {
      const full =
        e.type !== 'dir' ? p : n === '.' ? p : n === '..' ? ctx.fs.resolve(`${p}/..`) : `${p === '/' ? '' : p}/${n}`;
      const entry = n === '.' || n === '..' ? ctx.fs.stat(full) : ctx.fs.stat(full, false);
      if (!entry) continue;
      const size = await ctx.fs.size(full, entry);
      if (entry.type !== 'link' && n !== '..') blocks += Math.ceil(size / 4096) * 4;
      const name = entry.type === 'link' ? `${n} -> ${entry.target}` : n;
      rows.push([
        modeString(entry),
        entry.type === 'dir'
          ? String(2 + ctx.fs.list(full).filter((x) => ctx.fs.stat(`${full}/${x}`, false)?.type === 'dir').length)
          : '1',
        'root',
        'root',
        String(size),
        lsDate(entry.mtime, now),
        name,
      ]);
    }
    const width = (i: number): number => Math.max(...rows.map((r) => (r[i] ?? '').length));
    const out = rows.map(
      (r) =>
        `${r[0] ?? ''} ${(r[1] ?? '').padStart(width(1))} ${(r[2] ?? '').padEnd(width(2))} ${(r[3] ?? '').padEnd(width(3))} ${(r[4] ?? '').padStart(width(4))} ${r[5] ?? ''} ${r[6] ?? ''}`,
    );
    if (e.type === 'dir') out.unshift(`total ${blocks}`);
    ctx.io.out(lines(ctx, `${out.join('\n')}\n`));
  }
  return code;
};

/** `test` / `[`: the file and string tests kubectl cp and scripts use. */
const test: Command = (ctx, rawArgs) => {
  const args = rawArgs[rawArgs.length - 1] === ']' ? rawArgs.slice(0, -1) : rawArgs;
  const [op, arg] = args;
  let ok = false;
  if (args.length === 2 && op !== undefined && arg !== undefined && /^-[defrsxwz n]$/.test(op)) {
    const e = ctx.fs.stat(ctx.fs.resolve(arg, ctx.cwd));
    if (op === '-d') ok = e?.type === 'dir';
    else if (op === '-f') ok = e?.type === 'file';
    else if (op === '-e' || op === '-r' || op === '-s' || op === '-w' || op === '-x') ok = e !== undefined;
    else if (op === '-z') ok = arg === '';
    else if (op === '-n') ok = arg !== '';
  } else if (args.length === 3)
    ok = args[1] === '=' || args[1] === '==' ? args[0] === args[2] : args[1] === '!=' ? args[0] !== args[2] : false;
  else if (args.length === 1) ok = (args[0] ?? '') !== '';
  return Promise.resolve(ok ? 0 : 1);
};

// ---------- tar (kubectl cp) ----------

function tarHeader(name: string, size: number, mtime: number, dir = false): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write(`${(dir ? 0o755 : 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(mtime / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write('        ', 148);
  h.write(dir ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const tar: Command = async (ctx, args) => {
  const flags = (args[0] ?? '').replace(/^-/, '');
  let dir = ctx.cwd;
  const rest: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-C') dir = ctx.fs.resolve(args[++i] ?? '/', ctx.cwd);
    else if (a.startsWith('--')) continue;
    else if (a !== '-') rest.push(a);
  }
  if (flags.includes('x')) {
    const data = await ctx.io.stdin();
    let off = 0;
    let longName: string | undefined;
    while (off + 512 <= data.length) {
      const h = data.subarray(off, off + 512);
      if (h.every((b) => b === 0)) break;
      const name = longName ?? h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const prefix = h.toString('utf8', 345, 500).replace(/\0.*$/s, '');
      const size = parseInt(h.toString('utf8', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
      const type = String.fromCharCode(h[156] ?? 48);
      off += 512;
      const body = data.subarray(off, off + size);
      off += Math.ceil(size / 512) * 512;
      longName = undefined;
      if (type === 'L') {
        longName = body.toString('utf8').replace(/\0.*$/s, '');
        continue;
      }
      const full = ctx.fs.resolve(prefix !== '' ? `${prefix}/${name}` : name, dir);
      if (type === '5') ctx.fs.mkdir(full);
      else if (type === '0' || type === '\0') ctx.fs.write(full, Buffer.from(body));
    }
    return 0;
  }
  if (flags.includes('c')) {
    const chunks: Buffer[] = [];
    const add = async (path: string, name: string): Promise<void> => {
      const e = ctx.fs.stat(path);
      if (!e) return;
      if (e.type === 'dir') {
        chunks.push(tarHeader(`${name}/`, 0, e.mtime, true));
        for (const child of ctx.fs.list(path)) await add(`${path}/${child}`, `${name}/${child}`);
        return;
      }
      const body = await ctx.fs.read(path);
      chunks.push(tarHeader(name, body.length, e.mtime), body, Buffer.alloc((512 - (body.length % 512)) % 512));
    };
    for (const r of rest) {
      const p = ctx.fs.resolve(r, dir);
      if (!ctx.fs.stat(p)) {
        ctx.io.err(
          `tar: ${r}: Cannot stat: No such file or directory\ntar: Exiting with failure status due to previous errors\n`,
        );
        return 2;
      }
      await add(p, r.replace(/^\/+/, ''));
    }
    chunks.push(Buffer.alloc(1024));
    ctx.io.out(Buffer.concat(chunks));
    return 0;
  }
  ctx.io.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\n");
  return 2;
};

// ---------- node ----------

/** `node FILE [args]`: runs the file with Node as this pod, its metadata server standing in for 169.254.169.254. */
const node: Command = async (ctx, args) => {
  if (args[0] === '--version' || args[0] === '-v') {
    ctx.io.out(lines(ctx, `${process.version}\n`));
    return 0;
  }
  const file = args[0];
  if (file === undefined || file.startsWith('-')) {
    ctx.io.err(lines(ctx, 'the sandbox runs `node FILE [ARGS]` only\n'));
    return 9;
  }
  const p = ctx.fs.resolve(file, ctx.cwd);
  const e = ctx.fs.stat(p);
  if (e?.type !== 'file') {
    ctx.io.err(
      lines(ctx, `node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\nError: Cannot find module '${p}'\n`),
    );
    return 1;
  }
  const dir = await mkdtemp(join(tmpdir(), 'wi-sandbox-exec-'));
  try {
    const script = join(dir, p.split('/').pop() ?? 'main.js');
    await writeFile(script, await ctx.fs.read(p));
    const links = sandboxLinks(ctx.cluster);
    const mds = links?.metadataHost(ctx.pod.metadata.namespace ?? '', ctx.pod.metadata.name);
    const env: Record<string, string> = {
      ...ctx.env,
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      // The sandbox's plumbing: what 169.254.169.254, metadata.google.internal and Google's APIs are here.
      ...(mds !== undefined
        ? { GCE_METADATA_HOST: mds, WI_DOCTOR_METADATA_IP: '127.0.0.1', WI_DOCTOR_METADATA_DNS_NAME: 'localhost' }
        : {}),
      ...Object.fromEntries(Object.entries(links?.env ?? {}).filter(([k]) => /^WI_DOCTOR_[A-Z0-9]+_ENDPOINT$/.test(k))),
      POD_NAMESPACE: ctx.pod.metadata.namespace ?? '',
      POD_NAME: ctx.pod.metadata.name,
      ...(ctx.pod.spec.nodeName !== undefined ? { NODE_NAME: ctx.pod.spec.nodeName } : {}),
    };
    const child = spawn(process.execPath, [script, ...args.slice(1)], {
      env,
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    ctx.onAbort(() => child.kill('SIGKILL'));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) =>
      ctx.io.out(ctx.tty ? Buffer.from(d.toString('utf8').replace(/\r?\n/g, '\r\n')) : d),
    );
    child.stderr.on('data', (d: Buffer) => ctx.io.err(d));
    void ctx.io.stdin().then((input) => {
      child.stdin.end(input);
    });
    child.stdin.on('error', () => undefined);
    return await new Promise<number>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        resolve(code ?? (signal !== null ? 137 : 1));
      });
      child.on('error', () => {
        clearTimeout(killer);
        resolve(127);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

// ---------- text filters (for pipes in `sh -c`) ----------

async function input(ctx: ExecContext, files: string[]): Promise<string | undefined> {
  if (files.length === 0) return (await ctx.io.stdin()).toString('utf8');
  let text = '';
  for (const f of files) {
    const p = ctx.fs.resolve(f, ctx.cwd);
    if (ctx.fs.stat(p)?.type !== 'file') return undefined;
    text += (await ctx.fs.read(p)).toString('utf8');
  }
  return text;
}

function splitLines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

const grep: Command = async (ctx, args) => {
  let invert = false;
  let ignore = false;
  let only = false;
  let count = false;
  let quiet = false;
  const rest: string[] = [];
  for (const a of args) {
    if (/^-[ivocqE]+$/.test(a)) {
      invert ||= a.includes('v');
      ignore ||= a.includes('i');
      only ||= a.includes('o');
      count ||= a.includes('c');
      quiet ||= a.includes('q');
    } else rest.push(a);
  }
  const [pattern, ...files] = rest;
  if (pattern === undefined) {
    ctx.io.err('Usage: grep [OPTION]... PATTERNS [FILE]...\n');
    return 2;
  }
  const text = await input(ctx, files);
  if (text === undefined) {
    ctx.io.err(`grep: ${files[0] ?? ''}: No such file or directory\n`);
    return 2;
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, ignore ? 'gi' : 'g');
  } catch {
    re = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), ignore ? 'gi' : 'g');
  }
  const hits = splitLines(text).filter((l) => {
    re.lastIndex = 0;
    return re.test(l) !== invert;
  });
  if (!quiet) {
    if (count) ctx.io.out(`${hits.length}\n`);
    else if (only)
      ctx.io.out(
        hits
          .flatMap((l) => l.match(re) ?? [])
          .map((m) => `${m}\n`)
          .join(''),
      );
    else ctx.io.out(hits.map((l) => `${l}\n`).join(''));
  }
  return hits.length > 0 ? 0 : 1;
};

function countArg(args: string[]): { n: number; files: string[] } {
  let n = 10;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-n' || a === '-c') n = Number(args[++i] ?? 10);
    else if (/^-\d+$/.test(a)) n = Number(a.slice(1));
    else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
    else files.push(a);
  }
  return { n, files };
}

const head: Command = async (ctx, args) => {
  const { n, files } = countArg(args);
  const text = await input(ctx, files);
  if (text === undefined) return 1;
  ctx.io.out(
    splitLines(text)
      .slice(0, n)
      .map((l) => `${l}\n`)
      .join(''),
  );
  return 0;
};

const tail: Command = async (ctx, args) => {
  const { n, files } = countArg(args);
  const text = await input(ctx, files);
  if (text === undefined) return 1;
  ctx.io.out(
    splitLines(text)
      .slice(-n)
      .map((l) => `${l}\n`)
      .join(''),
  );
  return 0;
};

const wc: Command = async (ctx, args) => {
  const files = args.filter((a) => !a.startsWith('-'));
  const text = await input(ctx, files);
  if (text === undefined) return 1;
  const l = (text.match(/\n/g) ?? []).length;
  const w = text.split(/\s+/).filter((x) => x !== '').length;
  const c = Buffer.byteLength(text);
  if (args.includes('-l')) ctx.io.out(`${l}\n`);
  else if (args.includes('-c')) ctx.io.out(`${c}\n`);
  else if (args.includes('-w')) ctx.io.out(`${w}\n`);
  else ctx.io.out(`${String(l).padStart(7)} ${String(w).padStart(7)} ${String(c).padStart(7)}\n`);
  return 0;
};

const cut: Command = async (ctx, args) => {
  let delim = '\t';
  let fields: number[] = [];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-d') delim = args[++i] ?? '\t';
    else if (a.startsWith('-d')) delim = a.slice(2);
    else if (a === '-f') fields = (args[++i] ?? '').split(',').map(Number);
    else if (a.startsWith('-f')) fields = a.slice(2).split(',').map(Number);
    else files.push(a);
  }
  const text = await input(ctx, files);
  if (text === undefined) return 1;
  ctx.io.out(
    splitLines(text)
      .map(
        (l) =>
          `${fields
            .map((f) => l.split(delim)[f - 1] ?? '')
            .filter((x, i) => x !== '' || i === 0)
            .join(delim)}\n`,
      )
      .join(''),
  );
  return 0;
};

const base64: Command = async (ctx, args) => {
  const decode = args.includes('-d') || args.includes('--decode');
  const text = await input(
    ctx,
    args.filter((a) => !a.startsWith('-')),
  );
  if (text === undefined) return 1;
  if (decode) {
    const clean = text.replace(/\s+/g, '');
    if (/[^A-Za-z0-9+/=]/.test(clean)) {
      ctx.io.out(Buffer.from(clean.replace(/[^A-Za-z0-9+/=]+.*$/s, ''), 'base64'));
      ctx.io.err('base64: invalid input\n');
      return 1;
    }
    ctx.io.out(Buffer.from(clean, 'base64'));
    return 0;
  }
  ctx.io.out(
    `${(
      Buffer.from(text)
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\n')}\n`,
  );
  return 0;
};

// ---------- small ones ----------

const simple =
  (fn: (ctx: ExecContext, args: string[]) => string | number): Command =>
  (ctx, args) => {
    const r = fn(ctx, args);
    if (typeof r === 'number') return Promise.resolve(r);
    ctx.io.out(lines(ctx, r));
    return Promise.resolve(0);
  };

function envText(ctx: ExecContext): string {
  return Object.entries(ctx.env)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

export const COMMANDS: Record<string, Command> = {
  grep,
  head,
  tail,
  wc,
  cut,
  base64,
  curl,
  nslookup,
  cat,
  ls,
  test,
  '[': test,
  tar,
  node,
  env: simple((ctx) => envText(ctx)),
  printenv: simple((ctx, args) => {
    if (args.length === 0) return envText(ctx);
    const values = args.map((a) => ctx.env[a]).filter((v): v is string => v !== undefined);
    if (values.length === 0) return 1;
    return values.map((v) => `${v}\n`).join('');
  }),
  echo: simple((_ctx, args) => (args[0] === '-n' ? args.slice(1).join(' ') : `${args.join(' ')}\n`)),
  true: simple(() => 0),
  false: simple(() => 1),
  hostname: simple((ctx) => `${ctx.pod.metadata.name}\n`),
  whoami: simple(() => 'root\n'),
  id: simple(() => 'uid=0(root) gid=0(root) groups=0(root)\n'),
  pwd: simple((ctx) => `${ctx.cwd}\n`),
  date: simple((ctx) => `${new Date(ctx.cluster.now()).toUTCString().replace(/GMT$/, 'UTC')}\n`),
  uname: simple((_ctx, args) =>
    args.includes('-a') ? `Linux sandbox 6.6.72+ #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n` : 'Linux\n',
  ),
  sleep: async (ctx, args) => {
    const s = Number(args[0] ?? 0);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(Math.max(0, s), 3600) * 1000);
      ctx.onAbort(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return 0;
  },
  mkdir: simple((ctx, args) => {
    for (const a of args.filter((x) => !x.startsWith('-'))) ctx.fs.mkdir(ctx.fs.resolve(a, ctx.cwd));
    return 0;
  }),
};

/** The directories a bare command name is looked up in (what `env` prints as PATH). */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function lookup(name: string): Command | undefined {
  const base = /^\/(usr\/)?(local\/)?s?bin\/([^/]+)$/.exec(name)?.[3] ?? name;
  if (base.includes('/')) return undefined;
  return Object.prototype.hasOwnProperty.call(COMMANDS, base) ? COMMANDS[base] : undefined;
}

export { NL };
