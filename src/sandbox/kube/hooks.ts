// What the Kubernetes API of a cluster learns from the running sandbox: where each pod's metadata server
// listens (for `kubectl exec … curl` and the app's log), the environment that points a process at the
// sandbox (for `kubectl exec … node FILE`), and the metadata servers' own request log.

import type { ClusterKube } from './objects.js';

export interface SandboxLinks {
  /** host:port of a pod's metadata server, if it has one. */
  metadataHost(namespace: string, pod: string): string | undefined;
  /** WI_DOCTOR_*_ENDPOINT and the like: Google's APIs as the sandbox serves them. */
  env: Record<string, string>;
}

const links = new WeakMap<ClusterKube, SandboxLinks>();
const serverLogs = new WeakMap<ClusterKube, Map<string, string[]>>();

export function linkSandbox(c: ClusterKube, l: SandboxLinks): void {
  links.set(c, l);
}

export function sandboxLinks(c: ClusterKube): SandboxLinks | undefined {
  return links.get(c);
}

/** The log lines of the gke-metadata-server on a node (appended as it answers pods on that node). */
export function metadataServerLog(c: ClusterKube, node: string): string[] {
  let all = serverLogs.get(c);
  if (!all) {
    all = new Map();
    serverLogs.set(c, all);
  }
  let lines = all.get(node);
  if (!lines) {
    lines = [];
    all.set(node, lines);
  }
  return lines;
}
