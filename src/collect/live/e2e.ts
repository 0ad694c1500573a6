// `--e2e`: the token chain GKE's metadata server runs for a pod, run by wi-doctor for each subject KSA:
// a Kubernetes token (TokenRequest) with audience POOL, an STS exchange
// with the GKE audience, then generateAccessToken on the annotated GSA with the federated token (under direct
// binding the federated token itself is the result). Only the steps' outcomes are kept: every token lives in
// a local variable of one chain and is dropped when it ends.

import { redactSecrets } from '../../model/redact.js';
import { headerOf } from './google.js';
import { AuthenticationV1TokenRequest, CoreV1Api, V1TokenRequestSpec } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { iamcredentials } from '@googleapis/iamcredentials';
import { OAuth2Client, gaxios } from 'google-auth-library';
import type { Subject } from '../../engine/subject.js';
import { clusterUrl } from '../../model/facts.js';
import type { ClusterRef, E2eResult, E2eStep, E2eStepName } from '../../model/facts.js';
import type { CallRunner } from './calls.js';
import { HttpFailure, parseRetryAfter } from './calls.js';
import { CLOUD_PLATFORM_SCOPE } from './credentials.js';
import type { Endpoints } from './endpoints.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** The shortest lifetime each API allows: these tokens are never used beyond the next step. */
const KUBE_TOKEN_SECONDS = 600;
const GSA_TOKEN_LIFETIME = '600s';

/** A step's answer: the value handed to the next step, or what the API said. */
export type StepOutcome<T> =
  { ok: true; value: T; status?: number } | { ok: false; status?: number; error: string; code?: string };

/** The three calls of the chain; the live one talks HTTP, tests may pass their own. */
export interface TokenChainApi {
  tokenRequest(namespace: string, ksa: string, audience: string): Promise<StepOutcome<string>>;
  stsExchange(subjectToken: string, audience: string): Promise<StepOutcome<string>>;
  generateAccessToken(federatedToken: string, gsa: string): Promise<StepOutcome<null>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The API's own words and code from an error body: Google JSON, OAuth (STS) JSON, a Kubernetes Status, or text. */
export function apiErrorText(body: unknown): { error?: string; code?: string } {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      const text = body.trim();
      return text === '' ? {} : { error: redactSecrets(text).slice(0, 500) };
    }
  }
  if (!isRecord(parsed)) return {};
  const e = parsed.error;
  if (isRecord(e)) {
    return {
      ...(typeof e.message === 'string' ? { error: e.message } : {}),
      ...(typeof e.status === 'string' ? { code: e.status } : {}),
    };
  }
  if (typeof e === 'string') {
    return {
      code: e,
      ...(typeof parsed.error_description === 'string' ? { error: parsed.error_description } : {}),
    };
  }
  if (parsed.kind === 'Status') {
    return {
      ...(typeof parsed.message === 'string' ? { error: parsed.message } : {}),
      ...(typeof parsed.reason === 'string' && parsed.reason !== '' ? { code: parsed.reason } : {}),
    };
  }
  return {};
}

/** Run one attempt's promise, turning a gaxios or client-node HTTP error into the runner's HttpFailure. */
async function asHttpFailure<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    const e = error as {
      code?: unknown;
      body?: unknown;
      headers?: unknown;
      status?: unknown;
      response?: { status?: number; data?: unknown; headers?: unknown };
    };
    // gaxios: `response`; @kubernetes/client-node's ApiException: numeric `code` with `body` (text) and `headers`.
    const status = e.response?.status ?? (typeof e.code === 'number' ? e.code : undefined);
    if (typeof status === 'number' && status >= 300) {
      const body = e.response ? e.response.data : e.body;
      const headers = e.response ? e.response.headers : e.headers;
      throw new HttpFailure(status, body, parseRetryAfter(headerOf(headers, 'retry-after')));
    }
    throw error;
  }
}

/** The chain against the live APIs, every call through the CallRunner (bounded, timed out, 429/5xx retried). */
export class LiveTokenChain implements TokenChainApi {
  private readonly core: CoreV1Api;
  private readonly server: string;

  constructor(
    kc: KubeConfig,
    private readonly endpoints: Endpoints,
    private readonly runner: CallRunner,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.server = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  }

  /**
   * One call; a failure keeps the API's exact words, which the runner's one-line message would rephrase.
   * A 4xx other than 429 is not retried (the runner retries only 429 and 5xx).
   */
  private async step<T>(
    api: string,
    method: string,
    url: string,
    permission: string,
    attempt: (signal: AbortSignal) => Promise<T>,
  ): Promise<StepOutcome<T>> {
    let last: HttpFailure | undefined;
    const outcome = await this.runner.call({
      api,
      method,
      url,
      permission,
      attempt: async (signal) => {
        try {
          return await asHttpFailure(attempt(signal));
        } catch (error) {
          last = error instanceof HttpFailure ? error : undefined;
          throw error;
        }
      },
    });
    if (outcome.ok) return { ok: true, value: outcome.value };
    const fromApi = outcome.status !== undefined && last !== undefined ? apiErrorText(last.body) : {};
    return {
      ok: false,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      error: fromApi.error ?? outcome.message,
      ...(fromApi.code !== undefined ? { code: fromApi.code } : {}),
    };
  }

  tokenRequest(namespace: string, ksa: string, audience: string): Promise<StepOutcome<string>> {
    const path = `/api/v1/namespaces/${namespace}/serviceaccounts/${ksa}/token`;
    return this.step('kubernetes', 'POST', `${this.server}${path}`, 'create serviceaccounts/token', async () => {
      const spec = new V1TokenRequestSpec();
      spec.audiences = [audience];
      spec.expirationSeconds = KUBE_TOKEN_SECONDS;
      const body = new AuthenticationV1TokenRequest();
      body.apiVersion = 'authentication.k8s.io/v1';
      body.kind = 'TokenRequest';
      body.spec = spec;
      const answer = await this.core.createNamespacedServiceAccountToken({ name: ksa, namespace, body });
      const token = answer.status?.token;
      if (typeof token !== 'string' || token === '') throw new Error('the TokenRequest answer carries no token');
      return token;
    });
  }

  /** Form-encoded with snake_case names and no Authorization header, as google-auth-library sends it. */
  stsExchange(subjectToken: string, audience: string): Promise<StepOutcome<string>> {
    const url = `${this.endpoints.sts}v1/token`;
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      audience,
      scope: CLOUD_PLATFORM_SCOPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      subject_token: subjectToken,
      subject_token_type: JWT_TYPE,
    });
    return this.step('sts', 'POST', url, 'none (STS takes the Kubernetes token)', async (signal) => {
      const res = await gaxios.request<Record<string, unknown>>({
        url,
        method: 'POST',
        data: form.toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        responseType: 'json',
        retry: false,
        signal,
      });
      const token = res.data.access_token;
      if (typeof token !== 'string' || token === '') throw new Error('the STS answer carries no access_token');
      return token;
    });
  }

  generateAccessToken(federatedToken: string, gsa: string): Promise<StepOutcome<null>> {
    const name = `projects/-/serviceAccounts/${gsa}`;
    const url = `${this.endpoints.iamcredentials}v1/${name}:generateAccessToken`;
    return this.step('iamcredentials', 'POST', url, 'iam.serviceAccounts.getAccessToken', async (signal) => {
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: federatedToken });
      const client = iamcredentials({ version: 'v1', auth });
      const res = await client.projects.serviceAccounts.generateAccessToken(
        { name, requestBody: { scope: [CLOUD_PLATFORM_SCOPE], lifetime: GSA_TOKEN_LIFETIME } },
        { rootUrl: this.endpoints.iamcredentials, retry: false, signal },
      );
      if (typeof res.data.accessToken !== 'string') throw new Error('the answer carries no accessToken');
      return null;
    });
  }
}

export interface ChainTarget {
  namespace: string;
  ksa: string;
  /** The GSA to impersonate; undefined under direct binding. */
  gsa: string | undefined;
}

/** One KSA's chain, step by step, stopping at the first failure. */
export async function runTokenChain(
  api: TokenChainApi,
  target: ChainTarget,
  cluster: ClusterRef,
  pool: string,
  now: () => Date = () => new Date(),
): Promise<E2eResult> {
  const at = now().toISOString();
  const steps: E2eStep[] = [];
  async function timed<T>(step: E2eStepName, run: () => Promise<StepOutcome<T>>): Promise<T | undefined> {
    const start = Date.now();
    const outcome = await run();
    const ms = Date.now() - start;
    if (outcome.ok) {
      steps.push({ step, ok: true, ...(outcome.status !== undefined ? { status: outcome.status } : {}), ms });
      return outcome.value;
    }
    steps.push({
      step,
      ok: false,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      error: outcome.error,
      ...(outcome.code !== undefined ? { code: outcome.code } : {}),
      ms,
    });
    return undefined;
  }
  const result = (): E2eResult => ({
    subject: `${target.namespace}/${target.ksa}`,
    ...(target.gsa !== undefined ? { gsa: target.gsa } : {}),
    steps,
    at,
  });

  const kubeToken = await timed('token-request', () => api.tokenRequest(target.namespace, target.ksa, pool));
  if (kubeToken === undefined) return result();
  const federated = await timed('sts-exchange', () =>
    api.stsExchange(kubeToken, `identitynamespace:${pool}:${clusterUrl(cluster)}`),
  );
  if (federated === undefined || target.gsa === undefined) return result();
  const gsa = target.gsa;
  await timed('generate-access-token', () => api.generateAccessToken(federated, gsa));
  return result();
}

/**
 * The chain for every distinct subject KSA, concurrently (the runner bounds the calls). Subjects whose
 * annotation is no email, or a cluster without a pool, have no chain to run: their checks skip first.
 */
export async function collectE2e(
  api: TokenChainApi,
  subjects: readonly Subject[],
  cluster: ClusterRef,
  now?: () => Date,
): Promise<E2eResult[]> {
  const targets = new Map<string, { target: ChainTarget; pool: string }>();
  for (const s of subjects) {
    const pool = s.principal.pool;
    if (pool === undefined) continue;
    if (s.model === 'impersonation' && s.gsaEmail === undefined) continue;
    const key = `${s.namespace}/${s.ksaName}`;
    if (targets.has(key)) continue;
    targets.set(key, {
      target: { namespace: s.namespace, ksa: s.ksaName, gsa: s.model === 'impersonation' ? s.gsaEmail : undefined },
      pool,
    });
  }
  return Promise.all([...targets.values()].map(({ target, pool }) => runTokenChain(api, target, cluster, pool, now)));
}
