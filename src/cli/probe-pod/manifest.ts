// `probe-pod`: a probe Pod placed like the workload (same KSA, nodeSelector, affinity, tolerations,
// hostNetwork, labels — so the same kind of node and the same NetworkPolicies), running the single-file
// probe from a ConfigMap printed alongside it, so one `kubectl apply -f -` needs no registry access beyond
// the node image. Federation credential volumes of the app are mounted too: ephemeral debug containers do
// not see the app's volumes, a pod of its own can.

import { stringify } from 'yaml';
import type { Container, EnvVar, PodTemplateSpec, Volume, VolumeMount, Workload } from '../../model/k8s/types.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';

export const PROBE_CONFIGMAP = 'wi-doctor-probe';
export const PROBE_FILE = 'wi-doctor-probe.cjs';
export { DEFAULT_PROBE_IMAGE } from './image.js';

export interface ProbePodOptions {
  image: string;
  name?: string;
  /** The bundled probe (dist/wi-doctor-probe.cjs): put in the ConfigMap. Without it, only the Pod is printed. */
  probeSource?: string;
  /** The KSA's annotated GSA, passed as --expect-gsa. */
  expectGsa?: string;
  /** More probe flags (--audience, --need, --on, --node-sa …). */
  probeArgs?: string[];
  format?: 'yaml' | 'json';
}

type Obj = Record<string, unknown>;

export function podTemplateOf(workload: Workload): PodTemplateSpec | undefined {
  if (workload.kind === 'Pod') {
    const pod = workload as unknown as { metadata: PodTemplateSpec['metadata']; spec: PodTemplateSpec['spec'] };
    return { metadata: pod.metadata, spec: pod.spec };
  }
  return workload.spec?.template ?? workload.spec?.jobTemplate?.spec?.template;
}

/** `ns/kind/name`, as reports name a workload subject. */
export function workloadSubject(workload: Workload): string {
  return `${workload.metadata.namespace ?? 'default'}/${(workload.kind ?? 'pod').toLowerCase()}/${workload.metadata.name}`;
}

function probeName(workload: Workload, name: string | undefined): string {
  if (name !== undefined) return name;
  const base = `wi-doctor-probe-${workload.metadata.name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return base.slice(0, 63).replace(/-+$/, '');
}

const COPIED_VOLUME_KINDS = ['projected', 'configMap', 'secret'] as const;

/** The app container whose credentials matter: the one that sets GOOGLE_APPLICATION_CREDENTIALS, else the first. */
function credentialContainer(spec: PodTemplateSpec['spec']): {
  container: Container | undefined;
  gac: EnvVar | undefined;
} {
  for (const c of spec.containers) {
    const gac = (c.env ?? []).find((e) => e.name === 'GOOGLE_APPLICATION_CREDENTIALS');
    if (gac) return { container: c, gac };
  }
  return { container: spec.containers[0], gac: undefined };
}

/** The app container's credential volumes (projected tokens, ConfigMaps, Secrets) and their mounts. */
function credentialVolumes(
  spec: PodTemplateSpec['spec'],
  container: Container | undefined,
): { volumes: Volume[]; mounts: VolumeMount[] } {
  if (!container) return { volumes: [], mounts: [] };
  const byName = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = byName.get(m.name);
    if (!v || !COPIED_VOLUME_KINDS.some((k) => v[k] !== undefined) || m.name === PROBE_CONFIGMAP) continue;
    if (!volumes.includes(v)) volumes.push(v);
    mounts.push({ ...m, readOnly: true });
  }
  return { volumes, mounts };
}

export interface ProbePodObjects {
  configMap: Obj | undefined;
  pod: Obj;
  notes: string[];
}

export function probePodObjects(workload: Workload, opts: ProbePodOptions): ProbePodObjects {
  const template = podTemplateOf(workload);
  if (!template) throw new Error(`${workloadSubject(workload)} has no pod template`);
  const spec = template.spec;
  const namespace = workload.metadata.namespace ?? 'default';
  const subject = workloadSubject(workload);
  const name = probeName(workload, opts.name);
  const { container, gac } = credentialContainer(spec);
  const { volumes, mounts } = credentialVolumes(spec, container);
  const args = [
    'node',
    `/probe/${PROBE_FILE}`,
    '--subject',
    subject,
    ...(opts.expectGsa !== undefined ? ['--expect-gsa', opts.expectGsa] : []),
    ...(opts.probeArgs ?? []),
  ];
  const env: Obj[] = [
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  if (gac?.value !== undefined) env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: gac.value });
  for (const e of container?.env ?? []) {
    if (
      [
        'HTTP_PROXY',
        'HTTPS_PROXY',
        'NO_PROXY',
        'http_proxy',
        'https_proxy',
        'no_proxy',
        'GCE_METADATA_HOST',
        'GCE_METADATA_IP',
      ].includes(e.name) &&
      e.value !== undefined
    )
      env.push({ name: e.name, value: e.value });
  }
  const podSpec: Obj = {
    serviceAccountName: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
    ...(spec.automountServiceAccountToken !== undefined
      ? { automountServiceAccountToken: spec.automountServiceAccountToken }
      : {}),
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.affinity !== undefined ? { affinity: spec.affinity } : {}),
    ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
    ...(spec.hostNetwork ? { hostNetwork: true } : {}),
    restartPolicy: 'Never',
    containers: [
      {
        name: 'probe',
        image: opts.image,
        command: args,
        env,
        volumeMounts: [{ name: PROBE_CONFIGMAP, mountPath: '/probe', readOnly: true }, ...mounts],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      },
    ],
    volumes: [{ name: PROBE_CONFIGMAP, configMap: { name: PROBE_CONFIGMAP } }, ...volumes],
  };
  const labels = { ...(template.metadata?.labels ?? {}), 'app.kubernetes.io/created-by': 'wi-doctor-probe' };
  const pod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, annotations: { 'wi-doctor.dev/probe-for': subject } },
    spec: podSpec,
  };
  const configMap =
    opts.probeSource !== undefined
      ? {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: PROBE_CONFIGMAP, namespace, labels: { 'app.kubernetes.io/created-by': 'wi-doctor-probe' } },
          data: { [PROBE_FILE]: opts.probeSource },
        }
      : undefined;
  const notes = [
    `wi-doctor probe pod for ${subject}: same serviceAccountName, nodeSelector, affinity, tolerations${spec.hostNetwork ? ', hostNetwork' : ''} and labels, so it lands on the same kind of node under the same NetworkPolicies.`,
    `Read the result: kubectl logs -n ${namespace} ${name}   (add --format json to the command for a bundle's probe/ folder)`,
    `Clean up: kubectl delete -n ${namespace} pod/${name} configmap/${PROBE_CONFIGMAP}`,
    'Its labels match the workload: Services that select them may send traffic to it while it runs' +
      (workload.kind === 'ReplicaSet' || workload.kind === 'DaemonSet'
        ? `, and the ${workload.kind} controller may adopt and delete it.`
        : '.'),
    gac
      ? `The app's credential volumes are mounted read-only (GOOGLE_APPLICATION_CREDENTIALS=${gac.value ?? '(from a reference)'}); ephemeral debug containers (kubectl debug) would not see them.`
      : "Ephemeral debug containers (kubectl debug) do not see the app's volumes; for federation token files use this pod or kubectl exec into the app container.",
    ...(opts.probeSource === undefined
      ? [
          `No ConfigMap printed: create it with kubectl create configmap ${PROBE_CONFIGMAP} -n ${namespace} --from-file=dist/${PROBE_FILE}`,
        ]
      : []),
  ];
  return { configMap, pod, notes };
}

/** The manifest as text: YAML documents with the notes as comments, or a JSON `List`. */
export function probePodManifest(workload: Workload, opts: ProbePodOptions): string {
  const { configMap, pod, notes } = probePodObjects(workload, opts);
  const objects = configMap ? [configMap, pod] : [pod];
  if (opts.format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  const header = notes.map((n) => `# ${n}`).join('\n');
  return `${header}\n${objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('')}`;
}

/** The GSA a KSA names, for --expect-gsa. */
export function annotatedGsa(
  ksa: { metadata: { annotations?: Record<string, string> } } | undefined,
): string | undefined {
  const v = ksa?.metadata.annotations?.[WI_ANNOTATION]?.trim();
  return v === undefined || v === '' ? undefined : v;
}
