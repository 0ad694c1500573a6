// Google Cloud reads and writes for fixes, through the same @googleapis/* clients and CallRunner the collector
// uses (Cloud Storage through the auth client's own request, as the collector does). API shapes relied on are
// listed in docs/fix.md.

import { cloudresourcemanager } from '@googleapis/cloudresourcemanager';
import { container } from '@googleapis/container';
import { iam } from '@googleapis/iam';
import { serviceusage } from '@googleapis/serviceusage';
import type { CallOutcome } from '../../collect/live/calls.js';
import type { GoogleApiName } from '../../collect/live/endpoints.js';
import type { ClusterRef } from '../../model/facts.js';
import type { Policy, ServiceAccount } from '../../model/gcp.js';
import type { IamResource } from '../render/targets.js';
import { projectOfEmail } from '../render/targets.js';
import type { WriteContext } from './context.js';
import { asHttp } from './context.js';

const POLICY_V3 = { options: { requestedPolicyVersion: 3 } };

export interface Operation {
  name?: string | null;
  done?: boolean | null;
  status?: string | null;
  error?: { message?: string | null } | null;
}

/** How long a GKE or Service Usage operation may run before apply stops waiting (and says so). */
export const OPERATION_TIMEOUT_MS = 30 * 60 * 1000;

export class GoogleWriter {
  private readonly crm;
  private readonly crm3;
  private readonly gke;
  private readonly iamApi;
  private readonly usage;
  /** Test seam: how long to wait between operation polls. */
  pollDelayMs = (attempt: number): number => Math.min(10_000, 1000 * 2 ** attempt);

  constructor(private readonly ctx: WriteContext) {
    const auth = ctx.credentials.client;
    this.crm = cloudresourcemanager({ version: 'v1', auth });
    this.crm3 = cloudresourcemanager({ version: 'v3', auth });
    this.gke = container({ version: 'v1', auth });
    this.iamApi = iam({ version: 'v1', auth });
    this.usage = serviceusage({ version: 'v1', auth });
  }

  private opts(api: GoogleApiName, signal: AbortSignal) {
    return { rootUrl: this.ctx.endpoints[api], retry: false, signal, headers: { ...this.ctx.credentials.headers } };
  }

  private call<T>(
    api: GoogleApiName,
    method: string,
    path: string,
    permission: string,
    attempt: (signal: AbortSignal) => Promise<{ data: T }>,
  ): Promise<CallOutcome<T>> {
    return this.ctx.runner.call({
      api,
      method,
      url: `${this.ctx.endpoints[api]}${path}`,
      permission,
      attempt: async (signal) => (await asHttp(attempt(signal))).data,
    });
  }

  private accountName(email: string): string {
    return `projects/${projectOfEmail(email) ?? '-'}/serviceAccounts/${email}`;
  }

  // ---- IAM policies: read with requestedPolicyVersion 3, write back what was read with one change.

  getPolicy(resource: IamResource): Promise<CallOutcome<Policy>> {
    switch (resource.type) {
      case 'serviceAccount': {
        const name = this.accountName(resource.email);
        return this.call('iam', 'POST', `v1/${name}:getIamPolicy`, 'iam.serviceAccounts.getIamPolicy', (signal) =>
          this.iamApi.projects.serviceAccounts.getIamPolicy(
            { resource: name, 'options.requestedPolicyVersion': 3 },
            this.opts('iam', signal),
          ),
        ) as Promise<CallOutcome<Policy>>;
      }
      case 'project':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v1/projects/${resource.project}:getIamPolicy`,
          'resourcemanager.projects.getIamPolicy',
          (signal) =>
            this.crm.projects.getIamPolicy(
              { resource: resource.project, requestBody: POLICY_V3 },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'folder':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v3/folders/${resource.id}:getIamPolicy`,
          'resourcemanager.folders.getIamPolicy',
          (signal) =>
            this.crm3.folders.getIamPolicy(
              { resource: `folders/${resource.id}`, requestBody: POLICY_V3 },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'organization':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v1/organizations/${resource.id}:getIamPolicy`,
          'resourcemanager.organizations.getIamPolicy',
          (signal) =>
            this.crm.organizations.getIamPolicy(
              { resource: `organizations/${resource.id}`, requestBody: POLICY_V3 },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'bucket':
        return this.storage<Policy>(
          'GET',
          `storage/v1/b/${encodeURIComponent(resource.bucket)}/iam?optionsRequestedPolicyVersion=3`,
          'storage.buckets.getIamPolicy',
        );
      case 'other':
        return Promise.resolve({
          ok: false,
          kind: 'error',
          status: undefined,
          message: `wi-doctor writes no policy of ${resource.fullName}`,
        });
    }
  }

  /**
   * setIamPolicy with the etag that was read: a concurrent change makes it fail 409 ABORTED. `updateMask`
   * (projects, folders, organizations) names the fields written; without it IAM writes bindings and etag only,
   * so an auditConfigs change needs `auditConfigs` in it.
   */
  setPolicy(resource: IamResource, policy: Policy, updateMask?: string): Promise<CallOutcome<Policy>> {
    const requestBody = updateMask === undefined ? { policy } : { policy, updateMask };
    switch (resource.type) {
      case 'serviceAccount': {
        const name = this.accountName(resource.email);
        return this.call('iam', 'POST', `v1/${name}:setIamPolicy`, 'iam.serviceAccounts.setIamPolicy', (signal) =>
          this.iamApi.projects.serviceAccounts.setIamPolicy({ resource: name, requestBody }, this.opts('iam', signal)),
        ) as Promise<CallOutcome<Policy>>;
      }
      case 'project':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v1/projects/${resource.project}:setIamPolicy`,
          'resourcemanager.projects.setIamPolicy',
          (signal) =>
            this.crm.projects.setIamPolicy(
              { resource: resource.project, requestBody },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'folder':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v3/folders/${resource.id}:setIamPolicy`,
          'resourcemanager.folders.setIamPolicy',
          (signal) =>
            this.crm3.folders.setIamPolicy(
              { resource: `folders/${resource.id}`, requestBody },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'organization':
        return this.call(
          'cloudresourcemanager',
          'POST',
          `v1/organizations/${resource.id}:setIamPolicy`,
          'resourcemanager.organizations.setIamPolicy',
          (signal) =>
            this.crm.organizations.setIamPolicy(
              { resource: `organizations/${resource.id}`, requestBody },
              this.opts('cloudresourcemanager', signal),
            ),
        ) as Promise<CallOutcome<Policy>>;
      case 'bucket':
        // The JSON API takes the policy itself as the body (with its etag).
        return this.storage<Policy>(
          'PUT',
          `storage/v1/b/${encodeURIComponent(resource.bucket)}/iam`,
          'storage.buckets.setIamPolicy',
          policy,
        );
      case 'other':
        return this.getPolicy(resource);
    }
  }

  private storage<T>(method: 'GET' | 'PUT', path: string, permission: string, data?: unknown): Promise<CallOutcome<T>> {
    const url = `${this.ctx.endpoints.storage}${path}`;
    return this.ctx.runner.call({
      api: 'storage',
      method,
      url,
      permission,
      attempt: async (signal) =>
        (
          await asHttp(
            this.ctx.credentials.client.request<T>({
              url,
              method,
              retry: false,
              signal,
              headers: { ...this.ctx.credentials.headers },
              ...(data !== undefined ? { data } : {}),
            }),
          )
        ).data,
    });
  }

  // ---- Service Usage.

  serviceState(project: string, service: string): Promise<CallOutcome<{ state?: string | null }>> {
    const name = `projects/${project}/services/${service}`;
    return this.call('serviceusage', 'GET', `v1/${name}`, 'serviceusage.services.get', (signal) =>
      this.usage.services.get({ name }, this.opts('serviceusage', signal)),
    );
  }

  async enableService(project: string, service: string): Promise<CallOutcome<Operation>> {
    const name = `projects/${project}/services/${service}`;
    const started = await this.call(
      'serviceusage',
      'POST',
      `v1/${name}:enable`,
      'serviceusage.services.enable',
      (signal) => this.usage.services.enable({ name, requestBody: {} }, this.opts('serviceusage', signal)),
    );
    if (!started.ok) return started;
    return this.waitFor(
      started.value,
      (op) => op.done === true,
      (opName) =>
        this.call('serviceusage', 'GET', `v1/${opName}`, 'serviceusage.services.enable', (signal) =>
          this.usage.operations.get({ name: opName }, this.opts('serviceusage', signal)),
        ),
    );
  }

  // ---- Service accounts.

  serviceAccount(email: string): Promise<CallOutcome<ServiceAccount>> {
    const name = this.accountName(email);
    return this.call('iam', 'GET', `v1/${name}`, 'iam.serviceAccounts.get', (signal) =>
      this.iamApi.projects.serviceAccounts.get({ name }, this.opts('iam', signal)),
    ) as Promise<CallOutcome<ServiceAccount>>;
  }

  createServiceAccount(project: string, accountId: string, displayName?: string): Promise<CallOutcome<ServiceAccount>> {
    const name = `projects/${project}`;
    return this.call('iam', 'POST', `v1/${name}/serviceAccounts`, 'iam.serviceAccounts.create', (signal) =>
      this.iamApi.projects.serviceAccounts.create(
        { name, requestBody: { accountId, ...(displayName ? { serviceAccount: { displayName } } : {}) } },
        this.opts('iam', signal),
      ),
    ) as Promise<CallOutcome<ServiceAccount>>;
  }

  setServiceAccountEnabled(email: string, enabled: boolean): Promise<CallOutcome<unknown>> {
    const name = this.accountName(email);
    const verb = enabled ? 'enable' : 'disable';
    return this.call('iam', 'POST', `v1/${name}:${verb}`, `iam.serviceAccounts.${verb}`, (signal) =>
      enabled
        ? this.iamApi.projects.serviceAccounts.enable({ name, requestBody: {} }, this.opts('iam', signal))
        : this.iamApi.projects.serviceAccounts.disable({ name, requestBody: {} }, this.opts('iam', signal)),
    );
  }

  deleteServiceAccount(email: string): Promise<CallOutcome<unknown>> {
    const name = this.accountName(email);
    return this.call('iam', 'DELETE', `v1/${name}`, 'iam.serviceAccounts.delete', (signal) =>
      this.iamApi.projects.serviceAccounts.delete({ name }, this.opts('iam', signal)),
    );
  }

  /** One key of an account; 404 once it is deleted. */
  serviceAccountKey(
    email: string,
    keyId: string,
  ): Promise<CallOutcome<{ name?: string | null; keyType?: string | null }>> {
    const name = `${this.accountName(email)}/keys/${keyId}`;
    return this.call('iam', 'GET', `v1/${name}`, 'iam.serviceAccountKeys.get', (signal) =>
      this.iamApi.projects.serviceAccounts.keys.get({ name }, this.opts('iam', signal)),
    );
  }

  deleteServiceAccountKey(email: string, keyId: string): Promise<CallOutcome<unknown>> {
    const name = `${this.accountName(email)}/keys/${keyId}`;
    return this.call('iam', 'DELETE', `v1/${name}`, 'iam.serviceAccountKeys.delete', (signal) =>
      this.iamApi.projects.serviceAccounts.keys.delete({ name }, this.opts('iam', signal)),
    );
  }

  /** A deleted account is named by its unique id: its email no longer resolves. */
  undeleteServiceAccount(uniqueId: string): Promise<CallOutcome<unknown>> {
    const name = `projects/-/serviceAccounts/${uniqueId}`;
    return this.call('iam', 'POST', `v1/${name}:undelete`, 'iam.serviceAccounts.undelete', (signal) =>
      this.iamApi.projects.serviceAccounts.undelete({ name, requestBody: {} }, this.opts('iam', signal)),
    );
  }

  // ---- GKE.

  cluster(ref: ClusterRef): Promise<CallOutcome<{ workloadIdentityConfig?: { workloadPool?: string | null } | null }>> {
    const name = `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}`;
    return this.call('container', 'GET', `v1/${name}`, 'container.clusters.get', (signal) =>
      this.gke.projects.locations.clusters.get({ name }, this.opts('container', signal)),
    );
  }

  async setWorkloadPool(ref: ClusterRef, workloadPool: string): Promise<CallOutcome<Operation>> {
    const name = `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}`;
    const started = await this.call('container', 'PUT', `v1/${name}`, 'container.clusters.update', (signal) =>
      this.gke.projects.locations.clusters.update(
        { name, requestBody: { update: { desiredWorkloadIdentityConfig: { workloadPool } } } },
        this.opts('container', signal),
      ),
    );
    return started.ok ? this.waitForGke(ref, started.value) : started;
  }

  nodePool(
    ref: ClusterRef,
    pool: string,
  ): Promise<CallOutcome<{ config?: { workloadMetadataConfig?: { mode?: string | null } | null } | null }>> {
    const name = `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}/nodePools/${pool}`;
    return this.call('container', 'GET', `v1/${name}`, 'container.clusters.get', (signal) =>
      this.gke.projects.locations.clusters.nodePools.get({ name }, this.opts('container', signal)),
    );
  }

  async setNodePoolMode(ref: ClusterRef, pool: string, mode: string): Promise<CallOutcome<Operation>> {
    const name = `projects/${ref.project}/locations/${ref.location}/clusters/${ref.name}/nodePools/${pool}`;
    const started = await this.call('container', 'PUT', `v1/${name}`, 'container.clusters.update', (signal) =>
      this.gke.projects.locations.clusters.nodePools.update(
        { name, requestBody: { workloadMetadataConfig: { mode } } },
        this.opts('container', signal),
      ),
    );
    return started.ok ? this.waitForGke(ref, started.value) : started;
  }

  private waitForGke(ref: ClusterRef, op: Operation): Promise<CallOutcome<Operation>> {
    return this.waitFor(
      op,
      (o) => o.status === 'DONE',
      (opName) => {
        const name = `projects/${ref.project}/locations/${ref.location}/operations/${opName.split('/').pop() ?? opName}`;
        return this.call('container', 'GET', `v1/${name}`, 'container.operations.get', (signal) =>
          this.gke.projects.locations.operations.get({ name }, this.opts('container', signal)),
        );
      },
    );
  }

  /** Poll a long-running operation until done, failed, or OPERATION_TIMEOUT_MS. */
  private async waitFor(
    first: Operation,
    isDone: (op: Operation) => boolean,
    get: (name: string) => Promise<CallOutcome<Operation>>,
  ): Promise<CallOutcome<Operation>> {
    let op = first;
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    for (let attempt = 0; !isDone(op); attempt++) {
      if (op.name === undefined || op.name === null || Date.now() > deadline) {
        return {
          ok: false,
          kind: 'error',
          status: undefined,
          message: `operation ${op.name ?? '(unnamed)'} not done after ${Math.round(OPERATION_TIMEOUT_MS / 60_000)} min; it may still complete`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollDelayMs(attempt)));
      const next = await get(op.name);
      if (!next.ok) return next;
      op = next.value;
    }
    const failure = op.error?.message;
    if (failure)
      return { ok: false, kind: 'error', status: undefined, message: `operation ${op.name ?? ''} failed: ${failure}` };
    return { ok: true, value: op };
  }
}
