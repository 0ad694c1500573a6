// The fewest API calls `wi-doctor audit` needs on a bench/live/world.mjs world, as dependency levels, and the
// call count of the gcloud/kubectl loop a user would script for the same questions. Reasoning in BENCHMARKS.md
// ("Audit against the sandbox").

import { GOOGLE_LATENCY_MS, KUBE_LATENCY_MS } from '../live/world.mjs';
import { IAM_LIST_PAGE, KUBE_PAGE } from '../live/minimum.mjs';

const pages = (n, size) => Math.max(1, Math.ceil(n / size));
const ANNOTATION = 'iam.gke.io/gcp-service-account';

function annotatedGsas(sandbox) {
  const set = new Set();
  for (const sa of sandbox.world.clusters[0].store.list('serviceaccounts')) {
    const email = sa.metadata.annotations?.[ANNOTATION];
    if (email !== undefined) set.add(email.toLowerCase());
  }
  return set;
}

/**
 * Level A needs only the cluster's name: the cluster, its project (number, policy, account list), the
 * pool's clusters, the project's Policy Analyzer activity and the Kubernetes lists. Level B needs the KSAs'
 * annotations: per distinct annotated GSA one policy, one key list and one log query (newest successful
 * GenerateAccessToken, one entry): none of the three has a batch form that stays bounded.
 */
export function auditMinimum(sandbox, requires) {
  const store = sandbox.world.clusters[0].store;
  const g = (what, n = 1) => ({ what, api: 'google', n, lat: GOOGLE_LATENCY_MS });
  const kinds = requires.filter((r) => r.startsWith('k8s:')).map((r) => r.slice(4));
  const accounts = sandbox.world.gsas.filter((x) => !x.deleted).length;
  const A = [
    g('container clusters.get'),
    g('projects.get'),
    g('projects.getIamPolicy'),
    g('container clusters.list'),
    g('serviceAccounts.list', pages(accounts, IAM_LIST_PAGE)),
    g('policyanalyzer activities.query'),
    ...kinds.map((k) => ({
      what: `k8s list ${k}`,
      api: 'kube',
      n: pages(store.list(k).length, KUBE_PAGE),
      lat: KUBE_LATENCY_MS,
    })),
  ];
  const d = annotatedGsas(sandbox).size;
  const B = ['serviceAccounts.getIamPolicy', 'serviceAccounts.keys.list', 'logging entries.list'].flatMap((what) =>
    Array.from({ length: d }, () => g(what)),
  );
  // Also after the account list, beside level B: one Admin Activity query per project for the accounts'
  // CreateServiceAccount entries (unused-gsa never calls an account younger than its window unused; the account
  // carries no creation time). These worlds log no creation: one page.
  B.push(g('logging entries.list'));
  const byKind = {};
  for (const c of [...A, ...B]) byKind[c.what] = (byKind[c.what] ?? 0) + c.n;
  return { levels: [A, B], byKind, total: Object.values(byKind).reduce((a, n) => a + n, 0) };
}

/**
 * The user's alternative: a shell loop over the GSAs with gcloud (one process, at least one request each),
 * plus the commands that list what to loop over. Per GSA: `gcloud iam service-accounts keys list
 * --iam-account G --managed-by user`, `gcloud iam service-accounts get-iam-policy G`, `gcloud logging read
 * 'protoPayload.methodName="GenerateAccessToken" …' --limit 1`. Once: `kubectl get serviceaccounts -A -o
 * json`, `gcloud iam service-accounts list`, `gcloud projects get-iam-policy`, `gcloud container clusters
 * describe`, `gcloud policy-intelligence query-activity --activity-type=serviceAccountLastAuthentication`, `gcloud
 * logging read 'protoPayload.methodName="google.iam.admin.v1.CreateServiceAccount"' --freshness 90d`.
 */
export function userLoopCalls(sandbox) {
  const d = annotatedGsas(sandbox).size;
  return { perGsaCommands: 3, onceCommands: 6, gsas: d, commands: 6 + 3 * d };
}
