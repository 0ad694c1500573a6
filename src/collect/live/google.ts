// Google Cloud reads through the @googleapis/* clients (storage through the auth client's own request, as
// no storage client is installed), each pointed at its resolved endpoint and run through the CallRunner.
// The clients' own retries are off: the runner retries, so a 429 storm is counted and bounded once.

import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { container } from '@googleapis/container';
import { iam } from '@googleapis/iam';
import { logging } from '@googleapis/logging';
import { serviceusage } from '@googleapis/serviceusage';
import type { ClusterRef } from '../../model/facts.js';
import type { CallOutcome, CallRunner } from './calls.js';
import { HttpFailure, UnexpectedAnswer, parseRetryAfter } from './calls.js';
import type { GoogleCredentials } from './credentials.js';
import type { Endpoints, GoogleApiName } from './endpoints.js';
import { exceedsDepth, jsonType, tooDeep } from '../bundle/validate.js';

interface GaxiosLikeError {
  status?: number;
  response?: { status?: number; data?: unknown; headers?: unknown };
}

/** A response header from gaxios, whatever shape its headers have. */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  // gaxios hands over node-fetch's Headers (not the global class) or, in older versions, a plain object.
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const v: unknown = get.call(headers, name);
    return typeof v === 'string' ? v : undefined;
  }
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** gaxios rejects with the response attached; turn that into the runner's HttpFailure. */
async function viaGaxios<T>(request: Promise<{ data: T }>): Promise<T> {
  let data: T;
  try {
    data = (await request).data;
  } catch (error) {
    const e = error as GaxiosLikeError;
    const status = e.response?.status ?? e.status;
    if (typeof status === 'number' && status >= 300) {
      throw new HttpFailure(status, e.response?.data, parseRetryAfter(headerOf(e.response?.headers, 'retry-after')));
    }
    throw error;
  }
  // Every answer read here is a JSON object; anything else (or one nested deeper than any API answer) is
  // refused before code that trusts its shape or recurses over it sees it.
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UnexpectedAnswer(`must be object (found ${jsonType(data)})`);
  }
  if (exceedsDepth(data)) throw new UnexpectedAnswer(tooDeep());
  return data;
}

/** Why a page of a list answer is not one: `{KEY: […], nextPageToken: "…"}`, both optional. */
export function listPageProblem(data: unknown, key: string): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return `must be object (found ${jsonType(data)})`;
  const page = data as Record<string, unknown>;
  const list = page[key];
  if (list !== undefined && !Array.isArray(list)) return `${key}: must be array (found ${jsonType(list)})`;
  const token = page.nextPageToken;
  if (token !== undefined && typeof token !== 'string')
    return `nextPageToken: must be string (found ${jsonType(token)})`;
  return undefined;
}

/** A list, or `truncated` when it ran past the pages the caller allowed. */
export type ListOutcome<T> = CallOutcome<T[]> | { ok: false; kind: 'truncated'; pages: number };

const POLICY_V3 = { options: { requestedPolicyVersion: 3 } };
/** searchAllIamPolicies caps pages at 500 results. */
export const ASSET_PAGE_SIZE = 500;
const PAGE_SIZE = 100;

export class GoogleApi {
  private readonly crm;
  private readonly crm3;
  private readonly gke;
  private readonly iamApi;
  private readonly usage;
  private readonly log;

  /**
   * @param shared Reads shared by every collector of a run (many clusters): the same call is made once, whoever
   *   asks, and its answer reused. Without it, every call is made as asked (the collector dedupes its own).
   */
  constructor(
    private readonly credentials: GoogleCredentials,
    private readonly endpoints: Endpoints,
    private readonly runner: CallRunner,
    private readonly shared?: Map<string, Promise<CallOutcome<unknown>>>,
  ) {
    const auth = credentials.client;
    this.crm = cloudresourcemanager({ version: 'v1', auth });
    this.crm3 = cloudresourcemanager({ version: 'v3', auth });
    this.gke = container({ version: 'v1', auth });
    this.iamApi = iam({ version: 'v1', auth });
    this.usage = serviceusage({ version: 'v1', auth });
    this.log = logging({ version: 'v2', auth });
  }

  /** Per-call options: the endpoint, no library retries, the abort signal, extra headers. */
  private opts(api: GoogleApiName, signal: AbortSignal) {
    return { rootUrl: this.endpoints[api], retry: false, signal, headers: { ...this.credentials.headers } };
  }

  private url(api: GoogleApiName, path: string): string {
    return `${this.endpoints[api]}${path}`;
  }

  private call<T>(
    api: GoogleApiName,
    method: string,
    path: string,
    permission: string,
    attempt: (signal: AbortSignal) => Promise<{ data: T }>,
  ): Promise<CallOutcome<T>> {
    const make = () =>
      this.runner.call({
        api,
        method,
        url: this.url(api, path),
        permission,
        attempt: (signal) => viaGaxios(attempt(signal)),
      });
    // A log query's filter is in its body, not its path: two queries share a path and must not share an answer.
    return api === 'logging' ? make() : this.once(`${method} ${api} ${path}`, make);
  }

  /** A read another call already answered (a cluster from `clusters.list`): the same call is then not made. */
  prime(api: GoogleApiName, method: string, path: string, value: unknown): void {
    this.shared?.set(`${method} ${api} ${path}`, Promise.resolve({ ok: true, value }));
  }

  /** Made once per run when reads are shared; as asked otherwise. */
  private once<T>(key: string, make: () => Promise<CallOutcome<T>>): Promise<CallOutcome<T>> {
    if (this.shared === undefined) return make();
    const hit = this.shared.get(key);
    if (hit !== undefined) return hit as Promise<CallOutcome<T>>;
    const promise = make();
    this.shared.set(key, promise);
    return promise;
  }

  /**
   * Follow nextPageToken; any failed page fails the whole list (a partial list proves no absence). With
   * `maxPages`, a list longer than that stops there and answers `truncated` (nothing of it is kept).
   */
  private async listPages<T>(
    api: GoogleApiName,
    path: string,
    permission: string,
    key: string,
    page: (pageToken: string | undefined, signal: AbortSignal) => Promise<{ data: unknown }>,
    maxPages: number,
  ): Promise<ListOutcome<T>> {
    const items: T[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      if (pages >= maxPages) return { ok: false, kind: 'truncated', pages };
      pages++;
      const current = token;
      const outcome = await this.call(
        api,
        'GET',
        `${path}${current ? `?pageToken=${encodeURIComponent(current)}` : ''}`,
        permission,
        (signal) => page(current, signal),
      );
      if (!outcome.ok) return outcome;
      const data = outcome.value ?? {};
      // A 200 of the wrong shape is no list (and no proof that nothing is there): the fact is unknown.
      const problem = listPageProblem(data, key);
      if (problem !== undefined) {
        return { ok: false, kind: 'error', status: undefined, message: `unexpected answer from ${path}: ${problem}` };
      }
      const body = data as Record<string, unknown>;
      const list = body[key];
      if (Array.isArray(list)) items.push(...(list as T[]));
      token = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
    } while (token !== undefined);
    return { ok: true, value: items };
  }

  /** Every page of a list. */
  private async listAll<T>(
    api: GoogleApiName,
    path: string,
    permission: string,
    key: string,
    page: (pageToken: string | undefined, signal: AbortSignal) => Promise<{ data: unknown }>,
  ): Promise<CallOutcome<T[]>> {
    const outcome = await this.listPages<T>(api, path, permission, key, page, Infinity);
    // Unreachable: no page bound was set.
    if (!outcome.ok && outcome.kind === 'truncated') throw new Error('a list without a page bound was truncated');
    return outcome;
  }

  cluster(ref: ClusterRef) {
    const name = `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}`;
    return this.call('container', 'GET', `v1/${name}`, 'container.clusters.get', (signal) =>
      this.gke.projects.locations.clusters.get({ name }, this.opts('container', signal)),
    );
  }

  /** All clusters of a project (every location). The API answers one page. */
  async clusters(project: string): Promise<CallOutcome<unknown[]>> {
    const parent = `projects/${project}/locations/-`;
    const outcome = await this.call('container', 'GET', `v1/${parent}/clusters`, 'container.clusters.list', (signal) =>
      this.gke.projects.locations.clusters.list({ parent }, this.opts('container', signal)),
    );
    return outcome.ok ? { ok: true, value: outcome.value.clusters ?? [] } : outcome;
  }

  project(project: string) {
    return this.call(
      'cloudresourcemanager',
      'GET',
      `v1/projects/${project}`,
      'resourcemanager.projects.get',
      (signal) => this.crm.projects.get({ projectId: project }, this.opts('cloudresourcemanager', signal)),
    );
  }

  projectPolicy(project: string) {
    return this.call(
      'cloudresourcemanager',
      'POST',
      `v1/projects/${project}:getIamPolicy`,
      'resourcemanager.projects.getIamPolicy',
      (signal) =>
        this.crm.projects.getIamPolicy(
          { resource: project, requestBody: POLICY_V3 },
          this.opts('cloudresourcemanager', signal),
        ),
    );
  }

  /** Folders and organization above a project, nearest first (the project itself excluded). */
  async ancestry(project: string): Promise<CallOutcome<string[]>> {
    const outcome = await this.call(
      'cloudresourcemanager',
      'POST',
      `v1/projects/${project}:getAncestry`,
      'resourcemanager.projects.get',
      (signal) =>
        this.crm.projects.getAncestry(
          { projectId: project, requestBody: {} },
          this.opts('cloudresourcemanager', signal),
        ),
    );
    if (!outcome.ok) return outcome;
    const ancestors: unknown = outcome.value.ancestor ?? [];
    if (!Array.isArray(ancestors)) {
      return {
        ok: false,
        kind: 'error',
        status: undefined,
        message: `unexpected answer from v1/projects/${project}:getAncestry: ancestor: must be array (found ${jsonType(ancestors)})`,
      };
    }
    const resources = (ancestors as unknown[])
      .map((a) =>
        typeof a === 'object' && a !== null
          ? (a as { resourceId?: { type?: unknown; id?: unknown } }).resourceId
          : undefined,
      )
      .filter((r) => r?.type === 'folder' || r?.type === 'organization')
      .map((r) => `${r?.type === 'folder' ? 'folders' : 'organizations'}/${typeof r?.id === 'string' ? r.id : ''}`);
    return { ok: true, value: resources };
  }

  folderPolicy(folder: string) {
    return this.call(
      'cloudresourcemanager',
      'POST',
      `v3/${folder}:getIamPolicy`,
      'resourcemanager.folders.getIamPolicy',
      (signal) =>
        this.crm3.folders.getIamPolicy(
          { resource: folder, requestBody: POLICY_V3 },
          this.opts('cloudresourcemanager', signal),
        ),
    );
  }

  organizationPolicy(organization: string) {
    return this.call(
      'cloudresourcemanager',
      'POST',
      `v1/${organization}:getIamPolicy`,
      'resourcemanager.organizations.getIamPolicy',
      (signal) =>
        this.crm.organizations.getIamPolicy(
          { resource: organization, requestBody: POLICY_V3 },
          this.opts('cloudresourcemanager', signal),
        ),
    );
  }

  /** Enabled services, as `gcloud services list --enabled` prints them. */
  services(project: string): Promise<CallOutcome<unknown[]>> {
    const parent = `projects/${project}`;
    return this.listAll<unknown>(
      'serviceusage',
      `v1/${parent}/services`,
      'serviceusage.services.list',
      'services',
      (pageToken, signal) =>
        this.usage.services.list(
          { parent, filter: 'state:ENABLED', pageSize: 200, ...(pageToken ? { pageToken } : {}) },
          this.opts('serviceusage', signal),
        ),
    );
  }

  /** The project's accounts; with `maxPages`, `truncated` rather than read more pages than that. */
  serviceAccounts(project: string, maxPages = Infinity): Promise<ListOutcome<unknown>> {
    const name = `projects/${project}`;
    return this.listPages<unknown>(
      'iam',
      `v1/${name}/serviceAccounts`,
      'iam.serviceAccounts.list',
      'accounts',
      (pageToken, signal) =>
        this.iamApi.projects.serviceAccounts.list(
          { name, pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) },
          this.opts('iam', signal),
        ),
      maxPages,
    );
  }

  /**
   * `projects/P/serviceAccounts/EMAIL` when the email names its project: a missing account is then a 404
   * (known absent). `projects/-/…` (Google-managed addresses) answers 403 for a missing one.
   */
  private accountName(email: string, project: string | undefined): string {
    return `projects/${project ?? '-'}/serviceAccounts/${email}`;
  }

  serviceAccount(email: string, project: string | undefined) {
    const name = this.accountName(email, project);
    return this.call('iam', 'GET', `v1/${name}`, 'iam.serviceAccounts.get', (signal) =>
      this.iamApi.projects.serviceAccounts.get({ name }, this.opts('iam', signal)),
    );
  }

  serviceAccountPolicy(email: string, project: string | undefined) {
    const resource = this.accountName(email, project);
    return this.call('iam', 'POST', `v1/${resource}:getIamPolicy`, 'iam.serviceAccounts.getIamPolicy', (signal) =>
      this.iamApi.projects.serviceAccounts.getIamPolicy(
        { resource, 'options.requestedPolicyVersion': 3 },
        this.opts('iam', signal),
      ),
    );
  }

  async serviceAccountKeys(email: string, project: string | undefined): Promise<CallOutcome<unknown[]>> {
    const name = this.accountName(email, project);
    const outcome = await this.call(
      'iam',
      'GET',
      `v1/${name}/keys?keyTypes=USER_MANAGED`,
      'iam.serviceAccountKeys.list',
      (signal) =>
        this.iamApi.projects.serviceAccounts.keys.list({ name, keyTypes: ['USER_MANAGED'] }, this.opts('iam', signal)),
    );
    return outcome.ok ? { ok: true, value: outcome.value.keys ?? [] } : outcome;
  }

  /** A custom role: `projects/P/roles/R` or `organizations/N/roles/R`. */
  customRole(name: string) {
    return this.call('iam', 'GET', `v1/${name}`, 'iam.roles.get', (signal) =>
      name.startsWith('organizations/')
        ? this.iamApi.organizations.roles.get({ name }, this.opts('iam', signal))
        : this.iamApi.projects.roles.get({ name }, this.opts('iam', signal)),
    );
  }

  bucketPolicy(bucket: string) {
    const path = `storage/v1/b/${encodeURIComponent(bucket)}/iam?optionsRequestedPolicyVersion=3`;
    const url = this.url('storage', path);
    return this.once(`GET storage ${path}`, () =>
      this.runner.call({
        api: 'storage',
        method: 'GET',
        url,
        permission: 'storage.buckets.getIamPolicy',
        attempt: (signal) =>
          viaGaxios(
            this.credentials.client.request<Record<string, unknown>>({
              url,
              method: 'GET',
              retry: false,
              signal,
              headers: { ...this.credentials.headers },
            }),
          ),
      }),
    );
  }

  /**
   * Cloud Asset Inventory `searchAllIamPolicies` over a scope, every page (500 results each, the API's cap).
   * Through google-auth-library's authenticated request (no Cloud Asset client is installed: see docs/fleet.md).
   * A failed page fails the search: a partial result set proves no absence.
   */
  searchAllIamPolicies(
    scope: string,
    query: string,
    assetTypes: readonly string[] = [],
  ): Promise<CallOutcome<{ results: unknown[]; pages: number }>> {
    return this.once(`search ${scope} ${query} ${assetTypes.join(',')}`, () =>
      this.searchPages('searchAllIamPolicies', scope, query, assetTypes),
    );
  }

  /**
   * Cloud Asset Inventory `searchAllResources` over a scope, every page: the GKE clusters of an organization or
   * folder in one paged call (`assetTypes` container.googleapis.com/Cluster), instead of a list per project.
   */
  searchAllResources(
    scope: string,
    assetTypes: readonly string[],
  ): Promise<CallOutcome<{ results: unknown[]; pages: number }>> {
    return this.once(`resources ${scope} ${assetTypes.join(',')}`, () =>
      this.searchPages('searchAllResources', scope, '', assetTypes),
    );
  }

  private async searchPages(
    method: 'searchAllIamPolicies' | 'searchAllResources',
    scope: string,
    query: string,
    assetTypes: readonly string[],
  ): Promise<CallOutcome<{ results: unknown[]; pages: number }>> {
    const results: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const params = new URLSearchParams({ pageSize: String(ASSET_PAGE_SIZE) });
      if (query !== '') params.set('query', query);
      for (const t of assetTypes) params.append('assetTypes', t);
      if (token !== undefined) params.set('pageToken', token);
      const url = this.url('cloudasset', `v1/${scope}:${method}?${params.toString()}`);
      const outcome = await this.runner.call({
        api: 'cloudasset',
        method: 'GET',
        url,
        permission: `cloudasset.assets.${method}`,
        attempt: (signal) =>
          viaGaxios(
            this.credentials.client.request<Record<string, unknown>>({
              url,
              method: 'GET',
              retry: false,
              signal,
              headers: { ...this.credentials.headers },
            }),
          ),
      });
      if (!outcome.ok) return outcome;
      pages++;
      const data = outcome.value;
      if (Array.isArray(data.results)) results.push(...(data.results as unknown[]));
      token = typeof data.nextPageToken === 'string' && data.nextPageToken !== '' ? data.nextPageToken : undefined;
    } while (token !== undefined);
    return { ok: true, value: { results, pages } };
  }

  /**
   * Policy Analyzer `serviceAccountLastAuthentication` activities of a project, every page (no client library
   * exists for Node 20: the auth client's own request, as for storage).
   */
  serviceAccountActivity(project: string): Promise<CallOutcome<unknown[]>> {
    return this.once(`activity ${project}`, () => this.activityPages(project));
  }

  private async activityPages(project: string): Promise<CallOutcome<unknown[]>> {
    const path = `v1/projects/${encodeURIComponent(project)}/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query`;
    const items: unknown[] = [];
    let token: string | undefined;
    do {
      const url = this.url(
        'policyanalyzer',
        `${path}?pageSize=1000${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
      );
      const outcome = await this.runner.call({
        api: 'policyanalyzer',
        method: 'GET',
        url,
        permission: 'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
        attempt: (signal) =>
          viaGaxios(
            this.credentials.client.request<Record<string, unknown>>({
              url,
              method: 'GET',
              retry: false,
              signal,
              headers: { ...this.credentials.headers },
            }),
          ),
      });
      if (!outcome.ok) return outcome;
      const data = outcome.value;
      if (Array.isArray(data.activities)) items.push(...(data.activities as unknown[]));
      token = typeof data.nextPageToken === 'string' && data.nextPageToken !== '' ? data.nextPageToken : undefined;
    } while (token !== undefined);
    return { ok: true, value: items };
  }

  /**
   * Log entries matching a filter, newest first, up to `maxEntries`: `complete` says whether every matching entry
   * was read (no page left). `permission` names what a refusal lacks: Admin Activity logs are read with
   * logging.logEntries.list, Data Access logs (private logs) need logging.privateLogEntries.list.
   */
  async logEntriesUpTo(
    resourceNames: readonly string[],
    filter: string,
    maxEntries: number,
    permission: 'logging.logEntries.list' | 'logging.privateLogEntries.list',
  ): Promise<CallOutcome<{ entries: unknown[]; complete: boolean }>> {
    const entries: unknown[] = [];
    let pageToken: string | undefined;
    do {
      const pageSize = Math.min(1000, maxEntries - entries.length);
      const current = pageToken;
      const outcome = await this.call('logging', 'POST', 'v2/entries:list', permission, (signal) =>
        this.log.entries.list(
          {
            requestBody: {
              resourceNames: [...resourceNames],
              filter,
              orderBy: 'timestamp desc',
              pageSize,
              ...(current ? { pageToken: current } : {}),
            },
          },
          this.opts('logging', signal),
        ),
      );
      if (!outcome.ok) return outcome;
      entries.push(...(outcome.value.entries ?? []));
      pageToken = outcome.value.nextPageToken ?? undefined;
    } while (pageToken !== undefined && pageToken !== '' && entries.length < maxEntries);
    return { ok: true, value: { entries, complete: pageToken === undefined || pageToken === '' } };
  }

  /** Recent IAM Credentials audit entries of a project, newest first (one page). */
  async logEntries(project: string, filter: string, pageSize: number): Promise<CallOutcome<unknown[]>> {
    const outcome = await this.call('logging', 'POST', 'v2/entries:list', 'logging.privateLogEntries.list', (signal) =>
      this.log.entries.list(
        { requestBody: { resourceNames: [`projects/${project}`], filter, orderBy: 'timestamp desc', pageSize } },
        this.opts('logging', signal),
      ),
    );
    return outcome.ok ? { ok: true, value: outcome.value.entries ?? [] } : outcome;
  }
}
