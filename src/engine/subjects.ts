// Targets → subjects: pod → owner workload → KSA → GSA (or the KSA's own principal under direct binding).

import type { ClusterRef, Fact, Facts } from '../model/facts.js';
import { clusterUrl, factError, notCollected, present } from '../model/facts.js';
import { isServiceAccountEmail, poolOf, projectOfPool, tryParseMember } from '../model/identifiers.js';
import type { Pod, ServiceAccountObject, Workload } from '../model/k8s/types.js';
import { WI_ANNOTATION } from '../model/k8s/types.js';
import { editDistance, nearestNames } from '../model/edit-distance.js';
import { nearMissAnnotations } from './annotations.js';
import { UsageError } from './errors.js';
import { ownerWorkloadOf, podsOfWorkload, templateOf, WORKLOAD_KINDS } from './ownership.js';
import type { KsaPrincipal, Subject } from './subject.js';

/** kubectl's short names of the workload kinds (`kubectl api-resources`), as `--workload` accepts them. */
export const KUBECTL_SHORT_KINDS: Record<string, string> = {
  deploy: 'deployment',
  sts: 'statefulset',
  ds: 'daemonset',
  rs: 'replicaset',
  cj: 'cronjob',
};

export interface TargetRequest {
  all?: boolean;
  ksa?: readonly string[];
  workload?: readonly string[];
  pod?: readonly string[];
}

interface PoolInfo {
  pool: string | undefined;
  poolProjectNumber: string | undefined;
  clusterUrl: string;
  cluster: ClusterRef;
}

function poolInfo(facts: Facts): PoolInfo {
  const pool =
    facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
  const poolProject = pool ? projectOfPool(pool) : undefined;
  const project = poolProject ? facts.project(poolProject) : undefined;
  return {
    pool,
    poolProjectNumber: project?.status === 'present' ? project.value.projectNumber : undefined,
    clusterUrl: clusterUrl(facts.clusterRef),
    cluster: facts.clusterRef,
  };
}

function splitName(value: string, parts: number, flag: string, example: string): string[] {
  const pieces = value.split('/');
  if (pieces.length !== parts || pieces.some((p) => p.length === 0)) {
    throw new UsageError(`${flag} ${JSON.stringify(value)}: expected ${example}`);
  }
  return pieces;
}

function describeMissing(fact: Fact<unknown>, what: string, flag: string, candidates: () => string[]): never {
  const close = candidates().slice(0, 3);
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `\`${c}\``).join(', ')}?` : '';
  throw new UsageError(`${flag}: no ${what} in the collected facts (${fact.source})${hint}`);
}

/** Names close to the one asked for, closest first: typos before other names of the same namespace. */
function similarNames(names: readonly string[], wanted: string): string[] {
  const [wantedNs] = wanted.split('/');
  return names
    .map((name) => ({ name, distance: editDistance(name, wanted, 4) }))
    .filter(({ name, distance }) => distance <= 4 || name.split('/')[0] === wantedNs)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .map(({ name }) => name);
}

export function buildSubject(
  facts: Facts,
  info: PoolInfo,
  base: {
    id: string;
    kind: Subject['kind'];
    named: boolean;
    namespace: string;
    ksaName: string;
    workload?: Subject['workload'];
    pods: Fact<readonly Pod[]>;
    template?: Subject['template'];
    /** Why the KSA cannot be known (the workload or pod was not readable): never guess `default` instead. */
    ksaUnknown?: Fact<ServiceAccountObject>;
  },
): Subject {
  const ksa = base.ksaUnknown ?? facts.k8s.get<ServiceAccountObject>('serviceaccounts', base.namespace, base.ksaName);
  const annotations = ksa.status === 'present' ? ksa.value.metadata.annotations : undefined;
  const value = annotations?.[WI_ANNOTATION];
  const annotation = value === undefined ? undefined : { key: WI_ANNOTATION, value };
  const principal: KsaPrincipal = {
    pool: info.pool,
    poolProjectNumber: info.poolProjectNumber,
    namespace: base.namespace,
    name: base.ksaName,
    uid: ksa.status === 'present' ? ksa.value.metadata.uid : undefined,
    clusterUrl: info.clusterUrl,
  };
  // Every field named, in one order (no spread of `base`): all subjects share one shape, which is cheaper to
  // build 20,000 times and keeps the checks' reads of subject fields monomorphic.
  return {
    id: base.id,
    kind: base.kind,
    named: base.named,
    namespace: base.namespace,
    ksaName: base.ksaName,
    ksa,
    workload: base.workload,
    pods: base.pods,
    template: base.template,
    annotation,
    nearMissAnnotations: nearMissAnnotations(annotations),
    gsaEmail: value !== undefined && isServiceAccountEmail(value) ? value : undefined,
    model: annotation ? 'impersonation' : 'direct',
    principal,
    cluster: info.cluster,
  };
}

function ksaSubject(facts: Facts, info: PoolInfo, namespace: string, name: string, named: boolean): Subject {
  return buildSubject(facts, info, {
    id: `${namespace}/${name}`,
    kind: 'ksa',
    named,
    namespace,
    ksaName: name,
    pods: facts.k8s.podsOfServiceAccount(namespace, name),
  });
}

/** The KSA of a workload or pod whose spec could not be read is unknown, with that reason. */
function unknownKsa(cause: Fact<unknown>, what: string): Fact<ServiceAccountObject> {
  if (cause.status === 'error') return factError(cause.source, `${what}: ${cause.message}`);
  const message = cause.status === 'present' ? `${what} was not collected and has no pods` : cause.message;
  return notCollected(cause.source, message);
}

function serviceAccountNameOf(spec: { serviceAccountName?: string; serviceAccount?: string } | undefined): string {
  return spec?.serviceAccountName ?? spec?.serviceAccount ?? 'default';
}

/** `--ksa cart` or `--pod cart-1`: the objects of that name in every namespace, to suggest. */
function inAnyNamespace(facts: Facts, resource: 'serviceaccounts' | 'pods', name: string): string[] {
  const all = facts.k8s.list(resource);
  if (all.status !== 'present') return [];
  return all.value
    .filter((o) => o.metadata.name === name)
    .map((o) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`)
    .sort();
}

function missingNamespace(
  facts: Facts,
  value: string,
  flag: '--ksa' | '--pod',
  resource: 'serviceaccounts' | 'pods',
): void {
  if (value.includes('/')) return;
  const found = inAnyNamespace(facts, resource, value);
  const what = flag === '--ksa' ? 'NAMESPACE/KSA' : 'NAMESPACE/POD';
  const hint =
    found.length > 0
      ? `; did you mean ${found
          .slice(0, 5)
          .map((f) => `\`${f}\``)
          .join(', ')}${found.length > 5 ? ` (and ${found.length - 5} more)` : ''}?`
      : '';
  throw new UsageError(`${flag} ${JSON.stringify(value)}: expected ${what}, with the namespace${hint}`);
}

function resolveKsa(facts: Facts, info: PoolInfo, value: string): Subject {
  missingNamespace(facts, value, '--ksa', 'serviceaccounts');
  const [namespace = '', name = ''] = splitName(value, 2, '--ksa', 'NAMESPACE/KSA (e.g. shop/cart)');
  const fact = facts.k8s.get('serviceaccounts', namespace, name);
  if (fact.status === 'absent') {
    describeMissing(fact, `ServiceAccount ${value}`, '--ksa', () => {
      const all = facts.k8s.list('serviceaccounts');
      const names =
        all.status === 'present' ? all.value.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`) : [];
      return similarNames(names, value);
    });
  }
  return ksaSubject(facts, info, namespace, name, true);
}

function resolveWorkload(facts: Facts, info: PoolInfo, value: string): Subject {
  const [namespace = '', kindWord = '', name = ''] = splitName(
    value,
    3,
    '--workload',
    'NAMESPACE/KIND/NAME (e.g. shop/deployment/cart)',
  );
  const lower = kindWord.toLowerCase();
  const kind = KUBECTL_SHORT_KINDS[lower] ?? lower.replace(/s$/, '');
  const resource = WORKLOAD_KINDS[kind];
  if (!resource) {
    // kubectl names pods `po`; a pod given as a workload is checked as --pod would check it.
    if (kind === 'pod' || kind === 'po') return resolvePod(facts, info, `${namespace}/${name}`);
    const close = nearestNames(kind, [...Object.keys(WORKLOAD_KINDS), ...Object.keys(KUBECTL_SHORT_KINDS), 'po'], 3);
    throw new UsageError(
      `--workload ${JSON.stringify(value)}: unknown kind \`${kindWord}\`${close.length > 0 ? `; did you mean ${close.join(' or ')}?` : ''} (kinds: ${Object.keys(WORKLOAD_KINDS).join(', ')}, pod, or kubectl's short names ${[...Object.keys(KUBECTL_SHORT_KINDS), 'po'].join(', ')})`,
    );
  }
  const fact = facts.k8s.get<Workload>(resource, namespace, name);
  if (fact.status === 'absent') {
    describeMissing(fact, `${kind} ${namespace}/${name}`, '--workload', () => {
      const all = facts.k8s.inNamespace(resource, namespace);
      return all.status === 'present' ? all.value.map((o) => `${namespace}/${kind}/${o.metadata.name}`) : [];
    });
  }
  const object = fact.status === 'present' ? fact.value : undefined;
  const template = object ? templateOf(object) : undefined;
  // Without the workload object we cannot know its KSA; its pods (if collected) still tell.
  const pods = podsOfWorkload(facts.k8s, namespace, kind, name);
  const firstPod = pods.status === 'present' ? pods.value[0] : undefined;
  const spec = template?.spec ?? firstPod?.spec;
  const ksaName = spec ? serviceAccountNameOf(spec) : '(unknown)';
  return buildSubject(facts, info, {
    id: `${namespace}/${kind}/${name}`,
    kind: 'workload',
    named: true,
    namespace,
    ksaName,
    workload: object ? { kind, name, object } : undefined,
    pods,
    template,
    ksaUnknown: spec ? undefined : unknownKsa(fact.status === 'present' ? pods : fact, `${kind} ${namespace}/${name}`),
  });
}

function resolvePod(facts: Facts, info: PoolInfo, value: string): Subject {
  missingNamespace(facts, value, '--pod', 'pods');
  const pieces = value.split('/');
  // Accept both `ns/name` and the subject form `ns/pod/name`.
  const [namespace = '', name = ''] =
    pieces.length === 3 && pieces[1] === 'pod'
      ? [pieces[0], pieces[2]]
      : splitName(value, 2, '--pod', 'NAMESPACE/POD (e.g. shop/cart-7d9f8b6c5d-abcde)');
  const fact = facts.k8s.get<Pod>('pods', namespace, name);
  if (fact.status === 'absent') {
    describeMissing(fact, `Pod ${namespace}/${name}`, '--pod', () => {
      const all = facts.k8s.inNamespace('pods', namespace);
      const stem = name.split('-')[0] ?? name;
      return all.status === 'present'
        ? all.value.map((o) => `${namespace}/${o.metadata.name}`).filter((n) => n.includes(stem))
        : [];
    });
  }
  const pod = fact.status === 'present' ? fact.value : undefined;
  const owner = pod ? ownerWorkloadOf(facts.k8s, pod) : undefined;
  return buildSubject(facts, info, {
    id: `${namespace}/pod/${name}`,
    kind: 'pod',
    named: true,
    namespace,
    ksaName: pod ? serviceAccountNameOf(pod.spec) : '(unknown)',
    ksaUnknown: pod ? undefined : unknownKsa(fact, `Pod ${namespace}/${name}`),
    workload: owner?.object ? { kind: owner.kind, name: owner.name, object: owner.object } : undefined,
    pods: pod ? present([pod], fact.source) : (fact as Fact<readonly Pod[]>),
    template: pod ? { metadata: pod.metadata, spec: pod.spec } : undefined,
  });
}

/**
 * KSA names by namespace: a set of `ns/ksa` keys without a string made (and hashed) for each of the 50,000 pods
 * that name their KSA.
 */
export class KsaNames {
  private readonly byNamespace = new Map<string, Set<string>>();

  add(namespace: string, name: string): void {
    const names = this.byNamespace.get(namespace);
    if (names === undefined) this.byNamespace.set(namespace, new Set([name]));
    else names.add(name);
  }

  has(namespace: string, name: string): boolean {
    return this.byNamespace.get(namespace)?.has(name) ?? false;
  }

  /** [namespace, name] of every KSA, namespace by namespace, each in the order first added. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [namespace, names] of this.byNamespace) for (const name of names) yield [namespace, name];
  }
}

/**
 * What the collected policies grant to the cluster's pool: KSAs (namespace and name) and KSA uids named one by one,
 * and the namespaces (or the whole cluster) granted through a `principalSet://` member.
 */
export function grantedKsaKeys(
  facts: Facts,
  pool: string | undefined,
  clusterUrlOfPool?: string,
): { names: KsaNames; uids: Set<string>; namespaces: Set<string>; cluster: boolean } {
  const names = new KsaNames();
  const uids = new Set<string>();
  const namespaces = new Set<string>();
  let cluster = false;
  if (!pool) return { names, uids, namespaces, cluster };
  const policies = [
    ...facts.knownProjects.map((p) => facts.projectPolicy(p)),
    ...facts.knownServiceAccounts.map((e) => facts.serviceAccountPolicy(e)),
    ...facts.resourcePolicies.map((r) => r.policy),
    ...facts.ancestorPolicies.map((a) => a.policy),
    // Cloud Asset Inventory results: grants to a KSA found anywhere in the searched scope.
    ...facts.assetSearches.flatMap((s) =>
      s.results.status === 'present' ? s.results.value.map((r) => present(r.policy, s.results.source)) : [],
    ),
  ];
  for (const policy of policies) {
    if (policy.status !== 'present') continue;
    for (const binding of policy.value.bindings ?? []) {
      for (const raw of binding.members ?? []) {
        if (!raw.includes(pool)) continue;
        const parsed = tryParseMember(raw);
        if (!parsed.ok) continue;
        const m = parsed.member;
        if (!('pool' in m) || m.pool !== pool) continue;
        if (m.type === 'wi-legacy' || m.type === 'wi-subject') names.add(m.namespace, m.ksa);
        else if (m.type === 'wi-uid') uids.add(m.uid);
        else if (m.type === 'wi-namespace') namespaces.add(m.namespace);
        else if (m.type === 'wi-cluster' && m.clusterUrl === clusterUrlOfPool) cluster = true;
      }
    }
  }
  return { names, uids, namespaces, cluster };
}

/** Kubernetes' own namespaces: their pods run cluster add-ons, not workloads that call Google APIs as themselves. */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/**
 * Every KSA that something runs as: a pod (whatever its phase) or the pod template of a workload (a Deployment
 * scaled to zero still names its KSA). Kinds that were not read add nothing.
 */
export function ksasInUse(facts: Facts): KsaNames {
  const used = new KsaNames();
  const pods = facts.k8s.list<Pod>('pods');
  if (pods.status === 'present') {
    for (const pod of pods.value) used.add(pod.metadata.namespace ?? 'default', serviceAccountNameOf(pod.spec));
  }
  for (const resource of Object.values(WORKLOAD_KINDS)) {
    const workloads = facts.k8s.list<Workload>(resource);
    if (workloads.status !== 'present') continue;
    for (const workload of workloads.value) {
      const spec = templateOf(workload)?.spec;
      if (spec !== undefined) used.add(workload.metadata.namespace ?? 'default', serviceAccountNameOf(spec));
    }
  }
  return used;
}

/**
 * The KSAs `--all` diagnoses: every KSA with a Google identity that something could use.
 *
 * - A KSA that carries the annotation or a near-miss key (anywhere, used or not): someone meant it to act as a GSA.
 * - A KSA whose own principal is named in the collected policies: one by one (name or uid), or through a
 *   namespace or cluster `principalSet://` when pods run as it.
 * - A KSA that pods or workload templates run as, other than `default`, outside Kubernetes' own namespaces:
 *   under direct binding (no annotation) its own principal is its Google identity whether or not the grants
 *   it holds were read, so it is listed (its verdict says what was and was not seen) rather than left out.
 *
 * - A KSA that pods or workload templates run as and that does not exist (not `default`, outside Kubernetes'
 *   own namespaces).
 *
 * Not listed: KSAs nothing runs as and nothing names, and a namespace's `default` KSA when pods run as it with
 * no annotation and no grant in sight (most namespaces run pods that never call Google as `default`; name the
 * workload with `--workload` to have it checked, and pod-service-account says whether it was meant to have an
 * identity).
 */
function resolveAll(facts: Facts, info: PoolInfo): Subject[] {
  const accounts = facts.k8s.list<ServiceAccountObject>('serviceaccounts');
  if (accounts.status !== 'present') {
    throw new UsageError(`--all needs the Kubernetes service accounts: ${accounts.source}: ${accounts.message}`);
  }
  // Without a pool on the cluster, grants written for the pool it should have still name its KSAs.
  const granted = grantedKsaKeys(facts, info.pool ?? poolOf(facts.clusterRef.project), info.clusterUrl);
  const inUse = ksasInUse(facts);
  const subjects: Subject[] = [];
  const existing = new KsaNames();
  for (const account of accounts.value) {
    const namespace = account.metadata.namespace ?? 'default';
    const name = account.metadata.name;
    existing.add(namespace, name);
    const annotations = account.metadata.annotations;
    const used = inUse.has(namespace, name);
    const hasIdentity =
      annotations?.[WI_ANNOTATION] !== undefined ||
      nearMissAnnotations(annotations).length > 0 ||
      granted.names.has(namespace, name) ||
      (account.metadata.uid !== undefined && granted.uids.has(account.metadata.uid)) ||
      (used && (granted.cluster || granted.namespaces.has(namespace))) ||
      (used && name !== 'default' && !SYSTEM_NAMESPACES.has(namespace));
    if (hasIdentity) subjects.push(ksaSubject(facts, info, namespace, name, false));
  }
  // A KSA that pods or workload templates run as but that does not exist: those pods have no identity of their
  // own (a Deployment's new pods are not even created), whatever was meant; ksa-exists says so. Not `default`:
  // Kubernetes' service-account controller re-creates it in every namespace, so only a partial list lacks it.
  for (const [namespace, name] of inUse) {
    if (existing.has(namespace, name) || name === 'default' || SYSTEM_NAMESPACES.has(namespace)) continue;
    subjects.push(ksaSubject(facts, info, namespace, name, false));
  }
  return sortByLocale(subjects);
}

/** `localeCompare`'s order (the default locale's collation), without building a collator per comparison. */
const BY_LOCALE = new Intl.Collator();

/**
 * Subjects in `localeCompare` order of their ids. A collator comparison costs far more than a code-unit one, and
 * for the ids of a cluster (lower-case names, digits, `-`, `.`, `/`) the two orders agree in the usual locales: so
 * sort the ids by code units (the default sort, with no comparator to call), then confirm with the collator that
 * each id comes strictly before the next (n - 1 comparisons instead of n log n). Strictly increasing under the
 * collator, the order is the collator's own sort whatever the locale; where it is not (another locale's rules, two
 * ids it ranks equal, or one id twice), sort with the collator as before.
 */
function sortByLocale(subjects: readonly Subject[]): Subject[] {
  const byId = new Map(subjects.map((s) => [s.id, s]));
  const ids = [...byId.keys()].sort();
  const ordered: Subject[] = [];
  let previous: string | undefined;
  for (const id of ids) {
    const subject = byId.get(id);
    if (subject === undefined || (previous !== undefined && BY_LOCALE.compare(previous, id) >= 0)) break;
    ordered.push(subject);
    previous = id;
  }
  if (ordered.length === subjects.length) return ordered;
  // The collator's stable sort of the subjects as found.
  return [...subjects].sort((a, b) => BY_LOCALE.compare(a.id, b.id));
}

export function resolveSubjects(facts: Facts, request: TargetRequest): Subject[] {
  const info = poolInfo(facts);
  const subjects: Subject[] = [];
  for (const value of request.ksa ?? []) subjects.push(resolveKsa(facts, info, value));
  for (const value of request.workload ?? []) subjects.push(resolveWorkload(facts, info, value));
  for (const value of request.pod ?? []) subjects.push(resolvePod(facts, info, value));
  if (request.all) {
    const named = new Set(subjects.map((s) => s.id));
    for (const subject of resolveAll(facts, info)) if (!named.has(subject.id)) subjects.push(subject);
  }
  if (subjects.length === 0 && !request.all) {
    throw new UsageError('name what to check: --ksa NS/KSA, --workload NS/KIND/NAME, --pod NS/POD, or --all');
  }
  return subjects;
}
