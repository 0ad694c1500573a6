// Run the built CLI (dist/cli/bin.js) or a shell command against a sandbox in a child process, timestamping
// every line of its output as it arrives, so that the parent can split the run into phases by marker lines
// and count the `--debug` HTTP trace per phase. The sandbox stays in the parent: never block its event loop.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

/** Environment of a child pointed at the sandbox, with Google metadata detection off and a throwaway HOME. */
export function childEnv(sandboxEnv, home) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ...sandboxEnv,
    METADATA_SERVER_DETECTION: 'none',
    CLOUDSDK_CONFIG: home,
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
  };
}

/** A scratch folder (cwd and HOME of the children), removed by `done()`. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-bench-fix-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Spawn and collect `{code, lines: [{t, stream, text}], ms}`; `t` is ms since the spawn. Killed (by its pid) after
 * `timeoutMs`.
 */
export function run(command, args, { env, cwd, timeoutMs = 300_000 }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    for (const stream of ['stdout', 'stderr']) {
      let rest = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk) => {
        const t = performance.now() - t0;
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const text of parts) lines.push({ t, stream, text });
      });
      child[stream].on('end', () => {
        if (rest !== '') lines.push({ t: performance.now() - t0, stream, text: rest });
      });
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, lines, ms: performance.now() - t0 });
    });
  });
}

export const runCli = (args, options) => run(process.execPath, [BIN, ...args], options);

/** `wi-doctor: http METHOD URL → STATUS MS ms` lines of `--debug`, with their arrival time. */
export function httpLines(lines) {
  const out = [];
  for (const l of lines) {
    const m = /^wi-doctor: http (\S+) (\S+) → (\S+) (\d+) ms/.exec(l.text);
    if (m) out.push({ t: l.t, method: m[1], url: m[2], status: m[3], ms: Number(m[4]) });
  }
  return out;
}

/**
 * What a call is for: `chain` (TokenRequest, STS exchange, generateAccessToken: the proof that a KSA gets a
 * token), `write` (anything that changes state), `read` (GET and the POST reads: getIamPolicy, queries).
 */
export function callClass({ method, url }) {
  const p = new URL(url).pathname;
  if (/\/serviceaccounts\/[^/]+\/token$/.test(p) || /\/v1\/token$/.test(p) || /:generateAccessToken$/.test(p))
    return 'chain';
  if (method === 'GET') return 'read';
  if (/:(getIamPolicy|testIamPermissions|query|list)$/.test(p) || /entries:list$/.test(p)) return 'read';
  return 'write';
}
