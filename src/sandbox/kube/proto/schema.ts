// The Kubernetes API types the sandbox serves, as one table of messages (proto/messages.ts, generated from
// the descriptors kubectl carries): field names, protobuf numbers, types, lists, maps and Go pointers. The
// protobuf decoder, the strict JSON decoder, OpenAPI and strategic merge patch all read this one table.

import { MESSAGES } from './messages.js';

export type Scalar = 'string' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'bool' | 'bytes' | 'double' | 'float';

/** Messages whose JSON form is not an object: the Go types marshal themselves. */
export type Special = 'time' | 'microtime' | 'quantity' | 'intorstring' | 'rawextension' | 'fieldsv1' | 'stringlist';

export const SPECIAL: Record<string, Special> = {
  'meta.v1.Time': 'time',
  'meta.v1.MicroTime': 'microtime',
  'resource.Quantity': 'quantity',
  'intstr.IntOrString': 'intorstring',
  'runtime.RawExtension': 'rawextension',
  'meta.v1.FieldsV1': 'fieldsv1',
  'authentication.v1.ExtraValue': 'stringlist',
  'authorization.v1.ExtraValue': 'stringlist',
};

export type ValueType = { scalar: Scalar } | { message: string };

export interface FieldDef {
  /** The protobuf field name. */
  name: string;
  /** The message that declares the field (an inline field's fields keep theirs). */
  owner: string;
  /** A Go struct embedded with `json:",inline"`: its fields appear in its parent's JSON. */
  inline: boolean;
  /** The JSON name (equal to the protobuf name except BoundObjectReference's `uID`, JSON `uid`). */
  json: string;
  no: number;
  type: ValueType;
  repeated: boolean;
  /** A map; `type` is then the value type (keys are strings for every map the sandbox serves). */
  map: boolean;
  /** A Go pointer (`*int32`, `*bool`): kept when zero; other scalars are dropped when zero (omitempty). */
  pointer: boolean;
}

export interface MessageDef {
  name: string;
  /** The protobuf fields, in declaration order. */
  fields: FieldDef[];
  byNo: Map<number, FieldDef>;
  /** The JSON fields: inline fields replaced by the fields of the struct they embed. */
  byJson: Map<string, FieldDef>;
}

/**
 * Fields whose Go struct is embedded inline (`json:",inline"`): in JSON the embedded struct's fields sit in
 * the parent (a Volume's `configMap`, a Probe's `httpGet`, a selector's `name`). The protobuf descriptors do
 * not say so; the Kubernetes API types do.
 */
const INLINE = new Set([
  'core.v1.Volume.volumeSource',
  'core.v1.Probe.handler',
  'core.v1.EphemeralContainer.ephemeralContainerCommon',
  'core.v1.PersistentVolumeSpec.persistentVolumeSource',
  'core.v1.ConfigMapEnvSource.localObjectReference',
  'core.v1.ConfigMapKeySelector.localObjectReference',
  'core.v1.ConfigMapProjection.localObjectReference',
  'core.v1.ConfigMapVolumeSource.localObjectReference',
  'core.v1.SecretEnvSource.localObjectReference',
  'core.v1.SecretKeySelector.localObjectReference',
  'core.v1.SecretProjection.localObjectReference',
]);

const JSON_NAMES: Record<string, string> = { uID: 'uid' };
const SCALARS = new Set(['string', 'int32', 'int64', 'uint32', 'uint64', 'bool', 'bytes', 'double', 'float']);

function valueType(t: string): ValueType {
  return SCALARS.has(t) ? { scalar: t as Scalar } : { message: t };
}

function parseMessage(name: string, spec: string): MessageDef {
  const fields: FieldDef[] = [];
  for (const part of spec.split('; ')) {
    if (part === '') continue;
    const [fname = '', no = '0', rawType = ''] = part.split(' ');
    let t = rawType;
    let repeated = false;
    let pointer = false;
    let map = false;
    if (t.startsWith('[]')) {
      repeated = true;
      t = t.slice(2);
    } else if (t.startsWith('?')) {
      pointer = true;
      t = t.slice(1);
    } else if (t.startsWith('{')) {
      map = true;
      t = t.slice(1, -1).split(':')[1] ?? 'string';
    }
    fields.push({
      name: fname,
      owner: name,
      inline: INLINE.has(`${name}.${fname}`),
      json: JSON_NAMES[fname] ?? fname,
      no: Number(no),
      type: valueType(t),
      repeated,
      map,
      pointer,
    });
  }
  const byJson = new Map<string, FieldDef>();
  for (const f of fields) {
    const sub = f.inline && 'message' in f.type ? message(f.type.message) : undefined;
    if (sub) for (const [k, v] of sub.byJson) byJson.set(k, v);
    else byJson.set(f.json, f);
  }
  return { name, fields, byNo: new Map(fields.map((f) => [f.no, f])), byJson };
}

const parsed = new Map<string, MessageDef>();

/** A message by its short name (`core.v1.Pod`, `meta.v1.ObjectMeta`); parsed on first use. */
export function message(name: string): MessageDef | undefined {
  let m = parsed.get(name);
  if (m) return m;
  const spec = MESSAGES[name];
  if (spec === undefined) return undefined;
  m = parseMessage(name, spec);
  parsed.set(name, m);
  return m;
}

export function messageNames(): string[] {
  return Object.keys(MESSAGES);
}

/** The package of an API group in the table: `''` → core, `networking.k8s.io` → networking. */
export function packageOf(group: string): string {
  return group === '' ? 'core' : (group.split('.')[0] ?? group);
}

/** The message of a kind: `apps`, `v1`, `Deployment` → `apps.v1.Deployment`. */
export function kindMessage(group: string, version: string, kind: string): MessageDef | undefined {
  return message(`${packageOf(group)}.${version}.${kind}`);
}

/** Go's name for a field's type, as encoding/json prints it in errors (`int32`, `[]v1.Container`, `map[string]string`). */
export function goTypeName(f: FieldDef): string {
  const base =
    'scalar' in f.type
      ? f.type.scalar === 'bytes'
        ? '[]uint8'
        : f.type.scalar === 'double'
          ? 'float64'
          : f.type.scalar === 'float'
            ? 'float32'
            : f.type.scalar
      : goMessageName(f.type.message);
  if (f.map) return `map[string]${base}`;
  if (f.repeated) return `[]${base}`;
  return f.pointer ? `*${base}` : base;
}

function goMessageName(m: string): string {
  const parts = m.split('.');
  const type = parts[parts.length - 1] ?? m;
  const pkg = parts.length >= 3 ? parts[parts.length - 2] : parts[0];
  return `${pkg ?? ''}.${type}`;
}

/** The OpenAPI definition name of a message: `core.v1.Pod` → `io.k8s.api.core.v1.Pod`. */
export function openApiName(m: string): string {
  if (m.startsWith('meta.')) return `io.k8s.apimachinery.pkg.apis.${m}`;
  if (m.startsWith('resource.')) return `io.k8s.apimachinery.pkg.api.${m}`;
  if (m.startsWith('intstr.')) return `io.k8s.apimachinery.pkg.util.${m}`;
  if (m.startsWith('runtime.')) return `io.k8s.apimachinery.pkg.${m}`;
  return `io.k8s.api.${m}`;
}
