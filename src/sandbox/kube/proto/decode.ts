// Decodes request bodies in the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`), which
// kubectl's typed commands send (`create token`, `create serviceaccount`, `create namespace`, `auth can-i`…):
// the 4-byte magic `k8s\0`, then a runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2,
// contentEncoding = 3, contentType = 4} whose `raw` is the object's message. Messages decode by the table in
// schema.ts into the JSON the same client would have sent: zero-valued non-pointer fields are left out
// (Go's omitempty), Time/Quantity/IntOrString/RawExtension take their JSON forms.

import { message, SPECIAL, type FieldDef, type MessageDef } from './schema.js';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export class ProtobufError extends Error {}

interface WireField {
  no: number;
  wire: number;
  /** Varint or fixed value (wire 0, 1, 5). */
  num?: bigint;
  /** Length-delimited bytes (wire 2). */
  bytes?: Buffer;
}

function* readFields(buf: Buffer): Generator<WireField> {
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new ProtobufError('truncated varint');
      const c = buf[i++] ?? 0;
      result |= BigInt(c & 0x7f) << shift;
      shift += 7n;
      if (c < 0x80) return result;
      if (shift > 70n) throw new ProtobufError('varint too long');
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (no === 0) throw new ProtobufError('field number 0');
    if (wire === 0) yield { no, wire, num: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw new ProtobufError('truncated field');
      yield { no, wire, bytes: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 1) {
      if (i + 8 > buf.length) throw new ProtobufError('truncated field');
      yield { no, wire, num: buf.readBigUInt64LE(i) };
      i += 8;
    } else if (wire === 5) {
      if (i + 4 > buf.length) throw new ProtobufError('truncated field');
      yield { no, wire, num: BigInt(buf.readUInt32LE(i)) };
      i += 4;
    } else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Buffer;
}

/** The runtime.Unknown envelope after the magic. */
export function decodeEnvelope(body: Buffer): Envelope {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC))
    throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of readFields(body.subarray(4))) {
    if (f.no === 1 && f.bytes) {
      for (const t of readFields(f.bytes)) {
        if (t.no === 1 && t.bytes) apiVersion = t.bytes.toString('utf8');
        if (t.no === 2 && t.bytes) kind = t.bytes.toString('utf8');
      }
    } else if (f.no === 2 && f.bytes) raw = f.bytes;
    else if (f.no === 3 && f.bytes && f.bytes.length > 0)
      throw new ProtobufError(`unsupported content encoding ${f.bytes.toString('utf8')}`);
  }
  return { apiVersion, kind, raw };
}

function scalarValue(f: FieldDef, w: WireField): unknown {
  if (!('scalar' in f.type)) return undefined;
  switch (f.type.scalar) {
    case 'string':
      return (w.bytes ?? Buffer.alloc(0)).toString('utf8');
    case 'bytes':
      return (w.bytes ?? Buffer.alloc(0)).toString('base64');
    case 'bool':
      return (w.num ?? 0n) !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, w.num ?? 0n));
    case 'int64':
      return Number(BigInt.asIntN(64, w.num ?? 0n));
    case 'uint32':
    case 'uint64':
      return Number(w.num ?? 0n);
    case 'double':
      return Buffer.from(
        BigInt.asUintN(64, w.num ?? 0n)
          .toString(16)
          .padStart(16, '0'),
        'hex',
      ).readDoubleBE(0);
    case 'float':
      return Buffer.from(
        Number(w.num ?? 0n)
          .toString(16)
          .padStart(8, '0'),
        'hex',
      ).readFloatBE(0);
  }
}

/** RFC 3339 from seconds + nanos (nanos only for MicroTime, at microsecond precision). */
function timeString(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function special(kind: string, bytes: Buffer): { value: unknown; zero: boolean } {
  const fields = [...readFields(bytes)];
  const num = (no: number): number => Number(BigInt.asIntN(64, fields.find((f) => f.no === no)?.num ?? 0n));
  const str = (no: number): string | undefined => fields.find((f) => f.no === no)?.bytes?.toString('utf8');
  switch (kind) {
    case 'time':
    case 'microtime': {
      const seconds = num(1);
      const nanos = num(2);
      return { value: timeString(seconds, nanos, kind === 'microtime'), zero: seconds === 0 && nanos === 0 };
    }
    case 'quantity':
      return { value: str(1) ?? '0', zero: false };
    case 'intorstring':
      return num(1) === 1 ? { value: str(3) ?? '', zero: false } : { value: num(2), zero: false };
    case 'rawextension':
    case 'fieldsv1': {
      const raw = fields.find((f) => f.no === 1)?.bytes;
      if (!raw || raw.length === 0) return { value: undefined, zero: true };
      try {
        return { value: JSON.parse(raw.toString('utf8')) as unknown, zero: false };
      } catch {
        throw new ProtobufError('embedded JSON is not valid');
      }
    }
    case 'stringlist':
      return { value: fields.filter((f) => f.no === 1).map((f) => f.bytes?.toString('utf8') ?? ''), zero: false };
    default:
      return { value: undefined, zero: true };
  }
}

function fieldValue(f: FieldDef, w: WireField): { value: unknown; zero: boolean } {
  if ('scalar' in f.type) {
    const value = scalarValue(f, w);
    return { value, zero: value === '' || value === 0 || value === false };
  }
  if (w.wire !== 2 || !w.bytes) throw new ProtobufError(`field ${f.name}: expected a message`);
  const kind = SPECIAL[f.type.message];
  if (kind) return special(kind, w.bytes);
  const def = message(f.type.message);
  if (!def) throw new ProtobufError(`no message ${f.type.message}`);
  return { value: decodeMessage(def, w.bytes), zero: false };
}

/** A message's bytes as the JSON object the same Go value marshals to. */
export function decodeMessage(def: MessageDef, bytes: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const w of readFields(bytes)) {
    const f = def.byNo.get(w.no);
    if (!f) throw new ProtobufError(`${def.name}: unknown field number ${w.no}`);
    if (f.map) {
      if (!w.bytes) throw new ProtobufError(`${def.name}.${f.name}: expected a map entry`);
      let key = '';
      let value: unknown = '';
      for (const e of readFields(w.bytes)) {
        if (e.no === 1) key = e.bytes?.toString('utf8') ?? '';
        else if (e.no === 2) value = fieldValue({ ...f, map: false }, e).value;
      }
      const map = (out[f.json] ??= {}) as Record<string, unknown>;
      map[key] = value;
      continue;
    }
    if (f.repeated) {
      const list = (out[f.json] ??= []) as unknown[];
      if ('scalar' in f.type && w.wire === 2 && f.type.scalar !== 'string' && f.type.scalar !== 'bytes') {
        // A packed list of numbers.
        for (const p of readPacked(w.bytes ?? Buffer.alloc(0))) list.push(fieldValue(f, p).value);
      } else list.push(fieldValue(f, w).value);
      continue;
    }
    if (f.inline && 'message' in f.type && w.bytes) {
      const sub = message(f.type.message);
      if (sub) Object.assign(out, decodeMessage(sub, w.bytes));
      continue;
    }
    const { value, zero } = fieldValue(f, w);
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a later zero value clears an earlier one
    if (value === undefined || (zero && !f.pointer)) delete out[f.json];
    else out[f.json] = value;
  }
  return out;
}

function* readPacked(buf: Buffer): Generator<WireField> {
  let i = 0;
  while (i < buf.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const c = buf[i++] ?? 0;
      result |= BigInt(c & 0x7f) << shift;
      shift += 7n;
      if (c < 0x80 || i >= buf.length) break;
    }
    yield { no: 0, wire: 0, num: result };
  }
}

/** The whole body: envelope, then the message of the kind it names, as JSON with apiVersion and kind. */
export function decodeObject(body: Buffer): Record<string, unknown> {
  const env = decodeEnvelope(body);
  const [group, version] = env.apiVersion.includes('/') ? env.apiVersion.split('/') : ['', env.apiVersion];
  const pkg = group === '' ? 'core' : (group?.split('.')[0] ?? '');
  const def = message(`${pkg}.${version ?? ''}.${env.kind}`);
  if (!def) throw new ProtobufError(`no kind "${env.kind}" is registered for version "${env.apiVersion}"`);
  return { apiVersion: env.apiVersion, kind: env.kind, ...decodeMessage(def, env.raw) };
}
