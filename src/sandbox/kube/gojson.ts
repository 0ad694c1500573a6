// JSON request bodies read the way the API server reads them (Go's encoding/json as forked by
// sigs.k8s.io/json), so a bad body gets the server's own words and never a JavaScript parse error:
//   - syntax errors as Go's scanner words them ("invalid character 'x' looking for beginning of value",
//     "unexpected end of JSON input");
//   - a value of the wrong type as Go's UnmarshalTypeError ("json: cannot unmarshal string into Go struct field
//     DeploymentSpec.spec.replicas of type int32");
//   - fields the type does not have, which strict field validation reports ("unknown field \"spec.foo\"")
//     and the default validation only warns about.

import { goTypeName, message, SPECIAL, type FieldDef, type MessageDef } from './proto/schema.js';

function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

class SyntaxFailure extends Error {}

/** Go's error for the first syntax error in `text`, or undefined when it is valid JSON. */
export function goJsonSyntaxError(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  const fail = (context: string): never => {
    if (i >= n) throw new SyntaxFailure('unexpected end of JSON input');
    throw new SyntaxFailure(`invalid character ${quoteChar(text[i] ?? '')} ${context}`);
  };
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail('');
      const c = text[i] ?? '';
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail('in string literal');
      if (c === '\\') {
        i++;
        const e = text[i] ?? '';
        if (i >= n) fail('');
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) fail('');
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) fail('in string escape code');
      }
      i++;
    }
  };
  const digits = (context: string): void => {
    if (i >= n) fail('');
    if (!/[0-9]/.test(text[i] ?? '')) fail(context);
    while (i < n && /[0-9]/.test(text[i] ?? '')) i++;
  };
  const num = (): void => {
    if (text[i] === '-') i++;
    if (i >= n) fail('');
    if (text[i] === '0') i++;
    else digits('in numeric literal');
    if (text[i] === '.') {
      i++;
      digits('after decimal point in numeric literal');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('in exponent of numeric literal');
    }
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (i >= n) fail('');
      if (text[i] !== word[k]) fail(`in literal ${word} (expecting ${quoteChar(word[k] ?? '')})`);
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i] ?? '';
    if (i >= n) fail('');
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('looking for beginning of object key string');
        str();
        ws();
        if (text[i] !== ':') fail('after object key');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('after array element');
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    fail('looking for beginning of value');
  };
  try {
    value();
    ws();
    if (i < n) fail('after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof SyntaxFailure) return e.message;
    throw e;
  }
}

/** JSON.parse with Go's words for a syntax error. */
export function parseGoJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const error = goJsonSyntaxError(text);
  if (error !== undefined) return { ok: false, error };
  return { ok: true, value: JSON.parse(text) as unknown };
}

/** The apiserver's short view of a body in an error: JSON as text, anything else in hex (30 bytes at most). */
export function summarizeData(body: Buffer): string {
  if (body.length === 0) return '<empty>';
  const cut = body.length > 30;
  const head = body.subarray(0, 30);
  const text = body[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return cut ? `${text} ...` : text;
}

export interface TypedResult {
  value: Record<string, unknown>;
  /** Strict-decoding complaints (`unknown field "spec.foo"`), in document order. */
  unknown: string[];
  /** The first type mismatch, worded as Go's UnmarshalTypeError. */
  typeError?: string;
}

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/**
 * Checks a decoded JSON object against a message: drops and lists the fields the type lacks, reports the first
 * value of the wrong type. `topLevel` objects may carry apiVersion and kind (TypeMeta is not in the messages).
 */
export function decodeTyped(def: MessageDef, input: unknown): TypedResult {
  const unknown: string[] = [];
  let typeError: string | undefined;
  const mismatch = (value: unknown, struct: string, path: string[], f: FieldDef | undefined, goType?: string): void => {
    if (typeError !== undefined) return;
    const kind = jsonKind(value);
    const shown = kind === 'number' ? `number ${String(value)}` : kind;
    const type = goType ?? (f ? goTypeName(f) : 'object');
    typeError = `json: cannot unmarshal ${shown} into Go struct field ${struct}.${path.join('.')} of type ${type}`;
  };

  const scalar = (f: FieldDef, value: unknown, struct: string, path: string[]): unknown => {
    if (value === null) return undefined;
    const t = 'scalar' in f.type ? f.type.scalar : 'string';
    const single = { ...f, repeated: false, map: false, pointer: false };
    if (t === 'string' || t === 'bytes') {
      if (typeof value !== 'string') mismatch(value, struct, path, single);
      return value;
    }
    if (t === 'bool') {
      if (typeof value !== 'boolean') mismatch(value, struct, path, single);
      return value;
    }
    if (typeof value !== 'number') {
      mismatch(value, struct, path, single);
      return value;
    }
    const range = INT_RANGE[t];
    if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
      mismatch(value, struct, path, single);
    }
    return value;
  };

  const walkValue = (f: FieldDef, value: unknown, struct: string, path: string[], display: string): unknown => {
    if (value === null) return null;
    if ('scalar' in f.type) return scalar(f, value, struct, path);
    const special = SPECIAL[f.type.message];
    if (special === 'quantity') {
      if (typeof value === 'number') return value;
      if (typeof value !== 'string') mismatch(value, struct, path, f, 'resource.Quantity');
      else if (!QUANTITY.test(value.trim()) && typeError === undefined)
        typeError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
      return value;
    }
    if (special === 'intorstring') {
      if (typeof value !== 'string' && typeof value !== 'number')
        mismatch(value, struct, path, f, 'intstr.IntOrString');
      return value;
    }
    if (special === 'time' || special === 'microtime') {
      if (typeof value !== 'string') mismatch(value, struct, path, f, 'string');
      return value;
    }
    if (special === 'rawextension' || special === 'fieldsv1') return value;
    if (special === 'stringlist') {
      if (!Array.isArray(value)) mismatch(value, struct, path, f, `v1.ExtraValue`);
      return value;
    }
    const sub = message(f.type.message);
    if (!sub) return value;
    if (typeof value !== 'object' || Array.isArray(value)) {
      mismatch(value, struct, path, { ...f, repeated: false, map: false });
      return value;
    }
    return walkObject(sub, value as Record<string, unknown>, path, display, false);
  };

  const walkField = (f: FieldDef, value: unknown, struct: string, path: string[], display: string): unknown => {
    if (value === null) return null;
    if (f.map) {
      if (typeof value !== 'object' || Array.isArray(value)) {
        mismatch(value, struct, path, f);
        return value;
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        out[k] = walkValue({ ...f, map: false }, v, struct, path, `${display}.${k}`);
      return out;
    }
    if (f.repeated) {
      if (!Array.isArray(value)) {
        mismatch(value, struct, path, f);
        return value;
      }
      return value.map((v, i) => walkValue({ ...f, repeated: false }, v, struct, path, `${display}[${i}]`));
    }
    return walkValue(f, value, struct, path, display);
  };

  const walkObject = (
    m: MessageDef,
    value: Record<string, unknown>,
    path: string[],
    display: string,
    top: boolean,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const struct = m.name.split('.').pop() ?? m.name;
    for (const [k, v] of Object.entries(value)) {
      if (top && (k === 'apiVersion' || k === 'kind')) {
        if (typeof v !== 'string' && v !== null) mismatch(v, struct, [k], undefined, 'string');
        out[k] = v;
        continue;
      }
      const f = m.byJson.get(k);
      if (!f) {
        unknown.push(`unknown field "${display === '' ? k : `${display}.${k}`}"`);
        continue;
      }
      out[k] = walkField(
        f,
        v,
        f.owner.split('.').pop() ?? struct,
        [...path, k],
        display === '' ? k : `${display}.${k}`,
      );
    }
    return out;
  };

  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const kind = jsonKind(input);
    return {
      value: {},
      unknown,
      typeError: `json: cannot unmarshal ${kind} into Go value of type ${def.name.split('.').slice(-2).join('.')}`,
    };
  }
  const value = walkObject(def, input as Record<string, unknown>, [], '', true);
  return typeError !== undefined ? { value, unknown, typeError } : { value, unknown };
}
