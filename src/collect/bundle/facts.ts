// The in-memory core of the bundle reader: bundle-relative paths and their parsed JSON in, Facts out.
// No filesystem here, so tests and the live collector's bundle writer can build Facts from memory.
// Every fact says where it came from and, when missing, which file (and which command) would supply it.

import { absent, factError, notCollected, present } from '../../model/facts.js';
import type {
  AncestorPolicy,
  AssetSearch,
  ClusterRef,
  E2eResult,
  Fact,
  Facts,
  LogQuery,
  ResourcePolicy,
  TokenFile,
} from '../../model/facts.js';
import type {
  CustomRole,
  GkeCluster,
  LogEntry,
  Policy,
  Project,
  ServiceAccount,
  ServiceAccountActivity,
  ServiceAccountKey,
  ServiceState,
} from '../../model/gcp.js';
import { assetPolicyOf } from '../../model/iam/asset-search.js';
import type { AssetNaming, IamPolicySearchResult } from '../../model/iam/asset-search.js';
import { K8sIndex, toK8sKind } from './k8s-index.js';
import { classifyPath, commands, paths } from './layout.js';
import { decodeTokenText } from './token.js';

export interface BundleManifest {
  format: 'wi-doctor-bundle/1';
  cluster: ClusterRef;
  /** RFC 3339 time of collection: the checks' clock. */
  collectedAt: string;
  /** Kubernetes kinds collected across all namespaces (plural resource names). */
  k8sKinds?: string[];
  /** Files the API answered "does not exist" for. */
  absent?: string[];
  /** Files (or `k8s:KIND`) that could not be read, with the reason. */
  errors?: Record<string, string>;
  /**
   * The queries behind the `gcp/logs/` files: their filter and time window (what the logs cover), as LogQuery
   * objects. Checked by `factsFromFiles`: a malformed entry is dropped with a note, never a reason to reject the bundle.
   */
  logQueries?: unknown;
}

/** A file's parsed content, or why it could not be parsed. Tokens (`token/*.jwt`) come as `{json: rawText}`. */
export type FileEntry = { json: unknown } | { error: string };

export interface BundleInput {
  manifest: BundleManifest;
  /** Keyed by bundle-relative POSIX path, e.g. `gcp/cluster.json`, `k8s/pods.json`. */
  files: Map<string, FileEntry>;
  /** Notes from whoever read the files (invalid JSON, …), kept ahead of the core's own. */
  notes?: string[];
}

type Shape = 'object' | 'array';
/** REST list responses wrap arrays (`{"accounts": […]}`) and omit them when empty; gcloud prints the bare array. */
const LIST_KEYS: Record<string, string> = {
  projectServices: 'services',
  projectServiceAccounts: 'accounts',
  projectClusters: 'clusters',
  serviceAccountKeys: 'keys',
  projectActivity: 'activities',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{"accounts": […], "nextPageToken": …}`, or `{}` (the API omits empty lists). */
function isRestList(value: Record<string, unknown>, listKey: string): boolean {
  return Object.keys(value).every((k) => k === listKey || k === 'nextPageToken');
}

/** Why a k8s file's content is no Kubernetes object or List, or undefined when it is one. */
function k8sContentProblem(json: unknown): string | undefined {
  if (!isRecord(json)) return 'not a Kubernetes object or List';
  if (Array.isArray(json.items) && json.items.some((item) => !isRecord(item))) return 'a List item is not an object';
  return undefined;
}

/** Why a policy file is not an IAM policy, or undefined when its shape is usable. */
function policyProblem(value: Record<string, unknown>): string | undefined {
  const bindings = value.bindings;
  if (bindings === undefined) return undefined;
  if (!Array.isArray(bindings)) return '"bindings" is not an array';
  for (const [i, b] of bindings.entries()) {
    if (!isRecord(b) || typeof b.role !== 'string') return `bindings[${i}] has no "role"`;
    if (b.members !== undefined && (!Array.isArray(b.members) || b.members.some((m) => typeof m !== 'string'))) {
      return `bindings[${i}].members is not an array of strings`;
    }
  }
  return undefined;
}

/** Project id of a user-managed service account (`NAME@P.iam.gserviceaccount.com`). */
function projectOfEmail(email: string): string | undefined {
  return /^[^@]+@([a-z][-a-z0-9]*)\.iam\.gserviceaccount\.com$/i.exec(email)?.[1]?.toLowerCase();
}

/** Project number of a Compute default (`N-compute@developer…`) or service-agent style address. */
function projectNumberOfEmail(email: string): string | undefined {
  return /^(\d+)-compute@developer\.gserviceaccount\.com$/i.exec(email)?.[1];
}

export function factsFromFiles(input: BundleInput): Facts {
  const { manifest, files } = input;
  const notes: string[] = [...(input.notes ?? [])];
  const absentSet = new Set(manifest.absent ?? []);
  const errors = manifest.errors ?? {};

  /** A file's fact, by the BUNDLE.md rules: file present, listed absent, listed error, else not collected. */
  function fileFact<T>(path: string, command: string, shape: Shape, listKey?: string): Fact<T> {
    const entry = files.get(path);
    if (entry) {
      if ('error' in entry) return factError(path, entry.error);
      let value = entry.json;
      if (shape === 'array' && isRecord(value) && listKey !== undefined && isRestList(value, listKey)) {
        // One page of a paged list is not the list: it cannot prove anything absent.
        if (typeof value.nextPageToken === 'string' && value.nextPageToken !== '') {
          return factError(path, `only the first page (nextPageToken present): collect it with ${command}`);
        }
        value = value[listKey] ?? [];
      }
      const ok = shape === 'array' ? Array.isArray(value) : isRecord(value);
      if (!ok) return factError(path, `expected a JSON ${shape} (the output of ${command})`);
      if (path.endsWith('.iam-policy.json') && isRecord(value)) {
        const problem = policyProblem(value);
        if (problem) return factError(path, `not an IAM policy: ${problem} (the output of ${command})`);
      }
      return present(value as T, path);
    }
    const error = errors[path];
    if (error !== undefined) return factError(path, error);
    if (absentSet.has(path)) return absent(path, `does not exist (${path} is listed as absent in bundle.json)`);
    return notCollected(path, `not collected: ${path} (${command})`);
  }

  // One pass over the paths: what kind of file each is, and the indexes built from them.
  const k8s = new K8sIndex();
  const unreadableK8s: string[] = [];
  const k8sErrors: Record<string, string> = { ...errors };
  const resourcePolicies: ResourcePolicy[] = [];
  const ancestorPolicies: AncestorPolicy[] = [];
  const logEntries: LogEntry[] = [];
  const logSources: string[] = [];
  const logErrors: string[] = [];
  const tokens: TokenFile[] = [];
  const probes: { source: string; report: unknown }[] = [];
  /** e2e files by `NS/KSA`. */
  const e2eFiles = new Map<string, string>();
  const projects = new Set<string>();
  const serviceAccounts = new Map<string, string>(); // lower-case email -> email as written
  const ancestorSeen = new Set<string>();
  /** Asset searches by path: named once every project and account is known (results are named through them). */
  const assetFiles: { path: string; scope: string }[] = [];

  const addAncestor = (path: string, resource: string) => {
    if (ancestorSeen.has(path)) return;
    ancestorSeen.add(path);
    const [type, id] = resource.split('/');
    const command =
      type === 'folders'
        ? `gcloud resource-manager folders get-iam-policy ${id ?? ''} --format=json`
        : `gcloud organizations get-iam-policy ${id ?? ''} --format=json`;
    ancestorPolicies.push({ resource, policy: fileFact<Policy>(path, command, 'object') });
  };

  // Paths named by the manifest (errors, absent) also tell which projects/accounts/ancestors were looked at.
  const namedPaths = new Set<string>([...files.keys(), ...Object.keys(errors), ...absentSet]);
  for (const path of [...namedPaths].sort()) {
    const role = classifyPath(path);
    const entry = files.get(path);
    switch (role.role) {
      case 'project':
      case 'projectPolicy':
      case 'projectServices':
      case 'projectServiceAccounts':
      case 'projectClusters':
      case 'projectActivity':
        if (entry || errors[path] !== undefined) projects.add(role.id);
        break;
      case 'serviceAccount':
      case 'serviceAccountPolicy':
      case 'serviceAccountKeys':
        if (entry || errors[path] !== undefined) serviceAccounts.set(role.email.toLowerCase(), role.email);
        break;
      case 'ancestorPolicy':
        addAncestor(path, role.resource);
        break;
      case 'assetSearch':
        assetFiles.push({ path, scope: role.scope });
        break;
      default:
        break;
    }
    if (!entry) continue;
    switch (role.role) {
      case 'resource': {
        if ('error' in entry) break; // the reader already noted it; its resource name is unknown
        const json = entry.json;
        if (!isRecord(json) || typeof json.resource !== 'string' || !isRecord(json.policy)) {
          notes.push(`ignored ${path}: expected {"resource": "//…", "policy": {…}}`);
          break;
        }
        const problem = policyProblem(json.policy);
        resourcePolicies.push({
          resource: json.resource,
          policy: problem ? factError(path, `not an IAM policy: ${problem}`) : present(json.policy as Policy, path),
        });
        break;
      }
      case 'logs':
        if ('error' in entry) logErrors.push(`${path}: ${entry.error}`);
        else if (Array.isArray(entry.json)) {
          logSources.push(path);
          let notObjects = 0;
          for (const e of entry.json) {
            if (isRecord(e)) logEntries.push(e);
            else notObjects++;
          }
          if (notObjects > 0) notes.push(`${path}: ${notObjects} entries are not JSON objects; skipped`);
        } else notes.push(`ignored ${path}: expected an array of log entries (gcloud logging read … --format=json)`);
        break;
      case 'k8s': {
        // Valid JSON that is no object or List is as unreadable as invalid JSON: its kind is unknown, not empty.
        const problem = 'error' in entry ? entry.error : k8sContentProblem(entry.json);
        if (problem !== undefined) {
          // A broken `k8s/pods.json` hides pods only; a broken file of unknown content hides any kind.
          const base = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
          const kind = toK8sKind(base);
          if (kind) k8sErrors[`k8s:${kind}`] ??= `${path}: ${problem}`;
          else unreadableK8s.push(`${path}: ${problem}`);
          notes.push(`${path}: ${problem}; what it holds is treated as unknown`);
        } else if (!('error' in entry)) k8s.addFile(path, entry.json);
        break;
      }
      case 'token':
        if ('error' in entry) tokens.push({ source: path, error: entry.error });
        else if (typeof entry.json === 'string') tokens.push(decodeTokenText(path, entry.json));
        else tokens.push({ source: path, error: 'expected the raw token text' });
        break;
      case 'probe':
        if (!('error' in entry)) probes.push({ source: path, report: entry.json });
        break;
      case 'e2e':
        e2eFiles.set(role.subject, path);
        break;
      case 'unknown':
        notes.push(`ignored unknown file ${path}`);
        break;
      default:
        break;
    }
  }
  k8s.finish(manifest.k8sKinds, k8sErrors, unreadableK8s);
  notes.push(...k8s.notes);

  for (const path of Object.keys(errors)) {
    const role = classifyPath(path);
    if (role.role === 'logs' && !files.has(path)) logErrors.push(`${path}: ${errors[path] ?? ''}`);
  }

  const clusterRef = manifest.cluster;

  const projectServiceAccounts = (p: string) =>
    fileFact<readonly ServiceAccount[]>(
      paths.projectServiceAccounts(p),
      commands.projectServiceAccounts(p),
      'array',
      LIST_KEYS.projectServiceAccounts,
    );
  const project = (p: string) => fileFact<Project>(paths.project(p), commands.project(p), 'object');

  /** Projects whose service-account list might hold this email. */
  function candidateProjects(email: string): string[] {
    const byId = projectOfEmail(email);
    if (byId) return [byId];
    const number = projectNumberOfEmail(email);
    if (number) {
      for (const p of projects) {
        const f = project(p);
        if (f.status === 'present' && f.value.projectNumber === number) return [p];
      }
    }
    return [];
  }

  // Lists are searched once per lookup and there may be one lookup per KSA: index them by email once.
  const accountIndexes = new Map<string, Map<string, ServiceAccount>>();
  function accountIndex(p: string, accounts: readonly ServiceAccount[]): Map<string, ServiceAccount> {
    let index = accountIndexes.get(p);
    if (!index) {
      index = new Map();
      for (const a of accounts) if (isRecord(a) && typeof a.email === 'string') index.set(a.email.toLowerCase(), a);
      accountIndexes.set(p, index);
    }
    return index;
  }

  function serviceAccount(email: string): Fact<ServiceAccount> {
    const describePath = paths.serviceAccount(email);
    const describe = fileFact<ServiceAccount>(describePath, commands.serviceAccount(email), 'object');
    if (describe.status === 'present' || describe.status === 'absent') return describe;
    // gcloud describes accounts as projects/-/…, where a missing account answers 403: a describe error proves
    // nothing, and the project's list decides (BUNDLE.md: missing from a collected list = known absent).
    const wanted = email.toLowerCase();
    const owners = candidateProjects(email);
    // With no owning project known, any collected list may still show the account (but cannot disprove it).
    const lists = owners.length > 0 ? owners : [...projects].sort();
    for (const p of lists) {
      const list = projectServiceAccounts(p);
      if (list.status !== 'present') continue;
      const found = accountIndex(p, list.value).get(wanted);
      if (found) return present(found, list.source);
      if (owners.includes(p)) {
        const describeNote = describe.status === 'error' ? ` (its describe answered: ${describe.message})` : '';
        return absent(list.source, `${email} is missing from ${list.source}${describeNote}`);
      }
    }
    if (describe.status === 'error') return describe;
    const listHint = owners[0] !== undefined ? ` or ${paths.projectServiceAccounts(owners[0])}` : '';
    return notCollected(describePath, `not collected: ${describePath}${listHint} (${commands.serviceAccount(email)})`);
  }

  /** An account known not to exist has no policy and no keys either. */
  function ofServiceAccount<T>(email: string, fact: Fact<T>): Fact<T> {
    if (fact.status === 'present' || fact.status === 'absent') return fact;
    const account = serviceAccount(email);
    return account.status === 'absent' ? absent(account.source, account.message) : fact;
  }

  const resourceIndex = new Map(resourcePolicies.map((r) => [r.resource, r]));
  const assetSearches = readAssetSearches(assetFiles, files, errors, namingFrom(files), notes);
  const logProject = clusterRef.project;

  let logFact: Fact<readonly LogEntry[]>;
  if (logSources.length > 0) logFact = present(logEntries, logSources.join(', '));
  else if (logErrors.length > 0) logFact = factError('gcp/logs/', logErrors.join('; '));
  else logFact = notCollected('gcp/logs/', `not collected: gcp/logs/*.json (${commands.logs(logProject)})`);

  /** The live token chain of a KSA: only `--e2e` runs it, so a missing file says so rather than naming a command. */
  function e2e(subjectKsa: string): Fact<E2eResult> {
    const [namespace = '', ksa = ''] = subjectKsa.split('/');
    const path = e2eFiles.get(subjectKsa) ?? paths.e2e(namespace, ksa);
    const entry = files.get(path);
    if (entry) {
      if ('error' in entry) return factError(path, entry.error);
      return isE2eResult(entry.json)
        ? present(entry.json, path)
        : factError(path, 'expected {"subject", "steps": [{"step", "ok", "ms"}, …], "at"} (written by --e2e)');
    }
    const error = errors[path];
    if (error !== undefined) return factError(path, error);
    return notCollected(path, 'run with --e2e (live only)');
  }

  return {
    now: new Date(manifest.collectedAt),
    clusterRef,
    cluster: fileFact<GkeCluster>(paths.cluster, commands.cluster(clusterRef), 'object'),
    project,
    projectPolicy: (p) => fileFact<Policy>(paths.projectPolicy(p), commands.projectPolicy(p), 'object'),
    projectServices: (p) =>
      fileFact<readonly ServiceState[]>(
        paths.projectServices(p),
        commands.projectServices(p),
        'array',
        LIST_KEYS.projectServices,
      ),
    projectServiceAccounts,
    projectClusters: (p) =>
      fileFact<readonly GkeCluster[]>(
        paths.projectClusters(p),
        commands.projectClusters(p),
        'array',
        LIST_KEYS.projectClusters,
      ),
    serviceAccount,
    serviceAccountPolicy: (email) =>
      ofServiceAccount(
        email,
        fileFact<Policy>(paths.serviceAccountPolicy(email), commands.serviceAccountPolicy(email), 'object'),
      ),
    serviceAccountKeys: (email) =>
      ofServiceAccount(
        email,
        fileFact<readonly ServiceAccountKey[]>(
          paths.serviceAccountKeys(email),
          commands.serviceAccountKeys(email),
          'array',
          LIST_KEYS.serviceAccountKeys,
        ),
      ),
    customRole: (name) => fileFact<CustomRole>(paths.customRole(name), commands.customRole(name), 'object'),
    resourcePolicy: (resource) => {
      const found = resourceIndex.get(resource);
      if (found) return found.policy;
      return notCollected(
        'gcp/resources/',
        `not collected: gcp/resources/ANY.json with {"resource": "${resource}", "policy": …} (${commands.resourcePolicy(resource)})`,
      );
    },
    ancestorPolicies,
    resourcePolicies,
    assetSearches,
    knownProjects: [...projects].sort(),
    knownServiceAccounts: [...serviceAccounts.values()].sort(),
    logEntries: logFact,
    logQueries: validLogQueries(manifest.logQueries, notes),
    serviceAccountActivity: (p) =>
      fileFact<readonly ServiceAccountActivity[]>(
        paths.projectActivity(p),
        commands.projectActivity(p),
        'array',
        LIST_KEYS.projectActivity,
      ),
    k8s,
    tokens,
    e2e,
    probes,
    notes,
  };
}

/** Project number → id from the project describes, unique id → email from account describes and lists. */
function namingFrom(files: ReadonlyMap<string, FileEntry>): AssetNaming {
  const projectIds = new Map<string, string>();
  const emails = new Map<string, string>();
  const addAccount = (a: unknown): void => {
    if (isRecord(a) && typeof a.uniqueId === 'string' && typeof a.email === 'string') emails.set(a.uniqueId, a.email);
  };
  for (const [path, entry] of files) {
    if (!('json' in entry)) continue;
    const role = classifyPath(path);
    const json = entry.json;
    if (role.role === 'project' && isRecord(json) && typeof json.projectNumber === 'string') {
      projectIds.set(json.projectNumber, role.id);
    } else if (role.role === 'serviceAccount') addAccount(json);
    else if (role.role === 'projectServiceAccounts') {
      const list = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.accounts) ? json.accounts : [];
      for (const a of list as unknown[]) addAccount(a);
    }
  }
  return { projectIdOfNumber: (n) => projectIds.get(n), emailOfUniqueId: (id) => emails.get(id) };
}

/**
 * `gcp/asset-search/SCOPE.json`: `{scope, query, pages, results}` as `collect` writes it, or the bare array
 * `gcloud asset search-all-iam-policies --format=json` prints (its query unknown, so it covers nothing).
 */
function readAssetSearches(
  found: readonly { path: string; scope: string }[],
  files: ReadonlyMap<string, FileEntry>,
  errors: Record<string, string>,
  naming: AssetNaming,
  notes: string[],
): AssetSearch[] {
  const out: AssetSearch[] = [];
  for (const { path, scope } of found) {
    const entry = files.get(path);
    const error = entry === undefined ? errors[path] : 'error' in entry ? entry.error : undefined;
    if (entry === undefined || 'error' in entry) {
      if (error !== undefined) out.push({ scope, query: '', pages: 0, results: factError(path, error) });
      continue;
    }
    const json = entry.json;
    const wrapped = isRecord(json) ? json : undefined;
    const list: unknown = wrapped !== undefined ? wrapped.results : json;
    if (!Array.isArray(list) || list.some((r) => !isRecord(r) || typeof r.resource !== 'string')) {
      notes.push(
        `${path}: expected {"scope", "query", "results": [{"resource", "policy"}, …]} or the array gcloud asset search-all-iam-policies prints`,
      );
      out.push({ scope, query: '', pages: 0, results: factError(path, 'not a Cloud Asset Inventory search result') });
      continue;
    }
    const results = (list as IamPolicySearchResult[]).flatMap((r) => {
      const problem = isRecord(r.policy) ? policyProblem(r.policy) : undefined;
      if (problem !== undefined) {
        notes.push(`${path}: the result for ${r.resource} is ignored: not an IAM policy: ${problem}`);
        return [];
      }
      return [assetPolicyOf(r, naming)];
    });
    out.push({
      scope: typeof wrapped?.scope === 'string' ? wrapped.scope : scope,
      query: typeof wrapped?.query === 'string' ? wrapped.query : '',
      pages: typeof wrapped?.pages === 'number' ? wrapped.pages : 0,
      results: present(results, path),
    });
  }
  return out;
}

/** The well-formed `logQueries` of bundle.json; a malformed one is dropped with a note (its file then proves no absence). */
function validLogQueries(raw: unknown, notes: string[]): LogQuery[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    notes.push('bundle.json: "logQueries" is not an array; the log files are read without their time windows');
    return [];
  }
  const out: LogQuery[] = [];
  for (const [i, q] of raw.entries()) {
    const ok =
      isRecord(q) &&
      typeof q.file === 'string' &&
      typeof q.filter === 'string' &&
      typeof q.since === 'string' &&
      !Number.isNaN(Date.parse(q.since)) &&
      typeof q.until === 'string' &&
      !Number.isNaN(Date.parse(q.until)) &&
      typeof q.complete === 'boolean' &&
      (q.serviceAccounts === undefined ||
        (Array.isArray(q.serviceAccounts) && q.serviceAccounts.every((e) => typeof e === 'string'))) &&
      (q.resourceNames === undefined ||
        (Array.isArray(q.resourceNames) && q.resourceNames.every((e) => typeof e === 'string')));
    if (ok) out.push(q as unknown as LogQuery);
    else
      notes.push(
        `bundle.json: logQueries[${i}] needs {"file", "filter", "since", "until", "complete"} (RFC 3339 times); ignored`,
      );
  }
  return out;
}

const E2E_STEPS = new Set(['token-request', 'sts-exchange', 'generate-access-token']);

function isE2eResult(value: unknown): value is E2eResult {
  if (!isRecord(value) || typeof value.subject !== 'string' || !Array.isArray(value.steps)) return false;
  return value.steps.every(
    (s) => isRecord(s) && typeof s.step === 'string' && E2E_STEPS.has(s.step) && typeof s.ok === 'boolean',
  );
}
