// The two sides of the differential test. Static: the tool's live diagnosis over HTTP against a running
// sandbox, reduced per KSA to "gets a token for X" or not. Observed: what each of that KSA's pods' metadata
// server actually answers. X is the identity the KSA is meant to have: the GSA its annotation names (or the
// value of a misspelt annotation key: the user's intent), else its own federated identity (direct binding).

import { CHECKS } from '../../src/checks/index.js';
import { liveFacts } from '../../src/collect/live/live.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { Pod } from '../../src/model/k8s/types.js';
import type { CheckResult, Report } from '../../src/model/results.js';
import type { PodEndpoint, RunningSandbox } from '../../src/sandbox/index.js';

const TOKEN = '/computeMetadata/v1/instance/service-accounts/default/token';
const EMAIL = '/computeMetadata/v1/instance/service-accounts/default/email';
/** A metadata server behind a blocking NetworkPolicy never answers: the client's timeout decides. */
const CLIENT_TIMEOUT_MS = 1500;

export type Observed =
  { kind: 'token'; email: string } | { kind: 'refused'; status: number; body: string } | { kind: 'timeout' };

export interface StaticView {
  subject: string;
  /** The identity the KSA is meant to get. */
  intended: string;
  /** true = no check failed and none is unknown; 'unknown' = not proven either way. */
  getsToken: boolean | 'unknown';
  rootCause: string | null;
  unknown: string[];
  warnings: string[];
}

export interface KsaComparison {
  subject: string;
  static: StaticView;
  pods: { pod: string; observed: Observed }[];
  /** Every pod got a token for the intended identity. */
  observedGetsToken: boolean;
  agree: boolean;
}

/** The environment the tool runs with: the sandbox's own, and never a real metadata server. */
export function toolEnv(sb: RunningSandbox): NodeJS.ProcessEnv {
  return {
    ...sb.env,
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

export function describeObserved(o: Observed): string {
  if (o.kind === 'token') return `token for ${o.email}`;
  if (o.kind === 'timeout') return `no answer within ${CLIENT_TIMEOUT_MS} ms`;
  return `${o.status}: ${o.body.split('\n')[0] ?? ''}`;
}

/** The tool's diagnosis of every KSA, collected live over HTTP from the sandbox. */
export async function staticDiagnosis(
  sb: RunningSandbox,
  ksa: string[] = [],
): Promise<{ report: Report; views: StaticView[] }> {
  const env = toolEnv(sb);
  const { facts } = await liveFacts({ all: true, ksa, kubeconfig: env.KUBECONFIG }, { env, retryBaseDelayMs: 5 });
  const report = diagnose(facts, CHECKS, {
    targets: { all: true, ksa },
    options: DEFAULT_OPTIONS,
    source: 'live',
    version: 'differential',
  });
  const subjects = resolveSubjects(facts, { all: true, ksa }).filter((s) => s.kind === 'ksa');
  const views = subjects.map((subject): StaticView => {
    const verdict = report.verdicts.find((v) => v.subject === subject.id);
    const relevant: CheckResult[] = report.results.filter(
      (r) => r.subject === subject.id || (verdict?.related ?? []).includes(r.subject),
    );
    const unknown = relevant.filter((r) => r.status === 'unknown').map((r) => r.check);
    const rootCause = verdict?.rootCause ?? null;
    const intended =
      subject.annotation?.value ?? subject.nearMissAnnotations[0]?.value ?? subject.principal.pool ?? '(no pool)';
    return {
      subject: subject.id,
      intended: intended.trim(),
      getsToken: rootCause !== null ? false : unknown.length > 0 ? 'unknown' : true,
      rootCause,
      unknown,
      warnings: relevant.filter((r) => r.status === 'warn').map((r) => r.check),
    };
  });
  return { report, views };
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

export interface Comparison {
  ksas: KsaComparison[];
  /** KSAs whose pods run but that the tool did not diagnose (an honest test wants none). */
  undiagnosed: string[];
}

/** Both sides for every KSA that has pods. */
export async function compare(sb: RunningSandbox): Promise<Comparison> {
  const pods = podsByKsa(sb);
  const { views } = await staticDiagnosis(sb);
  const undiagnosed = [...pods.keys()].filter((k) => !views.some((v) => v.subject === k));
  const ksas = await Promise.all(
    views
      .filter((v) => (pods.get(v.subject) ?? []).length > 0)
      .map(async (v): Promise<KsaComparison> => {
        const observed = await Promise.all(
          (pods.get(v.subject) ?? []).map(async (p) => ({ pod: p.name, observed: await observe(p) })),
        );
        const observedGetsToken = observed.every(
          (o) => o.observed.kind === 'token' && o.observed.email.toLowerCase() === v.intended.toLowerCase(),
        );
        return {
          subject: v.subject,
          static: v,
          pods: observed,
          observedGetsToken,
          agree: v.getsToken === observedGetsToken,
        };
      }),
  );
  return { ksas, undiagnosed };
}

export function describeComparison(label: string, k: KsaComparison): string {
  const s = k.static;
  const claim =
    s.getsToken === true
      ? `gets a token for ${s.intended}${s.warnings.length > 0 ? ` (warnings: ${s.warnings.join(', ')})` : ''}`
      : s.getsToken === false
        ? `no token for ${s.intended}: root cause ${s.rootCause ?? '?'}`
        : `unknown (${s.unknown.join(', ')})`;
  const seen = k.pods.map((p) => `${p.pod}: ${describeObserved(p.observed)}`).join('; ');
  return `${label} ${k.subject}: static says ${claim}; the sandbox answered ${seen}`;
}
