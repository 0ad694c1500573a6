// The JSON report (BUNDLE.md "JSON report"; schema/report.schema.json). Key order is stable so that
// reports diff cleanly: the contract's fields in the contract's order, any added fields after them in
// alphabetical order, and free-form values (evidence, params) with their keys sorted.

import type { Report } from '../model/results.js';
import { redactSecrets } from './common.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The order of the known fields of each object of the report; keys not listed follow, sorted. */
interface Shape {
  order: readonly string[];
  /** Shapes of nested fields: an object, or each element of an array. */
  fields?: Record<string, Shape>;
}

const FIX: Shape = {
  order: ['action', 'target', 'params', 'description', 'gcloud', 'kubectl', 'terraform'],
};
const RESULT: Shape = {
  order: ['check', 'status', 'subject', 'title', 'cause', 'evidence', 'fix', 'docs', 'missing', 'location'],
  fields: { evidence: { order: ['expected', 'actual', 'notes'] }, fix: FIX },
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
  return redactSecrets(JSON.stringify(ordered(report, REPORT), null, 2) + '\n');
}

/** A copy of `value` with keys in the order of `shape` (or sorted where there is none). */
function ordered(value: unknown, shape: Shape | undefined): Json | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : (value as Json);
  }
  if (Array.isArray(value)) {
    // JSON.stringify writes holes and undefined elements as null; so do we.
    return value.map((item: unknown) => ordered(item, shape) ?? null);
  }
  const record = value as Record<string, unknown>;
  const known = shape?.order ?? [];
  const rest = Object.keys(record)
    .filter((k) => !known.includes(k))
    .sort();
  const out: Record<string, Json> = {};
  for (const key of [...known, ...rest]) {
    if (!(key in record)) continue;
    const v = ordered(record[key], shape?.fields?.[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
