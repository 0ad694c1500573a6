// The validation boundary: every bundle file and every live API answer is checked against the schema of the
// fields the facts read (schemas.ts) when it is read. What does not validate becomes an error fact naming the
// file and the field (`k8s/pods.json: items[3].spec: must be object (found null)`), so the checks that need it
// are unknown and never see a wrong type. Validators are compiled once per process; objects are validated one
// by one, so one bad pod among 50,000 touches only what it could be.
//
// Also here: the nesting limit. JSON nested deeper than MAX_DEPTH is refused before it reaches code that
// recurses over values (JSON.stringify of evidence, the bundle writer), where it would overflow the stack.

import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Schema } from './schemas.js';
import { SCHEMA_ID_PREFIX, namedSchemas } from './schemas.js';

/** Deeper than any API answer wi-doctor reads (managedFields of a Pod nest about 15 levels). */
export const MAX_DEPTH = 100;

/** What the validators accept: the same at build time and at run time. */
const SEMANTICS: Options = { allErrors: false, allowUnionTypes: true, strict: true };

/**
 * Build time (scripts/build-validators.mjs) spends compile time for the fastest validators; at run time from
 * the sources (tests) compiling quickly matters more: shared pieces stay one function each, unoptimised.
 */
export const AJV_OPTIONS = {
  build: { ...SEMANTICS, code: { source: true } },
  runtime: { ...SEMANTICS, inlineRefs: false, code: { optimize: false } },
} satisfies Record<string, Options>;

const require = createRequire(import.meta.url);

/** An Ajv instance holding every named schema (compiles each on first use). */
export function createAjv(options: Options = AJV_OPTIONS.runtime): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const ajv = new AjvClass(options);
  for (const schema of namedSchemas) ajv.addSchema(schema);
  return ajv;
}

/** File name of the build's precompiled validators, next to this module in dist/. */
export const PRECOMPILED_FILE = 'validators.generated.cjs';

type Validators = Partial<Record<string, ValidateFunction>>;

/**
 * The validators `npm run build` compiled (dist/), so a run pays no compile time; undefined when running from
 * the sources (tests), where they are compiled on first use instead. Both come from the same schemas and
 * options (test/collect/validators.test.ts compares them).
 */
function loadPrecompiled(): Validators | undefined {
  try {
    return require(`./${PRECOMPILED_FILE}`) as Validators;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

let precompiled: Validators | undefined | null = null;
let ajv: Ajv | undefined;
const compiled = new WeakMap<Schema, ValidateFunction>();

/** A compiled validator: true when the value matches; `errors` says why not. */
export interface Validator {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The compiled validator of a schema (precompiled when built); for hot loops, with `failureOf` on false. */
export function validatorOf(schema: Schema): Validator {
  let validate = compiled.get(schema);
  if (validate) return validate;
  const ref = typeof schema.$ref === 'string' ? schema.$ref : undefined;
  if (precompiled === null) precompiled = loadPrecompiled();
  if (ref !== undefined && precompiled !== undefined) validate = precompiled[ref.slice(SCHEMA_ID_PREFIX.length)];
  if (!validate) {
    ajv ??= createAjv();
    validate = (ref !== undefined ? ajv.getSchema(ref) : undefined) ?? ajv.compile(schema);
  }
  compiled.set(schema, validate);
  return validate;
}

/** `items[3].spec` from `items` and the JSON pointer `/3/spec`. */
export function joinPath(base: string, pointer: string): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** The JSON type of a value, as messages name it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The value at a JSON pointer (for "found …" in messages). */
function at(value: unknown, pointer: string): unknown {
  let current = value;
  for (const raw of pointer.split('/').slice(1)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[raw.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return current;
}

function describe(error: ErrorObject, value: unknown, base: string): string {
  const path = joinPath(base, error.instancePath);
  let message = error.message ?? 'is not valid';
  if (error.keyword === 'type') message += ` (found ${jsonType(at(value, error.instancePath))})`;
  return path === '' ? message : `${path}: ${message}`;
}

/** Why `value` failed `validate` (just called, and false), as `base.field.path: message`. */
export function failureOf(validate: Validator, value: unknown, base = ''): string {
  const [first] = validate.errors ?? [];
  return first ? describe(first, value, base) : `${base || 'the value'}: is not valid`;
}

/**
 * Why `value` does not match `schema`, as `field.path: message`, or undefined when it does. `base` prefixes
 * the path (`items[3]`).
 */
export function problemOf(schema: Schema, value: unknown, base = ''): string | undefined {
  const validate = validatorOf(schema);
  return validate(value) ? undefined : failureOf(validate, value, base);
}

/** Each element of `items` against `schema`; the first that does not match, named `base[i]…`. */
export function firstItemProblem(schema: Schema, items: readonly unknown[], base = ''): string | undefined {
  const validate = validatorOf(schema);
  for (const [i, item] of items.entries()) {
    if (!validate(item)) {
      const [first] = validate.errors ?? [];
      const prefix = `${base}[${i}]`;
      return first ? describe(first, item, prefix) : `${prefix}: is not valid`;
    }
  }
  return undefined;
}

/**
 * The offset where JSON text nests deeper than `max` arrays and objects, or undefined. Strings are skipped
 * (brackets inside them do not count; indexOf finds their end fast); the text need not be valid JSON. One
 * pass, no recursion: about a sixth of what JSON.parse takes on the same text.
 */
export function depthExceededAt(text: string, max = MAX_DEPTH): number | undefined {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // To the closing quote: the next one not escaped by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return undefined;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 92) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      i = j;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Whether a parsed value nests deeper than `max` (iterative: safe on any depth). Two stacks of plain values, no
 * object per node: walking a parsed pod list takes about half the time of scanning its text (depthExceededAt).
 */
export function exceedsDepth(value: unknown, max = MAX_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    const depth = depths.pop() ?? 0;
    if (depth > max) return true;
    if (Array.isArray(v)) {
      for (const child of v as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      const record = v as Record<string, unknown>;
      for (const key in record) {
        const child = record[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

export const tooDeep = (max = MAX_DEPTH): string => `nested deeper than ${max} levels of arrays and objects`;
