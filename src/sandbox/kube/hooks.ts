// What the Kubernetes API of a cluster learns from the running sandbox: where each pod's metadata server
// listens (for `kubectl exec … curl` and the app's log), the environment that points a process at the
// sandbox (for `kubectl exec … node FILE`), and the metadata servers' own request log.

import type { Pod } from '../../model/k8s/types.js';
import type { ClusterKube } from './objects.js';

export interface SandboxLinks {
  /** host:port of a pod's metadata server, if it has one. */
  metadataHost(namespace: string, pod: string): string | undefined;
  /** WI_DOCTOR_*_ENDPOINT and the like: Google's APIs as the sandbox serves them. */
  env: Record<string, string>;
  /** Runs a container's entrypoint when its pod starts (the sandbox runs `node FILE` ones). */
  runEntrypoint?(pod: Pod, container: string): void;
}

const links = new WeakMap<ClusterKube, SandboxLinks>();
const serverLogs = new WeakMap<ClusterKube, Map<string, string[]>>();
const containerLogs = new WeakMap<ClusterKube, Map<string, string[]>>();

/** The log lines of one container of one pod (by the pod's uid). */
export function containerLog(c: ClusterKube, podUid: string, container: string): string[] {
  let all = containerLogs.get(c);
  if (!all) {
    all = new Map();
    containerLogs.set(c, all);
  }
  const key = `${podUid}/${container}`;
  let lines = all.get(key);
  if (!lines) {
    lines = [];
    all.set(key, lines);
  }
  return lines;
}

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
