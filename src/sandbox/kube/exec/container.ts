// A sandbox container as exec and the kubelet's entrypoint runner see it: its file system (one per pod,
// kept while the pod lives), its environment, and the one entrypoint the sandbox runs — `node FILE`
// (wi-doctor's probe pod): run when the pod starts, its output the container's log, its exit code the
// container's termination (a pod with restartPolicy Never then Succeeds or Fails, as on GKE).

import type { Pod, ServiceAccountObject } from '../../../model/k8s/types.js';
import type { ClusterState, World } from '../../world.js';
import { containerLog } from '../hooks.js';
import { arr, at, obj, str } from '../json.js';
import { kubeTime } from '../managed-fields.js';
import { KUBERNETES_SERVICE_IP } from '../objects.js';
import { mintKsaToken } from '../reviews.js';
import { COMMANDS, CONTAINER_PATH, type ExecContext } from './commands.js';
import { PodFs } from './podfs.js';

const filesystems = new WeakMap<ClusterState, Map<string, PodFs>>();

export function podFs(world: World, cluster: ClusterState, pod: Pod): PodFs {
  let all = filesystems.get(cluster);
  if (!all) {
    all = new Map();
    filesystems.set(cluster, all);
  }
  const key = pod.metadata.uid ?? pod.metadata.name;
  let fs = all.get(key);
  if (!fs) {
    fs = new PodFs(
      pod,
      async (spec) => {
        const ns = pod.metadata.namespace ?? 'default';
        const sa = cluster.store.get<ServiceAccountObject>(
          'serviceaccounts',
          ns,
          pod.spec.serviceAccountName ?? 'default',
        );
        if (!sa) return '';
        return (
          await mintKsaToken(world, cluster, sa, [spec.audience ?? cluster.tokenIssuer], spec.expirationSeconds, pod)
        ).token;
      },
      cluster.project,
      (kind, name) => {
        const o = cluster.store.get(kind, pod.metadata.namespace, name);
        const data = obj(at(o, 'data'));
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(data))
          out[k] = kind === 'secrets' ? Buffer.from(str(v), 'base64').toString('utf8') : str(v);
        return o ? out : undefined;
      },
    );
    all.set(key, fs);
  }
  return fs;
}

/** The environment of a container: PATH, HOSTNAME, its env (values and field references), service links, HOME. */
export function containerEnv(cluster: ClusterState, pod: Pod, container: string, tty: boolean): Record<string, string> {
  const env: Record<string, string> = { PATH: CONTAINER_PATH, HOSTNAME: pod.metadata.name };
  if (tty) env.TERM = 'xterm';
  const c = pod.spec.containers.find((x) => x.name === container);
  const ns = pod.metadata.namespace ?? 'default';
  for (const e of arr(at(c, 'env')).map(obj)) {
    const name = str(e.name);
    if (e.value !== undefined) {
      env[name] = str(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      continue;
    }
    const field = str(at(e, 'valueFrom', 'fieldRef', 'fieldPath'));
    const fields: Record<string, string | undefined> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': ns,
      'metadata.uid': pod.metadata.uid,
      'spec.nodeName': pod.spec.nodeName,
      'spec.serviceAccountName': pod.spec.serviceAccountName,
      'status.podIP': pod.status?.podIP,
      'status.hostIP': pod.status?.hostIP,
    };
    if (field !== '') {
      env[name] = fields[field] ?? '';
      continue;
    }
    const cm = obj(at(e, 'valueFrom', 'configMapKeyRef'));
    if (str(cm.name) !== '') {
      const o = cluster.store.get('configmaps', ns, str(cm.name));
      env[name] = str(at(o, 'data', str(cm.key)));
      continue;
    }
    const secret = obj(at(e, 'valueFrom', 'secretKeyRef'));
    if (str(secret.name) !== '') {
      const o = cluster.store.get('secrets', ns, str(secret.name));
      env[name] = Buffer.from(str(at(o, 'data', str(secret.key))), 'base64').toString('utf8');
    }
  }
  Object.assign(env, {
    KUBERNETES_SERVICE_HOST: KUBERNETES_SERVICE_IP,
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: `tcp://${KUBERNETES_SERVICE_IP}:443`,
    KUBERNETES_PORT_443_TCP: `tcp://${KUBERNETES_SERVICE_IP}:443`,
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: KUBERNETES_SERVICE_IP,
    HOME: '/root',
  });
  return env;
}

/** The command a container starts with: `command` then `args`, as the kubelet joins them. */
function entrypoint(pod: Pod, container: string): string[] {
  const ct = obj(pod.spec.containers.find((c) => c.name === container));
  return [...arr(ct.command).map(str), ...arr(ct.args).map(str)];
}

/** Runs a container's `node FILE` entrypoint, if it has one, and records how it ended. */
export async function runEntrypoint(world: World, cluster: ClusterState, pod: Pod, container: string): Promise<void> {
  const argv = entrypoint(pod, container);
  const fs = podFs(world, cluster, pod);
  if (argv[0] !== 'node' || argv[1] === undefined || fs.stat(fs.resolve(argv[1]))?.type !== 'file') return;
  const log = containerLog(cluster, pod.metadata.uid ?? pod.metadata.name, container);
  const started = kubeTime(cluster.now());
  let pending = '';
  const ctx: ExecContext = {
    world,
    cluster,
    pod,
    container,
    env: containerEnv(cluster, pod, container, false),
    fs,
    tty: false,
    cwd: '/',
    io: {
      out: (d) => {
        pending += d.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        log.push(...lines);
      },
      err: (d) => log.push(...d.toString().replace(/\n$/, '').split('\n')),
      stdin: () => Promise.resolve(Buffer.alloc(0)),
    },
    onAbort: () => undefined,
  };
  const code = await (COMMANDS.node ?? (() => Promise.resolve(127)))(ctx, argv.slice(1));
  if (pending !== '') log.push(pending);
  const current = cluster.store.get<Pod>('pods', pod.metadata.namespace, pod.metadata.name);
  if (!current || current.metadata.uid !== pod.metadata.uid) return;
  const policy = str(at(current, 'spec', 'restartPolicy')) || 'Always';
  if (policy === 'Always') return;
  const status = obj(obj(current).status);
  const finished = kubeTime(cluster.now());
  for (const cs of arr(status.containerStatuses).map(obj)) {
    if (str(cs.name) !== container) continue;
    cs.state = {
      terminated: {
        exitCode: code,
        reason: code === 0 ? 'Completed' : 'Error',
        startedAt: started,
        finishedAt: finished,
        containerID: cs.containerID,
      },
    };
    cs.ready = false;
    cs.started = false;
  }
  const all = arr(status.containerStatuses).map(obj);
  if (all.every((cs) => at(cs, 'state', 'terminated') !== undefined)) {
    const failed = all.some((cs) => Number(at(cs, 'state', 'terminated', 'exitCode')) !== 0);
    status.phase = failed ? 'Failed' : 'Succeeded';
    for (const c of arr(status.conditions).map(obj))
      if (str(c.type) === 'Ready' || str(c.type) === 'ContainersReady') {
        c.status = 'False';
        c.reason = 'PodCompleted';
        c.lastTransitionTime = finished;
      }
  }
  cluster.store.put('pods', current);
}
