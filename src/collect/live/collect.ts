// The live collector: fetch, for the selected checks and targets only, the API answers a bundle would hold,
// into the same in-memory bundle (`BundleInput`) that `factsFromFiles` reads. A live diagnosis therefore
// equals the diagnosis of the bundle `collect` writes, by construction.
//
// Phase 1: the cluster, its project, the Kubernetes kinds; as soon as the KSA list and the project's number are
// in (for --all and --ksa), the annotated GSAs too (one set of reads per distinct GSA however many KSAs name
// it; existence and `disabled` from each GSA project's account list, a describe only where no list could be
// read), overlapping the rest of phase 1. Phase 2: the same for workload and pod targets (which need the whole
// resolution), the GSAs' projects, the --on and --impersonate targets. Phase 3: folder/organization policies
// above collected projects. Phase 4: custom roles the collected policies name.
// Within a phase every call runs concurrently under the runner's bound; a failed call becomes an
// `errors`/`absent` entry of the manifest and never stops the rest.

import { WORKLOAD_KINDS } from '../../engine/ownership.js';
import type { FactName } from '../../checks/define.js';
import { answerProblem, factsFromFiles } from '../bundle/facts.js';
import type { BundleInput, BundleManifest, FileEntry } from '../bundle/facts.js';
import { paths } from '../bundle/layout.js';
import type { TargetRequest } from '../../engine/subjects.js';
import { resolveSubjects } from '../../engine/subjects.js';
import type { ClusterRef, LogQuery } from '../../model/facts.js';
import {
  ADMIN_ACTIVITY_DAYS,
  adminActivityFilter,
  generateAccessTokenFilter,
  stsExchangeFilter,
} from '../../model/log-query.js';
import type { ChangeTarget } from '../../model/log-query.js';
import {
  IdentifierError,
  isServiceAccountEmail,
  repairedServiceAccountEmail,
  parseServiceAccountEmail,
  projectOfPool,
} from '../../model/identifiers.js';
import { K8S_KINDS, WI_ANNOTATION } from '../../model/k8s/types.js';
import type { K8sKind } from '../../model/k8s/types.js';
import type { CallOutcome, CallStats } from './calls.js';
import type { TokenChainApi } from './e2e.js';
import { collectE2e } from './e2e.js';
import type { GoogleApi } from './google.js';
import type { KubeApi } from './kube.js';
import { allowlistedFile, allowlistedK8sFile } from './scrub.js';

export interface CollectRequest {
  /** Facts the selected checks read (their `requires`, merged). */
  requires: readonly FactName[];
  targets: TargetRequest;
  options: {
    need?: readonly string[];
    on?: string | undefined;
    impersonate?: string | undefined;
    /** Run the live token chain of each subject KSA (`--e2e`). */
    e2e?: boolean | undefined;
  };
  /**
   * Cloud Asset Inventory searches to run (one call per page, shared by every cluster of a run). When one
   * fails, the policies it would have covered are read one by one where the run knows them (the projects' and
   * the folders and organization above them), and a note says so.
   */
  assetSearches?: readonly AssetSearchRequest[];
  /** Log evidence the audit and `logs` read, beyond the checks' facts (each query's window is recorded). */
  logs?: {
    /** GenerateAccessToken entries of each subject GSA, newest first, in its own project's log. */
    tokens?: { since: Date; maxEntries: number; successOnly?: boolean };
    /** STS ExchangeToken entries of each subject KSA, in the pool project's log. */
    sts?: { since: Date; maxEntries: number };
  };
  /**
   * Called once everything else is read: which Admin Activity logs to search for the change that broke something
   * (the caller diagnoses; the collector only reads). Nothing is searched when it returns no target.
   */
  changeEvidence?: (input: BundleInput) => ChangeTarget[];
}

export interface AssetSearchRequest {
  /** `organizations/N`, `folders/N` or `projects/P`. */
  scope: string;
  query: string;
  assetTypes?: readonly string[];
  /** Tells searches of one scope apart in the bundle's file names. */
  label?: string;
}

export interface LiveSources {
  cluster: ClusterRef;
  google: GoogleApi;
  kube: KubeApi;
  /** The runner's counters (shared by both APIs). */
  stats: CallStats;
  now?: () => Date;
  /** The token chain `--e2e` runs (needed only then). */
  tokenChain?: TokenChainApi;
}

export interface CollectResult {
  input: BundleInput;
  stats: CallStats & { totalCalls: number; phases: number };
  /** Distinct GSAs read (after dedupe). */
  serviceAccounts: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Project id and the project-qualified API name of a GSA, when the email tells it. */
function projectOfAccount(
  email: string,
  clusterProject: { id: string; number: string | undefined },
): string | undefined {
  try {
    const parsed = parseServiceAccountEmail(email);
    if (parsed.kind === 'workload-pool') return undefined;
    if (parsed.projectId !== undefined) return parsed.projectId;
    if (parsed.projectNumber !== undefined && parsed.projectNumber === clusterProject.number) return clusterProject.id;
  } catch (e) {
    if (!(e instanceof IdentifierError)) throw e;
  }
  return undefined;
}

/** The project number in a project's describe, when it was read. */
function numberOf(outcome: CallOutcome<unknown>): string | undefined {
  const n = outcome.ok && isRecord(outcome.value) ? outcome.value.projectNumber : undefined;
  return typeof n === 'string' ? n : undefined;
}

/**
 * The GSA emails the subjects of --all and --ksa name, straight from the KSA list (no Facts built): every
 * subject's GSA is its KSA's annotation (src/engine/subjects.ts buildSubject). Undefined when the targets need
 * the full resolution: workloads or pods, or a named KSA the list lacks (resolveSubjects says why).
 */
export function gsasOfKsaList(list: unknown, targets: TargetRequest): string[] | undefined {
  if ((targets.workload?.length ?? 0) > 0 || (targets.pod?.length ?? 0) > 0) return undefined;
  if (!isRecord(list) || !Array.isArray(list.items)) return undefined;
  const named = new Set(targets.ksa ?? []);
  const found = new Set<string>();
  const emails: string[] = [];
  for (const item of list.items as unknown[]) {
    const meta = isRecord(item) && isRecord(item.metadata) ? item.metadata : undefined;
    if (meta === undefined || typeof meta.name !== 'string') continue;
    const id = `${typeof meta.namespace === 'string' ? meta.namespace : 'default'}/${meta.name}`;
    const isNamed = named.has(id);
    if (isNamed) found.add(id);
    if (targets.all !== true && !isNamed) continue;
    const value = isRecord(meta.annotations) ? meta.annotations[WI_ANNOTATION] : undefined;
    // A malformed value: the account a typo in its domain meant is read, so ksa-annotation can suggest it.
    const email =
      typeof value !== 'string' || isServiceAccountEmail(value) ? value : repairedServiceAccountEmail(value);
    if (typeof email === 'string') emails.push(email);
  }
  return found.size === named.size ? emails : undefined;
}

const PROJECT_RESOURCE = /^(?:\/\/cloudresourcemanager\.googleapis\.com\/)?projects\/([^/]+)$/;
const BUCKET_RESOURCE = /^\/\/storage\.googleapis\.com\/projects\/_\/buckets\/([^/]+)$/;
const PROJECT_IN_NAME = /\/projects\/([^/_][^/]*)\//;
const CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/;

class BundleBuilder {
  readonly files = new Map<string, FileEntry>();
  readonly absent = new Set<string>();
  readonly errors: Record<string, string> = {};
  readonly notes: string[] = [];
  readonly k8sKinds: string[] = [];
  readonly logQueries: LogQuery[] = [];
  private readonly inflight = new Map<string, Promise<CallOutcome<unknown>>>();

  constructor(private readonly manifestBase: Omit<BundleManifest, 'absent' | 'errors' | 'k8sKinds'>) {}

  /** Fetch a file once, whoever asks; record what came back under `path`. */
  fetch<T>(path: string, call: () => Promise<CallOutcome<T>>): Promise<CallOutcome<T>> {
    const existing = this.inflight.get(path);
    if (existing) return existing as Promise<CallOutcome<T>>;
    const promise = call().then((outcome) => {
      this.record(path, outcome);
      return outcome;
    });
    this.inflight.set(path, promise);
    return promise;
  }

  has(path: string): boolean {
    return this.inflight.has(path);
  }

  record(path: string, outcome: CallOutcome<unknown>, wrap: (value: unknown) => unknown = (v) => v): void {
    if (outcome.ok) this.setFile(path, wrap(outcome.value));
    else if (outcome.kind === 'absent') this.absent.add(path);
    else this.errors[path] = outcome.message;
  }

  /**
   * An answer as a file: reduced to the fields the checks read (no secret kept), then validated; one that does
   * not validate becomes an error entry naming the field (the fact is unknown).
   */
  setFile(path: string, json: unknown): void {
    const kept = allowlistedFile(path, json);
    const problem = answerProblem(path, kept);
    if (problem === undefined) this.files.set(path, { json: kept });
    else this.errors[path] = `unexpected answer from the API: ${problem}`;
  }

  /** Settle everything started so far (fetches may start more fetches). */
  async settle(): Promise<void> {
    let size = -1;
    while (size !== this.inflight.size) {
      size = this.inflight.size;
      await Promise.all(this.inflight.values());
    }
  }

  input(): BundleInput {
    const manifest: BundleManifest = { ...this.manifestBase, k8sKinds: [...this.k8sKinds].sort() };
    if (this.logQueries.length > 0) {
      manifest.logQueries = [...this.logQueries].sort((a, b) => a.file.localeCompare(b.file));
    }
    if (this.absent.size > 0) manifest.absent = [...this.absent].sort();
    if (Object.keys(this.errors).length > 0) {
      manifest.errors = Object.fromEntries(Object.entries(this.errors).sort(([a], [b]) => a.localeCompare(b)));
    }
    const files = new Map([...this.files.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return { manifest, files, notes: [...this.notes] };
  }
}

/** The Admin Activity entries of each target project about its accounts, with each query recorded. */
function collectAdminActivity(b: BundleBuilder, google: GoogleApi, targets: readonly ChangeTarget[], now: Date): void {
  const since = new Date(now.getTime() - ADMIN_ACTIVITY_DAYS * 86_400_000);
  for (const t of targets) {
    const filter = adminActivityFilter({ project: t.project, emails: t.emails, uniqueIds: t.uniqueIds, since });
    const file = `gcp/logs/admin-activity.${t.project}.json`;
    void b.fetch(file, async () => {
      const o = await google.logEntriesUpTo([`projects/${t.project}`], filter, 200, 'logging.logEntries.list');
      if (!o.ok) return o;
      b.logQueries.push({
        file,
        filter,
        resourceNames: [`projects/${t.project}`],
        since: since.toISOString(),
        until: now.toISOString(),
        complete: o.value.complete,
        serviceAccounts: t.emails,
      });
      return { ok: true, value: o.value.entries };
    });
  }
}

/** Kubernetes kinds to list: the checks' own, plus what resolving the targets reads. */
export function kindsFor(request: CollectRequest): K8sKind[] {
  const kinds = new Set<K8sKind>();
  for (const fact of request.requires) {
    if (fact.startsWith('k8s:')) kinds.add(fact.slice(4) as K8sKind);
  }
  // Subjects are KSAs: their annotations name the GSAs every Google fact hangs off.
  kinds.add('serviceaccounts');
  if (request.targets.pod?.length) kinds.add('pods');
  for (const workload of request.targets.workload ?? []) {
    const word = (workload.split('/')[1] ?? '').toLowerCase().replace(/s$/, '');
    const kind = WORKLOAD_KINDS[word];
    if (kind) kinds.add(kind);
    kinds.add('pods');
    if (kind === 'deployments') kinds.add('replicasets');
  }
  return K8S_KINDS.filter((k) => kinds.has(k));
}

export async function collectLive(
  sources: LiveSources,
  request: CollectRequest,
  onPhase?: (phase: string) => void,
): Promise<CollectResult> {
  const { google, kube, cluster } = sources;
  const need = new Set<FactName>(request.requires);
  /** Set when an asset search failed: the policies read one by one must stand in for it. */
  let searchFailed = false;
  const now = (sources.now ?? (() => new Date()))();
  const b = new BundleBuilder({ format: 'wi-doctor-bundle/1', cluster, collectedAt: now.toISOString() });
  let phases = 0;
  const phase = (name: string) => {
    phases++;
    onPhase?.(name);
  };

  // A project's describe and policy (and services, clusters when asked), once per project.
  const projectFacts = (project: string, what: { describe?: boolean; policy?: boolean; services?: boolean }) => {
    if (what.describe ?? need.has('project')) void b.fetch(paths.project(project), () => google.project(project));
    if (what.policy ?? need.has('projectPolicy'))
      void b.fetch(paths.projectPolicy(project), () => google.projectPolicy(project));
    if (what.services ?? need.has('projectServices'))
      void b.fetch(paths.projectServices(project), () => google.services(project));
  };

  // ---- Phase 1: cluster, its project, Kubernetes; the asset searches (they need nothing but their scope).
  phase('cluster and Kubernetes');
  const clusterCall = b.fetch(paths.cluster, () => google.cluster(cluster));
  for (const search of request.assetSearches ?? []) {
    const path = paths.assetSearch(search.scope, search.label);
    void b
      .fetch(path, () => google.searchAllIamPolicies(search.scope, search.query, search.assetTypes ?? []))
      .then((outcome) => {
        if (outcome.ok) {
          const { results, pages } = outcome.value;
          b.files.set(path, { json: { scope: search.scope, query: search.query, pages, results } });
          return;
        }
        searchFailed = true;
        b.notes.push(
          `Cloud Asset Inventory search of ${search.scope} failed (${outcome.message}): grants were looked for ` +
            `only in the policies read one by one (the projects of the cluster and its GSAs, their folders and organization)`,
        );
        // Not a projectPolicy the checks need: read it anyway, it stands in for the search.
        void b.fetch(paths.projectPolicy(cluster.project), () => google.projectPolicy(cluster.project));
      });
  }
  // The project's number names direct-binding principals, so it is read whatever the checks say.
  projectFacts(cluster.project, { describe: true });
  if (need.has('projectClusters'))
    void b.fetch(paths.projectClusters(cluster.project), () => google.clusters(cluster.project));
  // The GSAs to read depend on the KSA list only (for --all and --ksa): their reads start as soon as it and the
  // project's number are in, overlapping the rest of phase 1.
  const projectDescribe = b.fetch(paths.project(cluster.project), () => google.project(cluster.project));
  let gsaReads: Promise<string[]> | undefined;
  /** Subject GSAs (first spelling) → their project, as read by readGsas. */
  const gsaProjects = new Map<string, string>();
  const kinds = kindsFor(request);
  await Promise.all([
    ...kinds.map(async (kind) => {
      const outcome = await kube.list(kind);
      if (outcome.ok) {
        // Only the fields the checks read, and no secret, ever reach the facts or the bundle.
        const list = allowlistedK8sFile(outcome.value);
        b.files.set(`k8s/${kind}.json`, { json: list });
        b.k8sKinds.push(kind);
        if (kind === 'serviceaccounts') {
          const named = gsasOfKsaList(list, request.targets);
          if (named !== undefined) {
            gsaReads = projectDescribe.then((o) => readGsas(named, numberOf(o)));
            // Awaited in phase 2; until then a (programming) error must not count as unhandled.
            gsaReads.catch(() => undefined);
          }
        }
      } else b.errors[`k8s:${kind}`] = outcome.message;
    }),
    clusterCall.then((outcome) => {
      // A fleet pool may live in another project: its number is needed too.
      const pool =
        outcome.ok && isRecord(outcome.value)
          ? (outcome.value.workloadIdentityConfig as { workloadPool?: string } | undefined)?.workloadPool
          : undefined;
      const poolProject = pool ? projectOfPool(pool) : undefined;
      if (poolProject) projectFacts(poolProject, { describe: true, policy: false, services: false });
    }),
  ]);

  // ---- Phase 2: subjects → GSAs, their projects, --on, --impersonate.
  phase('service accounts');
  if (gsaReads === undefined) {
    // Workload and pod targets (or a KSA the list lacks, which resolveSubjects explains) need the whole
    // resolution over what phase 1 read.
    await b.settle();
    const early = factsFromFiles(b.input());
    const subjects = resolveSubjects(early, request.targets);
    const emails = subjects.flatMap((s) => (s.gsaEmail !== undefined ? [s.gsaEmail] : []));
    gsaReads = projectDescribe.then((o) => readGsas(emails, numberOf(o)));
  }
  const gsaCalls: Promise<unknown>[] = [gsaReads];

  /**
   * The reads of the subjects' GSAs (plus --impersonate): one set of calls per GSA however many KSAs name it,
   * a file per spelling. Existence and `disabled` come from each project's account list (one list for many
   * GSAs); a GSA is described only when its project is unknown or its project's list could not be read.
   */
  async function readGsas(subjectEmails: readonly string[], clusterNumber: string | undefined): Promise<string[]> {
    const clusterProject = { id: cluster.project, number: clusterNumber };
    const spellings = new Map<string, Set<string>>();
    const addGsa = (email: string) => {
      const key = email.toLowerCase();
      const set = spellings.get(key) ?? new Set<string>();
      set.add(email);
      spellings.set(key, set);
    };
    for (const email of subjectEmails) addGsa(email);
    const subjectKeys = new Set(spellings.keys());
    const impersonate = request.options.impersonate;
    if (impersonate !== undefined && impersonate.includes('@')) addGsa(impersonate);

    const calls: Promise<unknown>[] = [];
    for (const [key, names] of spellings) {
      const project = projectOfAccount([...names][0] ?? key, clusterProject);
      if (project !== undefined && subjectKeys.has(key)) gsaProjects.set([...names][0] ?? key, project);
    }
    const wantsAccount = need.has('serviceAccount') || need.has('projectServiceAccounts');
    const describe = (first: string, others: readonly string[], project: string | undefined) =>
      b
        .fetch(paths.serviceAccount(first), () => google.serviceAccount(first, project))
        .then((o) => others.forEach((other) => b.record(paths.serviceAccount(other), o)));
    /** Per project: its GSAs as [first spelling, other spellings]. */
    const byProject = new Map<string, [string, string[]][]>();
    for (const [key, names] of spellings) {
      const [first = key, ...others] = [...names];
      const project = projectOfAccount(first, clusterProject);
      const copy = (toPath: (e: string) => string, outcome: CallOutcome<unknown>) => {
        for (const other of others) b.record(toPath(other), outcome);
      };
      if (wantsAccount) {
        if (project === undefined) calls.push(describe(first, others, project));
        else byProject.set(project, [...(byProject.get(project) ?? []), [first, others]]);
      }
      if (need.has('serviceAccountPolicy')) {
        calls.push(
          b
            .fetch(paths.serviceAccountPolicy(first), () => google.serviceAccountPolicy(first, project))
            .then((o) => copy(paths.serviceAccountPolicy, o)),
        );
      }
      const isImpersonateTarget = impersonate !== undefined && impersonate.toLowerCase() === key;
      if (need.has('serviceAccountKeys') && subjectKeys.has(key)) {
        calls.push(
          b
            .fetch(paths.serviceAccountKeys(first), () => google.serviceAccountKeys(first, project))
            .then((o) => copy(paths.serviceAccountKeys, o)),
        );
      }
      if (project !== undefined) {
        projectFacts(project, { services: need.has('projectServices') && !isImpersonateTarget ? undefined : false });
      }
    }
    for (const [project, gsas] of byProject) {
      // More pages than GSAs would cost more than describing them: stop there and describe instead.
      calls.push(
        google.serviceAccounts(project, gsas.length).then(async (o) => {
          if (o.ok) {
            b.setFile(paths.projectServiceAccounts(project), o.value);
            return;
          }
          if (o.kind !== 'truncated') b.record(paths.projectServiceAccounts(project), o);
          await Promise.all(gsas.map(([first, others]) => describe(first, others, project)));
        }),
      );
    }
    await Promise.all(calls);
    return [...spellings.keys()];
  }

  const on = request.options.on;
  if (on !== undefined) {
    const asProject = PROJECT_RESOURCE.exec(on)?.[1];
    const bucket = BUCKET_RESOURCE.exec(on)?.[1];
    if (asProject !== undefined) projectFacts(asProject, { policy: true, services: false });
    else if (bucket !== undefined) {
      const path = paths.resource(on);
      gsaCalls.push(
        b
          .fetch(path, () => google.bucketPolicy(bucket))
          .then((o) => {
            // The file names the resource, so the reader can index it; only a readable policy becomes a file.
            if (o.ok) b.setFile(path, { resource: on, policy: o.value });
            else b.notes.push(`the policy of ${on} could not be read: ${o.message}`);
          }),
      );
    } else {
      b.notes.push(
        `the policy of ${on} is not collected live (only projects and Cloud Storage buckets are); add it to a bundle as gcp/resources/ANY.json`,
      );
    }
    const inProject = PROJECT_IN_NAME.exec(on)?.[1];
    if (inProject !== undefined && asProject === undefined) projectFacts(inProject, { policy: true, services: false });
  }
  const serviceAccounts = await gsaReads;
  await Promise.all(gsaCalls);
  await b.settle();

  // ---- Phase 3: folder and organization policies above the collected projects.
  phase('lists and ancestors');
  if (need.has('ancestorPolicies') || searchFailed) {
    // Only projects whose describe names a parent sit under a folder or organization.
    const withParent = [...b.files.entries()]
      .filter(
        ([path, entry]) =>
          /^gcp\/projects\/[^/]+\.json$/.test(path) &&
          'json' in entry &&
          isRecord(entry.json) &&
          entry.json.parent !== undefined,
      )
      .map(([path]) => path.slice('gcp/projects/'.length, -'.json'.length))
      .filter((p) => !/\.(iam-policy|services|service-accounts|clusters)$/.test(p));
    await Promise.all(
      withParent.map(async (project) => {
        const ancestry = await google.ancestry(project);
        if (!ancestry.ok) {
          b.notes.push(`folder and organization policies above ${project} were not collected: ${ancestry.message}`);
          return;
        }
        for (const resource of ancestry.value) {
          const [type, id = ''] = resource.split('/');
          if (type === 'folders') void b.fetch(paths.folderPolicy(id), () => google.folderPolicy(resource));
          else void b.fetch(paths.organizationPolicy(id), () => google.organizationPolicy(resource));
        }
      }),
    );
  }
  await b.settle();

  // ---- Phase 4: custom roles named by collected policies or by --need.
  if (need.has('customRoles')) {
    phase('custom roles');
    const roles = new Set<string>();
    for (const need of request.options.need ?? []) if (CUSTOM_ROLE.test(need)) roles.add(need);
    for (const [path, entry] of b.files) {
      if (!('json' in entry) || !isRecord(entry.json)) continue;
      const json = entry.json;
      const raws: unknown[] = path.startsWith('gcp/resources/')
        ? [json.policy]
        : path.startsWith('gcp/asset-search/') && Array.isArray(json.results)
          ? json.results.map((r: unknown) => (isRecord(r) ? r.policy : undefined))
          : [json];
      const bindings = raws.flatMap((raw): unknown[] =>
        isRecord(raw) && Array.isArray(raw.bindings) ? (raw.bindings as unknown[]) : [],
      );
      for (const binding of bindings) {
        if (isRecord(binding) && typeof binding.role === 'string' && CUSTOM_ROLE.test(binding.role))
          roles.add(binding.role);
      }
    }
    for (const role of roles) void b.fetch(paths.customRole(role), () => google.customRole(role));
    await b.settle();
  }

  // ---- Phase 5: audit evidence: Policy Analyzer activity of the projects in scope, and the log queries asked for.
  if (need.has('serviceAccountActivity') || request.logs !== undefined) {
    phase('activity and logs');
    await collectEvidence();
  }

  async function collectEvidence(): Promise<void> {
    const until = now;
    const pool = poolOfCluster();
    const poolProject = pool === undefined ? undefined : projectOfPool(pool);
    if (need.has('serviceAccountActivity')) {
      const projects = new Set([cluster.project, ...gsaProjects.values(), ...(poolProject ? [poolProject] : [])]);
      for (const project of projects) {
        void b.fetch(paths.projectActivity(project), () => google.serviceAccountActivity(project));
      }
    }
    const tokens = request.logs?.tokens;
    if (tokens !== undefined) {
      for (const [email, project] of gsaProjects) {
        const filter = generateAccessTokenFilter({
          project,
          emails: [email],
          since: tokens.since,
          until,
          ...(tokens.successOnly === true ? { successOnly: true } : {}),
        });
        const file = `gcp/logs/generate-access-token.${email}.json`;
        void b.fetch(file, async () => {
          const o = await google.logEntriesUpTo(
            [`projects/${project}`],
            filter,
            tokens.maxEntries,
            'logging.privateLogEntries.list',
          );
          if (!o.ok) return o;
          b.logQueries.push({
            file,
            filter,
            resourceNames: [`projects/${project}`],
            since: tokens.since.toISOString(),
            until: until.toISOString(),
            complete: o.value.complete,
            serviceAccounts: [email],
          });
          return { ok: true, value: o.value.entries };
        });
      }
    }
    const sts = request.logs?.sts;
    if (sts !== undefined && poolProject !== undefined) {
      const subjects = resolveSubjects(factsFromFiles(b.input()), request.targets);
      for (const subject of subjects) {
        const filter = stsExchangeFilter({
          project: poolProject,
          namespace: subject.namespace,
          ksa: subject.ksaName,
          since: sts.since,
          until,
        });
        const file = `gcp/logs/sts-exchange.${subject.namespace}.${subject.ksaName}.json`;
        void b.fetch(file, async () => {
          const o = await google.logEntriesUpTo(
            [`projects/${poolProject}`],
            filter,
            sts.maxEntries,
            'logging.privateLogEntries.list',
          );
          if (!o.ok) return o;
          b.logQueries.push({
            file,
            filter,
            resourceNames: [`projects/${poolProject}`],
            since: sts.since.toISOString(),
            until: until.toISOString(),
            complete: o.value.complete,
          });
          return { ok: true, value: o.value.entries };
        });
      }
    }
    await b.settle();
  }

  function poolOfCluster(): string | undefined {
    const entry = b.files.get(paths.cluster);
    const json = entry !== undefined && 'json' in entry ? entry.json : undefined;
    const config = isRecord(json) ? json.workloadIdentityConfig : undefined;
    return isRecord(config) && typeof config.workloadPool === 'string' ? config.workloadPool : undefined;
  }

  // ---- Phase 6: who changed it: Admin Activity entries about what the caller's diagnosis found broken.
  const changeTargets = request.changeEvidence?.(b.input()) ?? [];
  if (changeTargets.length > 0) {
    phase('admin activity');
    collectAdminActivity(b, google, changeTargets, now);
    await b.settle();
  }

  // ---- Phase 7 (--e2e only): the live token chain of each subject KSA; outcomes only, never tokens.
  if (request.options.e2e === true && sources.tokenChain !== undefined) {
    phase('token chain');
    const subjects = resolveSubjects(factsFromFiles(b.input()), request.targets);
    for (const result of await collectE2e(sources.tokenChain, subjects, cluster, sources.now)) {
      const [namespace = '', ksa = ''] = result.subject.split('/');
      b.files.set(paths.e2e(namespace, ksa), { json: allowlistedFile(paths.e2e(namespace, ksa), result) });
    }
  }

  const stats = { ...sources.stats, calls: { ...sources.stats.calls } };
  const totalCalls = Object.values(stats.calls).reduce((a, n) => a + n, 0);
  return {
    input: b.input(),
    stats: { ...stats, totalCalls, phases },
    serviceAccounts: serviceAccounts.sort(),
  };
}
