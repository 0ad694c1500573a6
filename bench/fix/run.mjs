// Benchmark: `wi-doctor fix --all --apply` and `wi-doctor rotate` against the sandbox with injected latency
// (80 ms per Google call, 10 ms per Kubernetes call) and an IAM propagation delay, against the minimum calls a
// correct etag read-modify-write + verification needs, and against the manual path of the reference guide
// (its gcloud/kubectl commands, run with the machine's gcloud and kubectl against a fresh copy of the world).
// Usage: npm run build && node bench/fix/run.mjs [--scenarios missing-binding,annotation-typo,gsa-disabled,demo,shared-binding]
//        [--shared-ksas 50] [--propagation-seconds 5] [--no-manual] [--no-rotate] [--no-fix] [--limit-minutes 10]
//        [--out bench/out/fix]
// The CLI runs as a child process with --debug: the HTTP trace and the phase markers ("Applying to",
// "Verifying:") are on its stderr, in order, so each call is counted in the phase it was made in. The sandbox's
// servers count what they receive (they agree). Loopback only; stops by itself. Not a test: numbers go to
// BENCHMARKS.md by hand.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchArgs, nonNegative, oneOf, positive } from '../args.mjs';

const SCENARIOS = ['missing-binding', 'annotation-typo', 'gsa-disabled', 'demo', 'shared-binding'];
const values = benchArgs(
  'bench:fix',
  {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    'shared-ksas': { type: 'string', default: '50' },
    'propagation-seconds': { type: 'string', default: '5' },
    'no-manual': { type: 'boolean', default: false },
    'no-rotate': { type: 'boolean', default: false },
    'no-fix': { type: 'boolean', default: false },
    'limit-minutes': { type: 'string', default: '10' },
    out: { type: 'string', default: 'bench/out/fix' },
  },
  (v) =>
    oneOf(v, 'scenarios', SCENARIOS) ??
    positive(v, 'shared-ksas') ??
    nonNegative(v, 'propagation-seconds') ??
    positive(v, 'limit-minutes'),
);

const { startSandbox, loadScenarioFile } = await import('../../dist/sandbox/index.js');
const { benchScenario, latencyFaults } = await import('../live/world.mjs');
const { countRequests, diff, total } = await import('../sandbox-count.mjs');
const { callClass, childEnv, httpLines, run, runCli, scratch } = await import('./cli.mjs');
const { manualPath } = await import('./manual.mjs');
const { benchRotate } = await import('./rotate.mjs');

const limitMs = Number(values['limit-minutes']) * 60_000;
const deadline = setTimeout(() => {
  console.error(`bench:fix: stopped after ${values['limit-minutes']} minutes`);
  process.exit(2);
}, limitMs);
deadline.unref();

const propagationS = Number(values['propagation-seconds']);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const scenarioFile = (name) => fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url));

/** The world of a scenario, with the bench's latency and propagation delay added to its own faults. */
export async function worldOf(name) {
  let scenario;
  if (name === 'shared-binding') {
    // N KSAs in one namespace, all annotated for one GSA whose policy binds none of them.
    const n = Number(values['shared-ksas']);
    scenario = benchScenario({ ksas: n, gsas: 1, namespaces: 1, nodes: 2 });
    scenario.projects[0].serviceAccounts[1].policy = { bindings: [] };
  } else {
    scenario = await loadScenarioFile(scenarioFile(name));
  }
  const latency = latencyFaults();
  scenario.faults = {
    ...(scenario.faults ?? {}),
    seed: scenario.faults?.seed ?? latency.seed,
    rules: [...(scenario.faults?.rules ?? []), ...latency.rules],
    iamPropagationDelaySeconds: propagationS,
  };
  return scenario;
}

/**
 * Split a `fix --apply --format json --debug` run into plan / apply / rollout (waiting for replaced pods) /
 * verify by its stderr markers.
 */
function phasesOf(result) {
  const phases = [];
  let current = { name: 'plan', start: 0, calls: [] };
  for (const l of result.lines) {
    if (l.stream !== 'stderr') continue;
    const next = /^Applying to /.test(l.text)
      ? 'apply'
      : /^Waiting for the new pods of /.test(l.text)
        ? 'rollout'
        : /^Verifying: /.test(l.text)
          ? 'verify'
          : /^The changes so far revealed more/.test(l.text)
            ? 'plan'
            : undefined;
    if (next !== undefined) {
      phases.push({ ...current, end: l.t });
      current = { name: next, start: l.t, calls: [] };
      continue;
    }
    const [h] = httpLines([l]);
    if (h) current.calls.push(h);
  }
  phases.push({ ...current, end: result.ms });
  const sum = {};
  for (const p of phases) {
    const x = (sum[p.name] ??= { ms: 0, read: 0, write: 0, chain: 0, rounds: 0, firstCallMs: undefined });
    x.ms += p.end - p.start;
    // Time from the phase's start to its first call's answer: process start-up and credentials for the plan.
    if (x.firstCallMs === undefined && p.calls.length > 0) x.firstCallMs = p.calls[0].t - p.start;
    x.rounds++;
    for (const c of p.calls) x[callClass(c)]++;
  }
  return sum;
}

/**
 * The least a correct fix needs once the plan is known: per changed object one read (for its etag or
 * current state) and one write, and the members one IAM policy gains go in one write; verification is at
 * least one re-read per changed object and one token chain (TokenRequest → STS exchange →
 * generateAccessToken: 3 calls) per subject KSA, once propagation is over.
 */
function minimumOf(document) {
  const changes = document.rounds.flatMap((r) => r.changes).filter((c) => c.status === 'applied');
  const objects = new Set(
    changes.map((c) => (/iam/.test(c.action) ? `policy ${c.target}` : `${c.action} ${c.target}`)),
  );
  const ksas = new Set(document.rounds.flatMap((r) => r.plan.subjects.map((x) => x.ksa)));
  return {
    changes: changes.length,
    objects: objects.size,
    apply: { read: objects.size, write: objects.size },
    verify: { read: objects.size },
    ksas: ksas.size,
  };
}

async function benchFix(name) {
  console.log(`\n## fix --all --apply: ${name} (propagation delay ${propagationS} s)`);
  const sandbox = await startSandbox({ scenario: await worldOf(name) });
  const requests = countRequests(sandbox);
  const tmp = scratch();
  const out = { scenario: name, propagationSeconds: propagationS };
  try {
    const args = ['fix', '--all', '--apply', '--yes', '--format', 'json', '--debug'];
    if (name === 'demo') args.push('--allow-disruptive');
    const before = requests();
    const r = await run(process.execPath, [fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url)), ...args], {
      env: childEnv(sandbox.env, tmp.dir),
      cwd: tmp.dir,
      timeoutMs: limitMs,
    });
    const server = diff(requests(), before);
    const stdout = r.lines
      .filter((l) => l.stream === 'stdout')
      .map((l) => l.text)
      .join('\n');
    let document;
    try {
      document = JSON.parse(stdout);
    } catch {
      throw new Error(
        `fix printed no JSON document (exit ${r.code}): ${r.lines
          .map((l) => l.text)
          .slice(-15)
          .join('\n')}`,
      );
    }
    const phases = phasesOf(r);
    const calls = httpLines(r.lines).length;
    const minimum = minimumOf(document);
    const last = document.rounds.at(-1);
    Object.assign(out, {
      exitCode: r.code,
      wallMs: r.ms,
      calls,
      serverRequests: total(server),
      serverByApi: server,
      phases,
      minimum,
      verification: last?.verification ?? null,
      statuses: document.rounds.flatMap((x) => x.changes.map((c) => `${c.action}:${c.status}`)),
      waits: r.lines.filter((l) => /waiting for IAM propagation/.test(l.text)).length,
    });
    // One successful chain per subject KSA is the least proof: the chain calls of one verification try.
    out.chainPerRound = Math.round((phases.verify?.chain ?? 0) / Math.max(1, out.waits + (phases.verify?.rounds ?? 1)));
    const p = (k) => phases[k] ?? { ms: 0, read: 0, write: 0, chain: 0, rounds: 0 };
    console.log(
      `exit ${r.code}; ${document.rounds.length} round(s); changes ${JSON.stringify(out.statuses)}; verified ${last?.verification?.ok}`,
    );
    console.log(
      `calls ${calls} (sandbox saw ${out.serverRequests} ${JSON.stringify(server)}); wall ${s(r.ms)}: ` +
        `plan ${s(p('plan').ms)} (${p('plan').read} reads, first answer after ${s(p('plan').firstCallMs ?? 0)}), apply ${s(p('apply').ms)} (${p('apply').read} reads, ${p('apply').write} writes; ` +
        `minimum ${minimum.apply.read} + ${minimum.apply.write}), rollout wait ${s(p('rollout').ms)} (${p('rollout').read} reads), verify ${s(p('verify').ms)} (${p('verify').read} reads, ${p('verify').chain} chain calls, ` +
        `${p('verify').write} writes; minimum ${minimum.verify.read} reads + ${out.chainPerRound} chain calls; ${out.waits} propagation waits; propagation delay ${propagationS} s)`,
    );
    if (!values['no-manual']) {
      const manual = await manualPath(name, {
        fresh: async () => startSandbox({ scenario: await worldOf(name) }),
        values,
      });
      out.manual = manual;
      if (manual !== undefined)
        console.log(
          `manual (reference guide): ${manual.commands} commands typed (${manual.gcloud} gcloud, ${manual.kubectl} kubectl)` +
            (manual.ran
              ? `; ran ${manual.ran.length}: ${s(manual.ranMs)}, all ${manual.commands}: ${s(manual.scaledMs)} (${manual.ran.map((c) => `${c.what} ${s(c.ms)}${c.code === 0 ? '' : ` exit ${c.code}`}`).join(', ')})`
              : '') +
            (manual.note ? `; ${manual.note}` : ''),
        );
    }
  } finally {
    tmp.done();
    await sandbox.stop();
  }
  return out;
}

// The CLI's own start-up (a fresh Node.js process loading the built CLI), which every plan phase includes.
const startup = [];
for (let i = 0; i < 3; i++) startup.push((await runCli(['--version'], { env: { PATH: process.env.PATH ?? '' } })).ms);
startup.sort((a, b) => a - b);
console.log(`CLI start-up (wi-doctor --version, 3 runs): ${startup.map(s).join(', ')}`);
const results = { startupMs: startup, fix: [], rotate: undefined };
if (!values['no-fix']) for (const name of values.scenarios.split(',')) results.fix.push(await benchFix(name));
if (!values['no-rotate'])
  results.rotate = await benchRotate({
    worldOf,
    values,
    limitMs,
    s,
    requestsOf: countRequests,
    diff,
    total,
    runCli,
    run,
    childEnv,
    scratch,
    httpLines,
    callClass,
    startSandbox,
  });
mkdirSync(values.out, { recursive: true });
writeFileSync(`${values.out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nraw results: ${values.out}/results.json`);
clearTimeout(deadline);
