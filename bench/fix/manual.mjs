// The manual path of the reference troubleshooting guide for each benchmarked failure: the commands a person
// types, with the guide's placeholders replaced by the world's names. Diagnosis is the guide's "Diagnostic
// Commands" script (4 commands per KSA looked at: bench/live/guide-script.mjs); the fix is the guide's section
// for that error (verify, fix, restart). Where the guide has no section (a disabled GSA) the commands are the
// ones gcloud documents for it, marked as such. Runnable paths are run one command at a time with the
// machine's gcloud and kubectl against a fresh copy of the world, for their wall time (gcloud starts slowly).

import { childEnv, run, scratch } from './cli.mjs';

const GSA = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
const MEMBER = (ns, ksa) => `serviceAccount:acme-shop.svc.id.goog[${ns}/${ksa}]`;

/** The guide's diagnostic script for one KSA, one command per entry. */
function diagnose({ namespace, ksa, gsa, deployment }) {
  return [
    [
      'gcloud',
      'clusters describe',
      `gcloud container clusters describe prod --zone europe-west1 --format="value(workloadIdentityConfig.workloadPool)"`,
    ],
    [
      'kubectl',
      'get serviceaccount',
      `kubectl get serviceaccount ${ksa} -n ${namespace} -o jsonpath='{.metadata.annotations}'`,
    ],
    ['gcloud', 'get-iam-policy', `gcloud iam service-accounts get-iam-policy ${gsa} --format=json`],
    [
      'kubectl',
      'get deployment',
      `kubectl get deployment ${deployment} -n ${namespace} -o jsonpath='{.spec.template.spec.serviceAccountName}'`,
    ],
  ];
}

const addBinding = (gsa, ns, ksa) => [
  'gcloud',
  'add-iam-policy-binding',
  `gcloud iam service-accounts add-iam-policy-binding ${gsa} --role="roles/iam.workloadIdentityUser" --member="${MEMBER(ns, ksa)}"`,
];
const restart = (ns, deployment) => [
  'kubectl',
  'rollout restart',
  `kubectl rollout restart deployment/${deployment} -n ${ns}`,
];

/** Commands per scenario: `{commands: [[tool, what, line]], sample?: how many of the repeated ones to run, note}`. */
function pathOf(name, values) {
  const cart = { namespace: 'shop', ksa: 'cart', gsa: GSA, deployment: 'cart' };
  switch (name) {
    case 'missing-binding':
      return {
        commands: [
          ...diagnose(cart),
          ['gcloud', 'get-iam-policy (verify)', `gcloud iam service-accounts get-iam-policy ${GSA}`],
          addBinding(GSA, 'shop', 'cart'),
          restart('shop', 'cart'),
        ],
      };
    case 'annotation-typo':
      return {
        commands: [
          ...diagnose({ ...cart, gsa: 'cart-gsa@acme-shop.iam.gserviceacount.com' }),
          [
            'kubectl',
            'get serviceaccount (verify)',
            `kubectl get serviceaccount cart -n shop -o yaml | grep gcp-service-account`,
          ],
          [
            'kubectl',
            'annotate',
            `kubectl annotate serviceaccount cart -n shop iam.gke.io/gcp-service-account=${GSA} --overwrite`,
          ],
          restart('shop', 'cart'),
        ],
      };
    case 'gsa-disabled':
      return {
        note: 'the guide has no section for a disabled GSA: describe + enable are gcloud’s own commands',
        commands: [
          ...diagnose(cart),
          ['gcloud', 'describe', `gcloud iam service-accounts describe ${GSA}`],
          ['gcloud', 'enable', `gcloud iam service-accounts enable ${GSA}`],
        ],
      };
    case 'demo': {
      const ksas = [
        { namespace: 'payments', ksa: 'ledger', gsa: 'ledger@acme-shop.iam.gserviceaccount.com', deployment: 'ledger' },
        {
          namespace: 'payments',
          ksa: 'fraud-scorer',
          gsa: 'fraud-scorer@acme-shop.iam.gserviceaccount.com',
          deployment: 'fraud-scorer',
        },
        { namespace: 'orders', ksa: 'orders', gsa: 'orders@acme-shop.iam.gserviceaccount.com', deployment: 'orders' },
        {
          namespace: 'analytics',
          ksa: 'reporter',
          gsa: 'reporter@acme-shop.iam.gserviceaccount.com',
          deployment: 'reporter',
        },
      ];
      return {
        run: false,
        note: 'counted, not run (workload names not checked against the world)',
        commands: [
          ...ksas.flatMap(diagnose),
          [
            'gcloud',
            'node-pools update',
            'gcloud container node-pools update batch-pool --cluster prod --zone europe-west1 --workload-metadata=GKE_METADATA',
          ],
          restart('payments', 'ledger'),
          restart('payments', 'fraud-scorer'),
          [
            'gcloud',
            'get-iam-policy (verify)',
            'gcloud iam service-accounts get-iam-policy orders@acme-shop.iam.gserviceaccount.com',
          ],
          addBinding('orders@acme-shop.iam.gserviceaccount.com', 'orders', 'orders'),
          restart('orders', 'orders'),
          [
            'kubectl',
            'get serviceaccount (verify)',
            'kubectl get serviceaccount reporter -n analytics -o yaml | grep gcp-service-account',
          ],
          [
            'kubectl',
            'annotate',
            'kubectl annotate serviceaccount reporter -n analytics iam.gke.io/gcp-service-account=reporter@acme-shop.iam.gserviceaccount.com --overwrite',
          ],
          restart('analytics', 'reporter'),
        ],
      };
    }
    case 'shared-binding': {
      const n = Number(values['shared-ksas']);
      const gsa = 'app-0000@acme-shop.iam.gserviceaccount.com';
      const ksas = Array.from({ length: n }, (_, i) => ({
        namespace: 'team-000',
        ksa: `app-${i}`,
        deployment: `app-${i}`,
      }));
      return {
        sample: 3,
        note: `per KSA one add-iam-policy-binding and one rollout restart (${n} each); 3 of each run, scaled`,
        commands: [
          ...diagnose({ ...ksas[0], gsa }),
          ...ksas.map((k) => addBinding(gsa, k.namespace, k.ksa)),
          ...ksas.map((k) => restart(k.namespace, k.deployment)),
        ],
      };
    }
    default:
      return undefined;
  }
}

export async function manualPath(name, { fresh, values }) {
  const path = pathOf(name, values);
  if (path === undefined) return undefined;
  const count = (tool) => path.commands.filter((c) => c[0] === tool).length;
  const result = {
    commands: path.commands.length,
    gcloud: count('gcloud'),
    kubectl: count('kubectl'),
    note: path.note,
  };
  if (path.run === false) return result;
  // Repeated commands (same `what`) beyond `sample` are not run; their time is the sampled mean.
  const seen = new Map();
  const toRun = path.commands.filter((c) => {
    const n = (seen.get(c[1]) ?? 0) + 1;
    seen.set(c[1], n);
    return path.sample === undefined || n <= path.sample;
  });
  const sandbox = await fresh();
  const tmp = scratch();
  try {
    result.ran = [];
    for (const [tool, what, line] of toRun) {
      const r = await run('bash', ['-c', line], {
        env: childEnv(sandbox.env, tmp.dir),
        cwd: tmp.dir,
        timeoutMs: 120_000,
      });
      result.ran.push({
        tool,
        what,
        ms: r.ms,
        code: r.code,
        ...(r.code === 0
          ? {}
          : {
              output: r.lines
                .map((l) => l.text)
                .join('\n')
                .slice(0, 500),
            }),
      });
    }
  } finally {
    tmp.done();
    await sandbox.stop();
  }
  result.ranMs = result.ran.reduce((a, c) => a + c.ms, 0);
  const mean = new Map();
  for (const c of result.ran) mean.set(c.what, [...(mean.get(c.what) ?? []), c.ms]);
  result.scaledMs = path.commands.reduce((a, c) => {
    const ms = mean.get(c[1]) ?? [];
    return a + ms.reduce((x, y) => x + y, 0) / Math.max(1, ms.length);
  }, 0);
  return result;
}
