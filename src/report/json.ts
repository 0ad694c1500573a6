// The JSON report (schema/report.schema.json). Key order is stable so that reports diff cleanly: the
// contract's fields in the contract's order, any added fields after them in alphabetical order, and
// free-form values (evidence, params) with their keys sorted. Fix plans get their commands here (the
// report layer renders them). The text is produced one result at a time (`jsonChunks`), so that a report
// of 300,000 results is written without ever being one string; `renderJson` joins the chunks.

import type { Report } from '../model/results.js';
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
 * chunks: one per top-level field, and one per element of the arrays of results, verdicts and groups.
 * Written directly from the objects (no ordered copy of the report is ever built).
 */
export function* jsonChunks(report: Report): Generator<string> {
  const record = report as unknown as Record<string, unknown>;
  const keys = keysInOrder(record, REPORT);
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const comma = i < keys.length - 1 ? ',' : '';
    const value = record[key];
    const shape = REPORT.fields?.[key];
    if (Array.isArray(value) && value.length > 0 && (key === 'results' || key === 'verdicts' || key === 'groups')) {
      yield `  ${JSON.stringify(key)}: [\n`;
      const last = value.length - 1;
      for (let j = 0; j <= last; j++) {
        const out: string[] = ['    '];
        write(value[j], shape, '    ', out);
        out.push(j < last ? ',\n' : '\n');
        yield redactSecrets(out.join(''));
      }
      yield `  ]${comma}\n`;
      continue;
    }
    const out: string[] = [`  ${JSON.stringify(key)}: `];
    write(value, shape, '  ', out);
    out.push(`${comma}\n`);
    yield redactSecrets(out.join(''));
  }
  yield '}\n';
}

/** The keys of an object in the shape's order, then the others sorted; undefined values are left out as JSON does. */
function keysInOrder(record: Record<string, unknown>, shape: Shape | undefined): string[] {
  const known = shape?.order ?? [];
  const keys: string[] = [];
  for (const k of known) if (k in record && isJsonValue(record[k])) keys.push(k);
  const rest = Object.keys(record).filter((k) => !known.includes(k) && isJsonValue(record[k]));
  if (rest.length > 0) keys.push(...rest.sort());
  return keys;
}

const isJsonValue = (v: unknown): boolean => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';

/**
 * Appends `value` as `JSON.stringify(value, null, 2)` would write it at `indent`, keys in the order of
 * `shape` (sorted where there is none), fix plans with their commands.
 */
function write(value: unknown, shape: Shape | undefined, indent: string, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') out.push(JSON.stringify(value.toString()));
    else out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    for (let i = 0; i < value.length; i++) {
      out.push(inner);
      // JSON.stringify writes holes and undefined elements as null; so do we.
      const item: unknown = value[i];
      if (isJsonValue(item)) write(item, shape, inner, out);
      else out.push('null');
      out.push(i < value.length - 1 ? ',\n' : '\n');
    }
    out.push(`${indent}]`);
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    write(JSON.parse(JSON.stringify(value)) as unknown, shape, indent, out);
    return;
  }
  const source = shape?.fix === true ? renderedFix(value as Parameters<typeof renderedFix>[0]) : value;
  const record = source as Record<string, unknown>;
  const keys = keysInOrder(record, shape);
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? '';
    out.push(inner, JSON.stringify(key), ': ');
    write(record[key], shape?.fields?.[key], inner, out);
    out.push(i < keys.length - 1 ? ',\n' : '\n');
  }
  out.push(`${indent}}`);
}
