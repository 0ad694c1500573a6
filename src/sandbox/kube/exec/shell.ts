// `sh -c '…'` and an interactive `sh`, as far as one-liners need: sequences (;, &&, ||), pipes, redirections
// (>, >>, <, 2>&1, 2>/dev/null), quotes, $VAR / ${VAR} / $(command), variable assignment, cd, export, exit.
// Pipes run stage after stage on whole outputs (there are no long-running producers in the sandbox).
// Not played: globs, backquotes, control flow (if/for/while), functions, background jobs.

import { lookup, type ExecContext, type ExecIo } from './commands.js';

type Op = ';' | '&&' | '||' | '|';

type Token = { word: string } | { op: Op } | { redirect: string };

interface Redirect {
  fd: 1 | 2 | 0;
  to: string;
  append: boolean;
}

interface Simple {
  words: string[];
  redirects: Redirect[];
}

class ShellSyntax extends Error {}

/** Splits a script into words and operators, expanding variables and command substitutions. */
async function tokenize(ctx: ExecContext, script: string, vars: Record<string, string>): Promise<Token[]> {
  const out: Token[] = [];
  let i = 0;
  const n = script.length;
  const lookupVar = (name: string): string => vars[name] ?? ctx.env[name] ?? '';
  const readSubst = async (): Promise<string> => {
    // at "$(" : find the matching ")"
    let depth = 1;
    const start = i + 2;
    let j = start;
    let quote = '';
    for (; j < n && depth > 0; j++) {
      const ch = script[j] ?? '';
      if (ch === '\\' && quote !== "'") {
        j++;
        continue;
      }
      if (quote !== '') {
        if (ch === quote) quote = '';
        continue;
      }
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    if (depth !== 0) throw new ShellSyntax('Syntax error: end of file unexpected (expecting ")")');
    i = j;
    const inner = script.slice(start, j - 1);
    const chunks: Buffer[] = [];
    const sub: ExecContext = { ...ctx, io: { ...ctx.io, out: (d) => chunks.push(Buffer.from(d)) } };
    await runScript(sub, inner, vars);
    return Buffer.concat(chunks).toString('utf8').replace(/\n+$/, '');
  };
  const readDollar = async (): Promise<string> => {
    if (script[i + 1] === '(') return readSubst();
    if (script[i + 1] === '{') {
      const end = script.indexOf('}', i + 2);
      if (end === -1) throw new ShellSyntax('Syntax error: bad substitution');
      const name = script.slice(i + 2, end);
      i = end + 1;
      return lookupVar(name);
    }
    if (script[i + 1] === '?') {
      i += 2;
      return vars['?'] ?? '0';
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(script.slice(i + 1));
    if (!m) {
      i++;
      return '$';
    }
    i += 1 + m[0].length;
    return lookupVar(m[0]);
  };
  while (i < n) {
    const ch = script[i] ?? '';
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '\n' || ch === ';') {
      out.push({ op: ';' });
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    if (script.startsWith('&&', i) || script.startsWith('||', i)) {
      out.push({ op: script.startsWith('&&', i) ? '&&' : '||' });
      i += 2;
      continue;
    }
    if (ch === '|') {
      out.push({ op: '|' });
      i++;
      continue;
    }
    if (ch === '&') throw new ShellSyntax('background jobs are not played by the sandbox');
    if (ch === '`') throw new ShellSyntax('backquote substitution is not played by the sandbox; use $(…)');
    const redirect = /^(2>&1|[12]?>>|[12]?>|<)/.exec(script.slice(i));
    if (redirect) {
      out.push({ redirect: redirect[0] });
      i += redirect[0].length;
      continue;
    }
    // a word
    let word = '';
    while (i < n) {
      const c = script[i] ?? '';
      if (' \t\n;|&<>'.includes(c)) break;
      if (c === '\\') {
        word += script[i + 1] ?? '';
        i += 2;
      } else if (c === "'") {
        const end = script.indexOf("'", i + 1);
        if (end === -1) throw new ShellSyntax('Syntax error: Unterminated quoted string');
        word += script.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        while (i < n && script[i] !== '"') {
          if (script[i] === '\\' && '"\\$`'.includes(script[i + 1] ?? '')) {
            word += script[i + 1] ?? '';
            i += 2;
          } else if (script[i] === '$') word += await readDollar();
          else word += script[i++] ?? '';
        }
        if (i >= n) throw new ShellSyntax('Syntax error: Unterminated quoted string');
        i++;
      } else if (c === '$') word += await readDollar();
      else word += script[i++] ?? '';
    }
    out.push({ word });
  }
  return out;
}

function io(ctx: ExecContext, stdin: Buffer | undefined, capture: Buffer[] | undefined, r: Redirect[]): ExecIo {
  const outFile = r.find((x) => x.fd === 1);
  const errFile = r.find((x) => x.fd === 2);
  const inFile = r.find((x) => x.fd === 0);
  const write = (target: Redirect | undefined, fallback: (d: string | Buffer) => void) => (d: string | Buffer) => {
    if (!target) return fallback(d);
    if (target.to === '/dev/null') return;
    if (target.to === '&1') return capture ? capture.push(Buffer.from(d)) : ctx.io.out(d);
    const p = ctx.fs.resolve(target.to, ctx.cwd);
    const prev = target.append && ctx.fs.stat(p)?.type === 'file' ? ctx.fs.entries.get(p) : undefined;
    const before = prev?.type === 'file' && Buffer.isBuffer(prev.data) ? prev.data : Buffer.alloc(0);
    ctx.fs.write(p, Buffer.concat([before, Buffer.from(d)]));
    target.append = true;
  };
  return {
    out: write(outFile, (d) => (capture ? capture.push(Buffer.from(d)) : ctx.io.out(d))),
    err: write(errFile, (d) => ctx.io.err(d)),
    stdin: async () => {
      if (inFile) {
        const p = ctx.fs.resolve(inFile.to, ctx.cwd);
        return ctx.fs.stat(p)?.type === 'file' ? ctx.fs.read(p) : Buffer.alloc(0);
      }
      return stdin ?? ctx.io.stdin();
    },
  };
}

async function runSimple(
  ctx: ExecContext,
  cmd: Simple,
  vars: Record<string, string>,
  stdin: Buffer | undefined,
  capture: Buffer[] | undefined,
): Promise<number> {
  let words = cmd.words;
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
    const w = words[0] ?? '';
    const at = w.indexOf('=');
    vars[w.slice(0, at)] = w.slice(at + 1);
    words = words.slice(1);
  }
  const [name, ...args] = words;
  if (name === undefined) return 0;
  const sub: ExecContext = { ...ctx, io: io(ctx, stdin, capture, cmd.redirects) };
  if (name === 'exit') throw new ShellExit(Number(args[0] ?? vars['?'] ?? 0) || 0);
  if (name === 'cd') {
    const target = ctx.fs.resolve(args[0] ?? '/root', ctx.cwd);
    if (ctx.fs.stat(target)?.type !== 'dir') {
      sub.io.err(`sh: 1: cd: can't cd to ${args[0] ?? ''}\n`);
      return 2;
    }
    ctx.cwd = target;
    return 0;
  }
  if (name === 'export') {
    for (const a of args) {
      const at = a.indexOf('=');
      if (at > 0) ctx.env[a.slice(0, at)] = a.slice(at + 1);
      else if (vars[a] !== undefined) ctx.env[a] = vars[a] ?? '';
    }
    return 0;
  }
  const command = lookup(name);
  if (!command) {
    sub.io.err(`sh: 1: ${name}: not found\n`);
    return 127;
  }
  return command(sub, args);
}

class ShellExit extends Error {
  constructor(readonly code: number) {
    super('exit');
  }
}

/** Runs a script; returns its exit status. */
export async function runScript(ctx: ExecContext, script: string, vars: Record<string, string> = {}): Promise<number> {
  let tokens: Token[];
  let status = 0;
  try {
    // Tokenize statement by statement so that $(…) and $? see what ran before them.
    const statements = splitStatements(script);
    for (const { text, op } of statements) {
      if (op === '&&' && status !== 0) continue;
      if (op === '||' && status === 0) continue;
      tokens = await tokenize(ctx, text, vars);
      status = await runPipeline(ctx, tokens, vars);
      vars['?'] = String(status);
    }
  } catch (e) {
    if (e instanceof ShellExit) return e.code;
    if (e instanceof ShellSyntax) {
      ctx.io.err(`sh: 1: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return status;
}

/** Top-level statements and the operator before each (quotes and $(…) respected). */
function splitStatements(script: string): { text: string; op: ';' | '&&' | '||' }[] {
  const out: { text: string; op: ';' | '&&' | '||' }[] = [];
  let quote = '';
  let depth = 0;
  let cur = '';
  let op: ';' | '&&' | '||' = ';';
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] ?? '';
    if (ch === '\\' && quote === '') {
      cur += ch + (script[i + 1] ?? '');
      i++;
      continue;
    }
    if (quote !== '') {
      if (ch === '\\' && quote === '"') {
        cur += ch + (script[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === quote) quote = '';
      cur += ch;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth === 0 && (ch === ';' || ch === '\n' || script.startsWith('&&', i) || script.startsWith('||', i))) {
      if (cur.trim() !== '') out.push({ text: cur, op });
      op = ch === ';' || ch === '\n' ? ';' : (script.slice(i, i + 2) as '&&' | '||');
      if (op !== ';') i++;
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push({ text: cur, op });
  return out;
}

async function runPipeline(ctx: ExecContext, tokens: Token[], vars: Record<string, string>): Promise<number> {
  const stages: Simple[] = [{ words: [], redirects: [] }];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const cur = stages[stages.length - 1] ?? { words: [], redirects: [] };
    if (t === undefined) continue;
    if ('op' in t) {
      if (t.op === '|') stages.push({ words: [], redirects: [] });
    } else if ('redirect' in t) {
      const r = t.redirect;
      if (r === '2>&1') {
        cur.redirects.push({ fd: 2, to: '&1', append: false });
        continue;
      }
      const target = tokens[++i];
      if (target === undefined || !('word' in target)) throw new ShellSyntax('Syntax error: redirection unexpected');
      const fd = r === '<' ? 0 : r.startsWith('2') ? 2 : 1;
      cur.redirects.push({ fd, to: target.word, append: r.endsWith('>>') });
    } else cur.words.push(t.word);
  }
  let input: Buffer | undefined;
  let status = 0;
  for (const [i, stage] of stages.entries()) {
    const last = i === stages.length - 1;
    const capture: Buffer[] | undefined = last ? undefined : [];
    status = await runSimple(ctx, stage, vars, input, capture);
    input = capture ? Buffer.concat(capture) : undefined;
  }
  return status;
}
