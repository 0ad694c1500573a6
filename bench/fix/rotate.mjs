// `wi-doctor rotate` (zero-downtime order) against the reference guide's rotation (disable the old GSA first,
// then create, grant, bind, annotate, restart), each on a fresh `healthy` world with the bench's latency and
// IAM propagation delay, while a poller asks every pod of shop/cart's Deployment for a token from its own
// metadata server (what the application does) every 100 ms: the time no pod of the workload had a working
// identity is the downtime, and the time each pod spent without one is added up too.

import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const OLD = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
const NEW = 'cart-v2@acme-shop.iam.gserviceaccount.com';
const POLL_MS = 100;

/** Poll the metadata servers of the workload's pods until stopped. */
function poller(sandbox) {
  const ticks = [];
  let stop = false;
  const t0 = performance.now();
  const loop = (async () => {
    while (!stop) {
      const started = performance.now() - t0;
      const pods = sandbox.pods.filter((p) => p.namespace === 'shop' && p.name.startsWith('cart-'));
      const answers = await Promise.all(
        pods.map(async (p) => {
          try {
            const r = await fetch(`${p.metadataUrl}/computeMetadata/v1/instance/service-accounts/default/token`, {
              headers: { 'Metadata-Flavor': 'Google' },
              signal: AbortSignal.timeout(2000),
            });
            await r.arrayBuffer();
            return { pod: p.name, ok: r.status === 200 };
          } catch {
            return { pod: p.name, ok: false };
          }
        }),
      );
      ticks.push({ t: started, answers });
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  return {
    async stop() {
      stop = true;
      await loop;
      // A tick's state lasts until the next tick.
      let downMs = 0;
      let podDownMs = 0;
      for (let i = 0; i + 1 < ticks.length; i++) {
        const dt = ticks[i + 1].t - ticks[i].t;
        if (!ticks[i].answers.some((a) => a.ok)) downMs += dt;
        podDownMs += dt * ticks[i].answers.filter((a) => !a.ok).length;
      }
      const firstFail = ticks.find((x) => !x.answers.some((a) => a.ok));
      return { ticks: ticks.length, downMs, podDownMs, firstFailAtMs: firstFail?.t };
    },
  };
}

/** The guide's rotation, names substituted (its `delete` of the old account left out: nothing to measure). */
const GUIDE_ROTATION = [
  ['disable old', `gcloud iam service-accounts disable ${OLD}`],
  ['create new', `gcloud iam service-accounts create cart-v2 --display-name "App workload identity (v2)"`],
  [
    'grant new',
    `gcloud projects add-iam-policy-binding acme-shop --member="serviceAccount:${NEW}" --role="roles/storage.objectViewer"`,
  ],
  [
    'bind new',
    `gcloud iam service-accounts add-iam-policy-binding ${NEW} --role="roles/iam.workloadIdentityUser" --member="serviceAccount:acme-shop.svc.id.goog[shop/cart]"`,
  ],
  [
    'annotate',
    `kubectl patch serviceaccount cart -n shop -p '{"metadata":{"annotations":{"iam.gke.io/gcp-service-account":"${NEW}"}}}'`,
  ],
  ['restart', 'kubectl rollout restart deployment/cart -n shop'],
];

export async function benchRotate(ctx) {
  const {
    worldOf,
    values,
    limitMs,
    s,
    requestsOf,
    diff,
    total,
    run,
    childEnv,
    scratch,
    httpLines,
    callClass,
    startSandbox,
  } = ctx;
  console.log(`\n## rotate shop/cart → ${NEW} (healthy world, propagation delay ${values['propagation-seconds']} s)`);
  const out = {};

  // wi-doctor rotate, default (zero-downtime) order.
  {
    const sandbox = await startSandbox({ scenario: await worldOf('healthy') });
    const requests = requestsOf(sandbox);
    const tmp = scratch();
    const poll = poller(sandbox);
    try {
      const before = requests();
      const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
      const r = await run(process.execPath, [bin, 'rotate', '--ksa', 'shop/cart', '--to', NEW, '--yes', '--debug'], {
        env: childEnv(sandbox.env, tmp.dir),
        cwd: tmp.dir,
        timeoutMs: limitMs,
      });
      // Let the poller see the end state for a moment.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const downtime = await poll.stop();
      // The poller's metadata-server requests are not the rotation's.
      const { metadata: pollRequests = 0, ...server } = diff(requests(), before);
      const calls = httpLines(r.lines);
      const steps = [];
      let last = r.lines.find((l) => /^Rotating/.test(l.text))?.t ?? 0;
      const planMs = last;
      for (const l of r.lines) {
        const m = /^\s+(done|skipped|FAILED)\s+(\d+)\/(\d+) (\S+)/.exec(l.text);
        if (!m || steps.some((x) => x.n === Number(m[2]))) continue;
        const mine = calls.filter((c) => c.t > last && c.t <= l.t);
        steps.push({
          n: Number(m[2]),
          step: m[4],
          state: m[1],
          ms: l.t - last,
          calls: mine.length,
          writes: mine.filter((c) => callClass(c) === 'write').length,
        });
        last = l.t;
      }
      const classes = {};
      for (const c of calls) classes[callClass(c)] = (classes[callClass(c)] ?? 0) + 1;
      out.wiDoctor = {
        exitCode: r.code,
        wallMs: r.ms,
        planMs,
        calls: calls.length,
        classes,
        serverRequests: total(server),
        pollRequests,
        steps,
        downtime,
      };
      console.log(
        `wi-doctor rotate: exit ${r.code}, ${steps.length} steps, ${calls.length} calls ${JSON.stringify(classes)} (sandbox saw ${total(server)}), wall ${s(r.ms)} (plan ${s(planMs)}); ` +
          `downtime ${s(downtime.downMs)}, pod-time without identity ${s(downtime.podDownMs)} (${downtime.ticks} polls)`,
      );
      console.log(`  steps: ${steps.map((x) => `${x.n}.${x.step} ${s(x.ms)} ${x.calls} calls`).join('; ')}`);
    } finally {
      await poll.stop().catch(() => undefined);
      tmp.done();
      await sandbox.stop();
    }
  }

  // The guide's order, with the machine's gcloud and kubectl.
  if (!values['no-manual']) {
    const sandbox = await startSandbox({ scenario: await worldOf('healthy') });
    const tmp = scratch();
    const poll = poller(sandbox);
    try {
      const t0 = performance.now();
      const ran = [];
      for (const [what, line] of GUIDE_ROTATION) {
        const r = await run('bash', ['-c', line], {
          env: childEnv(sandbox.env, tmp.dir),
          cwd: tmp.dir,
          timeoutMs: 120_000,
        });
        ran.push({
          what,
          ms: r.ms,
          code: r.code,
          ...(r.code === 0
            ? {}
            : {
                output: r.lines
                  .map((l) => l.text)
                  .join('\n')
                  .slice(0, 400),
              }),
        });
      }
      const commandsMs = performance.now() - t0;
      // After the last command, wait for the pods to work again (the new binding's propagation), at most 60 s.
      const recovered = await (async () => {
        const until = performance.now() + 60_000;
        while (performance.now() < until) {
          const pods = sandbox.pods.filter((p) => p.namespace === 'shop' && p.name.startsWith('cart-'));
          const ok = await Promise.all(
            pods.map((p) =>
              fetch(`${p.metadataUrl}/computeMetadata/v1/instance/service-accounts/default/token`, {
                headers: { 'Metadata-Flavor': 'Google' },
              })
                .then((x) => x.status === 200)
                .catch(() => false),
            ),
          );
          if (ok.length > 0 && ok.every(Boolean)) return performance.now() - t0;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        return undefined;
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const downtime = await poll.stop();
      out.guide = { commands: GUIDE_ROTATION.length, commandsMs, recoveredMs: recovered ?? null, ran, downtime };
      console.log(
        `guide's rotation (${GUIDE_ROTATION.length} commands, gcloud + kubectl): ${s(commandsMs)} typing-free wall; ` +
          `${ran.map((c) => `${c.what} ${s(c.ms)}${c.code === 0 ? '' : ` exit ${c.code}`}`).join(', ')}; ` +
          `pods work again after ${recovered === undefined ? 'more than 60 s' : s(recovered)}; downtime ${s(downtime.downMs)}, pod-time without identity ${s(downtime.podDownMs)}`,
      );
    } finally {
      await poll.stop().catch(() => undefined);
      tmp.done();
      await sandbox.stop();
    }
  }
  return out;
}
