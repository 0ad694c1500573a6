// Regenerates src/sandbox/kube/proto/messages.ts: the field names, numbers and types of the Kubernetes API
// messages the sandbox serves, read from the protobuf descriptors that a kubectl binary carries (Go's
// generated code registers each k8s.io/api and k8s.io/apimachinery generated.proto as a gzipped
// FileDescriptorProto). Usage: node scripts/gen-kube-proto.mjs /usr/bin/kubectl
// Facts only (names, numbers, types, whether a Go field is a pointer); no upstream comments or code.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node scripts/gen-kube-proto.mjs KUBECTL_BINARY');
  process.exit(2);
}
const out = new URL('../src/sandbox/kube/proto/messages.ts', import.meta.url);

/** The kinds the sandbox stores or accepts; everything they reference comes along. */
const ROOTS = [
  'core.v1.Pod',
  'core.v1.Namespace',
  'core.v1.ServiceAccount',
  'core.v1.Node',
  'core.v1.Event',
  'core.v1.Service',
  'core.v1.ConfigMap',
  'core.v1.Secret',
  'apps.v1.Deployment',
  'apps.v1.ReplicaSet',
  'apps.v1.DaemonSet',
  'apps.v1.StatefulSet',
  'batch.v1.Job',
  'batch.v1.CronJob',
  'networking.v1.NetworkPolicy',
  'authentication.v1.TokenRequest',
  'authentication.v1.TokenReview',
  'authentication.v1.SelfSubjectReview',
  'authorization.v1.SelfSubjectAccessReview',
  'authorization.v1.SelfSubjectRulesReview',
  'autoscaling.v1.Scale',
  'events.v1.Event',
  'meta.v1.DeleteOptions',
  'coordination.v1.Lease',
  'rbac.v1.ClusterRole',
  'rbac.v1.ClusterRoleBinding',
];

const PREFIXES = [
  ['k8s.io.apimachinery.pkg.apis.meta.', 'meta.'],
  ['k8s.io.apimachinery.pkg.api.resource.', 'resource.'],
  ['k8s.io.apimachinery.pkg.util.intstr.', 'intstr.'],
  ['k8s.io.apimachinery.pkg.runtime.', 'runtime.'],
  ['k8s.io.api.', ''],
];
const short = (full) => {
  const name = full.replace(/^\./, '');
  for (const [from, to] of PREFIXES) if (name.startsWith(from)) return to + name.slice(from.length);
  return name;
};

// --- a protobuf reader just big enough for descriptor.proto ---
function* fields(buf) {
  let i = 0;
  const varint = () => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      const c = buf[i++];
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (c < 0x80) return r;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield [no, varint()];
    else if (wire === 2) {
      const len = Number(varint());
      yield [no, buf.subarray(i, i + len)];
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
}
const TYPES = {
  1: 'double',
  2: 'float',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  8: 'bool',
  9: 'string',
  12: 'bytes',
  13: 'uint32',
};
const GOGO_NULLABLE = 65001;

const messages = new Map(); // short name → { fields: [...], mapEntry: bool }
function readMessage(buf, scope) {
  let name = '';
  let mapEntry = false;
  const fieldBufs = [];
  const nested = [];
  for (const [no, v] of fields(buf)) {
    if (no === 1) name = Buffer.from(v).toString();
    else if (no === 2) fieldBufs.push(v);
    else if (no === 3) nested.push(v);
    else if (no === 7) for (const [o, ov] of fields(v)) if (o === 7 && ov === 1n) mapEntry = true;
  }
  const full = `${scope}.${name}`;
  const list = [];
  for (const fb of fieldBufs) {
    const f = { nullable: true };
    for (const [no, v] of fields(fb)) {
      if (no === 1) f.name = Buffer.from(v).toString();
      else if (no === 3) f.no = Number(v);
      else if (no === 4) f.repeated = Number(v) === 3;
      else if (no === 5) f.type = Number(v);
      else if (no === 6) f.typeName = Buffer.from(v).toString();
      else if (no === 8) for (const [o, ov] of fields(v)) if (o === GOGO_NULLABLE && ov === 0n) f.nullable = false;
    }
    list.push(f);
  }
  messages.set(short(full), { fields: list, mapEntry });
  for (const n of nested) readMessage(n, full);
}

const bin = readFileSync(binary);
const magic = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
let files = 0;
for (let at = bin.indexOf(magic); at !== -1; at = bin.indexOf(magic, at + 1)) {
  let fd;
  try {
    fd = gunzipSync(bin.subarray(at, at + 400_000), { finishFlush: 2 });
  } catch {
    continue;
  }
  let fileName = '';
  let pkg = '';
  const bodies = [];
  try {
    for (const [no, v] of fields(fd)) {
      if (no === 1) fileName = Buffer.from(v).toString();
      else if (no === 2) pkg = Buffer.from(v).toString();
      else if (no === 4) bodies.push(v);
    }
  } catch {
    continue;
  }
  if (!/^k8s\.io\/(api|apimachinery)\/.*generated\.proto$/.test(fileName)) continue;
  files++;
  for (const b of bodies) readMessage(b, pkg);
}
if (files === 0) throw new Error(`no Kubernetes descriptors in ${binary}`);

// --- the closure of the roots ---
const wanted = new Set();
const visit = (name) => {
  if (wanted.has(name)) return;
  const m = messages.get(name);
  if (!m) throw new Error(`no message ${name}`);
  wanted.add(name);
  for (const f of m.fields) if (f.type === 11) visit(short(f.typeName));
};
ROOTS.forEach(visit);

const typeOf = (f) => {
  if (f.type !== 11) return TYPES[f.type] ?? `?${f.type}`;
  const ref = short(f.typeName);
  const m = messages.get(ref);
  if (m?.mapEntry) {
    const [k, v] = m.fields;
    return `{${typeOf(k)}:${typeOf(v)}}`;
  }
  return ref;
};
const lines = [];
for (const name of [...wanted].sort()) {
  const m = messages.get(name);
  if (m.mapEntry) continue;
  const spec = m.fields
    .map((f) => {
      const t = typeOf(f);
      const map = t.startsWith('{');
      const flag = f.repeated && !map ? '[]' : f.nullable && f.type !== 11 && !f.repeated ? '?' : '';
      return `${f.name} ${f.no} ${flag}${t}`;
    })
    .join('; ');
  lines.push(`  '${name}': '${spec}',`);
}
const version = JSON.parse(execFileSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }))
  .clientVersion?.gitVersion;
const text = `// GENERATED by scripts/gen-kube-proto.mjs from the protobuf descriptors in kubectl ${version ?? 'of unknown version'}:
// field names and numbers of k8s.io/api and k8s.io/apimachinery generated.proto (Kubernetes 1.32), for the
// kinds the sandbox serves and everything they reference. Do not edit by hand.
// Form: 'package.version.Message': 'field number type; …' where type is a scalar, a message, '[]T' (repeated),
// '?T' (a Go pointer: present even when zero) or '{K:V}' (a map).

export const MESSAGES: Record<string, string> = {
${lines.join('\n')}
};
`;
writeFileSync(out, text);
console.log(`wrote ${out.pathname}: ${wanted.size} messages from ${files} files`);
