// The JSON report (schema/report.schema.json). Key order is stable so that reports diff cleanly: the
// contract's fields in the contract's order, any added fields after them in alphabetical order, and
// free-form values (evidence, params) with their keys sorted (keys that are numbers first, in numeric order,
// as JSON.stringify writes any object). Fix plans get their commands here (the report layer renders them).
// The text is produced a few results at a time (`jsonChunks`), so that a report of 300,000 results is written
// without ever being one string; `renderJson` joins the chunks.

import type { CheckResult, Report, ReportEnd, ReportStream, Status, Verdict } from '../model/results.js';
import { redactSecrets } from './common.js';
import { renderedFix } from './fixes.js';

/** The order of the known fields of each object of the report; keys not listed follow, sorted. */
interface Shape {
  order: readonly string[];
  /** Shapes of nested fields: an object, or each element of an array. */
  fields?: Record<string, Shape>;
  /** Fix plans: written with their rendered commands. */
  fix?: true;
}

const FIX: Shape = {
  order: ['action', 'target', 'params', 'description', 'gcloud', 'kubectl', 'terraform'],
  fix: true,
};
const RESULT: Shape = {
  order: ['check', 'status', 'subject', 'title', 'cause', 'evidence', 'fix', 'docs', 'missing', 'location'],
  fields: {
    evidence: { order: ['expected', 'actual', 'notes'] },
    fix: FIX,
    suppressed: { order: ['file', 'reason', 'expires'] },
  },
};
const VERDICT: Shape = {
  order: ['subject', 'rootCause', 'headline', 'ruledOut', 'notEvaluated', 'fix', 'related'],
  fields: { fix: FIX },
};
const REPORT: Shape = {
  order: ['format', 'tool', 'generatedAt', 'source', 'cluster', 'results', 'verdicts', 'groups', 'summary', 'notes'],
  fields: {
    tool: { order: ['name', 'version'] },
    results: RESULT,
    verdicts: VERDICT,
    groups: { order: ['rootCause', 'headline', 'subjects'] },
    summary: { order: ['pass', 'fail', 'warn', 'unknown', 'skip'] },
  },
};

export function renderJson(report: Report): string {
  return [...jsonChunks(report)].join('');
}

/**
 * The report as pretty-printed JSON (two-space indent, as `JSON.stringify(…, null, 2)` writes it), in
 * chunks: one per top-level field, and one per 16 K characters or so of the arrays of results, verdicts and
 * groups.
 * Each piece is a copy with its keys in order, written by the native `JSON.stringify` (the whole report is
 * never copied at once, nor one string).
 */
export function* jsonChunks(report: Report): Generator<string> {
  const record = report as unknown as Record<string, unknown>;
  const keys = keysInOrder(record, REPORT);
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const comma = i < keys.length - 1 ? ',' : '';
    const value = record[key];
    if (Array.isArray(value) && (key === 'results' || key === 'verdicts' || key === 'groups')) {
      yield* arrayChunks(key, comma, [value], REPORT.fields?.[key]);
      continue;
    }
    yield fieldChunk(key, comma, value);
  }
  yield '}\n';
}

/**
 * The JSON report of a report read a slice at a time: the fields known before the slices, then the results as
 * each slice comes (its results are written and let go), then the verdicts (kept, in reading order), groups,
 * summary and notes, which need every slice. The same text as `jsonChunks` of the report made whole.
 */
export function* jsonStreamChunks(stream: ReportStream): Generator<string> {
  const verdicts: Verdict[][] = [[], [], [], [], []];
  let end: ReportEnd | undefined;
  const ended = (): ReportEnd => (end ??= stream.end());
  function* results(): Generator<readonly CheckResult[]> {
    yield stream.shared;
    for (const slice of stream.slices) {
      yield slice.results;
      for (const v of slice.verdicts) verdicts[RANK[v.status]]?.push(v);
    }
    ended();
  }
  // Every field is present; only the order of the keys is read from this record.
  const record: Record<string, unknown> = {
    ...stream.head,
    results: [],
    verdicts: [],
    groups: [],
    summary: {},
    notes: [],
  };
  const keys = keysInOrder(record, REPORT);
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const comma = i < keys.length - 1 ? ',' : '';
    const shape = REPORT.fields?.[key];
    if (key === 'results') yield* arrayChunks(key, comma, results(), shape);
    // The report's order puts results before every field that needs the slices read.
    else if (key === 'verdicts') yield* arrayChunks(key, comma, [verdicts.flat()], shape);
    else if (key === 'groups') yield* arrayChunks(key, comma, [ended().groups], shape);
    else if (key === 'summary') yield fieldChunk(key, comma, ended().summary);
    else if (key === 'notes') yield fieldChunk(key, comma, ended().notes);
    else yield fieldChunk(key, comma, record[key]);
  }
  yield '}\n';
}

/** The reading order of statuses (as `sortBySeverity`). */
const RANK: Record<Status, number> = { fail: 0, warn: 1, unknown: 2, pass: 3, skip: 4 };

/** `  "key": value,` for a top-level field. */
function fieldChunk(key: string, comma: string, value: unknown): string {
  return redactSecrets(`  ${JSON.stringify(key)}: ${field(ordered(value, REPORT.fields?.[key]))}${comma}\n`);
}

/**
 * A top-level array whose elements come in pieces, written a few elements at a time: about CHUNK characters per
 * chunk, judged by the size of the chunk before.
 */
function* arrayChunks(
  key: string,
  comma: string,
  pieces: Iterable<readonly unknown[]>,
  shape: Shape | undefined,
): Generator<string> {
  let opened = false;
  let count = 1;
  for (const value of pieces) {
    let next = 0;
    while (next < value.length) {
      const batch = value.slice(next, next + count).map((item) => (isJsonValue(item) ? ordered(item, shape) : null));
      next += batch.length;
      const text = elements(batch);
      yield opened ? ',\n' : `  ${JSON.stringify(key)}: [\n`;
      opened = true;
      yield redactSecrets(text);
      // As many elements next time as make about CHUNK characters, judged by the size of these.
      count = Math.max(1, Math.min(MAX_BATCH, Math.round((batch.length * CHUNK) / Math.max(text.length, 1))));
    }
  }
  yield opened ? `\n  ]${comma}\n` : `  ${JSON.stringify(key)}: []${comma}\n`;
}

/**
 * Characters per chunk of results, verdicts or groups. Small enough that a chunk stays an ordinary young
 * string (V8 puts strings over 128 KB, or 64 K characters of UTF-16, in the large-object space, freed only
 * by a full collection: 60 MB of verdict chunks would wait there); large enough to be cheap.
 */
const CHUNK = 16_384;
const MAX_BATCH = 64;

// `JSON.stringify(…, null, 2)` indents from the left margin; a value nested in a wrapper comes out indented as
// it sits in the report: a top-level field's value at two spaces, the elements of a top-level array at four.
const FIELD_HEAD = '{\n  "v": '.length;
const ELEMENTS_HEAD = '{\n  "v": [\n'.length;

function field(value: unknown): string {
  const text = JSON.stringify({ v: value }, null, 2);
  return text.slice(FIELD_HEAD, text.length - '\n}'.length);
}

/** Elements of a top-level array, one per line group, separated by commas, without the last line break. */
function elements(values: readonly unknown[]): string {
  const text = JSON.stringify({ v: values }, null, 2);
  return text.slice(ELEMENTS_HEAD, text.length - '\n  ]\n}'.length);
}

/** The keys of an object in the shape's order, then the others sorted; undefined values are left out as JSON does. */
function keysInOrder(record: Record<string, unknown>, shape: Shape | undefined): string[] {
  const known = shape?.order ?? [];
  const keys: string[] = [];
  for (const k of known) if (k in record && isJsonValue(record[k])) keys.push(k);
  const all = Object.keys(record);
  if (all.length === keys.length) return keys;
  const rest = all.filter((k) => !known.includes(k) && isJsonValue(record[k]));
  if (rest.length > 0) keys.push(...rest.sort());
  return keys;
}

const isJsonValue = (v: unknown): boolean => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';

/**
 * `value` ready for `JSON.stringify`: objects with their keys in the order of `shape` (sorted where there is
 * none), fix plans with their commands, big integers as strings. What is already so is used as it is (most
 * results are built in the contract's order); the rest is copied.
 */
function ordered(value: unknown, shape: Shape | undefined): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') continue;
      // JSON.stringify writes holes and undefined elements as null; so do we.
      const clean = isJsonValue(item) ? ordered(item, shape) : null;
      if (clean === item) continue;
      copy ??= value.slice();
      copy[i] = clean;
    }
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return ordered(JSON.parse(JSON.stringify(value)) as unknown, shape);
  }
  const rendered = shape?.fix === true;
  const record = (rendered ? renderedFix(value as Parameters<typeof renderedFix>[0]) : value) as Record<
    string,
    unknown
  >;
  if (!rendered && Object.getPrototypeOf(record) === Object.prototype && inOrder(record, shape)) {
    let copy: Record<string, unknown> | undefined;
    for (const key in record) {
      const item = record[key];
      const clean = ordered(item, shape?.fields?.[key]);
      if (clean === item) continue;
      copy ??= { ...record };
      define(copy, key, clean);
    }
    return copy ?? record;
  }
  // A plain object (objects of one shape share a hidden class, which JSON.stringify writes fastest).
  const copy: Record<string, unknown> = {};
  for (const key of keysInOrder(record, shape)) define(copy, key, ordered(record[key], shape?.fields?.[key]));
  return copy;
}

const NO_ORDER: readonly string[] = [];

/**
 * Whether a plain object's keys already come as `keysInOrder` lists them (and every value is one JSON
 * writes): the shape's keys in its order, then the others sorted. Checked without allocating.
 */
function inOrder(record: Record<string, unknown>, shape: Shape | undefined): boolean {
  const order = shape?.order ?? NO_ORDER;
  let next = 0;
  let lastOther: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || !isJsonValue(record[key])) return false;
    const at = order.indexOf(key);
    if (at !== -1) {
      if (at < next || lastOther !== undefined) return false;
      next = at + 1;
    } else {
      if (lastOther !== undefined && !(lastOther < key)) return false;
      lastOther = key;
    }
  }
  return true;
}

/** A key `__proto__` in free-form data is defined as an own key, not assigned (which would set the prototype). */
function define(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
