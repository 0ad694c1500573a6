// GKE metadata server mode: environment, DNS, TCP, the Metadata-Flavor answer, the identity the pod gets,
// an access token and an identity token. Each step is timed; a hang is reported as a timeout.

import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { describeFailure, type HttpOutcome } from './http.js';
import { environmentStep } from './environment.js';
import { audiences, decodeJwt, numericClaim } from './jwt.js';
import { requestWithRetries, retryVerdict, type RetriedOutcome } from './retry.js';
import { COMPUTE_DEFAULT_SA, explainMetadataError } from './texts.js';
import type { ProbeOptions, ProbeStep } from './types.js';

const SA = '/computeMetadata/v1/instance/service-accounts/default';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export interface MetadataState {
  /** False once the server did not answer at all: later metadata steps are not tried. */
  answered: boolean;
  email?: string;
  accessToken?: string;
  project?: string;
  cluster?: string;
}

/** `host[:port]`, IPv6 in brackets. */
export function splitHostPort(hostPort: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (v6) return { host: v6[1] ?? '', port: Number(v6[2] ?? 80) };
  const m = /^([^:]+)(?::(\d+))?$/.exec(hostPort);
  if (m) return { host: m[1] ?? '', port: Number(m[2] ?? 80) };
  return { host: hostPort, port: 80 };
}

function timed<T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function dnsStep(o: ProbeOptions): Promise<ProbeStep> {
  const started = Date.now();
  const base = { check: 'metadata-server-reachable' as const, step: 'dns' };
  const skipNote =
    o.metadataHostSource === 'GCE_METADATA_HOST' || o.metadataHostSource === 'GCE_METADATA_IP'
      ? `; ${o.metadataHostSource} is set, so libraries that honour it skip this name`
      : '';
  try {
    const answer = await timed(o.timeoutMs, lookup(o.dnsName, { all: true }));
    const ms = Date.now() - started;
    if (answer === 'timeout') {
      return {
        ...base,
        status: 'warn',
        message: `resolving ${o.dnsName} timed out after ${o.timeoutMs} ms: cluster DNS is slow or broken; clients that use the name cannot find the metadata server (GCE_METADATA_HOST=${o.metadataIp} skips DNS)${skipNote}`,
        ms,
        evidence: { name: o.dnsName, error: 'timeout' },
      };
    }
    const addresses = answer.map((a) => a.address);
    if (addresses.includes(o.metadataIp)) {
      return {
        ...base,
        status: 'pass',
        message: `${o.dnsName} → ${addresses.join(', ')}`,
        ms,
        evidence: { name: o.dnsName, addresses },
      };
    }
    return {
      ...base,
      status: 'warn',
      message: `${o.dnsName} resolves to ${addresses.join(', ')}, not ${o.metadataIp}: clients that use the name reach something else${skipNote}`,
      ms,
      evidence: { name: o.dnsName, addresses, expected: o.metadataIp },
    };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return {
      ...base,
      status: 'warn',
      message: `${o.dnsName} does not resolve (${err.code ?? err.message}): clients that use the name report "cannot find the metadata server"; GCE_METADATA_HOST=${o.metadataIp} skips DNS${skipNote}`,
      ms: Date.now() - started,
      evidence: { name: o.dnsName, error: err.code ?? err.message },
    };
  }
}

/** TCP connect only: tells "nothing listens" (refused) from "packets dropped" (timeout). */
export function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: boolean; code?: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean, code?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, ...(code !== undefined ? { code } : {}), ms: Date.now() - started });
    };
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
  });
}

const BLOCKED_HINT =
  "a NetworkPolicy blocks egress to the metadata server (allow 169.254.169.254/32 port 80 on Dataplane V2, or 169.254.169.252/32 port 988 on the legacy datapath), or the node's gke-metadata-server is down";

async function tcpStep(o: ProbeOptions): Promise<ProbeStep> {
  const { host, port } = splitHostPort(o.metadataHost);
  const r = await tcpConnect(host, port, o.timeoutMs);
  const base = {
    check: 'metadata-server-reachable' as const,
    step: 'tcp',
    ms: r.ms,
    evidence: { host, port, ...(r.code ? { error: r.code } : {}) },
  };
  if (r.ok) return { ...base, status: 'pass', message: `TCP ${host}:${port} connected in ${r.ms} ms` };
  if (r.code === 'timeout')
    return {
      ...base,
      status: 'fail',
      message: `TCP ${host}:${port}: no answer within ${o.timeoutMs} ms (timeout): ${BLOCKED_HINT}`,
    };
  return {
    ...base,
    status: 'fail',
    message: `TCP ${host}:${port}: ${r.code ?? 'error'}${r.code === 'ECONNREFUSED' ? ' — nothing listens there (metadata server down or not intercepting this pod)' : ''}`,
  };
}

function mdsUrl(o: ProbeOptions, path: string): string {
  return `http://${o.metadataHost}${path}`;
}

function get(o: ProbeOptions, path: string): Promise<RetriedOutcome> {
  return requestWithRetries(
    { url: mdsUrl(o, path), headers: { 'Metadata-Flavor': 'Google' }, timeoutMs: o.timeoutMs },
    o.attempts,
    o.retryWindowMs,
  );
}

function retryNotes(r: RetriedOutcome): { notes: string[]; recovered: boolean | undefined } {
  const v = retryVerdict(r);
  return { notes: v ? [v.text] : [], recovered: v?.recovered };
}

/** A failure that is not an HTTP answer, worded for the step. */
function noAnswer(o: ProbeOptions, f: Extract<HttpOutcome, { ok: false }>): string {
  if (f.code === 'timeout') return `no answer within ${o.timeoutMs} ms (timeout): ${BLOCKED_HINT}`;
  return describeFailure(f);
}

async function flavorStep(o: ProbeOptions, state: MetadataState): Promise<ProbeStep> {
  const r = await get(o, '/computeMetadata/v1/project/project-id');
  const { notes, recovered } = retryNotes(r);
  const base = { check: 'metadata-server-reachable' as const, step: 'metadata-flavor', ms: r.ms, attempts: r.attempts };
  const out = r.outcome;
  if (!out.ok) {
    state.answered = false;
    return {
      ...base,
      status: 'fail',
      message: `${o.metadataHost}: ${noAnswer(o, out)}${notes.length ? `; ${notes.join('; ')}` : ''}`,
      evidence: { error: out.code, notes },
    };
  }
  const flavor = out.headers['metadata-flavor'];
  const evidence = { status: out.status, 'metadata-flavor': flavor ?? null, server: out.headers.server ?? null, notes };
  if (flavor !== 'Google') {
    state.answered = false;
    return {
      ...base,
      status: 'fail',
      message: `${o.metadataHost} answered HTTP ${out.status} without "Metadata-Flavor: Google": something other than the metadata server answers there (a proxy, a sidecar, another service)`,
      evidence,
    };
  }
  if (out.status >= 500) {
    const why = explainMetadataError(out.status, out.body, undefined, 'the pod');
    return {
      ...base,
      status: 'fail',
      message: `${why.cause}${notes.length ? `; ${notes.join('; ')}` : ''}`,
      evidence: { ...evidence, body: out.body.trim(), explained: why.kind },
    };
  }
  if (out.status === 200) state.project = out.body.trim();
  return {
    ...base,
    status: recovered === true ? 'warn' : 'pass',
    message: `answered HTTP ${out.status} with Metadata-Flavor: Google in ${out.ms} ms${state.project ? ` (project ${state.project})` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    evidence,
  };
}

function unreachable(check: ProbeStep['check'], step: string): ProbeStep {
  return { check, step, status: 'unknown', message: 'not tried: the metadata server did not answer', ms: 0 };
}

/**
 * Which server answers: a GKE node's own Compute Engine metadata lists `kube-env` (the node's bootstrap
 * configuration) among the instance attributes, also under concealment, which hides only its value;
 * gke-metadata-server does not expose it. (The recursive service-account listing is no tell: both answer it
 * once the server is up; google-auth-library-python#745 was the startup race.)
 */
async function serverKind(o: ProbeOptions): Promise<'gke' | 'gce' | 'unknown'> {
  const r = await get(o, '/computeMetadata/v1/instance/attributes/');
  if (!r.outcome.ok || r.outcome.status !== 200) return 'unknown';
  return /(^|\n)kube-env\/?(\n|$)/.test(r.outcome.body) ? 'gce' : 'gke';
}

export function classifyIdentity(
  email: string,
  o: Pick<ProbeOptions, 'expectGsa' | 'nodeSa'>,
  kind: 'gke' | 'gce' | 'unknown',
): { status: ProbeStep['status']; message: string; identity: string } {
  const e = email.toLowerCase();
  const direct = e.endsWith('.svc.id.goog') || e.startsWith('principal://');
  const compute = COMPUTE_DEFAULT_SA.exec(e);
  if (o.expectGsa !== undefined && e === o.expectGsa)
    return { status: 'pass', identity: 'expected-gsa', message: `the pod is ${email}, the expected GSA` };
  if (compute)
    return {
      status: 'fail',
      identity: 'compute-default-sa',
      message: `the pod is ${email}, the Compute Engine default SA: it falls back to the node's identity (hostNetwork, a node pool not on GKE_METADATA, or no Workload Identity on the cluster)`,
    };
  if ((o.nodeSa !== undefined && e === o.nodeSa) || (kind === 'gce' && !direct))
    return {
      status: 'fail',
      identity: 'node-sa',
      message: `the pod is ${email}, the node's service account${kind === 'gce' ? ' (the Compute Engine metadata server answered, not gke-metadata-server)' : ''}: it falls back to node identity (hostNetwork, a node pool not on GKE_METADATA, or no Workload Identity on the cluster)`,
    };
  if (direct) {
    if (o.expectGsa !== undefined)
      return {
        status: 'fail',
        identity: 'direct-binding',
        message: `the pod is ${email} (its own Workload Identity principal, no GSA), not ${o.expectGsa}: the metadata server does not see the iam.gke.io/gcp-service-account annotation on the KSA (missing, misspelt, or the pod started before it was added)`,
      };
    return {
      status: 'pass',
      identity: 'direct-binding',
      message: `the pod is ${email}: direct binding (its KSA's own principal, no GSA impersonated)`,
    };
  }
  if (o.expectGsa !== undefined)
    return {
      status: 'fail',
      identity: 'other-gsa',
      message: `the pod is ${email}, not the expected ${o.expectGsa}: the KSA is annotated with another GSA`,
    };
  // Nothing to compare with: which GSA the pod should get is not known here. Shown as not compared (`–`),
  // never as a pass.
  return {
    status: 'skip',
    identity: 'gsa',
    message: `the pod is ${email}, a Google service account; not compared with the GSA it should get (give --expect-gsa; probe-pod passes the KSA's annotation)`,
  };
}

async function emailStep(o: ProbeOptions, state: MetadataState): Promise<ProbeStep> {
  const started = Date.now();
  const r = await get(o, `${SA}/email`);
  const base = { check: 'pod-identity' as const, step: 'email', attempts: r.attempts };
  const out = r.outcome;
  if (!out.ok) {
    if (out.code === 'timeout') state.answered = false;
    return {
      ...base,
      status: 'fail',
      message: `email: ${noAnswer(o, out)}`,
      ms: Date.now() - started,
      evidence: { error: out.code },
    };
  }
  if (out.status !== 200) {
    const why = explainMetadataError(out.status, out.body, undefined, 'the pod');
    return {
      ...base,
      status: 'fail',
      message: `email: ${why.cause}`,
      ms: Date.now() - started,
      evidence: { status: out.status, body: out.body.trim() },
    };
  }
  const email = out.body.trim();
  state.email = email;
  const kind = await serverKind(o);
  const c = classifyIdentity(email, o, kind);
  return {
    ...base,
    status: c.status,
    message: c.message,
    ms: Date.now() - started,
    evidence: {
      actual: email,
      ...(o.expectGsa !== undefined ? { expected: o.expectGsa } : {}),
      identity: c.identity,
      server: kind === 'gke' ? 'gke-metadata-server' : kind === 'gce' ? 'compute-engine-metadata-server' : 'unknown',
    },
  };
}

async function tokenStep(o: ProbeOptions, state: MetadataState): Promise<ProbeStep> {
  const r = await get(o, `${SA}/token?scopes=${encodeURIComponent(CLOUD_PLATFORM)}`);
  const { notes, recovered } = retryNotes(r);
  const base = { check: 'pod-access-token' as const, step: 'token', ms: r.ms, attempts: r.attempts };
  const out = r.outcome;
  const tail = notes.length ? `; ${notes.join('; ')}` : '';
  if (!out.ok) {
    if (out.code === 'timeout') state.answered = false;
    return {
      ...base,
      status: 'fail',
      message: `no access token: ${noAnswer(o, out)}${tail}`,
      evidence: { error: out.code, notes },
    };
  }
  if (out.status !== 200) {
    const why = explainMetadataError(out.status, out.body, state.email, whoAmI(o));
    return {
      ...base,
      status: 'fail',
      message: `no access token (HTTP ${out.status}): ${why.cause}${tail}`,
      evidence: { status: out.status, body: out.body.trim(), explained: why.kind, notes },
    };
  }
  let parsed: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
  try {
    parsed = JSON.parse(out.body) as typeof parsed;
  } catch {
    return { ...base, status: 'fail', message: 'the token answer is not JSON', evidence: { status: out.status } };
  }
  if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
    return {
      ...base,
      status: 'fail',
      message: 'the token answer has no access_token',
      evidence: { fields: Object.keys(parsed) },
    };
  }
  state.accessToken = parsed.access_token;
  const expiresIn = typeof parsed.expires_in === 'number' ? parsed.expires_in : undefined;
  return {
    ...base,
    status: recovered === true ? 'warn' : expiresIn === undefined || expiresIn <= 0 ? 'warn' : 'pass',
    message: `access token for ${state.email ?? 'the pod'} (${typeof parsed.token_type === 'string' ? parsed.token_type : 'Bearer'}, expires_in ${expiresIn ?? 'missing'} s, ${parsed.access_token.length} characters; never printed)${tail}`,
    evidence: {
      expires_in: expiresIn ?? null,
      token_type: parsed.token_type ?? null,
      length: parsed.access_token.length,
      notes,
    },
  };
}

function whoAmI(o: ProbeOptions): string {
  return o.pod ? `the KSA of pod ${o.pod.namespace}/${o.pod.name}` : "the pod's KSA";
}

async function identityStep(o: ProbeOptions, state: MetadataState): Promise<ProbeStep> {
  const base = { check: 'pod-access-token' as const, step: 'identity-token' };
  if (o.audience === undefined)
    return { ...base, status: 'skip', message: 'no --audience: identity token not asked for', ms: 0 };
  const r = await get(o, `${SA}/identity?audience=${encodeURIComponent(o.audience)}&format=full`);
  const { notes } = retryNotes(r);
  const out = r.outcome;
  if (!out.ok)
    return {
      ...base,
      status: 'fail',
      message: `no identity token: ${noAnswer(o, out)}`,
      ms: r.ms,
      attempts: r.attempts,
      evidence: { error: out.code, notes },
    };
  if (out.status !== 200) {
    const why = explainMetadataError(out.status, out.body, state.email, whoAmI(o));
    return {
      ...base,
      status: 'fail',
      message: `no identity token (HTTP ${out.status}): ${why.cause}`,
      ms: r.ms,
      attempts: r.attempts,
      evidence: { status: out.status, body: out.body.trim(), explained: why.kind },
    };
  }
  const jwt = decodeJwt(out.body);
  if (!jwt.ok)
    return {
      ...base,
      status: 'fail',
      message: `the identity token is not a JWT: ${jwt.error}`,
      ms: r.ms,
      attempts: r.attempts,
    };
  const c = jwt.value.claims;
  const aud = audiences(c);
  const exp = numericClaim(c, 'exp');
  const evidence = { iss: c.iss ?? null, aud, email: c.email ?? null, sub: c.sub ?? null, exp: exp ?? null };
  if (!aud.includes(o.audience))
    return {
      ...base,
      status: 'fail',
      message: `identity token audience ${JSON.stringify(aud)} is not ${o.audience}`,
      ms: r.ms,
      attempts: r.attempts,
      evidence,
    };
  return {
    ...base,
    status: 'pass',
    message: `identity token for audience ${o.audience}${typeof c.email === 'string' ? ` naming ${c.email}` : ''}, expires in ${exp !== undefined ? Math.round(exp - o.now() / 1000) : '?'} s`,
    ms: r.ms,
    attempts: r.attempts,
    evidence,
  };
}

/** Every metadata-mode step, in order. Steps after a hang are `unknown`, not tried again. */
export async function metadataSteps(o: ProbeOptions, state: MetadataState): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [environmentStep(o), await dnsStep(o)];
  const tcp = await tcpStep(o);
  steps.push(tcp);
  if (tcp.status === 'fail' && tcp.evidence?.error === 'timeout') state.answered = false;
  else steps.push(await flavorStep(o, state));
  if (!state.answered) {
    steps.push(unreachable('pod-identity', 'email'), unreachable('pod-access-token', 'token'));
    return steps;
  }
  steps.push(await emailStep(o, state));
  if (!state.answered) {
    steps.push(unreachable('pod-access-token', 'token'));
    return steps;
  }
  steps.push(await tokenStep(o, state));
  if (state.answered) steps.push(await identityStep(o, state));
  const cluster = await requestWithRetries(
    {
      url: mdsUrl(o, '/computeMetadata/v1/instance/attributes/cluster-name'),
      headers: { 'Metadata-Flavor': 'Google' },
      timeoutMs: o.timeoutMs,
    },
    1,
    0,
  );
  if (cluster.outcome.ok && cluster.outcome.status === 200) state.cluster = cluster.outcome.body.trim();
  return steps;
}
