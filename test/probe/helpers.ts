// Shared by the probe tests: run the probe in-process against a sandbox pod's own metadata server.

import { resolveProbeOptions, type ProbeFlags } from '../../src/probe/options.js';
import { runProbe } from '../../src/probe/run.js';
import type { ProbeCheckId, ProbeReport, ProbeResult } from '../../src/probe/types.js';
import type { PodEndpoint, RunningSandbox } from '../../src/sandbox/index.js';

export function podOf(sb: RunningSandbox, prefix: string): PodEndpoint {
  const p = sb.pods.find((x) => x.name.startsWith(prefix));
  if (!p) throw new Error(`no pod ${prefix} in ${sb.pods.map((x) => x.name).join(', ')}`);
  return p;
}

/** Fast settings for tests: short timeout, quick retries; DNS checked against localhost. */
export function testFlags(pod: PodEndpoint | undefined, extra: ProbeFlags = {}): ProbeFlags {
  return {
    timeout: 2,
    attempts: 3,
    retryWindow: 0.2,
    dnsName: 'localhost',
    metadataIp: '127.0.0.1',
    ...(pod ? { metadataHost: pod.metadataHost, pod: `${pod.namespace}/${pod.name}` } : {}),
    ...extra,
  };
}

export async function probe(flags: ProbeFlags, env: Record<string, string | undefined> = {}): Promise<ProbeReport> {
  return runProbe(resolveProbeOptions(flags, { METADATA_SERVER_DETECTION: 'none', ...env }), { version: 'test' });
}

export function result(report: ProbeReport, id: ProbeCheckId): ProbeResult {
  const r = report.results.find((x) => x.check === id);
  if (!r) throw new Error(`no ${id} in ${report.results.map((x) => x.check).join(', ')}`);
  return r;
}

export function step(report: ProbeReport, id: ProbeCheckId, name: string) {
  const s = result(report, id).steps.find((x) => x.step === name);
  if (!s) throw new Error(`no step ${name} under ${id}`);
  return s;
}

export const CART_GSA = 'cart-gsa@acme-shop.iam.gserviceaccount.com';
export const NODE_SA = 'gke-nodes@acme-shop.iam.gserviceaccount.com';
