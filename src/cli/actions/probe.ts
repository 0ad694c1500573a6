// `wi-doctor probe` (the in-pod probe, run in-process with the same flags as the single-file build) and
// `wi-doctor probe-pod` (a probe Pod manifest placed like a workload). Flags: ../commands/probe.ts.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBundle } from '../../collect/bundle/read.js';
import { CallRunner } from '../../collect/live/calls.js';
import { loadKubeConfig } from '../../collect/live/credentials.js';
import { KubeApi } from '../../collect/live/kube.js';
import { UsageError } from '../../engine/errors.js';
import type { Fact } from '../../model/facts.js';
import { KIND_TO_RESOURCE, type K8sKind, type ServiceAccountObject, type Workload } from '../../model/k8s/types.js';
import { emit, type Io } from '../output.js';
import { PACKAGE_ROOT, packageVersion } from '../package-info.js';
import { resolveProbeOptions, ProbeUsageError, type ProbeFlags } from '../../probe/options.js';
import { annotatedGsa, DEFAULT_PROBE_IMAGE, PROBE_FILE, probePodManifest } from '../probe-pod/manifest.js';
import { probeExitCode, renderProbe } from '../../probe/render.js';
import { runProbe } from '../../probe/run.js';

export type ProbeCommandOptions = ProbeFlags & { output?: string };

export async function runProbeCommand(flags: ProbeCommandOptions, io: Io): Promise<number> {
  let options;
  try {
    options = resolveProbeOptions(flags, io.env);
  } catch (e) {
    if (e instanceof ProbeUsageError) throw new UsageError(e.message);
    throw e;
  }
  const report = await runProbe(options, { version: packageVersion() });
  emit(io, renderProbe(report, options.format, options.hidePass), flags.output);
  return probeExitCode(report);
}

export interface ProbePodCommandOptions {
  workload: string;
  from?: string;
  image?: string;
  name?: string;
  format?: 'yaml' | 'json';
  probeFile?: string;
  expectGsa?: string;
  audience?: string;
  need?: string[];
  on?: string;
  nodeSa?: string;
  kubeconfig?: string;
  context?: string;
  output?: string;
}

/** `ns/kind/name` → the kind's resource (deployment → deployments). */
function parseWorkload(spec: string): { namespace: string; resource: K8sKind; kind: string; name: string } {
  const m = /^([^/\s]+)\/([^/\s]+)\/([^/\s]+)$/.exec(spec);
  if (!m)
    throw new UsageError(
      `--workload expects NAMESPACE/KIND/NAME (e.g. shop/deployment/cart), got ${JSON.stringify(spec)}`,
    );
  const kindWord = (m[2] ?? '').toLowerCase();
  const entry = Object.entries(KIND_TO_RESOURCE).find(
    ([kind, resource]) => kind.toLowerCase() === kindWord || resource === kindWord,
  );
  const allowed = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];
  if (!entry || !allowed.includes(entry[0]))
    throw new UsageError(
      `--workload kind ${m[2] ?? ''} is not one of ${allowed.map((k) => k.toLowerCase()).join(', ')}`,
    );
  return { namespace: m[1] ?? '', resource: entry[1], kind: entry[0], name: m[3] ?? '' };
}

function present<T>(fact: Fact<T>, what: string): T {
  if (fact.status === 'present') return fact.value;
  const why = 'message' in fact ? `: ${fact.message}` : ' (not collected)';
  throw new UsageError(`${what} is not in the bundle${why}`);
}

/** The package's dist/wi-doctor-probe.cjs (the same path from the built CLI and from a source checkout). */
function findProbeFile(explicit: string | undefined): string {
  const candidates = explicit !== undefined ? [explicit] : [join(PACKAGE_ROOT, 'dist', PROBE_FILE)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined)
    throw new UsageError(
      explicit !== undefined
        ? `--probe-file ${explicit} does not exist`
        : `${PROBE_FILE} is not built: run npm run build (node scripts/build-probe.mjs), or pass --probe-file`,
    );
  return found;
}

async function liveObjects(
  o: ProbePodCommandOptions,
  w: ReturnType<typeof parseWorkload>,
  io: Io,
): Promise<{ workload: Workload; ksa: ServiceAccountObject | undefined }> {
  const kc = loadKubeConfig({ kubeconfig: o.kubeconfig, context: o.context }, io.env);
  if (o.context) kc.setCurrentContext(o.context);
  const kube = new KubeApi(kc, new CallRunner({ concurrency: 2, timeoutMs: 20_000 }));
  const found = await kube.list(w.resource);
  if (!found.ok) throw new UsageError(`cannot list ${w.resource}: ${found.message}`);
  const workload = found.value.items.find((i) => i.metadata.namespace === w.namespace && i.metadata.name === w.name);
  if (!workload) throw new UsageError(`${w.namespace}/${w.kind.toLowerCase()}/${w.name} does not exist`);
  const sas = await kube.list('serviceaccounts');
  const ksaName = (workload as Workload).spec?.template?.spec.serviceAccountName;
  const ksa: ServiceAccountObject | undefined = sas.ok
    ? sas.value.items.find((i) => i.metadata.namespace === w.namespace && i.metadata.name === (ksaName ?? 'default'))
    : undefined;
  return { workload, ksa };
}

export async function runProbePodCommand(o: ProbePodCommandOptions, io: Io): Promise<number> {
  const w = parseWorkload(o.workload);
  let workload: Workload;
  let ksa: ServiceAccountObject | undefined;
  if (o.from !== undefined) {
    const { facts } = await readBundle(o.from);
    workload = present(facts.k8s.get<Workload>(w.resource, w.namespace, w.name), o.workload);
    const ksaName =
      w.kind === 'Pod'
        ? (workload as unknown as { spec: { serviceAccountName?: string } }).spec.serviceAccountName
        : (workload.spec?.template ?? workload.spec?.jobTemplate?.spec?.template)?.spec.serviceAccountName;
    const fact = facts.k8s.get<ServiceAccountObject>('serviceaccounts', w.namespace, ksaName ?? 'default');
    ksa = fact.status === 'present' ? fact.value : undefined;
  } else {
    ({ workload, ksa } = await liveObjects(o, w, io));
  }
  workload = { ...workload, kind: workload.kind ?? w.kind };
  const probeArgs = [
    ...(o.audience !== undefined ? ['--audience', o.audience] : []),
    ...(o.need !== undefined && o.need.length > 0 ? ['--need', o.need.join(',')] : []),
    ...(o.on !== undefined ? ['--on', o.on] : []),
    ...(o.nodeSa !== undefined ? ['--node-sa', o.nodeSa] : []),
  ];
  const expectGsa = o.expectGsa ?? annotatedGsa(ksa);
  const text = probePodManifest(workload, {
    image: o.image ?? DEFAULT_PROBE_IMAGE,
    ...(o.name !== undefined ? { name: o.name } : {}),
    probeSource: readFileSync(findProbeFile(o.probeFile), 'utf8'),
    ...(expectGsa !== undefined ? { expectGsa } : {}),
    probeArgs,
    format: o.format ?? 'yaml',
  });
  emit(io, text, o.output);
  return 0;
}
