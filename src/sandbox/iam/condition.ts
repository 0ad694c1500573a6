// A small evaluator for the CEL subset IAM conditions use in practice: request.time comparisons with
// timestamp(), resource.name/type/service equality and startsWith/endsWith, &&, ||, !, parentheses.
// Anything else (an unknown attribute or function) makes the condition evaluate to false, which is what a
// deny-by-default engine must do with what it cannot prove.

export interface ConditionAttributes {
  requestTime: Date;
  resourceName?: string;
  resourceType?: string;
  resourceService?: string;
}

type Value = string | boolean | number | Date | undefined;

class Unsupported extends Error {}

const TOKEN =
  /\s*(?:(\d+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||==|!=|<=|>=|[<>!().,]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (!m) throw new Unsupported(`unexpected input at ${TOKEN.lastIndex}`);
    out.push(m[0].trim());
  }
  return out;
}

export function evaluateCondition(expression: string, attrs: ConditionAttributes): boolean {
  try {
    const tokens = tokenize(expression);
    let pos = 0;
    const peek = (): string | undefined => tokens[pos];
    const take = (expected?: string): string => {
      const t = tokens[pos++];
      if (t === undefined || (expected !== undefined && t !== expected))
        throw new Unsupported(`expected ${expected ?? 'token'}`);
      return t;
    };
    const attribute = (path: string): Value => {
      switch (path) {
        case 'request.time':
          return attrs.requestTime;
        case 'resource.name':
          return attrs.resourceName;
        case 'resource.type':
          return attrs.resourceType;
        case 'resource.service':
          return attrs.resourceService;
        default:
          throw new Unsupported(`unknown attribute ${path}`);
      }
    };
    const primary = (): Value => {
      const t = take();
      let value: Value;
      if (t === '(') {
        value = or();
        take(')');
      } else if (t === '!') {
        return !truthy(primary());
      } else if (/^["']/.test(t)) {
        value = JSON.parse(t.startsWith("'") ? `"${t.slice(1, -1).replace(/"/g, '\\"')}"` : t) as string;
      } else if (/^\d+$/.test(t)) {
        value = Number(t);
      } else if (t === 'true' || t === 'false') {
        value = t === 'true';
      } else if (t === 'timestamp') {
        take('(');
        const arg = primary();
        take(')');
        if (typeof arg !== 'string' || Number.isNaN(Date.parse(arg))) throw new Unsupported('bad timestamp');
        value = new Date(arg);
      } else if (/^[A-Za-z_]/.test(t)) {
        let path = t;
        while (peek() === '.' && tokens[pos + 2] !== '(') {
          take('.');
          path += `.${take()}`;
        }
        value = attribute(path);
      } else {
        throw new Unsupported(`unexpected ${t}`);
      }
      while (peek() === '.') {
        take('.');
        const method = take();
        take('(');
        const arg = or();
        take(')');
        if (typeof value !== 'string' || typeof arg !== 'string') throw new Unsupported('string method on non-string');
        if (method === 'startsWith') value = value.startsWith(arg);
        else if (method === 'endsWith') value = value.endsWith(arg);
        else throw new Unsupported(`unknown method ${method}`);
      }
      return value;
    };
    const comparison = (): Value => {
      const left = primary();
      const op = peek();
      if (op && ['==', '!=', '<', '<=', '>', '>='].includes(op)) {
        take();
        return compare(left, op, primary());
      }
      return left;
    };
    const and = (): Value => {
      let v = comparison();
      while (peek() === '&&') {
        take();
        const r = comparison();
        v = truthy(v) && truthy(r);
      }
      return v;
    };
    const or = (): Value => {
      let v = and();
      while (peek() === '||') {
        take();
        const r = and();
        v = truthy(v) || truthy(r);
      }
      return v;
    };
    const result = or();
    if (pos !== tokens.length) throw new Unsupported('trailing input');
    return result === true;
  } catch {
    return false;
  }
}

function truthy(v: Value): boolean {
  if (typeof v !== 'boolean') throw new Unsupported('not a boolean');
  return v;
}

function compare(a: Value, op: string, b: Value): boolean {
  if (a === undefined || b === undefined) throw new Unsupported('unknown value');
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (typeof x !== typeof y) throw new Unsupported('type mismatch');
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}
