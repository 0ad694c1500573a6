// The two sides of the differential test. Static: the tool's live diagnosis over HTTP against a running
// sandbox, reduced per KSA to a verdict (works, broken with a root cause and the other failing checks,
// conditional, unknown). Observed: what each of that KSA's pods' metadata server actually answers, reduced to a
// class (the intended identity's token, the node's identity, no answer, an IAM denial, …). The identity a KSA is
// meant to have: the GSA its annotation names (or the value of a misspelt annotation key: the user's intent),
// else its own federated identity (direct binding).

import { CHECKS } from '../../src/checks/index.js';
import { liveFacts } from '../../src/collect/live/live.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { Subject } from '../../src/engine/subject.js';
import type { Pod } from '../../src/model/k8s/types.js';
import type { CheckResult, Report } from '../../src/model/results.js';
import type { PodEndpoint, RunningSandbox } from '../../src/sandbox/index.js';
import { MDS_INTERNAL_ERROR } from '../../src/sandbox/metadata/server.js';

const TOKEN = '/computeMetadata/v1/instance/service-accounts/default/token';
const EMAIL = '/computeMetadata/v1/instance/service-accounts/default/email';
/** A metadata server behind a blocking NetworkPolicy never answers: the client's timeout decides. */
const CLIENT_TIMEOUT_MS = 1500;

export type Observed =
  { kind: 'token'; email: string } | { kind: 'refused'; status: number; body: string } | { kind: 'timeout' };

/** What a pod's metadata server answered, as a cause a user would recognise. */
export type ObservedClass =
  | 'works' // a token for the intended identity
  | 'node-identity' // a token for the node's service account: the GKE metadata server is not in the path
  | 'federated-instead' // the KSA's federated identity where a GSA was meant: GKE ignored the annotation
  | 'other-identity' // a token for some other identity
  | 'no-answer' // nothing within the client's timeout: the path is blocked or the server is down
  | 'mds-error' // gke-metadata-server's own 500
  | 'iam-denied' // IAM refused getAccessToken (no binding, or no such account)
  | 'api-disabled' // the IAM Service Account Credentials API is off
  | 'gsa-disabled' // the account is disabled
  | 'refused-other';

/**
 * Which observed classes each failing check explains: a root cause the pod's answer contradicts is wrong. The
 * checks of the chain only; others (stale bindings, restarts, permissions) do not decide whether a token comes.
 */
// Without the GKE metadata server on its node a pod asks the node's Compute Engine metadata server at
// 169.254.169.254:80: it gets the node's identity, or no answer when an egress policy written for the GKE path
// (169.254.169.252:988 on the legacy datapath) blocks that address. Both are the same missing server.
export const EXPLAINS: Record<string, readonly ObservedClass[]> = {
  'cluster-workload-pool': ['node-identity', 'no-answer'],
  'nodepool-gke-metadata': ['node-identity', 'no-answer'],
  'metadata-server-healthy': ['no-answer', 'mds-error', 'node-identity'],
  'host-network': ['node-identity'],
  'network-policy-metadata': ['no-answer'],
  'ksa-exists': ['mds-error'],
  'ksa-annotation': ['federated-instead', 'iam-denied'],
  'iamcredentials-api-enabled': ['api-disabled'],
  'gsa-exists': ['iam-denied'],
  'gsa-enabled': ['gsa-disabled'],
  'wi-binding': ['iam-denied'],
};

export const CHAIN_CHECKS = new Set(Object.keys(EXPLAINS));

export interface StaticView {
  subject: string;
  model: Subject['model'];
  /** The identity the KSA is meant to get. */
  intended: string;
  kind: 'works' | 'broken' | 'conditional' | 'unknown';
  rootCause: string | null;
  /** Every chain check that fails for the subject (its own results and the shared ones that bear on it). */
  failing: string[];
  /** Chain checks that could not decide (the direct-binding grant search is no question of getting a token). */
  unknown: string[];
  /** wi-binding warns that the only grant is conditional: IAM decides at request time, the static model cannot. */
  conditional: boolean;
  warnings: string[];
}

export interface KsaComparison {
  subject: string;
  static: StaticView;
  pods: { pod: string; observed: Observed; class: ObservedClass }[];
}

/** The environment the tool runs with: the sandbox's own, and never a real metadata server. */
export function toolEnv(sb: RunningSandbox, token?: string): NodeJS.ProcessEnv {
  return {
    ...sb.env,
    ...(token !== undefined ? { CLOUDSDK_AUTH_ACCESS_TOKEN: token } : {}),
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:9',
    GCE_METADATA_IP: '127.0.0.1:9',
  };
}

async function get(url: string): Promise<{ status: number; body: string } | 'timeout'> {
  try {
    const res = await fetch(url, {
      headers: { 'Metadata-Flavor': 'Google' },
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timeout';
    throw e;
  }
}

export async function observe(p: PodEndpoint): Promise<Observed> {
  const [token, email] = await Promise.all([get(`${p.metadataUrl}${TOKEN}`), get(`${p.metadataUrl}${EMAIL}`)]);
  if (token === 'timeout') return { kind: 'timeout' };
  if (token.status !== 200) return { kind: 'refused', status: token.status, body: token.body.trim() };
  const parsed = JSON.parse(token.body) as { access_token?: string };
  if (typeof parsed.access_token !== 'string' || parsed.access_token === '')
    return { kind: 'refused', status: 200, body: 'no access_token in the answer' };
  return { kind: 'token', email: email === 'timeout' ? '(email: timeout)' : email.body.trim() };
}

export function classify(
  o: Observed,
  intended: string,
  world: { nodeEmails: ReadonlySet<string>; pool: string | undefined },
): ObservedClass {
  if (o.kind === 'timeout') return 'no-answer';
  if (o.kind === 'token') {
    const email = o.email.toLowerCase();
    if (email === intended.toLowerCase()) return 'works';
    if (world.nodeEmails.has(email)) return 'node-identity';
    if (world.pool !== undefined && email === world.pool.toLowerCase()) return 'federated-instead';
    return 'other-identity';
  }
  if (o.status === 500 && o.body.includes(MDS_INTERNAL_ERROR)) return 'mds-error';
  if (o.status === 403 && o.body.includes('SERVICE_DISABLED')) return 'api-disabled';
  if (o.status === 403 && /has not been used in project .* or it is disabled/.test(o.body)) return 'api-disabled';
  if (o.status === 403 && o.body.includes("Permission 'iam.serviceAccounts.getAccessToken' denied"))
    return 'iam-denied';
  if (o.status === 400 && o.body.includes('Precondition check failed')) return 'gsa-disabled';
  return 'refused-other';
}

export function describeObserved(o: Observed): string {
  if (o.kind === 'token') return `token for ${o.email}`;
  if (o.kind === 'timeout') return `no answer within ${CLIENT_TIMEOUT_MS} ms`;
  return `${o.status}: ${o.body.split('\n')[0] ?? ''}`;
}

function viewOf(subject: Subject, report: Report): StaticView {
  const verdict = report.verdicts.find((v) => v.subject === subject.id);
  const relevant: CheckResult[] = report.results.filter(
    (r) => r.subject === subject.id || (verdict?.related ?? []).includes(r.subject),
  );
  const chain = relevant.filter((r) => CHAIN_CHECKS.has(r.check));
  const failing = [...new Set(chain.filter((r) => r.status === 'fail').map((r) => r.check))];
  const unknown = chain
    .filter((r) => r.status === 'unknown')
    // Under direct binding the token comes from the pool whatever the grants: their search is another question.
    .filter((r) => !(r.check === 'ksa-annotation' && subject.model === 'direct'))
    .map((r) => r.check);
  const conditional = chain.some((r) => r.check === 'wi-binding' && r.status === 'warn');
  const rootCause = verdict?.rootCause ?? null;
  const intended =
    subject.annotation?.value ?? subject.nearMissAnnotations[0]?.value ?? subject.principal.pool ?? '(no pool)';
  return {
    subject: subject.id,
    model: subject.model,
    intended: intended.trim(),
    kind: failing.length > 0 ? 'broken' : unknown.length > 0 ? 'unknown' : conditional ? 'conditional' : 'works',
    rootCause,
    failing,
    unknown,
    conditional,
    warnings: relevant.filter((r) => r.status === 'warn').map((r) => r.check),
  };
}

/** The tool's diagnosis of every KSA, collected live over HTTP from the sandbox (with `token` as the caller). */
export async function staticDiagnosis(
  sb: RunningSandbox,
  token?: string,
): Promise<{ report: Report; views: StaticView[] }> {
  const env = toolEnv(sb, token);
  const { facts } = await liveFacts({ all: true }, { env, retryBaseDelayMs: 5 });
  const report = diagnose(facts, CHECKS, {
    targets: { all: true },
    options: DEFAULT_OPTIONS,
    source: 'live',
    version: 'differential',
  });
  const subjects = resolveSubjects(facts, { all: true }).filter((s) => s.kind === 'ksa');
  return { report, views: subjects.map((s) => viewOf(s, report)) };
}

/** The pods (outside kube-system) of the sandbox's first cluster, by the KSA they run as (`ns/ksa`). */
export function podsByKsa(sb: RunningSandbox): Map<string, PodEndpoint[]> {
  const cluster = sb.world.clusters[0];
  const out = new Map<string, PodEndpoint[]>();
  if (!cluster) return out;
  const endpoints = sb.pods;
  for (const pod of cluster.store.list<Pod>('pods')) {
    const ns = pod.metadata.namespace ?? 'default';
    if (ns === 'kube-system') continue;
    const endpoint = endpoints.find((e) => e.namespace === ns && e.name === pod.metadata.name);
    if (!endpoint) throw new Error(`pod ${ns}/${pod.metadata.name} has no metadata server`);
    const key = `${ns}/${pod.spec.serviceAccountName ?? 'default'}`;
    out.set(key, [...(out.get(key) ?? []), endpoint]);
  }
  return out;
}

/** The emails of the node service accounts of the sandbox's first cluster (what a pod bypassing WI gets). */
function nodeEmails(sb: RunningSandbox): Set<string> {
  const cluster = sb.world.clusters[0];
  const emails = new Set<string>();
  for (const pool of cluster?.nodePools ?? []) {
    const email = sb.world.gsa(pool.serviceAccount)?.email ?? pool.serviceAccount;
    emails.add(email.toLowerCase());
  }
  return emails;
}

export interface Comparison {
  ksas: KsaComparison[];
  /** KSAs whose pods run but that the tool did not diagnose. */
  undiagnosed: string[];
}

/** Both sides for every KSA that has pods. */
export async function compare(sb: RunningSandbox, token?: string): Promise<Comparison> {
  const pods = podsByKsa(sb);
  const { views } = await staticDiagnosis(sb, token);
  const world = { nodeEmails: nodeEmails(sb), pool: sb.world.clusters[0]?.workloadPool };
  const undiagnosed = [...pods.keys()].filter((k) => !views.some((v) => v.subject === k));
  const ksas = await Promise.all(
    views
      .filter((v) => (pods.get(v.subject) ?? []).length > 0)
      .map(async (v): Promise<KsaComparison> => {
        const observed = await Promise.all(
          (pods.get(v.subject) ?? []).map(async (p) => {
            const o = await observe(p);
            return { pod: p.name, observed: o, class: classify(o, v.intended, world) };
          }),
        );
        return { subject: v.subject, static: v, pods: observed };
      }),
  );
  return { ksas, undiagnosed };
}

/**
 * A conditional binding (wi-binding warns) explains an IAM denial wherever it sits in the chain: the condition
 * is evaluated by IAM at request time, before the account's state, and the static model says so without
 * guessing whether it holds.
 */
function conditionExplains(k: KsaComparison): ObservedClass[] {
  return k.static.conditional ? ['iam-denied'] : [];
}

/**
 * Does the static verdict agree with what the pods were answered? Works: every pod got the intended token.
 * Conditional: each pod got it or was denied (the condition decides). Broken: some pod did not get it, and every
 * pod that did not is explained by a failing check. Unknown agrees with nothing: the caller decides whether the
 * world hid something from the tool.
 */
export function agrees(k: KsaComparison): boolean {
  const classes = k.pods.map((p) => p.class);
  switch (k.static.kind) {
    case 'works':
      return classes.every((c) => c === 'works');
    case 'conditional':
      return classes.every((c) => c === 'works' || c === 'iam-denied');
    case 'broken': {
      const explained = new Set([...k.static.failing.flatMap((f) => EXPLAINS[f] ?? []), ...conditionExplains(k)]);
      const broken = classes.filter((c) => c !== 'works');
      return broken.length > 0 && broken.every((c) => explained.has(c));
    }
    case 'unknown':
      return false;
  }
}

/** The root cause explains what the pods saw (not only some other failing check). */
export function rootExplains(k: KsaComparison): boolean {
  const root = k.static.rootCause;
  if (root === null) return k.static.kind !== 'broken';
  const explained = new Set([...(EXPLAINS[root] ?? []), ...conditionExplains(k)]);
  return k.pods.filter((p) => p.class !== 'works').every((p) => explained.has(p.class));
}

export function describeComparison(label: string, k: KsaComparison): string {
  const s = k.static;
  const claim =
    s.kind === 'works'
      ? `gets a token for ${s.intended}${s.warnings.length > 0 ? ` (warnings: ${s.warnings.join(', ')})` : ''}`
      : s.kind === 'broken'
        ? `no token for ${s.intended}: root cause ${s.rootCause ?? '?'} (failing: ${s.failing.join(', ')})`
        : s.kind === 'conditional'
          ? `a token for ${s.intended} only under a condition`
          : `unknown (${s.unknown.join(', ')})`;
  const seen = k.pods.map((p) => `${p.pod}: ${describeObserved(p.observed)} [${p.class}]`).join('; ');
  return `${label} ${k.subject}: static says ${claim}; the sandbox answered ${seen}`;
}
