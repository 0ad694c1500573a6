// `GOOGLE_APPLICATION_CREDENTIALS` pointing at a service-account key makes every
// Google client library use that key and never ask the metadata server: Workload Identity is bypassed
// without any error. The key usually comes from a mounted Secret.

import { defineCheck } from './define.js';
import type { CheckOutcome } from './define.js';
import type { FixPlan } from '../model/results.js';
import type { Container, PodSpec, Volume } from '../model/k8s/types.js';
import { dedupeFixes } from './lib/fixes.js';
import { inspectedSpecs } from './lib/pods.js';
import type { InspectedSpec } from './lib/pods.js';
import { subjectWorkloads, workloadTarget } from './lib/workloads.js';
import type { WorkloadRef } from './lib/workloads.js';

const ENV = 'GOOGLE_APPLICATION_CREDENTIALS';

/** File names that service-account keys get: key.json, credentials.json, sa-key.json, gcp-sa.json, … */
const KEY_FILE =
  /(^|[/._-])(key|keys|keyfile|credentials?|creds|sa|gsa|service[-_]?account|gcp|gcloud|google|application_default_credentials)([/._-][^/]*)?\.json$/i;
/** Secret names that say "service-account key". */
const KEY_SECRET =
  /(^|[-_.])(sa[-_]?key|key[-_]?json|gcp[-_]?(sa|key|credentials?)|google[-_]?(application[-_]?)?credentials?|service[-_]?account[-_]?key)([-_.]|$)/i;

interface Finding {
  status: 'fail' | 'warn';
  text: string;
  container: string;
  /** What remove-credential-override removes: the env variable or the volume. */
  env?: string;
  volume?: string;
}

interface SecretFiles {
  secretName: string;
  /** Paths inside the mount (items' paths); undefined when every key of the Secret is projected. */
  paths: string[] | undefined;
  /** The Secret's keys named by items. */
  keys: string[];
}

function secretFiles(volume: Volume): SecretFiles | undefined {
  if (volume.secret !== undefined) {
    const items = volume.secret.items;
    return {
      secretName: volume.secret.secretName ?? volume.name,
      paths: items?.map((i) => i.path),
      keys: items?.map((i) => i.key) ?? [],
    };
  }
  const secrets = (volume.projected?.sources ?? []).flatMap((s) => (s.secret !== undefined ? [s.secret] : []));
  if (secrets.length === 0) return undefined;
  const items = secrets.flatMap((s) => s.items ?? []);
  const wholeSecret = secrets.some((s) => s.items === undefined);
  return {
    secretName: secrets.map((s) => s.name ?? volume.name).join('+'),
    paths: wholeSecret ? undefined : items.map((i) => i.path),
    keys: items.map((i) => i.key),
  };
}

function describeVolume(volume: Volume): string {
  if (volume.configMap !== undefined) return `ConfigMap \`${volume.configMap.name ?? volume.name}\``;
  if (volume.projected !== undefined) return `projected volume \`${volume.name}\``;
  return `volume \`${volume.name}\``;
}

/** The mount a path lies in, longest mount path first (nested mounts win). */
function mountOf(container: Container, path: string) {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return mounts.find((m) => {
    const base = m.mountPath.replace(/\/+$/, '');
    return path === base || path.startsWith(`${base}/`);
  });
}

function envFindings(spec: PodSpec, container: Container): Finding[] {
  const env = (container.env ?? []).find((e) => e.name === ENV);
  if (env === undefined) return [];
  const where = `container \`${container.name}\``;
  if (env.value === undefined) {
    const from = env.valueFrom?.secretKeyRef
      ? `Secret \`${env.valueFrom.secretKeyRef.name ?? '?'}\` key \`${env.valueFrom.secretKeyRef.key ?? '?'}\``
      : env.valueFrom?.configMapKeyRef
        ? `ConfigMap \`${env.valueFrom.configMapKeyRef.name ?? '?'}\` key \`${env.valueFrom.configMapKeyRef.key ?? '?'}\``
        : 'a valueFrom reference';
    return [
      {
        status: 'warn',
        text: `${where} sets ${ENV} from ${from}: the file it names cannot be seen here, and client libraries will use it instead of Workload Identity if it is a key`,
        container: container.name,
        env: ENV,
      },
    ];
  }
  const path = env.value;
  const mount = mountOf(container, path);
  const volume = mount !== undefined ? volumeNamed(spec, mount.name) : undefined;
  if (volume !== undefined && mount !== undefined) {
    const secret = secretFiles(volume);
    if (secret !== undefined) {
      return [
        {
          status: 'fail',
          text: `${where} sets ${ENV}=${path}, inside Secret \`${secret.secretName}\` mounted at ${mount.mountPath}: client libraries use that key file and never ask the GKE metadata server`,
          container: container.name,
          env: ENV,
        },
      ];
    }
    return [
      {
        status: 'warn',
        text: `${where} sets ${ENV}=${path}, inside ${describeVolume(volume)} mounted at ${mount.mountPath}: if that file is a service-account key (rather than an external_account configuration), Workload Identity is bypassed`,
        container: container.name,
        env: ENV,
      },
    ];
  }
  // Not under a mount of this container: a Secret volume that holds a file of that name is the likely source.
  const base = path.split('/').pop() ?? path;
  if (path.endsWith('.json')) {
    for (const v of spec.volumes ?? []) {
      const secret = secretFiles(v);
      if (secret?.paths?.includes(base) === true) {
        return [
          {
            status: 'fail',
            text: `${where} sets ${ENV}=${path}, and Secret \`${secret.secretName}\` (volume \`${v.name}\`) holds \`${base}\`: client libraries use that key file and never ask the GKE metadata server`,
            container: container.name,
            env: ENV,
          },
        ];
      }
    }
  }
  return [
    {
      status: 'warn',
      text: `${where} sets ${ENV}=${path}, which is not under any of its volume mounts (baked into the image?): if it is a key file, Workload Identity is bypassed`,
      container: container.name,
      env: ENV,
    },
  ];
}

/** Mounted Secrets whose file names or Secret name look like a service-account key. */
function keySecretFindings(spec: PodSpec, container: Container, flaggedEnv: boolean): Finding[] {
  const findings: Finding[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumeNamed(spec, mount.name);
    if (volume === undefined) continue;
    const secret = secretFiles(volume);
    if (secret === undefined) continue;
    const files = [...(secret.paths ?? []), ...secret.keys].filter((f, i, all) => all.indexOf(f) === i);
    const keyFiles = files.filter((f) => KEY_FILE.test(f));
    // A Secret named like a key counts when its files are JSON or not listed (every key projected).
    const namedLikeKey =
      KEY_SECRET.test(secret.secretName) && (secret.paths === undefined || files.some((f) => f.endsWith('.json')));
    if (flaggedEnv || (keyFiles.length === 0 && !namedLikeKey)) continue;
    const what = keyFiles.length > 0 ? `file ${keyFiles.map((f) => `\`${f}\``).join(', ')}` : 'a name that says key';
    findings.push({
      status: 'warn',
      text: `container \`${container.name}\` mounts Secret \`${secret.secretName}\` at ${mount.mountPath} with ${what}: it looks like a service-account key; a library pointed at it bypasses Workload Identity`,
      container: container.name,
      volume: volume.name,
    });
  }
  return findings;
}

/**
 * The volume a mount names (the last of that name, as a map of them would keep): a pod has a few volumes, and a
 * search costs less than a map made for each of 50,000 pod specs.
 */
function volumeNamed(spec: PodSpec, name: string): Volume | undefined {
  return spec.volumes?.findLast((v) => v.name === name);
}

function findingsOf(inspected: InspectedSpec): Finding[] {
  const { spec } = inspected;
  const findings: Finding[] = [];
  for (const containers of [spec.containers, spec.initContainers ?? []]) {
    for (const c of containers) {
      const env = envFindings(spec, c);
      findings.push(...env, ...keySecretFindings(spec, c, env.length > 0));
    }
  }
  return findings;
}

function fixFor(namespace: string, workload: WorkloadRef, finding: Finding): FixPlan {
  const params: Record<string, string> = { container: finding.container };
  if (finding.env !== undefined) params.env = finding.env;
  else if (finding.volume !== undefined) params.volume = finding.volume;
  const what =
    finding.env !== undefined ? `the ${finding.env} variable` : `the Secret volume \`${finding.volume ?? ''}\``;
  return {
    action: 'remove-credential-override',
    target: workloadTarget(namespace, workload),
    params,
    description: `Remove ${what} from container \`${finding.container}\` so that client libraries use Workload Identity.`,
  };
}

export default defineCheck({
  id: 'credential-override',
  title: 'No key file overrides Workload Identity',
  failureTitle: 'A service-account key file overrides Workload Identity',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 60,
  requires: ['k8s:pods', 'k8s:replicasets'],
  run({ facts, target }): CheckOutcome {
    const { subject } = target;
    const specs = inspectedSpecs(subject);
    if (specs.length === 0) {
      return { status: 'skip', cause: `no pod or pod template of \`${subject.id}\` is known: nothing to inspect` };
    }
    const byText = new Map<string, { finding: Finding; where: string[] }>();
    const workloadsByText = new Map<string, WorkloadRef[]>();
    for (const inspected of specs) {
      const workloads = subjectWorkloads(facts, subject, inspected.pod !== undefined ? [inspected.pod] : []);
      for (const finding of findingsOf(inspected)) {
        const entry = byText.get(finding.text) ?? { finding, where: [] };
        entry.where.push(inspected.label);
        byText.set(finding.text, entry);
        workloadsByText.set(finding.text, [...(workloadsByText.get(finding.text) ?? []), ...workloads]);
      }
    }
    if (byText.size === 0) {
      return {
        status: 'pass',
        cause: `no container of \`${subject.id}\` sets ${ENV} or mounts a Secret that looks like a service-account key`,
      };
    }
    const entries = [...byText.values()];
    const status = entries.some((e) => e.finding.status === 'fail') ? 'fail' : 'warn';
    const ordered = [
      ...entries.filter((e) => e.finding.status === 'fail'),
      ...entries.filter((e) => e.finding.status === 'warn'),
    ];
    const fix = dedupeFixes(
      ordered.flatMap((e) =>
        (workloadsByText.get(e.finding.text) ?? []).map((w) => fixFor(subject.namespace, w, e.finding)),
      ),
    );
    return {
      status,
      cause: ordered[0]?.finding.text ?? '',
      evidence: {
        expected: `no ${ENV} and no key file: credentials from the GKE metadata server`,
        actual: ordered.map((e) => e.finding.text),
        notes: ordered.map((e) => `seen in ${e.where.join(', ')}`),
      },
      fix,
    };
  },
});
