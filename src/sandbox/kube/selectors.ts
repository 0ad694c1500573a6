// Label and field selectors as the API server parses them (the subset kubectl and client libraries send).

import type { KObject, LabelSelector } from '../../model/k8s/types.js';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'neq'; values: [string] };

export class SelectorError extends Error {}

/** Splits on commas outside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(s: string): Requirement[] {
  return splitTerms(s).map((term) => {
    let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: m[2] as 'in' | 'notin', values: (m[3] ?? '').split(',').map((v) => v.trim()) };
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: m[2] === '!=' ? 'neq' : 'eq', values: [m[3] ?? ''] };
    m = /^!([^\s!=]+)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: 'notexists' };
    if (/^[^\s!=(),]+$/.test(term)) return { key: term, op: 'exists' };
    throw new SelectorError(`unable to parse requirement: ${term}`);
  });
}

export function matchesLabels(labels: Record<string, string> | undefined, reqs: Requirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'eq':
        return v === r.values[0];
      case 'neq':
        return v !== r.values[0];
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
    }
  });
}

/** A LabelSelector (matchLabels, matchExpressions) as requirements. */
export function selectorRequirements(sel: LabelSelector): Requirement[] {
  const out: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'eq', values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') out.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') out.push({ key: e.key, op: 'exists' });
    else out.push({ key: e.key, op: 'notexists' });
  }
  return out;
}

function field(o: KObject, ...path: string[]): string {
  let cur: unknown = o;
  for (const k of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[k] : undefined;
  return typeof cur === 'string' ? cur : typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : '';
}

/** The field labels the API server accepts in field selectors (metadata for every kind, plus per kind). */
const FIELD_GETTERS: Record<string, (o: KObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => field(o, 'spec', 'nodeName'),
  'spec.serviceAccountName': (o) => field(o, 'spec', 'serviceAccountName'),
  'spec.restartPolicy': (o) => field(o, 'spec', 'restartPolicy'),
  'spec.schedulerName': (o) => field(o, 'spec', 'schedulerName'),
  'status.phase': (o) => field(o, 'status', 'phase'),
  'status.podIP': (o) => field(o, 'status', 'podIP'),
  'status.nominatedNodeName': (o) => field(o, 'status', 'nominatedNodeName'),
  'spec.unschedulable': (o) => field(o, 'spec', 'unschedulable') || 'false',
  'involvedObject.kind': (o) => field(o, 'involvedObject', 'kind'),
  'involvedObject.namespace': (o) => field(o, 'involvedObject', 'namespace'),
  'involvedObject.name': (o) => field(o, 'involvedObject', 'name'),
  'involvedObject.uid': (o) => field(o, 'involvedObject', 'uid'),
  'involvedObject.apiVersion': (o) => field(o, 'involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': (o) => field(o, 'involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': (o) => field(o, 'involvedObject', 'fieldPath'),
  reason: (o) => field(o, 'reason'),
  reportingComponent: (o) => field(o, 'reportingComponent'),
  source: (o) => field(o, 'source', 'component'),
  type: (o) => field(o, 'type'),
};

export function parseFieldSelector(s: string): ((o: KObject) => boolean)[] {
  return splitTerms(s).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    const getter = FIELD_GETTERS[field];
    if (!getter) throw new SelectorError(`field label not supported: ${field}`);
    const value = m[3] ?? '';
    const negate = m[2] === '!=';
    return (o: KObject) => (getter(o) === value) !== negate;
  });
}
