// Reading a baseline file (`.wi-doctor.yaml`, see ./baseline.ts): YAML, validated entry by entry, every
// problem one line naming the file, the line and the entry.

import { LineCounter, parseDocument } from 'yaml';
import type { Baseline, BaselineEntry } from './baseline.js';

/** A baseline that cannot be used: one line naming the file, the line and what is wrong (exit 2). */
export class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ENTRY_KEYS = new Set(['check', 'subject', 'cluster', 'reason', 'expires']);

/** Parses and validates a baseline file's text. `knownCheck` rejects typos in check ids (with a suggestion). */
export function parseBaseline(
  text: string,
  file: string,
  knownCheck: (id: string) => string | undefined = () => undefined,
): Baseline {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined): string =>
    offset === undefined ? file : `${file}:${lineCounter.linePos(offset).line}`;
  const [error] = doc.errors;
  if (error !== undefined) throw new BaselineError(`${lineOf(error.pos[0])}: not valid YAML (${error.code})`);
  const json: unknown = doc.toJS();
  if (json === null || json === undefined) return { file, entries: [] };
  if (!isRecord(json)) throw new BaselineError(`${file}: expected a mapping with a "suppress" list`);
  for (const key of Object.keys(json)) {
    if (key !== 'suppress') throw new BaselineError(`${file}: unknown key "${key}" (the file has one key: suppress)`);
  }
  const list = json['suppress'];
  if (list === undefined || list === null) return { file, entries: [] };
  if (!Array.isArray(list)) throw new BaselineError(`${file}: "suppress" must be a list of entries`);
  const seq = doc.get('suppress', true) as { items?: { range?: [number, number, number] }[] } | undefined;
  return {
    file,
    entries: list.map((item: unknown, i) => {
      const where = lineOf(seq?.items?.[i]?.range?.[0]);
      const bad = (what: string) => new BaselineError(`${where}: suppress[${i}]: ${what}`);
      if (!isRecord(item))
        throw bad('expected a mapping with check, subject, reason and optionally cluster and expires');
      for (const key of Object.keys(item)) {
        if (!ENTRY_KEYS.has(key)) throw bad(`unknown key "${key}" (expected check, subject, cluster, reason, expires)`);
      }
      const text = (key: string): string => {
        const v = item[key];
        if (typeof v !== 'string' || v.trim() === '') throw bad(`"${key}" is required (a non-empty string)`);
        return v.trim();
      };
      const check = text('check');
      const unknown = knownCheck(check);
      if (unknown !== undefined) throw bad(unknown);
      const entry: BaselineEntry = { check, subject: text('subject'), reason: text('reason'), where };
      const cluster = item['cluster'];
      if (cluster !== undefined) {
        if (typeof cluster !== 'string' || cluster.trim() === '') throw bad('"cluster" must be a non-empty string');
        entry.cluster = cluster.trim();
      }
      const expires = item['expires'];
      if (expires !== undefined) {
        const day = expires instanceof Date ? expires.toISOString().slice(0, 10) : expires;
        if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) {
          throw bad('"expires" must be a day, YYYY-MM-DD');
        }
        entry.expires = day;
      }
      return entry;
    }),
  };
}
