// Secrets by allowlist: what `collect` keeps of an API answer is what the checks read, nothing else. The
// allowlist is the schemas of schemas.ts (the same that validate what is read), so a field enters a bundle
// only when a check reads it and is validated on the way in. Everything else is dropped: container
// command and args (passwords on command lines), Secret data, the cluster's masterAuth (a client key),
// audit log payloads. On top of the schemas:
// - annotations: only the Workload Identity annotation and keys that look like it (the typos ksa-annotation
//   reports); never `kubectl.kubernetes.io/last-applied-configuration` (a copy of the whole manifest);
// - environment variables: names and references (secretKeyRef, configMapKeyRef) only; a value only for
//   GOOGLE_APPLICATION_CREDENTIALS, and only when it is a path (the check reads where it points);
// - every string kept is redacted of secrets (PEM blocks, key JSON, JWTs, bearer tokens), in part or whole.
//
// Values are kept as they came, wrong types included (a string `hostNetwork` stays a string): projecting must
// never turn a broken field into a missing one, which a check would read as "not set".

import { nearMissAnnotations } from '../../engine/annotations.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';
import { redactSecrets } from '../../model/redact.js';
import { KIND_TO_RESOURCE } from '../../model/k8s/types.js';
import { SPEC_OF_ROLE } from './facts.js';
import { classifyPath } from './layout.js';
import type { Schema } from './schemas.js';
import { e2eResultSchema, k8sSchemas, logEntrySchema, namedSchemas, resourcePolicySchema } from './schemas.js';

/** What replaces a value that must not be kept (a key, not a path, in GOOGLE_APPLICATION_CREDENTIALS). */
export const SCRUBBED = '<scrubbed by wi-doctor>';

const GAC = 'GOOGLE_APPLICATION_CREDENTIALS';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const byId = new Map<string, Schema>(namedSchemas.map((s) => [String(s.$id), s]));

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  return typeof ref === 'string' ? (byId.get(ref) ?? schema) : schema;
}

/** A file path, as GOOGLE_APPLICATION_CREDENTIALS should hold: one line, no JSON, no secret in it. */
export function isPathValue(value: string): boolean {
  return value.length <= 4096 && !/[\n\r{}"]/.test(value) && redactSecrets(value) === value;
}

/**
 * Strings redacted wherever they are (for the parts of an answer kept whole: maps, fieldsV1, status). Keys too:
 * fieldsV1 spells values in its keys (`k:{"name":"…"}`). A part with nothing to redact is returned as it is
 * (most are: copying every managedFields tree cost more than reading it).
 */
function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = redactDeep(v);
      if (r !== v) (out ??= value.slice())[i] = r;
    }
    return out ?? value;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    let out: [string, unknown][] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const v = value[k];
      const rk = redactSecrets(k);
      const rv = redactDeep(v);
      if (out === undefined && (rk !== k || rv !== v)) out = keys.slice(0, i).map((p) => [p, value[p]]);
      out?.push([rk, rv]);
    }
    return out === undefined ? value : Object.fromEntries(out);
  }
  return value;
}

/** Annotation keys the checks read: the Workload Identity annotation and its near misses. */
function keptAnnotations(annotations: Record<string, unknown>): Record<string, unknown> {
  const strings = Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
  const wanted = new Set([WI_ANNOTATION, ...nearMissAnnotations(strings).map((a) => a.key)]);
  return Object.fromEntries(Object.entries(annotations).filter(([k]) => wanted.has(k)));
}

function keptEnv(env: Record<string, unknown>): Record<string, unknown> {
  if (!('value' in env)) return env;
  const { value, ...rest } = env;
  if (env.name !== GAC) return rest;
  return { ...rest, value: typeof value === 'string' && isPathValue(value) ? value : SCRUBBED };
}

/** `value` reduced to what `schema` describes (see the header); values of the wrong type are kept as they are. */
export function allowlisted(schema: Schema, value: unknown, key?: string): unknown {
  const s = resolve(schema);
  if (s.type === 'object' && isRecord(value)) {
    const properties = s.properties as Record<string, Schema> | undefined;
    if (properties === undefined) {
      // A map (labels) or an object kept whole (fieldsV1, a workload's status); annotations are filtered.
      return redactDeep(key === 'annotations' ? keptAnnotations(value) : value);
    }
    const out: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(properties)) {
      if (Object.hasOwn(value, name)) out[name] = allowlisted(sub, value[name], name);
    }
    return out;
  }
  if (s.type === 'array' && Array.isArray(value)) {
    const items = s.items as Schema | undefined;
    if (items === undefined) return redactDeep(value);
    return value.map((item) => {
      const kept = allowlisted(items, item);
      return key === 'env' && isRecord(kept) ? keptEnv(kept) : kept;
    });
  }
  return redactDeep(value);
}

/** A Kubernetes object reduced to its kind's allowlist; undefined for kinds wi-doctor does not read. */
export function allowlistedK8sObject(kind: string, object: unknown): unknown {
  const schema = k8sSchemas[kind];
  return schema === undefined ? undefined : allowlisted(schema, object);
}

/** A Kubernetes file (a List or one object) with each object allowlisted; objects of other kinds dropped. */
export function allowlistedK8sFile(json: unknown): unknown {
  if (!isRecord(json)) return redactDeep(json);
  const listKind = typeof json.kind === 'string' && json.kind.endsWith('List') ? json.kind.slice(0, -4) : '';
  const kindOf = (item: Record<string, unknown>) =>
    KIND_TO_RESOURCE[typeof item.kind === 'string' && item.kind !== '' ? item.kind : listKind];
  const one = (item: unknown): unknown => {
    if (!isRecord(item)) return redactDeep(item);
    const kind = kindOf(item);
    // An item with no kind at all is kept (reduced to its metadata) so that the reader still sees it is broken.
    if (kind === undefined)
      return typeof item.kind === 'string' && item.kind !== '' ? undefined : redactDeep({ metadata: item.metadata });
    return allowlistedK8sObject(kind, item);
  };
  if (!('items' in json) && listKind === '') return one(json) ?? {};
  if (!Array.isArray(json.items)) return { kind: json.kind, items: redactDeep(json.items) };
  const items = json.items.map(one).filter((item) => item !== undefined);
  return { apiVersion: json.apiVersion, kind: json.kind, items };
}

/** Any bundle file's content reduced to what its role's checks read (see the header). */
export function allowlistedFile(path: string, json: unknown): unknown {
  const role = classifyPath(path).role;
  if (role === 'k8s') return allowlistedK8sFile(json);
  if (role === 'resource') return allowlisted(resourcePolicySchema, json);
  if (role === 'e2e') return allowlisted(e2eResultSchema, json);
  if (role === 'logs')
    return Array.isArray(json) ? json.map((entry) => allowlisted(logEntrySchema, entry)) : redactDeep(json);
  const spec = SPEC_OF_ROLE[role];
  if (spec === undefined) return redactDeep(json);
  if (spec.shape === 'object') return allowlisted(spec.schema, json);
  if (Array.isArray(json)) return json.map((item) => allowlisted(spec.schema, item));
  if (isRecord(json) && spec.listKey !== undefined) {
    const list = json[spec.listKey];
    const items = Array.isArray(list) ? list.map((item) => allowlisted(spec.schema, item)) : redactDeep(list);
    return {
      ...(list !== undefined ? { [spec.listKey]: items } : {}),
      ...(json.nextPageToken !== undefined ? { nextPageToken: json.nextPageToken } : {}),
    };
  }
  return redactDeep(json);
}
