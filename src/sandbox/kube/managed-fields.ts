// metadata.managedFields as the API server keeps them (server-side field ownership): one entry per field
// manager and operation, with the time that manager last changed the object and, in `fieldsV1`, the
// fields it owns. A write gives the writer the fields it set or changed and takes them from the other
// managers; a field removed belongs to nobody; a manager left owning nothing loses its entry.
// Lists are owned as a whole (the real server keys their items; no check here needs that detail).

import type { KObject, ManagedFieldsEntry } from '../../model/k8s/types.js';

export interface FieldWrite {
  manager: string;
  operation: 'Update' | 'Apply';
  /** RFC 3339, seconds precision, as the API server writes it. */
  time: string;
  apiVersion?: string;
  subresource?: string;
}

/** Metadata the server owns itself: never in managedFields. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
]);

/** Map-typed fields: their existence is owned too (the `.` key of fieldsV1). */
const MAP_FIELDS = new Set(['labels', 'annotations', 'matchLabels', 'nodeSelector']);

/** `status` is written through its subresource, `apiVersion`/`kind` are the type: none are owned fields. */
const TOP_LEVEL_SKIP = new Set(['apiVersion', 'kind', 'status']);

type Path = string[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field path (JSON-encoded) → value (JSON-encoded) for every owned leaf of an object. */
export function leaves(obj: KObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!obj) return out;
  const walk = (value: unknown, path: Path): void => {
    const last = path[path.length - 1];
    if (isRecord(value) && Object.keys(value).length > 0) {
      if (last !== undefined && MAP_FIELDS.has(last)) out.set(JSON.stringify([...path, '.']), '');
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 0 && TOP_LEVEL_SKIP.has(k)) continue;
        if (path.length === 1 && path[0] === 'metadata' && SERVER_METADATA.has(k)) continue;
        walk(v, [...path, k]);
      }
      return;
    }
    if (path.length > 0) out.set(JSON.stringify(path), JSON.stringify(value));
  };
  walk(obj, []);
  return out;
}

/** The paths a fieldsV1 tree names (`{}` leaves and `.` markers). */
export function pathsOf(fields: Record<string, unknown> | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (node: Record<string, unknown>, path: Path): void => {
    for (const [k, v] of Object.entries(node)) {
      const step = k === '.' ? '.' : k.replace(/^f:/, '');
      const child = isRecord(v) ? v : {};
      if (Object.keys(child).length === 0) out.add(JSON.stringify([...path, step]));
      else walk(child, [...path, step]);
    }
  };
  if (fields) walk(fields, []);
  return out;
}

export function fieldsV1Of(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const encoded of [...paths].sort()) {
    const path = JSON.parse(encoded) as Path;
    let node = root;
    for (const step of path) {
      const key = step === '.' ? '.' : `f:${step}`;
      const next = node[key];
      if (isRecord(next)) node = next;
      else {
        const created: Record<string, unknown> = {};
        node[key] = created;
        node = created;
      }
    }
  }
  return root;
}

function entryKey(e: ManagedFieldsEntry): string {
  return `${e.manager ?? ''}\u0000${e.operation ?? ''}\u0000${e.subresource ?? ''}`;
}

/**
 * Sets `next.metadata.managedFields` for a write of `next` over `prev` (undefined = creation) by `write`.
 * A write that changes no field leaves the entries (and their times) as they were.
 */
export function recordWrite(prev: KObject | undefined, next: KObject, write: FieldWrite): void {
  const before = leaves(prev);
  const after = leaves(next);
  const changed = new Set<string>();
  for (const [path, value] of after) if (before.get(path) !== value) changed.add(path);
  const removed = [...before.keys()].filter((path) => !after.has(path));

  const entries = structuredClone(prev?.metadata.managedFields ?? []);
  if (changed.size === 0 && removed.length === 0) {
    if (entries.length > 0) next.metadata.managedFields = entries;
    else delete next.metadata.managedFields;
    return;
  }
  const mine: ManagedFieldsEntry = {
    manager: write.manager,
    operation: write.operation,
    ...(write.subresource !== undefined ? { subresource: write.subresource } : {}),
  };
  const owned = new Map<string, Set<string>>();
  const byKey = new Map<string, ManagedFieldsEntry>();
  for (const e of entries) {
    owned.set(entryKey(e), pathsOf(e.fieldsV1));
    byKey.set(entryKey(e), e);
  }
  const myKey = entryKey(mine);
  if (!byKey.has(myKey)) {
    byKey.set(myKey, mine);
    owned.set(myKey, new Set());
  }
  for (const [key, paths] of owned) {
    for (const p of removed) paths.delete(p);
    for (const p of changed) {
      if (key === myKey) paths.add(p);
      else paths.delete(p);
    }
  }
  const out: ManagedFieldsEntry[] = [];
  for (const [key, entry] of byKey) {
    const paths = owned.get(key) ?? new Set<string>();
    if (paths.size === 0) continue;
    const written: ManagedFieldsEntry =
      key === myKey
        ? {
            manager: write.manager,
            operation: write.operation,
            apiVersion: write.apiVersion ?? next.apiVersion ?? 'v1',
            time: write.time,
            fieldsType: 'FieldsV1',
            fieldsV1: fieldsV1Of(paths),
            ...(write.subresource !== undefined ? { subresource: write.subresource } : {}),
          }
        : { ...entry, fieldsV1: fieldsV1Of(paths) };
    out.push(written);
  }
  if (out.length > 0) next.metadata.managedFields = out;
  else delete next.metadata.managedFields;
}

/**
 * The field manager of a request, as the API server names it: the `fieldManager` query parameter, else the
 * User-Agent up to its first `/` (kubectl sends `kubectl-annotate`, `kubectl-rollout`, … as fieldManager).
 */
export function fieldManagerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const explicit = query.get('fieldManager');
  if (explicit !== null && explicit !== '') return explicit;
  const fromAgent = (userAgent ?? '').split('/')[0]?.trim();
  return fromAgent !== undefined && fromAgent !== '' ? fromAgent : 'unknown';
}

/** RFC 3339 with whole seconds, as managedFields, creationTimestamp and startTime are written. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
