// The resource verbs of the sandbox's Kubernetes API: list (with selectors, paging, Tables and watch), get,
// create, update, patch (merge, strategic, JSON, server-side apply), delete and deletecollection, the
// scale and status subresources. Status-shaped errors throughout, worded as the API server words them;
// admission (namespaces, service accounts) and validation before anything is stored; the controllers run
// after every write.

import type { KObject, Pod } from '../../model/k8s/types.js';
import { kubeNotFound, kubeStatus } from '../http/errors.js';
import type { SandboxRequest, SandboxResponse } from '../http/router.js';
import { applyPatch, ApplyConflict } from './apply.js';
import { acceptsJson, decodeObjectBody, mediaType, notAcceptable, rawBody, warningHeader } from './body.js';
import {
  killPod,
  reconcileOwnerOf,
  reconcileWorkload,
  retryPendingCreates,
  serviceAccountError,
  startPod,
  POD_START_MS,
} from './controllers.js';
import { asEventsV1, recordEvent } from './events.js';
import { decodeTyped, parseGoJson } from './gojson.js';
import { arr, at, isObject, num, obj, str, type JsonObject } from './json.js';
import { fieldManagerOf, kubeTime, recordWrite } from './managed-fields.js';
import { buildPodSpec, defaultWorkload, namespaceDefaults, type ClusterKube } from './objects.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { kindMessage } from './proto/schema.js';
import { apiVersionOf, qualifiedName, RESOURCES, type ResourceDef } from './resources.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import { parseGoDuration, watchResponse } from './watch.js';
import { invalidStatus, validateObject } from './validation.js';

/** Kinds the API server keeps metadata.generation for (bumped when the spec changes). */
const GENERATION = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'NetworkPolicy']);
const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

const json = (o: KObject): JsonObject => o as unknown as JsonObject;
const asK = (o: JsonObject): KObject => o as unknown as KObject;

interface Continue {
  offset: number;
}

export class KubeApi {
  constructor(private readonly c: ClusterKube) {}

  private get store() {
    return this.c.store;
  }

  // ---------- reading ----------

  private filters(
    req: SandboxRequest,
  ): { ok: true; match: (o: KObject) => boolean } | { ok: false; response: SandboxResponse } {
    try {
      const ls = req.query.get('labelSelector');
      const fs = req.query.get('fieldSelector');
      const labels = ls ? parseLabelSelector(ls) : [];
      const fields = fs ? parseFieldSelector(fs) : [];
      return { ok: true, match: (o) => matchesLabels(o.metadata.labels, labels) && fields.every((p) => p(o)) };
    } catch (e) {
      if (e instanceof SelectorError) return { ok: false, response: kubeStatus(400, 'BadRequest', e.message) };
      throw e;
    }
  }

  private render(def: ResourceDef, o: KObject): KObject {
    return def.group === 'events.k8s.io' ? asK(asEventsV1(json(o))) : o;
  }

  private include(req: SandboxRequest): IncludeObject {
    const v = req.query.get('includeObject');
    return v === 'None' || v === 'Object' ? v : 'PartialObjectMetadata';
  }

  list =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const ns = def.namespaced ? req.params.ns : undefined;
      const f = this.filters(req);
      if (!f.ok) return f.response;
      const table = wantsTable(req.headers.accept);
      if (req.query.get('watch') === 'true' || req.query.get('watch') === '1') {
        const timeout = req.query.get('timeoutSeconds');
        const timeoutMs = timeout !== null ? Number(timeout) * 1000 : parseGoDuration(req.query.get('timeout'));
        return watchResponse(this.store, {
          resource: def.name === 'events' ? 'events' : def.name,
          namespace: ns,
          matches: (o) => (ns === undefined || o.metadata.namespace === ns) && f.match(o),
          render: (o, first) =>
            table
              ? {
                  ...toTable(def.kind, [this.render(def, o)], { now: this.c.now(), include: this.include(req) }),
                  ...(first ? {} : {}),
                }
              : this.render(def, o),
          resourceVersion: req.query.get('resourceVersion'),
          timeoutMs: timeoutMs !== undefined && Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : undefined,
          bookmarks: req.query.get('allowWatchBookmarks') === 'true',
        });
      }
      const stored = def.name === 'leases' && (ns === undefined || ns === 'kube-node-lease') ? this.nodeLeases() : [];
      const items = [...stored, ...this.store.list<KObject>(def.name, ns)].filter(f.match);
      const limit = Number(req.query.get('limit') ?? 0) || 0;
      let offset = 0;
      const cont = req.query.get('continue');
      if (cont) {
        try {
          offset = (JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as Continue).offset;
          if (typeof offset !== 'number') throw new Error('offset');
        } catch {
          return kubeStatus(400, 'BadRequest', 'continue key is not valid: illegal base64 data at input byte 0');
        }
      }
      const page = (limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset)).map((o) =>
        this.render(def, o),
      );
      const metadata: JsonObject = { resourceVersion: this.store.resourceVersion };
      if (limit > 0 && offset + limit < items.length) {
        metadata.continue = Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url');
        metadata.remainingItemCount = items.length - offset - limit;
      }
      if (table)
        return {
          status: 200,
          json: toTable(def.kind, page, { now: this.c.now(), include: this.include(req), listMeta: metadata }),
        };
      return { status: 200, json: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items: page } };
    };

  private find(def: ResourceDef, req: SandboxRequest): KObject | undefined {
    if (def.name === 'leases' && req.params.ns === 'kube-node-lease')
      return this.nodeLeases().find((l) => l.metadata.name === req.params.name);
    return this.store.get(def.name, def.namespaced ? req.params.ns : undefined, req.params.name ?? '');
  }

  /** The kubelet's heartbeat: one Lease per node in kube-node-lease, renewed a moment ago. */
  private nodeLeases(): KObject[] {
    const renew = new Date(this.c.now() - 4000).toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
    return this.store.list<KObject>('nodes').map((n) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: n.metadata.name,
        namespace: 'kube-node-lease',
        uid: n.metadata.uid,
        resourceVersion: this.store.resourceVersion,
        creationTimestamp: n.metadata.creationTimestamp,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.metadata.name, uid: n.metadata.uid }],
      },
      ...{ spec: { holderIdentity: n.metadata.name, leaseDurationSeconds: 40, renewTime: renew } },
    }));
  }

  private notFound(def: ResourceDef, name: string): SandboxResponse {
    return kubeNotFound(def.name, name, def.group);
  }

  get =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const o = this.find(def, req);
      if (!o) return this.notFound(def, req.params.name ?? '');
      const out = this.render(def, o);
      if (wantsTable(req.headers.accept))
        return {
          status: 200,
          json: toTable(def.kind, [out], {
            now: this.c.now(),
            include: this.include(req),
            listMeta: { resourceVersion: o.metadata.resourceVersion },
          }),
        };
      return { status: 200, json: out };
    };

  // ---------- writing ----------

  private write(req: SandboxRequest, def: ResourceDef, operation: 'Update' | 'Apply' = 'Update') {
    return {
      manager: fieldManagerOf(req.query, req.headers['user-agent']),
      operation,
      time: kubeTime(this.c.now()),
      apiVersion: apiVersionOf(def),
    };
  }

  private dryRun(req: SandboxRequest): boolean {
    return req.query.getAll('dryRun').includes('All');
  }

  /** Admission before a create: the namespace exists and is not going away; pods name existing service accounts. */
  private admit(def: ResourceDef, o: JsonObject, ns: string | undefined, name: string): SandboxResponse | undefined {
    if (ns !== undefined) {
      const nsObj = this.store.get('namespaces', undefined, ns);
      if (!nsObj) return kubeNotFound('namespaces', ns);
      if (str(at(nsObj, 'status', 'phase')) === 'Terminating')
        return kubeStatus(
          403,
          'Forbidden',
          `${qualifiedName(def)} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          {
            name,
            group: def.group || undefined,
            kind: def.name,
            causes: [
              {
                reason: 'NamespaceTerminating',
                message: `namespace ${ns} is being terminated`,
                field: 'metadata.namespace',
              },
            ],
          },
        );
    }
    if (def.kind === 'Pod') {
      const error = serviceAccountError(this.c, ns ?? 'default', obj(o.spec) as unknown as Pod['spec']);
      if (error !== undefined)
        return kubeStatus(403, 'Forbidden', `pods "${name}" is forbidden: ${error}`, { name, kind: 'pods' });
    }
    return undefined;
  }

  /** Fields the server owns: identity, times, generation; a create also clears status. */
  private prepareNew(def: ResourceDef, o: JsonObject, ns: string | undefined, name: string): void {
    o.apiVersion = apiVersionOf(def);
    o.kind = def.kind;
    const meta = obj(o.metadata);
    o.metadata = meta;
    meta.name = name;
    if (ns !== undefined) meta.namespace = ns;
    else delete meta.namespace;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'selfLink'])
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- fields only the server sets
      delete meta[k];
    delete meta.generateName;
    if (GENERATION.has(def.kind)) meta.generation = 1;
    if (def.kind === 'Namespace') {
      meta.labels = { ...obj(meta.labels), 'kubernetes.io/metadata.name': name };
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
    } else if (def.kind !== 'Event') delete o.status;
    if (WORKLOADS.has(def.kind)) defaultWorkload(def.kind, o);
    if (def.kind === 'Service') {
      const spec = obj(o.spec);
      o.spec = spec;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) {
        spec.clusterIP = `34.118.${224 + Math.floor(this.c.prng.next() * 15)}.${Math.floor(this.c.prng.next() * 250) + 2}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      for (const p of arr(spec.ports).map(obj)) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      o.status = { loadBalancer: {} };
    }
    if (def.kind === 'Secret') o.type ??= 'Opaque';
  }

  /** After a write: controllers, pods starting, namespaces filled, refused pods retried. */
  private afterWrite(def: ResourceDef, o: KObject, created: boolean, templateChanged: boolean): void {
    if (WORKLOADS.has(def.kind) && (created || templateChanged)) reconcileWorkload(this.c, o);
    if (def.kind === 'Namespace' && created) namespaceDefaults(this.c, o.metadata.name, kubeTime(this.c.now()));
    if (def.kind === 'ServiceAccount' && created) retryPendingCreates(this.c, o.metadata.namespace ?? 'default');
    if (def.kind === 'Pod' && created) {
      const pod = o as Pod;
      if (pod.spec.nodeName !== undefined) {
        recordEvent(this.c, pod, {
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name} to ${pod.spec.nodeName}`,
          component: 'default-scheduler',
        });
        this.c.timers.after(POD_START_MS, () => startPod(this.c, pod.metadata.namespace ?? '', pod.metadata.name));
      }
    }
  }

  private respond(status: number, o: unknown, warnings: string[]): SandboxResponse {
    return { status, json: o, headers: warningHeader(warnings) };
  }

  create =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const decoded = decodeObjectBody(req, def);
      if (!decoded.ok) return decoded.response;
      const o = decoded.obj;
      const ns = def.namespaced ? req.params.ns : undefined;
      const meta = obj(o.metadata);
      if (ns !== undefined && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns)
        return kubeStatus(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      let name = str(meta.name);
      if (name === '' && str(meta.generateName) !== '')
        name = `${str(meta.generateName)}${this.c.prng.chars(5, 'bcdfghjklmnpqrstvwxz2456789')}`;
      const errs = validateObject(def.kind, { ...o, metadata: { ...meta, name } });
      if (errs.length > 0) return invalidStatus(def, name, errs);
      const denied = this.admit(def, o, ns, name);
      if (denied) return denied;
      if (this.store.get(def.name, ns, name))
        return kubeStatus(409, 'AlreadyExists', `${qualifiedName(def)} "${name}" already exists`, {
          name,
          group: def.group || undefined,
          kind: def.name,
        });
      this.prepareNew(def, o, ns, name);
      if (def.kind === 'Pod') buildPodSpec(this.c, o);
      recordWrite(undefined, asK(o), this.write(req, def));
      if (this.dryRun(req)) return this.respond(201, o, decoded.warnings);
      if (def.kind === 'Pod') obj(o.metadata).creationTimestamp = kubeTime(this.c.now());
      const saved = this.store.put(def.name, asK(o));
      this.afterWrite(def, saved, true, false);
      return this.respond(201, this.store.get(def.name, ns, name) ?? saved, decoded.warnings);
    };

  /** Stores `next` over `current`: identity kept, generation bumped when the spec changed, controllers told. */
  private commit(
    req: SandboxRequest,
    def: ResourceDef,
    current: KObject,
    next: JsonObject,
    operation: 'Update' | 'Apply',
    warnings: string[],
    keepStatus = true,
  ): SandboxResponse {
    const ns = def.namespaced ? req.params.ns : undefined;
    const name = current.metadata.name;
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    const meta = obj(next.metadata);
    next.metadata = meta;
    const curMeta = json(current).metadata as JsonObject;
    meta.name = name;
    if (ns !== undefined) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = curMeta.uid;
    meta.creationTimestamp = curMeta.creationTimestamp;
    if (curMeta.deletionTimestamp !== undefined) meta.deletionTimestamp = curMeta.deletionTimestamp;
    if (curMeta.ownerReferences !== undefined && meta.ownerReferences === undefined && operation === 'Apply')
      meta.ownerReferences = curMeta.ownerReferences;
    if (keepStatus) {
      if (json(current).status !== undefined) next.status = json(current).status;
      else delete next.status;
    }
    if (def.kind === 'Pod') {
      // A pod's spec is immutable but for a few fields; the sandbox keeps the one it has.
      next.spec = json(current).spec;
    }
    const errs = validateObject(def.kind, next);
    if (errs.length > 0) return invalidStatus(def, name, errs);
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(json(current).spec);
    if (GENERATION.has(def.kind)) meta.generation = num(curMeta.generation) + (specChanged ? 1 : 0) || 1;
    const templateBefore = JSON.stringify(at(current, 'spec', 'template') ?? at(current, 'spec', 'jobTemplate'));
    const templateAfter = JSON.stringify(at(next, 'spec', 'template') ?? at(next, 'spec', 'jobTemplate'));
    const replicasChanged = at(current, 'spec', 'replicas') !== at(next, 'spec', 'replicas');
    if (WORKLOADS.has(def.kind)) defaultWorkload(def.kind, next);
    // An apply has written its own managedFields (apply.ts); other writes are recorded here.
    if (operation === 'Update') recordWrite(current, asK(next), this.write(req, def, operation));
    if (this.dryRun(req)) return this.respond(200, next, warnings);
    const unchanged = JSON.stringify(next) === JSON.stringify(json(current));
    const saved = unchanged ? current : this.store.put(def.name, asK(next));
    if (!unchanged) this.afterWrite(def, saved, false, templateBefore !== templateAfter || replicasChanged);
    return this.respond(200, this.store.get(def.name, ns, name) ?? saved, warnings);
  }

  update =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const current = this.find(def, req);
      const decoded = decodeObjectBody(req, def);
      if (!decoded.ok) return decoded.response;
      const o = decoded.obj;
      const name = req.params.name ?? '';
      const bodyName = str(at(o, 'metadata', 'name'));
      if (bodyName !== '' && bodyName !== name)
        return kubeStatus(
          400,
          'BadRequest',
          `the name of the object (${bodyName}) does not match the name on the URL (${name})`,
        );
      if (!current) return this.notFound(def, name);
      const rv = str(at(o, 'metadata', 'resourceVersion'));
      if (rv !== '' && rv !== current.metadata.resourceVersion)
        return kubeStatus(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${qualifiedName(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          {
            name,
            group: def.group || undefined,
            kind: def.name,
          },
        );
      return this.commit(req, def, current, o, 'Update', decoded.warnings);
    };

  patch =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const type = mediaType(req);
      const current = this.find(def, req);
      const name = req.params.name ?? '';
      if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor')
        return this.apply(def, req, current);
      if (!current) return this.notFound(def, name);
      const parsed = parseGoJson(req.body.toString('utf8'));
      if (!parsed.ok) return kubeStatus(400, 'BadRequest', `error decoding patch: ${parsed.error}`);
      const msg = kindMessage(def.group, def.version, def.kind);
      let next: unknown;
      try {
        if (type === 'application/merge-patch+json') next = mergePatch(current, parsed.value);
        else if (type === 'application/strategic-merge-patch+json') {
          if (!isObject(parsed.value)) throw new PatchError('unable to find api field in struct for the patch');
          next = strategicMergePatch(current, parsed.value, msg);
        } else if (type === 'application/json-patch+json') next = jsonPatch(current, parsed.value);
        else
          return kubeStatus(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
          );
      } catch (e) {
        if (e instanceof PatchError)
          return kubeStatus(
            e.message.startsWith('json:') ? 400 : 422,
            e.message.startsWith('json:') ? 'BadRequest' : 'Invalid',
            e.message,
          );
        throw e;
      }
      if (!isObject(next)) return kubeStatus(422, 'Invalid', 'the patch does not produce an object');
      const warnings: string[] = [];
      if (msg) {
        const typed = decodeTyped(msg, next);
        if (typed.typeError !== undefined)
          return kubeStatus(
            422,
            'Invalid',
            ` "" is invalid: patch: Invalid value: "${goMap(parsed.value)}": ${typed.typeError}`,
            {
              causes: [
                {
                  reason: 'FieldValueInvalid',
                  message: `Invalid value: "${goMap(parsed.value)}": ${typed.typeError}`,
                  field: 'patch',
                },
              ],
            },
          );
        const validation = req.query.get('fieldValidation') ?? 'Warn';
        if (typed.unknown.length > 0 && validation === 'Strict')
          return kubeStatus(400, 'BadRequest', `strict decoding error: ${typed.unknown.join(', ')}`);
        if (validation !== 'Ignore') warnings.push(...typed.unknown);
        next = typed.value;
      }
      return this.commit(req, def, current, next as JsonObject, 'Update', warnings);
    };

  private apply(def: ResourceDef, req: SandboxRequest, current: KObject | undefined): SandboxResponse {
    const raw = rawBody(req, def.kind);
    if (!raw.ok) return raw.response;
    if (!isObject(raw.value))
      return kubeStatus(400, 'BadRequest', 'error decoding YAML: the applied configuration is not an object');
    const applied = raw.value;
    const msg = kindMessage(def.group, def.version, def.kind);
    const warnings: string[] = [];
    if (msg) {
      const typed = decodeTyped(msg, applied);
      if (typed.typeError !== undefined) return kubeStatus(400, 'BadRequest', typed.typeError);
      const validation = req.query.get('fieldValidation') ?? 'Warn';
      if (typed.unknown.length > 0 && validation === 'Strict') {
        const ns = def.namespaced ? `${req.params.ns ?? ''}/` : '';
        const field = typed.unknown[0]?.replace(/^unknown field "(.*)"$/, '$1') ?? '';
        return kubeStatus(
          400,
          'BadRequest',
          `failed to create typed patch object (${ns}${req.params.name ?? ''}; ${apiVersionOf(def)}, Kind=${def.kind}): .${field}: field not declared in schema`,
        );
      }
      warnings.push(...typed.unknown);
    }
    const manager = req.query.get('fieldManager') ?? '';
    if (manager === '')
      return kubeStatus(
        422,
        'Invalid',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    const force = req.query.get('force') === 'true';
    const name = req.params.name ?? '';
    if (!current) {
      const ns = def.namespaced ? req.params.ns : undefined;
      const o = structuredClone(applied);
      const errs = validateObject(def.kind, { ...o, metadata: { ...obj(o.metadata), name } });
      if (errs.length > 0) return invalidStatus(def, name, errs);
      const denied = this.admit(def, o, ns, name);
      if (denied) return denied;
      this.prepareNew(def, o, ns, name);
      if (def.kind === 'Pod') buildPodSpec(this.c, o);
      const created = applyPatch(undefined, o, applied, {
        manager,
        force,
        apiVersion: apiVersionOf(def),
        time: kubeTime(this.c.now()),
        message: msg,
      });
      if (this.dryRun(req)) return this.respond(201, created, warnings);
      const saved = this.store.put(def.name, asK(created));
      this.afterWrite(def, saved, true, false);
      return this.respond(201, this.store.get(def.name, ns, name) ?? saved, warnings);
    }
    let next: JsonObject;
    try {
      next = applyPatch(current, structuredClone(json(current)), applied, {
        manager,
        force,
        apiVersion: apiVersionOf(def),
        time: kubeTime(this.c.now()),
        message: msg,
      });
    } catch (e) {
      if (e instanceof ApplyConflict) return e.response();
      throw e;
    }
    return this.commit(req, def, current, next, 'Apply', warnings);
  }

  delete =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      if (!acceptsJson(req)) return notAcceptable();
      const current = this.find(def, req);
      const name = req.params.name ?? '';
      if (!current) return this.notFound(def, name);
      let options: JsonObject = {};
      if (req.body.length > 0) {
        const parsed = parseGoJson(req.body.toString('utf8'));
        if (!parsed.ok)
          return kubeStatus(
            400,
            'BadRequest',
            `the object provided is unrecognized (must be of type DeleteOptions): couldn't get version/kind; json parse error: ${parsed.error}`,
          );
        options = obj(parsed.value);
      }
      const uidPrecondition = str(at(options, 'preconditions', 'uid'));
      if (uidPrecondition !== '' && uidPrecondition !== current.metadata.uid)
        return kubeStatus(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${qualifiedName(def)} "${name}": Precondition failed: UID in precondition: ${uidPrecondition}, UID in object meta: ${current.metadata.uid ?? ''}`,
        );
      const dry = this.dryRun(req) || arr(options.dryRun).includes('All');
      const propagation =
        str(options.propagationPolicy) || (options.orphanDependents === true ? 'Orphan' : 'Background');
      if (dry) return { status: 200, json: current };
      if (def.kind === 'Namespace') return this.deleteNamespace(current);
      if (def.kind === 'Pod') {
        killPod(this.c, current as Pod);
        reconcileOwnerOf(this.c, current);
        return {
          status: 200,
          json: {
            ...json(current),
            metadata: {
              ...obj(json(current).metadata),
              deletionTimestamp: kubeTime(this.c.now()),
              deletionGracePeriodSeconds: 30,
            },
          },
        };
      }
      this.store.delete(def.name, current.metadata.namespace, current.metadata.name);
      if (propagation !== 'Orphan') this.collectGarbage(current);
      if (def.kind === 'ReplicaSet') reconcileOwnerOf(this.c, current);
      return {
        status: 200,
        json: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: def.group || undefined, kind: def.name, uid: current.metadata.uid },
        },
      };
    };

  /** The garbage collector: dependents of a deleted owner go too (ReplicaSets, then their pods). */
  private collectGarbage(owner: KObject): void {
    for (const def of RESOURCES) {
      if (def.virtual || !def.namespaced) continue;
      for (const o of this.store.list<KObject>(def.name, owner.metadata.namespace)) {
        if (!(o.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid)) continue;
        if (def.kind === 'Pod') killPod(this.c, o as Pod);
        else this.store.delete(def.name, o.metadata.namespace, o.metadata.name);
        this.collectGarbage(o);
      }
    }
  }

  /** A namespace goes Terminating, its contents are removed, then it is gone. */
  private deleteNamespace(ns: KObject): SandboxResponse {
    const name = ns.metadata.name;
    const o = json(ns);
    obj(o.metadata).deletionTimestamp = kubeTime(this.c.now());
    o.status = { ...obj(o.status), phase: 'Terminating' };
    this.store.put('namespaces', ns);
    this.c.timers.after(200, () => {
      for (const def of RESOURCES) {
        if (def.virtual || !def.namespaced || def.group === 'events.k8s.io') continue;
        for (const x of this.store.list<KObject>(def.name, name)) this.store.delete(def.name, name, x.metadata.name);
      }
      this.store.delete('namespaces', undefined, name);
    });
    return { status: 200, json: ns };
  }

  deleteCollection =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const ns = def.namespaced ? req.params.ns : undefined;
      const f = this.filters(req);
      if (!f.ok) return f.response;
      const items = this.store.list<KObject>(def.name, ns).filter(f.match);
      if (!this.dryRun(req))
        for (const o of items) {
          if (def.kind === 'Pod') killPod(this.c, o as Pod);
          else this.store.delete(def.name, o.metadata.namespace, o.metadata.name);
          this.collectGarbage(o);
        }
      return { status: 200, json: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: {}, items } };
    };

  // ---------- subresources ----------

  private scaleOf(def: ResourceDef, o: KObject): JsonObject {
    const sel = obj(at(o, 'spec', 'selector'));
    const labels = Object.entries(obj(sel.matchLabels)).map(([k, v]) => `${k}=${str(v)}`);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: num(at(o, 'spec', 'replicas')) },
      status: { replicas: num(at(o, 'status', 'replicas')), selector: labels.join(',') },
    };
  }

  getScale =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const o = this.find(def, req);
      return o ? { status: 200, json: this.scaleOf(def, o) } : this.notFound(def, req.params.name ?? '');
    };

  setScale =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const o = this.find(def, req);
      const name = req.params.name ?? '';
      if (!o) return this.notFound(def, name);
      const scaleDef = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
      let replicas: unknown;
      if (req.method === 'PUT') {
        const decoded = decodeObjectBody(req, scaleDef);
        if (!decoded.ok) return decoded.response;
        replicas = at(decoded.obj, 'spec', 'replicas');
      } else {
        const parsed = parseGoJson(req.body.toString('utf8'));
        if (!parsed.ok) return kubeStatus(400, 'BadRequest', `error decoding patch: ${parsed.error}`);
        const type = mediaType(req);
        const patched =
          type === 'application/json-patch+json'
            ? jsonPatch(this.scaleOf(def, o), parsed.value)
            : mergePatch(this.scaleOf(def, o), parsed.value);
        replicas = at(patched, 'spec', 'replicas');
      }
      if (typeof replicas !== 'number' || !Number.isInteger(replicas))
        return kubeStatus(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be an integer`,
        );
      if (replicas < 0)
        return kubeStatus(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
        );
      const next = structuredClone(json(o));
      obj(next.spec).replicas = replicas;
      const res = this.commit(req, def, o, next, 'Update', []);
      if (res.status !== 200) return res;
      const saved = this.find(def, req);
      return { status: 200, json: saved ? this.scaleOf(def, saved) : {} };
    };

  getStatus =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const o = this.find(def, req);
      return o ? { status: 200, json: o } : this.notFound(def, req.params.name ?? '');
    };

  patchStatus =
    (def: ResourceDef) =>
    (req: SandboxRequest): SandboxResponse => {
      const o = this.find(def, req);
      const name = req.params.name ?? '';
      if (!o) return this.notFound(def, name);
      const parsed = parseGoJson(req.body.toString('utf8'));
      if (!parsed.ok) return kubeStatus(400, 'BadRequest', `error decoding patch: ${parsed.error}`);
      const patched = obj(mergePatch(json(o), parsed.value));
      const next = structuredClone(json(o));
      next.status = patched.status;
      return this.commit(req, def, o, next, 'Update', [], false);
    };
}

/** Go's `%+v` of a decoded JSON value (`map[spec:map[replicas:two]]`), as patch errors quote it. */
export function goMap(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goMap).join(' ')}]`;
  if (isObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goMap(v[k])}`)
      .join(' ')}]`;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}
