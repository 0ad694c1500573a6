// The JSON report (schema/report.schema.json). Key order is stable so that reports diff cleanly: the
// contract's fields in the contract's order, any added fields after them in alphabetical order, and
// free-form values (evidence, params) with their keys sorted. Fix plans get their commands here (the
// report layer renders them). The text is produced one result at a time (`jsonChunks`), so that a report
// of 300,000 results is written without ever being one string; `renderJson` joins the chunks.

import type { Report } from '../model/results.js';
import { redactSecrets } from './common.js';
import { renderedFix } from './fixes.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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
      for (const [j, item] of value.entries()) {
        const json = JSON.stringify(ordered(item, shape), null, 2).replace(/\n/g, '\n    ');
        yield redactSecrets(`    ${json}${j < value.length - 1 ? ',' : ''}\n`);
      }
      yield `  ]${comma}\n`;
      continue;
    }
    const json = JSON.stringify(ordered(value, shape), null, 2).replace(/\n/g, '\n  ');
    yield redactSecrets(`  ${JSON.stringify(key)}: ${json}${comma}\n`);
  }
  yield '}\n';
}

/** The keys of an object in the shape's order, then the others sorted; undefined values are left out as JSON does. */
function keysInOrder(record: Record<string, unknown>, shape: Shape | undefined): string[] {
  const known = shape?.order ?? [];
  const rest = Object.keys(record)
    .filter((k) => !known.includes(k))
    .sort();
  return [...known, ...rest].filter((k) => k in record && isJsonValue(record[k]));
}

const isJsonValue = (v: unknown): boolean => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';

/** A copy of `value` with keys in the order of `shape` (or sorted where there is none). */
function ordered(value: unknown, shape: Shape | undefined): Json | undefined {
  if (!isJsonValue(value)) return undefined;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : (value as Json);
  }
  if (Array.isArray(value)) {
    // JSON.stringify writes holes and undefined elements as null; so do we.
    return value.map((item: unknown) => ordered(item, shape) ?? null);
  }
  const source = shape?.fix === true ? renderedFix(value as Parameters<typeof renderedFix>[0]) : value;
  const record = source as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const key of keysInOrder(record, shape)) {
    const v = ordered(record[key], shape?.fields?.[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
