// Server-side apply (`kubectl apply --server-side`, PATCH application/apply-patch+yaml): the applied
// configuration is merged into the object (lists by their merge keys), the manager comes to own exactly the
// fields it applied (managedFields, operation Apply), fields it applied before and no longer does are removed
// unless another manager owns them, and changing a field another manager owns is a conflict (409) unless
// `force=true`, worded as the API server words it:
//   Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .metadata.labels.team
// As in managedFields.ts, lists are owned as a whole.

import type { KObject, ManagedFieldsEntry } from '../../model/k8s/types.js';
import { kubeStatus } from '../http/errors.js';
import type { SandboxResponse } from '../http/router.js';
import { isObject, obj, type JsonObject } from './json.js';
import { fieldsV1Of, leaves, pathsOf } from './managed-fields.js';
import { strategicMergePatch } from './patch.js';
import type { MessageDef } from './proto/schema.js';

interface Conflict {
  manager: string;
  apiVersion: string;
  path: string[];
}

export class ApplyConflict extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('apply conflict');
  }

  response(): SandboxResponse {
    const field = (c: Conflict): string => `.${c.path.join('.')}`;
    const byManager = new Map<string, Conflict[]>();
    for (const c of this.conflicts) {
      const key = `${c.manager}\u0000${c.apiVersion}`;
      byManager.set(key, [...(byManager.get(key) ?? []), c]);
    }
    const n = this.conflicts.length;
    const parts = [...byManager.values()].map((cs) => {
      const first = cs[0];
      const who = `"${first?.manager ?? ''}" using ${first?.apiVersion ?? ''}`;
      return cs.length === 1 && first
        ? `conflict with ${who}: ${field(first)}`
        : `conflicts with ${who}:\n${cs.map((c) => `- ${field(c)}`).join('\n')}`;
    });
    const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
    return kubeStatus(409, 'Conflict', message, {
      causes: this.conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}" using ${c.apiVersion}`,
        field: field(c),
      })),
    });
  }
}

/** Fields an applied configuration may not claim: identity and the server's own metadata. */
function applicable(applied: JsonObject): JsonObject {
  const out = structuredClone(applied);
  delete out.status;
  const meta = obj(out.metadata);
  for (const k of [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'managedFields',
    'generation',
    'selfLink',
  ])
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- fields only the server sets
    delete meta[k];
  out.metadata = meta;
  return out;
}

function deleteAt(o: JsonObject, path: string[]): void {
  let cur: unknown = o;
  for (const k of path.slice(0, -1)) cur = isObject(cur) ? cur[k] : undefined;
  const last = path[path.length - 1];
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a field no manager applies any more
  if (isObject(cur) && last !== undefined) delete cur[last];
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  time: string;
  message: MessageDef | undefined;
}

/**
 * Applies `applied` onto `base` (a copy of `current`, or a new object when there is none) and returns it with
 * its managedFields; throws ApplyConflict.
 */
export function applyPatch(
  current: KObject | undefined,
  base: JsonObject,
  applied: JsonObject,
  opts: ApplyOptions,
): JsonObject {
  const config = applicable(applied);
  const mine = leaves(config as unknown as KObject);
  const have = leaves(current);
  const entries: ManagedFieldsEntry[] = structuredClone(current?.metadata.managedFields ?? []);
  const isMine = (e: ManagedFieldsEntry): boolean => e.manager === opts.manager && e.operation === 'Apply';
  const conflicts: Conflict[] = [];
  for (const [path, value] of mine) {
    const now = have.get(path);
    if (now === undefined || now === value) continue;
    for (const e of entries) {
      if (isMine(e) || e.subresource === 'status') continue;
      if (pathsOf(e.fieldsV1).has(path))
        conflicts.push({
          manager: e.manager ?? '',
          apiVersion: e.apiVersion ?? 'v1',
          path: JSON.parse(path) as string[],
        });
    }
  }
  if (conflicts.length > 0 && !opts.force) throw new ApplyConflict(conflicts);

  const previous = new Set<string>();
  for (const e of entries) if (isMine(e)) for (const p of pathsOf(e.fieldsV1)) previous.add(p);
  const result = strategicMergePatch(base, config, opts.message) as JsonObject;
  for (const p of previous) {
    if (mine.has(p)) continue;
    const ownedByOthers = entries.some((e) => !isMine(e) && pathsOf(e.fieldsV1).has(p));
    if (!ownedByOthers) deleteAt(result, JSON.parse(p) as string[]);
  }
  // Ownership: this manager owns what it applied; others lose the fields whose value it changed.
  const changed = new Set([...mine].filter(([p, v]) => have.get(p) !== v).map(([p]) => p));
  const out: ManagedFieldsEntry[] = [];
  let placed = false;
  for (const e of entries) {
    if (isMine(e)) {
      out.push({
        manager: opts.manager,
        operation: 'Apply',
        apiVersion: opts.apiVersion,
        time: opts.time,
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsV1Of(mine.keys()),
      });
      placed = true;
      continue;
    }
    const paths = pathsOf(e.fieldsV1);
    for (const p of changed) paths.delete(p);
    if (paths.size > 0) out.push({ ...e, fieldsV1: fieldsV1Of(paths) });
  }
  if (!placed && mine.size > 0)
    out.push({
      manager: opts.manager,
      operation: 'Apply',
      apiVersion: opts.apiVersion,
      time: opts.time,
      fieldsType: 'FieldsV1',
      fieldsV1: fieldsV1Of(mine.keys()),
    });
  const meta = obj(result.metadata);
  result.metadata = meta;
  if (out.length > 0) meta.managedFields = out;
  else delete meta.managedFields;
  return result;
}
