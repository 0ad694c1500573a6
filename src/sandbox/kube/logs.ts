// `kubectl logs`: what a pod's containers wrote.
//   - The app (image app:1.0) is a Node service using google-auth-library: each time its logs are read it has
//     just asked its metadata server for a token, and a failure is logged in that library's words ("Could not
//     refresh access token: …", with the 403/404 prefixes Compute adds), the server's answer after them.
//   - gke-metadata-server logs, per node, the requests it answered for that node's pods (klog format).
//     UNVERIFIED: the exact text of gke-metadata-server's log lines; the sandbox writes the path, the pod and
//     the answer it gave.
// Errors as the kubelet words them: a container that has not started, a container the pod does not have.

import type { Pod } from '../../model/k8s/types.js';
import { kubeNotFound, kubeStatus } from '../http/errors.js';
import type { SandboxRequest, SandboxResponse } from '../http/router.js';
import type { ClusterState } from '../world.js';
import { containerLog, metadataServerLog, sandboxLinks } from './hooks.js';
import { arr, at, obj, str } from './json.js';
import { APP_IMAGE, METADATA_SERVER_IMAGE, type ClusterKube } from './objects.js';

function appLog(c: ClusterKube, uid: string): string[] {
  return containerLog(c, uid, 'app');
}

/** klog's line header: `I0115 11:00:03.214512       1 file.go:123] `. */
export function klog(level: 'I' | 'W' | 'E' | 'F', ms: number, where: string, message: string): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const micros = p(d.getUTCMilliseconds() * 1000, 6);
  return `${level}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${micros}       1 ${where}] ${message}`;
}

/** One gke-metadata-server log line for an answer it gave a pod. */
export function metadataServerLine(
  c: ClusterKube,
  pod: Pod,
  path: string,
  status: number,
  body: string | undefined,
): void {
  const node = pod.spec.nodeName;
  if (node === undefined) return;
  const who = `[pod:${pod.metadata.namespace ?? ''}/${pod.metadata.name} ip:${pod.status?.podIP ?? ''}]`;
  const detail = status >= 400 && body !== undefined ? `: ${body.trim().split('\n')[0] ?? ''}` : '';
  const line = klog(status >= 400 ? 'E' : 'I', c.now(), 'server.go:426', `${who} "${path}" HTTP/${status}${detail}`);
  const lines = metadataServerLog(c, node);
  lines.push(line);
  if (lines.length > 1000) lines.splice(0, lines.length - 1000);
}

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

/** The app asks its metadata server for a token, as google-auth-library's Compute client does, and logs a failure. */
async function appAttempt(c: ClusterKube, pod: Pod): Promise<void> {
  const lines = appLog(c, pod.metadata.uid ?? pod.metadata.name);
  const started = Date.parse(pod.status?.startTime ?? '') || c.now();
  if (lines.length === 0) lines.push(`${new Date(started + 2500).toISOString()} INFO server listening on :8080`);
  const host = sandboxLinks(c)?.metadataHost(pod.metadata.namespace ?? '', pod.metadata.name);
  if (host === undefined) return;
  const url = `http://${host}${TOKEN_PATH}?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform`;
  const at = new Date(c.now()).toISOString();
  let message: string | undefined;
  try {
    const res = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (res.status === 403)
      message = `A Forbidden error was returned while attempting to retrieve an access token for the Compute Engine built-in service account. This may be because the Compute Engine instance does not have the correct permission scopes specified: Could not refresh access token: ${body}`;
    else if (res.status === 404)
      message = `A Not Found error was returned while attempting to retrieve an accesstoken for the Compute Engine built-in service account. This may be because the Compute Engine instance does not have any permission scopes specified: Could not refresh access token: ${body}`;
    else if (res.status !== 200) message = `Could not refresh access token: ${body}`;
  } catch {
    // UNVERIFIED: the client's exact words when the metadata server never answers.
    message = `Could not refresh access token: request to http://169.254.169.254${TOKEN_PATH} failed, reason: connect ETIMEDOUT 169.254.169.254:80`;
  }
  if (message !== undefined) lines.push(`${at} ERROR ${message.trimEnd()}`);
  else lines.push(`${at} INFO fetched an access token from the metadata server`);
}

export function podLogs(cluster: ClusterState) {
  return async (req: SandboxRequest): Promise<SandboxResponse> => {
    const ns = req.params.ns ?? '';
    const name = req.params.name ?? '';
    const pod = cluster.store.get<Pod>('pods', ns, name);
    if (!pod) return kubeNotFound('pods', name);
    const containers = pod.spec.containers.map((c) => c.name);
    let container = req.query.get('container') ?? '';
    if (container === '') {
      if (containers.length !== 1)
        return kubeStatus(
          400,
          'BadRequest',
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
        );
      container = containers[0] ?? '';
    }
    if (!containers.includes(container))
      return kubeStatus(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    const cs = arr(at(pod, 'status', 'containerStatuses'))
      .map(obj)
      .find((s) => str(s.name) === container);
    const waiting = str(at(cs, 'state', 'waiting', 'reason'));
    const previous = req.query.get('previous') === 'true';
    if (previous && at(cs, 'lastState', 'terminated') === undefined)
      return kubeStatus(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`);
    if (!previous && waiting !== '' && waiting !== 'CrashLoopBackOff')
      return kubeStatus(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${waiting}`);
    const image = pod.spec.containers.find((c) => c.name === container)?.image ?? '';
    let lines: string[] = [];
    if (image === METADATA_SERVER_IMAGE) {
      // The apps on this node keep asking for tokens; their latest requests are in this server's log.
      const apps = cluster.store
        .list<Pod>('pods')
        .filter(
          (p) =>
            p.spec.nodeName === pod.spec.nodeName &&
            p.spec.containers.some((ct) => ct.image === APP_IMAGE) &&
            p.status?.phase === 'Running',
        );
      await Promise.all(apps.map((p) => appAttempt(cluster, p)));
      const start = Date.parse(pod.status?.startTime ?? '') || cluster.now();
      const health = cluster.health.get(pod.spec.nodeName ?? '') ?? 'healthy';
      lines.push(klog('I', start + 1200, 'main.go:94', 'gke-metadata-server starting'));
      if (health === 'down' || waiting === 'CrashLoopBackOff')
        lines.push(
          klog(
            'F',
            cluster.now() - 90_000,
            'main.go:131',
            'gke-metadata-server exited with an error; the kubelet restarts it (sandbox: this node plays a crash-looping metadata server)',
          ),
        );
      else
        lines.push(
          klog('I', start + 1500, 'main.go:160', 'serving the metadata API for the pods of this node'),
          ...metadataServerLog(cluster, pod.spec.nodeName ?? ''),
        );
    } else if (image === APP_IMAGE) {
      await appAttempt(cluster, pod);
      lines = [...appLog(cluster, pod.metadata.uid ?? pod.metadata.name)];
    } else lines = [...containerLog(cluster, pod.metadata.uid ?? pod.metadata.name, container)];
    const tail = Number(req.query.get('tailLines') ?? -1);
    if (Number.isInteger(tail) && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
    if (req.query.get('timestamps') === 'true') {
      const start = pod.status?.startTime ?? new Date(cluster.now()).toISOString();
      lines = lines.map((l) => `${/^\d{4}-\d\d-\d\dT[\d:.]+Z/.exec(l)?.[0] ?? start.replace('Z', '.000000000Z')} ${l}`);
    }
    const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    if (req.query.get('follow') === 'true') {
      return {
        status: 200,
        headers: { 'Content-Type': 'text/plain' },
        stream: (sink) => {
          sink.write(text);
          // The container writes nothing more; the stream stays open until the client leaves.
        },
      };
    }
    return { status: 200, text, headers: { 'Content-Type': 'text/plain' } };
  };
}
