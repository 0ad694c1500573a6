// Cloud Logging v2 entries:list with the filter subset audit queries use: comparisons on field paths
// (=, !=, :, >=, <=, >, <) joined by AND (explicit or implicit), parentheses. OR and NOT are refused
// loudly rather than half-understood.

import type { LogEntry } from '../../model/gcp.js';
import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { str, readBody, RouteTable } from '../http/router.js';
import type { World } from '../world.js';
import { authenticate } from './common.js';

type Predicate = (e: LogEntry) => boolean;

export class FilterError extends Error {}

const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
const TOKEN = /\s*("(?:[^"\\]|\\.)*"|>=|<=|!=|[=:<>()]|[^\s=:<>()!"]+)/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    if (/^\s*$/.test(s.slice(TOKEN.lastIndex))) return out;
    const m = TOKEN.exec(s);
    if (!m) throw new FilterError(`cannot parse filter near: ${s.slice(TOKEN.lastIndex, TOKEN.lastIndex + 20)}`);
    out.push(m[1] ?? '');
  }
}

function lookup(entry: LogEntry, path: string): unknown {
  let cur: unknown = entry;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function unquote(v: string): string {
  return v.startsWith('"') ? (JSON.parse(v) as string) : v;
}

export function parseFilter(filter: string): Predicate {
  const tokens = tokenize(filter);
  let pos = 0;
  const expr = (): Predicate => {
    const terms: Predicate[] = [];
    while (pos < tokens.length && tokens[pos] !== ')') {
      const t = tokens[pos];
      if (t === 'AND') {
        pos++;
        continue;
      }
      if (t === 'OR' || t === 'NOT' || t === '-')
        throw new FilterError(`the sandbox's logging filter does not support ${t}`);
      if (t === '(') {
        pos++;
        terms.push(expr());
        if (tokens[pos++] !== ')') throw new FilterError('unbalanced parentheses');
        continue;
      }
      terms.push(comparison());
    }
    return (e) => terms.every((p) => p(e));
  };
  const comparison = (): Predicate => {
    const field = tokens[pos++] ?? '';
    const op = tokens[pos++] ?? '';
    const raw = tokens[pos++];
    if (!['=', '!=', ':', '>=', '<=', '>', '<'].includes(op) || raw === undefined)
      throw new FilterError(`expected a comparison after ${field}`);
    const value = unquote(raw);
    return (e) => {
      const actual = lookup(e, field);
      if (actual === undefined || actual === null) return op === '!=';
      const s = typeof actual === 'string' ? actual : JSON.stringify(actual);
      if (op === ':') return s.toLowerCase().includes(value.toLowerCase());
      if (op === '=') return s === value;
      if (op === '!=') return s !== value;
      const [a, b] =
        field === 'severity' ? [SEVERITIES.indexOf(s), SEVERITIES.indexOf(value.toUpperCase())] : [s, value];
      const cmp = field === 'timestamp' ? Date.parse(String(a)) - Date.parse(String(b)) : a < b ? -1 : a > b ? 1 : 0;
      return op === '>=' ? cmp >= 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp < 0;
    };
  };
  const p = expr();
  if (pos !== tokens.length) throw new FilterError('unbalanced parentheses');
  return p;
}

export function loggingRoutes(world: World): RouteTable {
  return new RouteTable(
    [
      {
        method: 'POST',
        path: '/v2/entries:list',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const body = readBody(req);
          const names = Array.isArray(body.resourceNames) ? body.resourceNames.map(String) : [];
          const projects: string[] = [];
          for (const n of names) {
            const p = world.project(n.replace(/^projects\//, ''));
            if (!p || !world.check(auth.principal, 'logging.logEntries.list', world.projectChain(p.id)).allowed) {
              return permissionDenied('logging.logEntries.list', 'logging.googleapis.com');
            }
            projects.push(p.id);
          }
          let predicate: Predicate;
          try {
            predicate = parseFilter(str(body.filter));
          } catch (e) {
            return googleError(400, `Invalid filter: ${e instanceof Error ? e.message : String(e)}`);
          }
          // Data Access logs are private logs: reading them needs logging.privateLogEntries.list.
          const mayReadPrivate = new Set(
            projects.filter(
              (p) => world.check(auth.principal, 'logging.privateLogEntries.list', world.projectChain(p)).allowed,
            ),
          );
          let entries = world.audit.all().filter((e) => {
            const project = /^projects\/([^/]+)\//.exec(e.logName ?? '')?.[1] ?? '';
            if (!projects.includes(project)) return false;
            if ((e.logName ?? '').endsWith('%2Fdata_access') && !mayReadPrivate.has(project)) return false;
            return predicate(e);
          });
          const desc = str(body.orderBy).includes('desc');
          entries = [...entries].sort((a, b) => ((a.timestamp ?? '') < (b.timestamp ?? '') ? -1 : 1) * (desc ? -1 : 1));
          const size = Math.min(Number(body.pageSize ?? 50) || 50, 1000);
          const start = Number(body.pageToken ?? 0) || 0;
          const out: Record<string, unknown> = {};
          const page = entries.slice(start, start + size);
          if (page.length > 0) out.entries = page;
          if (start + size < entries.length) out.nextPageToken = String(start + size);
          return { status: 200, json: out };
        },
      },
    ],
    (req) => googleNotFoundRoute('logging', req.method, req.path),
  );
}
