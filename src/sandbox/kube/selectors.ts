// Label and field selectors as the API server parses them (the subset kubectl and client libraries send).

import type { KObject } from '../../model/k8s/types.js';

type Requirement =
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

const FIELD_GETTERS: Record<string, (o: KObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '',
  'spec.serviceAccountName': (o) => (o as { spec?: { serviceAccountName?: string } }).spec?.serviceAccountName ?? '',
  'status.phase': (o) => (o as { status?: { phase?: string } }).status?.phase ?? '',
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
