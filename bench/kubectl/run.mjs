// Measure: how many of the everyday kubectl commands (cases.mjs) behave against the sandbox as against GKE.
// Usage: npm run build && node bench/kubectl/run.mjs [--verbose]
// Starts the sandbox in-process (one world per scenario named by the cases), runs each command with bash and
// the machine's kubectl, compares exit code and output with what GKE answers, prints one line per command and
// the count. Loopback only; stops its sandboxes by itself. Not a test: the count goes to BENCHMARKS.md.

import { exec } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASES, MANIFESTS } from './cases.mjs';

const verbose = process.argv.includes('--verbose');
const dist = new URL('../../dist/', import.meta.url);
const { startSandbox } = await import(new URL('sandbox/index.js', dist).href);
const probe = new URL('wi-doctor-probe.cjs', dist).pathname;
const bin = new URL('cli/bin.js', dist).pathname;

const dir = mkdtempSync(join(tmpdir(), 'wi-kubectl-bench-'));
for (const [name, text] of Object.entries(MANIFESTS)) writeFileSync(join(dir, name), text);

function run(cmd, env) {
  return new Promise((resolve) => {
    exec(cmd, { env, timeout: 90_000, shell: '/bin/bash' }, (error, stdout, stderr) => {
      // A trailing newline is not part of what the cases compare (`$` ends the last line).
      const trim = (s) => s.replace(/\r?\n$/, '');
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : 124) : 0,
        stdout: trim(stdout),
        stderr: trim(stderr),
      });
    });
  });
}

async function names(env) {
  const pods = await run(
    "kubectl get pods -n shop -l app=cart -o jsonpath='{.items[0].metadata.name} {.items[0].spec.nodeName}'",
    env,
  );
  const mds = await run(
    "kubectl get pods -n kube-system -l k8s-app=gke-metadata-server -o jsonpath='{.items[0].metadata.name}'",
    env,
  );
  const [pod = 'cart-pod', node = 'node'] = pods.stdout.trim().split(' ');
  return { pod, node, mds: mds.stdout.trim() || 'gke-metadata-server' };
}

const byScenario = new Map();
for (const c of CASES) {
  const s = c.scenario ?? 'healthy';
  if (!byScenario.has(s)) byScenario.set(s, []);
  byScenario.get(s).push(c);
}

let passed = 0;
const failures = [];
for (const [scenario, cases] of byScenario) {
  const sb = await startSandbox({ scenario: new URL(`../../scenarios/${scenario}.yaml`, import.meta.url).pathname });
  const home = mkdtempSync(join(tmpdir(), 'wi-kubectl-home-'));
  const env = { PATH: process.env.PATH, HOME: home, ...sb.env };
  try {
    for (const c of cases) {
      const n = await names(env);
      const cmd = c.cmd
        .replaceAll('{pod}', n.pod)
        .replaceAll('{node}', n.node)
        .replaceAll('{mds}', n.mds)
        .replaceAll('{dir}', dir)
        .replaceAll('{probe}', probe)
        .replaceAll('{bin}', bin);
      const r = await run(cmd, env);
      const problems = [];
      if (r.code !== (c.code ?? 0)) problems.push(`exit ${r.code}, expected ${c.code ?? 0}`);
      for (const re of c.out ?? []) if (!re.test(r.stdout)) problems.push(`stdout lacks ${re}`);
      for (const re of c.err ?? []) if (!re.test(r.stderr)) problems.push(`stderr lacks ${re}`);
      if (problems.length === 0) passed++;
      else failures.push({ cmd, problems, r });
      console.log(
        `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${scenario === 'healthy' ? '' : `[${scenario}] `}${c.cmd}`,
      );
      if (problems.length > 0 && verbose) {
        console.log(`     ${problems.join('; ')}`);
        console.log(`     stdout: ${r.stdout.slice(0, 400).replaceAll('\n', '\n             ')}`);
        console.log(`     stderr: ${r.stderr.slice(0, 400).replaceAll('\n', '\n             ')}`);
      }
    }
  } finally {
    await sb.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${passed} of ${CASES.length} commands behave as on GKE`);
