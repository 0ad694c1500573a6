// PATCH bodies the API server accepts: JSON merge patch (RFC 7386), strategic merge patch and JSON patch
// (RFC 6902: add, replace, remove, test, move, copy).
// Strategic merge patch follows the type: a list with a patch merge key is merged item by item (containers
// and env by name, ports by containerPort, volumeMounts by mountPath, conditions by type…), a list of strings
// with the merge strategy (finalizers) is merged as a set, other lists are replaced; the directives kubectl
// sends are honoured ($patch: replace|delete|merge, $retainKeys, $deleteFromPrimitiveList/…,
// $setElementOrder/… for the order of merged lists).

import { isObject, type JsonObject } from './json.js';
import { message, type MessageDef } from './proto/schema.js';

export class PatchError extends Error {}

/**
 * The patch merge keys of the Kubernetes types (their `patchMergeKey` struct tags), by message and field;
 * `''` marks a list of scalars merged as a set.
 */
export const MERGE_KEYS: Record<string, string> = {
  'core.v1.PodSpec.containers': 'name',
  'core.v1.PodSpec.initContainers': 'name',
  'core.v1.PodSpec.ephemeralContainers': 'name',
  'core.v1.PodSpec.volumes': 'name',
  'core.v1.PodSpec.imagePullSecrets': 'name',
  'core.v1.PodSpec.hostAliases': 'ip',
  'core.v1.PodSpec.topologySpreadConstraints': 'topologyKey',
  'core.v1.PodSpec.resourceClaims': 'name',
  'core.v1.PodSpec.schedulingGates': 'name',
  'core.v1.Container.env': 'name',
  'core.v1.Container.ports': 'containerPort',
  'core.v1.Container.volumeMounts': 'mountPath',
  'core.v1.Container.volumeDevices': 'devicePath',
  'core.v1.EphemeralContainerCommon.env': 'name',
  'core.v1.EphemeralContainerCommon.volumeMounts': 'mountPath',
  'core.v1.EphemeralContainerCommon.volumeDevices': 'devicePath',
  'core.v1.ResourceRequirements.claims': 'name',
  'core.v1.ServiceAccount.secrets': 'name',
  'core.v1.ServiceSpec.ports': 'port',
  'core.v1.PodStatus.conditions': 'type',
  'core.v1.NodeStatus.conditions': 'type',
  'core.v1.NodeStatus.addresses': 'type',
  'core.v1.NamespaceStatus.conditions': 'type',
  'apps.v1.DeploymentStatus.conditions': 'type',
  'apps.v1.ReplicaSetStatus.conditions': 'type',
  'apps.v1.DaemonSetStatus.conditions': 'type',
  'apps.v1.StatefulSetStatus.conditions': 'type',
  'meta.v1.ObjectMeta.ownerReferences': 'uid',
  'meta.v1.ObjectMeta.finalizers': '',
};

export function mergeKeyOf(def: MessageDef | undefined, field: string): string | undefined {
  const f = def?.byJson.get(field);
  return f ? MERGE_KEYS[`${f.owner}.${f.json}`] : undefined;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a merge patch deletes the keys it sets to null
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const DELETE = Symbol('delete');

function fieldMessage(def: MessageDef | undefined, key: string): MessageDef | undefined {
  const f = def?.byJson.get(key);
  return f && 'message' in f.type ? message(f.type.message) : undefined;
}

/** Strategic merge patch of `patch` onto `target`, whose type is `def` (undefined: merge as plain JSON). */
export function strategicMergePatch(target: unknown, patch: unknown, def: MessageDef | undefined): unknown {
  const r = smpObject(target, patch, def);
  return r === DELETE ? {} : r;
}

function smpObject(target: unknown, patch: unknown, def: MessageDef | undefined): unknown {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(patch)) if (!k.startsWith('$')) out[k] = clone(v);
    return out;
  }
  if (directive !== undefined && directive !== 'merge')
    throw new PatchError(`Unknown patch type: ${JSON.stringify(directive)}`);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const orders: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders[k.slice('$setElementOrder/'.length)] = Array.isArray(v) ? v : [];
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const remove = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !remove.has(JSON.stringify(x)));
      continue;
    }
    if (k.startsWith('$')) continue;
    if (v === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- null deletes the field
      delete out[k];
      continue;
    }
    const f = def?.byJson.get(k);
    const key = mergeKeyOf(def, k);
    if (f?.repeated && Array.isArray(v) && key !== undefined) {
      out[k] = key === '' ? mergeSet(out[k], v) : mergeList(out[k], v, key, fieldMessage(def, k));
      continue;
    }
    if (f?.map && isObject(v)) {
      out[k] = mergePatch(out[k], v);
      continue;
    }
    if (isObject(v)) {
      const r = smpObject(out[k], v, fieldMessage(def, k));
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- $patch: delete removes the field
      if (r === DELETE) delete out[k];
      else out[k] = r;
      continue;
    }
    out[k] = clone(v);
  }
  for (const [field, order] of Object.entries(orders)) {
    const key = mergeKeyOf(def, field);
    const list = out[field];
    if (key === undefined || !Array.isArray(list)) continue;
    out[field] = reorder(list, order, key);
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    for (const k of Object.keys(out)) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- $retainKeys drops the others
      if (!keep.has(k) && !Object.prototype.hasOwnProperty.call(patch, k)) delete out[k];
    }
  }
  return out;
}

function keyOf(item: unknown, key: string): string | undefined {
  return isObject(item) && item[key] !== undefined ? JSON.stringify(item[key]) : undefined;
}

function mergeList(target: unknown, patch: unknown[], key: string, def: MessageDef | undefined): unknown[] {
  if (patch.some((p) => isObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map(clone);
  }
  const out = Array.isArray(target) ? target.map(clone) : [];
  for (const item of patch) {
    const k = keyOf(item, key);
    if (k === undefined) {
      if (isObject(item) && item.$patch !== undefined) continue;
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const at = out.findIndex((x) => keyOf(x, key) === k);
    if (isObject(item) && item.$patch === 'delete') {
      if (at !== -1) out.splice(at, 1);
      continue;
    }
    if (at === -1) {
      const added = smpObject(undefined, item, def);
      if (added !== DELETE) out.push(added);
    } else {
      const merged = smpObject(out[at], item, def);
      if (merged === DELETE) out.splice(at, 1);
      else out[at] = merged;
    }
  }
  return out;
}

function mergeSet(target: unknown, patch: unknown[]): unknown[] {
  const out: unknown[] = Array.isArray(target) ? [...(target as unknown[])] : [];
  const seen = new Set(out.map((x) => JSON.stringify(x)));
  for (const v of patch) {
    if (!seen.has(JSON.stringify(v))) {
      seen.add(JSON.stringify(v));
      out.push(v);
    }
  }
  return out;
}

/** $setElementOrder: the listed items first, in that order; the others after, as they were. */
function reorder(list: unknown[], order: unknown[], key: string): unknown[] {
  const wanted = order.map((o) => keyOf(o, key));
  const placed = wanted.map((k) => list.find((x) => keyOf(x, key) === k)).filter((x) => x !== undefined);
  const rest = list.filter((x) => !wanted.includes(keyOf(x, key)));
  return [...placed, ...rest];
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointer(doc: unknown, path: string): { parent: unknown; last: string } {
  if (path === '') throw new PatchError('replacing the whole document is not supported');
  const parts = path.split('/').slice(1).map(unescapePointer);
  const last = parts.pop() ?? '';
  let parent: unknown = doc;
  for (const p of parts) {
    parent = isObject(parent) ? parent[p] : Array.isArray(parent) ? parent[Number(p)] : undefined;
    if (parent === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return { parent, last };
}

function getAt(doc: unknown, path: string): unknown {
  const { parent, last } = pointer(doc, path);
  const v: unknown = isObject(parent)
    ? parent[last]
    : Array.isArray(parent)
      ? (parent as unknown[])[Number(last)]
      : undefined;
  if (v === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  return v;
}

function removeAt(doc: unknown, path: string, op: string): unknown {
  const { parent, last } = pointer(doc, path);
  if (isObject(parent)) {
    if (!(last in parent))
      throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    const v = parent[last];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- JSON patch removes the key its path names
    delete parent[last];
    return v;
  }
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length)
      throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    return parent.splice(i, 1)[0];
  }
  throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): void {
  const { parent, last } = pointer(doc, path);
  if (isObject(parent)) {
    if (replace && !(last in parent))
      throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[last] = clone(value);
    return;
  }
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError(`add operation does not apply: doc is missing path: "${path}": missing value`);
    if (replace) parent[i] = clone(value);
    else parent.splice(i, 0, clone(value));
    return;
  }
  throw new PatchError(`add operation does not apply: doc is missing path: "${path}": missing value`);
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new PatchError(
      `json: cannot unmarshal ${isObject(ops) ? 'object' : typeof ops} into Go value of type jsonpatch.Patch`,
    );
  const doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw)) throw new PatchError('invalid JSON patch operation');
    const op = typeof raw.op === 'string' ? raw.op : '';
    const path = typeof raw.path === 'string' ? raw.path : '';
    switch (op) {
      case 'add':
        addAt(doc, path, raw.value, false);
        break;
      case 'replace':
        addAt(doc, path, raw.value, true);
        break;
      case 'remove':
        removeAt(doc, path, 'remove');
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value))
          throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      case 'move':
      case 'copy': {
        const from = typeof raw.from === 'string' ? raw.from : '';
        const v = op === 'move' ? removeAt(doc, from, 'move') : clone(getAt(doc, from));
        addAt(doc, path, v, false);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}
