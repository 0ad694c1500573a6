// The probe: detect the mode, run the steps in order, fold them into one result per probe check id (docs/probe.md).

import { hostname } from 'node:os';
import { docsUrl, summarize, type Status } from '../model/results.js';
import { federationSteps, readCredentialFile, type CredentialFile, type FederationState } from './federation.js';
import { metadataSteps, type MetadataState } from './metadata.js';
import { permissionStep } from './permission.js';
import {
  PROBE_CHECKS,
  type ProbeCheckId,
  type ProbeMode,
  type ProbeOptions,
  type ProbeReport,
  type ProbeResult,
  type ProbeStep,
} from './types.js';

export const PROBE_TITLES: Record<ProbeCheckId, string> = {
  'metadata-server-reachable': 'The metadata server answers this pod',
  'pod-identity': 'The pod gets the Google identity it should',
  'pod-access-token': 'The pod gets an access token',
  'credential-config': 'The credential configuration is sound',
  'target-permission': 'The pod may do what it needs on the resource',
};

export interface ProbeRunContext {
  version: string;
}

/** credential-config in metadata mode: what GOOGLE_APPLICATION_CREDENTIALS does to client libraries. */
function credentialStepForMetadataMode(file: CredentialFile): ProbeStep {
  const base = { check: 'credential-config' as const, step: 'credential-file', ms: 0 };
  switch (file.kind) {
    case 'none':
      return {
        ...base,
        status: 'skip',
        message: 'GKE metadata mode: no GOOGLE_APPLICATION_CREDENTIALS, client libraries use the metadata server',
      };
    case 'unreadable':
      return {
        ...base,
        status: 'fail',
        message: `GOOGLE_APPLICATION_CREDENTIALS=${file.path} ${file.error}: client libraries fail on it instead of using the metadata server`,
        evidence: { path: file.path },
      };
    case 'invalid':
      return {
        ...base,
        status: 'fail',
        message: `GOOGLE_APPLICATION_CREDENTIALS=${file.path} ${file.error}: client libraries fail on it`,
        evidence: { path: file.path },
      };
    case 'service_account':
      return {
        ...base,
        status: 'warn',
        message: `GOOGLE_APPLICATION_CREDENTIALS=${file.path} is a service-account key${file.email ? ` for ${file.email}` : ''}: client libraries use the key and never ask the metadata server — Workload Identity is silently bypassed`,
        evidence: { path: file.path, actual: file.email ?? null },
      };
    case 'other':
      return {
        ...base,
        status: 'warn',
        message: `GOOGLE_APPLICATION_CREDENTIALS=${file.path} holds ${file.type} credentials: client libraries use them, not Workload Identity`,
        evidence: { path: file.path, type: file.type },
      };
    case 'external_account':
      return { ...base, status: 'unknown', message: 'unreachable: external_account files run in federation mode' };
  }
}

/** The step whose message says what a passing check established. */
const PRIMARY_STEPS: Record<ProbeCheckId, string[]> = {
  'metadata-server-reachable': ['metadata-flavor', 'tcp'],
  'pod-identity': ['email', 'identity'],
  'pod-access-token': ['token', 'impersonation', 'sts-exchange'],
  'credential-config': ['token-claims', 'credential-file'],
  'target-permission': ['test-permissions'],
};

const RANK: Record<Status, number> = { skip: 0, pass: 1, warn: 2, unknown: 3, fail: 4 };

function fold(
  check: ProbeCheckId,
  steps: ProbeStep[],
  subject: string,
  location: string,
  skipWhy: string,
): ProbeResult {
  const title = PROBE_TITLES[check];
  const base = { check, subject, title, fix: [], docs: docsUrl(check), location };
  if (steps.length === 0) return { ...base, status: 'skip', cause: skipWhy, durationMs: 0, steps: [] };
  const status = steps.reduce<Status>((worst, s) => (RANK[s.status] > RANK[worst] ? s.status : worst), 'skip');
  const deciding = steps.find((s) => s.status === status) ?? steps[0];
  const primary = PRIMARY_STEPS[check]
    .map((name) => steps.find((s) => s.step === name && s.status === 'pass'))
    .find((s) => s !== undefined);
  const cause = status === 'pass' ? ((primary ?? deciding)?.message ?? title) : (deciding?.message ?? title);
  const ev = deciding?.evidence ?? {};
  const notes = steps.map(
    (s) =>
      `${s.step} ${s.status} (${s.ms} ms${s.attempts && s.attempts > 1 ? `, ${s.attempts} attempts` : ''}): ${s.message}`,
  );
  return {
    ...base,
    status,
    cause,
    evidence: {
      ...('expected' in ev ? { expected: ev.expected } : {}),
      ...('actual' in ev ? { actual: ev.actual } : {}),
      notes,
    },
    durationMs: steps.reduce((n, s) => n + s.ms, 0),
    steps,
  };
}

export async function runProbe(o: ProbeOptions, ctx: ProbeRunContext): Promise<ProbeReport> {
  const started = o.now();
  const wallStart = Date.now();
  const file = readCredentialFile(o.credentialsFile);
  const mode: ProbeMode = file.kind === 'external_account' ? 'federation' : 'metadata';
  const steps: ProbeStep[] = [];
  let token: string | undefined;
  const mds: MetadataState = { answered: true };
  if (file.kind === 'external_account') {
    const fed: FederationState = {};
    steps.push(...(await federationSteps(file, o, fed)));
    token = fed.accessToken;
  } else {
    steps.push(...(await metadataSteps(o, mds)));
    steps.push(credentialStepForMetadataMode(file));
    token = mds.accessToken;
  }
  steps.push(await permissionStep(o, token));

  const host = hostname();
  const pod = o.pod ? `${o.pod.namespace}/${o.pod.name}` : null;
  const subject = o.subject ?? (o.pod ? `${o.pod.namespace}/pod/${o.pod.name}` : `pod/${host}`);
  const location = o.pod
    ? `kubernetes:///namespaces/${o.pod.namespace}/pods/${o.pod.name}`
    : `kubernetes:///pods/${encodeURIComponent(host)}`;
  const skipWhy: Record<ProbeCheckId, string> = {
    'metadata-server-reachable':
      'federation mode: credentials come from the external_account file, not the metadata server',
    'pod-identity': 'not evaluated',
    'pod-access-token': 'not evaluated',
    'credential-config': 'not evaluated',
    'target-permission': 'no --need PERMISSION --on RESOURCE given',
  };
  const results = PROBE_CHECKS.map((id) =>
    fold(
      id,
      steps.filter((s) => s.check === id),
      subject,
      location,
      skipWhy[id],
    ),
  );
  return {
    format: 'wi-doctor-report/1',
    tool: { name: 'wi-doctor', version: ctx.version },
    generatedAt: new Date(started).toISOString(),
    source: 'probe',
    results,
    verdicts: [],
    summary: summarize(results),
    probe: {
      mode,
      pod,
      ...(o.node !== undefined ? { node: o.node } : {}),
      hostname: host,
      node_version: process.version,
      ...(mode === 'metadata' ? { metadataHost: o.metadataHost } : {}),
      ...(file.kind !== 'none' ? { credentialsFile: file.path } : {}),
      ...(mds.project !== undefined ? { project: mds.project } : {}),
      ...(mds.cluster !== undefined ? { cluster: mds.cluster } : {}),
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - wallStart,
    },
  };
}
