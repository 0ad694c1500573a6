// Shapes of the probe: its options, its steps, and the report it prints (the JSON joins a bundle's probe/).

import type { CheckResult, Status, Summary } from '../model/results.js';

/** The probe's check ids (docs/probe.md), in the order the probe runs them. */
export const PROBE_CHECKS = [
  'metadata-server-reachable',
  'pod-identity',
  'pod-access-token',
  'credential-config',
  'target-permission',
] as const;
export type ProbeCheckId = (typeof PROBE_CHECKS)[number];

export type ProbeMode = 'metadata' | 'federation';

export interface ProbeOptions {
  format: 'text' | 'json';
  /** Per request, ms. */
  timeoutMs: number;
  /** Attempts (the first included) for connection errors and 5xx answers: the startup race. */
  attempts: number;
  /** Over how long the attempts are spread, ms. */
  retryWindowMs: number;
  /** `host[:port]` of the metadata server (GCE_METADATA_HOST semantics). */
  metadataHost: string;
  /** Where GCE_METADATA_HOST/GCE_METADATA_IP came from, for the report. */
  metadataHostSource: 'flag' | 'GCE_METADATA_HOST' | 'GCE_METADATA_IP' | 'default';
  /** The address the DNS name should resolve to. */
  metadataIp: string;
  dnsName: string;
  /** STS token endpoint override (full URL); undefined = the credential file's token_url. */
  stsUrl: string | undefined;
  /** Base URL of IAM Credentials; undefined = the file's impersonation URL / the public API. */
  iamCredentialsUrl: string | undefined;
  crmUrl: string;
  storageUrl: string;
  expectGsa: string | undefined;
  /** The node's service account, when known (sharpens the pod-identity verdict). */
  nodeSa: string | undefined;
  audience: string | undefined;
  need: string[];
  on: string | undefined;
  pod: { namespace: string; name: string } | undefined;
  /** The report's subject when the probe stands in for a workload (probe-pod): `ns/kind/name`. */
  subject: string | undefined;
  node: string | undefined;
  /** GOOGLE_APPLICATION_CREDENTIALS. */
  credentialsFile: string | undefined;
  /** Proxy variables as the app would see them. */
  env: Record<string, string | undefined>;
  hidePass: boolean;
  /** The probe's clock (tests). */
  now: () => number;
}

export interface ProbeStep {
  check: ProbeCheckId;
  /** Short name: environment, dns, tcp, metadata-flavor, server-kind, email, token, identity-token, … */
  step: string;
  status: Status;
  /** One sentence: what was established, or what is wrong and why. */
  message: string;
  ms: number;
  evidence?: Record<string, unknown>;
  /** Attempts made, when the step retries. */
  attempts?: number;
}

export interface ProbeResult extends CheckResult {
  /** Time spent on this check's steps, ms. */
  durationMs: number;
  steps: ProbeStep[];
}

export interface ProbeInfo {
  mode: ProbeMode;
  /** `ns/name` of the pod the probe ran in, when known. */
  pod: string | null;
  node?: string;
  hostname: string;
  node_version: string;
  metadataHost?: string;
  credentialsFile?: string;
  project?: string;
  cluster?: string;
  startedAt: string;
  durationMs: number;
}

export interface ProbeReport {
  format: 'wi-doctor-report/1';
  tool: { name: 'wi-doctor'; version: string };
  generatedAt: string;
  source: 'probe';
  results: ProbeResult[];
  /** Always empty: the probe sees one pod; a diagnosis that joins it builds the verdicts. */
  verdicts: [];
  summary: Summary;
  probe: ProbeInfo;
}
