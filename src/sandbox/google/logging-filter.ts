// The Logging query language, as entries:list and `gcloud logging read` take it: a small real parser.
//
// Grammar (precedence from loosest to tightest: AND / juxtaposition, then OR, then NOT; as in Google's
// filtering spec AIP-160 and the Logging query language page, `a AND b OR c` is `a AND (b OR c)`):
//
//   query       = [ sequence ] EOF
//   sequence    = disjunction { [ "AND" ] disjunction }
//   disjunction = factor { "OR" factor }
//   factor      = [ "NOT" | "-" ] primary
//   primary     = "(" sequence ")" | "log_id" "(" STRING ")" | comparison | value        (value: global search)
//   comparison  = field OP rhs
//   OP          = "=" | "!=" | ":" | "<" | "<=" | ">" | ">=" | "=~" | "!~"
//   rhs         = value | "(" value { ( "AND" | "OR" | juxtaposition ) value } ")"     (e.g. = ("a" OR "b"))
//   field       = name { "." name }          name = bare word or quoted string (labels."k8s-pod/app")
//   value       = STRING | bare word | "*"   ("*" only after ":": the field exists)
//
// Semantics: string comparisons ignore case (except =~ / !~, which are regular expressions); a path through
// a repeated field matches when any element does (`…bindingDeltas.action="REMOVE"`); `!=` is the negation of
// `=` (a missing field matches); `<`/`>` compare timestamps as instants, severities by rank, numbers as
// numbers, other strings lexically. A bare value searches every string in the entry. AND, OR and NOT are
// operators only in capitals.

export class FilterSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly token: string,
  ) {
    super(`syntax error at line ${line}, column ${column}, token '${token}'`);
  }
}

type Entry = unknown;
export type Predicate = (e: Entry) => boolean;

interface Token {
  kind: 'word' | 'string' | 'op' | '(' | ')' | 'eof';
  text: string;
  /** Value of a word or string. */
  value: string;
  line: number;
  column: number;
}

const OPS = ['<=', '>=', '!=', '=~', '!~', '=', ':', '<', '>'];
const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (start: number): { line: number; column: number } => ({ line, column: start - lineStart + 1 });
  while (i < src.length) {
    const ch = src[i] ?? '';
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length || src[i] === '\n') {
          const p = at(start);
          throw new FilterSyntaxError(p.line, p.column, src.slice(start, i));
        }
        const c = src[i] ?? '';
        if (c === '\\') {
          const next = src[i + 1] ?? '';
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
          continue;
        }
        if (c === '"') {
          i++;
          break;
        }
        value += c;
        i++;
      }
      out.push({ kind: 'string', text: src.slice(start, i), value, ...at(start) });
      continue;
    }
    if (ch === '(' || ch === ')') {
      i++;
      out.push({ kind: ch, text: ch, value: ch, ...at(start) });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      i += op.length;
      out.push({ kind: 'op', text: op, value: op, ...at(start) });
      continue;
    }
    // A bare word: anything up to whitespace, a parenthesis, a quote or an operator character.
    while (i < src.length && !/[\s()"=:<>!]/.test(src[i] ?? '')) i++;
    if (i === start) {
      const p = at(start);
      throw new FilterSyntaxError(p.line, p.column, ch);
    }
    const text = src.slice(start, i);
    out.push({ kind: 'word', text, value: text, ...at(start) });
  }
  out.push({ kind: 'eof', text: '', value: '', line, column: i - lineStart + 1 });
  return out;
}

/** Every value at a dotted path, descending into arrays at any level. */
function valuesAt(entry: Entry, path: string[]): unknown[] {
  let current: unknown[] = [entry];
  for (const part of path) {
    const next: unknown[] = [];
    for (const v of current) {
      for (const item of Array.isArray(v) ? (v as unknown[]) : [v]) {
        if (item !== null && typeof item === 'object' && part in item)
          next.push((item as Record<string, unknown>)[part]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
}

/**
 * Whether `test` holds for some value at a dotted path: the values `valuesAt` returns, in its order, without
 * building the lists (a Cloud Asset search tests every permission of every role of an organization this way).
 */
function someValueAt(value: unknown, path: readonly string[], i: number, test: (v: unknown) => boolean): boolean {
  if (i === path.length) {
    if (!Array.isArray(value)) return test(value);
    for (const v of value as unknown[]) if (test(v)) return true;
    return false;
  }
  const part = path[i] ?? '';
  if (!Array.isArray(value)) {
    return value !== null && typeof value === 'object' && part in value
      ? someValueAt((value as Record<string, unknown>)[part], path, i + 1, test)
      : false;
  }
  for (const item of value as unknown[]) {
    if (item !== null && typeof item === 'object' && part in item) {
      if (someValueAt((item as Record<string, unknown>)[part], path, i + 1, test)) return true;
    }
  }
  return false;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'NULL_VALUE';
  return undefined;
}

function allStrings(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v as unknown[]) allStrings(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) allStrings(x, out);
  else {
    const s = scalar(v);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** `wantedLower` is `wanted` lower-cased (by the caller, once per query, not once per value). */
function compare(field: string, op: string, actual: string, wanted: string, wantedLower: string): boolean {
  switch (op) {
    case '=':
      return actual.toLowerCase() === wantedLower;
    case ':':
      return actual.toLowerCase().includes(wantedLower);
    case '=~':
      return regex(wanted).test(actual);
    default: {
      let cmp: number;
      const last = field.split('.').pop() ?? '';
      if (last === 'severity') {
        cmp = SEVERITIES.indexOf(actual.toUpperCase()) - SEVERITIES.indexOf(wanted.toUpperCase());
      } else if (/timestamp$|Timestamp$|Time$|time$/.test(last) && !Number.isNaN(Date.parse(wanted))) {
        cmp = Date.parse(actual) - Date.parse(wanted);
      } else if (actual !== '' && wanted !== '' && !Number.isNaN(Number(actual)) && !Number.isNaN(Number(wanted))) {
        cmp = Number(actual) - Number(wanted);
      } else {
        cmp = actual < wanted ? -1 : actual > wanted ? 1 : 0;
      }
      if (Number.isNaN(cmp)) return false;
      return op === '<' ? cmp < 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : cmp >= 0;
    }
  }
}

const regexCache = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let r = regexCache.get(source);
  if (!r) {
    r = new RegExp(source);
    regexCache.set(source, r);
  }
  return r;
}

/** What a `field=value` or `field:value` predicate tests, so that an OR of them can share one walk. */
interface PlainTest {
  path: string[];
  op: '=' | ':';
  wantedLower: string;
}
const plainTests = new WeakMap<Predicate, PlainTest>();

/**
 * `a:x OR a:y OR …` as one walk over the values at `a`, each lower-cased once and compared with every wanted
 * value: the same answer as testing the terms one by one (a Cloud Asset query ORs six permission terms over
 * each role's thousands of permissions). Other terms are kept as they are.
 */
function mergeSamePath(parts: Predicate[]): Predicate[] {
  const groups = new Map<string, PlainTest[]>();
  const out: Predicate[] = [];
  for (const p of parts) {
    const t = plainTests.get(p);
    if (t === undefined) {
      out.push(p);
      continue;
    }
    const key = `${t.op} ${JSON.stringify(t.path)}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const tests of groups.values()) {
    const first = tests[0];
    if (first === undefined) continue;
    const { path, op } = first;
    const wanted = tests.map((t) => t.wantedLower);
    const matches = (x: unknown): boolean => {
      const s = scalar(x);
      if (s === undefined) return false;
      const l = s.toLowerCase();
      return op === '=' ? wanted.includes(l) : wanted.some((w) => l.includes(w));
    };
    out.push((e) => someValueAt(e, path, 0, matches));
  }
  return out;
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Predicate {
    if (this.peek().kind === 'eof') return () => true;
    const p = this.sequence();
    if (this.peek().kind !== 'eof') this.fail();
    return p;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] ?? this.eof();
  }

  private eof(): Token {
    return { kind: 'eof', text: '', value: '', line: 1, column: 1 };
  }

  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }

  private fail(t = this.peek()): never {
    throw new FilterSyntaxError(t.line, t.column, t.kind === 'eof' ? '<EOF>' : t.text);
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text === w;
  }

  /** Whether the next token can start a factor (juxtaposition means AND). */
  private startsFactor(t: Token): boolean {
    if (t.kind === '(' || t.kind === 'string') return true;
    return t.kind === 'word' && t.text !== 'AND' && t.text !== 'OR';
  }

  private sequence(): Predicate {
    const parts = [this.disjunction()];
    for (;;) {
      const t = this.peek();
      if (this.isWord(t, 'AND')) {
        this.next();
        parts.push(this.disjunction());
      } else if (this.startsFactor(t)) {
        parts.push(this.disjunction());
      } else break;
    }
    return parts.length === 1 ? (parts[0] ?? (() => true)) : (e) => parts.every((p) => p(e));
  }

  private disjunction(): Predicate {
    const parts = [this.factor()];
    while (this.isWord(this.peek(), 'OR')) {
      this.next();
      parts.push(this.factor());
    }
    if (parts.length === 1) return parts[0] ?? (() => true);
    const merged = mergeSamePath(parts);
    return merged.length === 1 ? (merged[0] ?? (() => true)) : (e) => merged.some((p) => p(e));
  }

  private factor(): Predicate {
    const t = this.peek();
    if (this.isWord(t, 'NOT')) {
      this.next();
      const p = this.primary();
      return (e) => !p(e);
    }
    if (t.kind === 'word' && t.text.startsWith('-') && t.text.length > 1) {
      // `-field=value`: the minus negates what follows.
      this.tokens[this.pos] = { ...t, text: t.text.slice(1), value: t.value.slice(1), column: t.column + 1 };
      const p = this.primary();
      return (e) => !p(e);
    }
    return this.primary();
  }

  private primary(): Predicate {
    const t = this.peek();
    if (t.kind === '(') {
      this.next();
      const p = this.sequence();
      if (this.peek().kind !== ')') this.fail();
      this.next();
      return p;
    }
    if (t.kind === 'word' && t.text === 'log_id' && this.peek(1).kind === '(') {
      this.next();
      this.next();
      const arg = this.next();
      if (arg.kind !== 'string' && arg.kind !== 'word') this.fail(arg);
      if (this.peek().kind !== ')') this.fail();
      this.next();
      const id = arg.value.toLowerCase();
      return (e) => {
        const logName = scalar(valuesAt(e, ['logName'])[0]) ?? '';
        return decodeURIComponent(logName.replace(/^.*\/logs\//, '')).toLowerCase() === id;
      };
    }
    if (t.kind !== 'word' && t.kind !== 'string') this.fail();
    if (t.kind === 'word' && (t.text === 'AND' || t.text === 'OR')) this.fail();
    this.next();
    const quotedSegment = t.kind === 'word' && t.text.endsWith('.') && this.peek().kind === 'string';
    if (this.peek().kind === 'op' || quotedSegment) {
      const path = this.fieldPath(t);
      if (this.peek().kind !== 'op') this.fail();
      return this.comparison(path);
    }
    // A value on its own: a global search over every string of the entry.
    const wanted = t.value.toLowerCase();
    return (e) => allStrings(e).some((s) => s.toLowerCase().includes(wanted));
  }

  /** `a.b."c/d".e`: bare words carry dots; quoted segments are glued on by a following `.`. */
  private fieldPath(first: Token): string[] {
    const parts = first.kind === 'string' ? [first.value] : first.value.split('.').filter((p) => p !== '');
    for (;;) {
      const t = this.peek();
      // A quoted segment written right after a trailing dot: labels."k8s-pod/app"
      if (t.kind === 'string' && first.kind === 'word' && first.text.endsWith('.')) {
        this.next();
        parts.push(t.value);
        first = t;
        continue;
      }
      if (t.kind === 'word' && t.text.startsWith('.') && first.kind === 'string') {
        this.next();
        parts.push(...t.value.split('.').filter((p) => p !== ''));
        first = t;
        continue;
      }
      break;
    }
    if (parts.length === 0) this.fail(first);
    return parts;
  }

  private comparison(path: string[]): Predicate {
    const opToken = this.next();
    const op = opToken.text;
    const field = path.join('.');
    const rhs = this.rhs();
    if (op === ':' && rhs.kind === 'value' && rhs.value === '*') return (e) => valuesAt(e, path).length > 0;
    if (op === '=~' || op === '!~') {
      const values = rhs.kind === 'value' ? [rhs.value] : rhs.values;
      for (const v of values) {
        try {
          regex(v);
        } catch {
          this.fail(opToken);
        }
      }
    }
    const test = (v: string): ((e: Entry) => boolean) => {
      const base = op === '!=' ? '=' : op === '!~' ? '=~' : op;
      const vLower = v.toLowerCase();
      const matches = (x: unknown): boolean => {
        const s = scalar(x);
        return s !== undefined && compare(field, base, s, v, vLower);
      };
      const positive = (e: Entry): boolean => someValueAt(e, path, 0, matches);
      if (op === '=' || op === ':') plainTests.set(positive, { path, op, wantedLower: vLower });
      return op === '!=' || op === '!~' ? (e) => !positive(e) : positive;
    };
    if (rhs.kind === 'value') return test(rhs.value);
    const preds = rhs.values.map(test);
    return rhs.any ? (e) => preds.some((p) => p(e)) : (e) => preds.every((p) => p(e));
  }

  private rhs(): { kind: 'value'; value: string } | { kind: 'list'; values: string[]; any: boolean } {
    const t = this.next();
    if (t.kind === 'word' || t.kind === 'string') {
      if (t.kind === 'word' && (t.text === 'AND' || t.text === 'OR' || t.text === 'NOT')) this.fail(t);
      return { kind: 'value', value: t.value };
    }
    if (t.kind !== '(') this.fail(t);
    // field = ("a" OR "b"): a value list joined by one kind of operator.
    const values: string[] = [];
    let any = false;
    for (;;) {
      const v = this.next();
      if (v.kind !== 'word' && v.kind !== 'string') this.fail(v);
      values.push(v.value);
      const sep = this.peek();
      if (sep.kind === ')') {
        this.next();
        break;
      }
      if (this.isWord(sep, 'OR')) {
        any = true;
        this.next();
      } else if (this.isWord(sep, 'AND')) this.next();
      else if (sep.kind !== 'word' && sep.kind !== 'string') this.fail(sep);
    }
    return { kind: 'list', values, any };
  }
}

/** Parses a filter; throws FilterSyntaxError where the Logging API would answer "Unparseable filter". */
export function parseFilter(filter: string): Predicate {
  return new Parser(tokenize(filter)).parse();
}
