// Fuzzing the input boundary: random mutations of the example bundles (types swapped, fields removed, nulls,
// huge and deep values, control characters, planted secrets, binary files, truncated files, symlinks, extra
// files) run through the CLI as a user would, against the promises users rely on:
//   - exit 0, 1 or 2, never a crash ("unexpected error", an internal error of a check);
//   - exit 2 ends stderr with its one line, and prints no report;
//   - no control, bidi or invisible formatting character on the screen (text, Markdown, stderr);
//   - no planted key, token or password in any output;
//   - no check passes on a fact that was broken: a corrupting mutation never turns a result into a pass.
// Each mutated bundle goes through `check`, `audit` and `logs` (the commands that read a bundle); `explain-error`
// gets hostile stdin (known error texts with control characters, secrets, binary and random text spliced in).
// Seeded and short in CI (FUZZ_RUNS, default 40; FUZZ_SEED); a long run for releases: `npm run fuzz -- --runs N`.

import { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/results.js';
import { CONTROL, EXAMPLES, runCli, scratch } from '../hostile/helpers.js';
import type { CliRun } from '../hostile/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 14);

const EXAMPLE_NAMES = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Expected {
  targets: { all?: boolean; ksa?: string[]; workload?: string[]; pod?: string[] };
  options?: { need?: string[]; on?: string; impersonate?: string };
}

/** The CLI flags that run an example as its expected.json says. */
function flagsOf(example: string): string[] {
  const e = JSON.parse(readFileSync(join(EXAMPLES, example, 'expected.json'), 'utf8')) as Expected;
  const flags: string[] = [];
  if (e.targets.all === true) flags.push('--all');
  for (const [flag, values] of [
    ['--ksa', e.targets.ksa],
    ['--workload', e.targets.workload],
    ['--pod', e.targets.pod],
    ['--need', e.options?.need],
  ] as const) {
    for (const v of values ?? []) flags.push(flag, v);
  }
  if (e.options?.on !== undefined) flags.push('--on', e.options.on);
  if (e.options?.impersonate !== undefined) flags.push('--impersonate', e.options.impersonate);
  return flags;
}

/** The KSA `logs` asks about for an example: its first named KSA, else the examples' usual one. */
function ksaOf(example: string): string {
  const e = JSON.parse(readFileSync(join(EXAMPLES, example, 'expected.json'), 'utf8')) as Expected;
  return e.targets.ksa?.[0] ?? 'shop/cart';
}

/** Files under `dir`, symlinks (followed or not) as files: an earlier mutation may have made some. */
function filesOf(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return lstatSync(path).isDirectory() ? filesOf(path) : [path];
    })
    .sort();
}

// ---- Secrets that mutations plant, and the pieces of them that must never be shown.
const KEY_BODY = 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDfuzzedKeyBody0123456789'.repeat(3);
const SECRET_VALUES = [
  `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`,
  `-----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY.slice(0, 150)}`,
  JSON.stringify({ type: 'service_account', private_key_id: 'fuzzkeyid0123456789', private_key: `x${KEY_BODY}` }),
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmdXp6In0.fuzzJwtSignature0123456789abcdefghij',
  'Bearer fuzzBearerToken0123456789abcdef',
  'ya29.fuzzAccessToken0123456789abcdef',
];
const SECRET_PIECES = [
  KEY_BODY.slice(30, 70),
  'fuzzkeyid0123456789',
  'fuzzJwtSignature0123456789',
  'fuzzBearerToken0123456789',
  'fuzzAccessToken0123456789',
];

const CONTROL_CHARS = [
  '\u001b]0;pwned\u0007',
  '\u001b[2J',
  '\u009b31m',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u0000',
  '\r',
  '\u0085',
  '\ufeff',
];

// ---- Mutations.
type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

type FieldAction =
  | { kind: 'swap-type'; to: number }
  | { kind: 'remove' }
  | { kind: 'null' }
  | { kind: 'huge-string'; length: number }
  | { kind: 'deep'; depth: number }
  | { kind: 'control'; char: number; at: number }
  | { kind: 'secret'; which: number };

type Mutation =
  | { kind: 'field'; file: number; path: number[]; action: FieldAction }
  | { kind: 'binary'; file: number; bytes: Uint8Array }
  | { kind: 'truncate'; file: number; at: number }
  | { kind: 'deep-text'; file: number; depth: number; closed: boolean }
  | { kind: 'symlink'; file: number; to: 'outside' | 'dangling' | 'inside' | 'loop' }
  | { kind: 'add-file'; where: number; content: string };

/** Mutations that can only corrupt: after them, no check may pass that did not pass before. */
function corrupts(m: Mutation): boolean {
  if (m.kind === 'field') return ['swap-type', 'null', 'deep'].includes(m.action.kind);
  return m.kind !== 'add-file' && !(m.kind === 'symlink' && m.to === 'inside');
}

const fieldAction: fc.Arbitrary<FieldAction> = fc.oneof(
  fc.record({ kind: fc.constant('swap-type' as const), to: fc.nat(5) }),
  fc.record({ kind: fc.constant('remove' as const) }),
  fc.record({ kind: fc.constant('null' as const) }),
  fc.record({ kind: fc.constant('huge-string' as const), length: fc.integer({ min: 1000, max: 200_000 }) }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 50, max: 300 }) }),
  fc.record({ kind: fc.constant('control' as const), char: fc.nat(CONTROL_CHARS.length - 1), at: fc.nat(60) }),
  fc.record({ kind: fc.constant('secret' as const), which: fc.nat(SECRET_VALUES.length - 1) }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      file: fc.nat(),
      path: fc.array(fc.nat(), { maxLength: 8 }),
      action: fieldAction,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('binary' as const),
      file: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep-text' as const),
      file: fc.nat(),
      depth: fc.integer({ min: 90, max: 120_000 }),
      closed: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('symlink' as const),
      file: fc.nat(),
      to: fc.constantFrom('outside' as const, 'dangling' as const, 'inside' as const, 'loop' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('add-file' as const),
      where: fc.nat(3),
      content: fc.oneof(fc.json(), fc.string(), fc.constantFrom(...SECRET_VALUES)),
    }),
  },
);

const REPLACEMENTS: Value[] = [42, 'a string', true, null, [], { an: 'object' }];

function differentType(value: Value, to: number): Value {
  const type = (v: Value) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  for (let i = 0; i < REPLACEMENTS.length; i++) {
    const candidate = REPLACEMENTS[(to + i) % REPLACEMENTS.length] ?? null;
    if (type(candidate) !== type(value)) return candidate;
  }
  return null;
}

function deepValue(depth: number): Value {
  let v: Value = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { d: v };
  return v;
}

function actOn(value: Value, action: FieldAction): Value | undefined {
  switch (action.kind) {
    case 'swap-type':
      return differentType(value, action.to);
    case 'remove':
      return undefined;
    case 'null':
      return null;
    case 'huge-string':
      return 'x'.repeat(action.length);
    case 'deep':
      return deepValue(action.depth);
    case 'control': {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      const at = Math.min(action.at, text.length);
      return text.slice(0, at) + (CONTROL_CHARS[action.char] ?? '') + text.slice(at);
    }
    case 'secret':
      return SECRET_VALUES[action.which] ?? '';
  }
}

/** Walk `path` (each number picks a child modulo the count) and apply the action there. */
function mutateJson(root: Value, path: readonly number[], action: FieldAction): Value | undefined {
  if (path.length === 0 || root === null || typeof root !== 'object') return actOn(root, action);
  const [step = 0, ...rest] = path;
  const keys = Array.isArray(root) ? root.map((_, i) => i) : Object.keys(root);
  if (keys.length === 0) return actOn(root, action);
  const key = keys[step % keys.length] ?? 0;
  const child = (root as Record<string | number, Value>)[key] ?? null;
  const next = mutateJson(child, rest, action);
  if (Array.isArray(root)) {
    const copy = [...root];
    if (next === undefined) copy.splice(key as number, 1);
    else copy[key as number] = next;
    return copy;
  }
  const entries = Object.entries(root).filter(([k]) => k !== key || next !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, k === key ? (next ?? null) : v]));
}

/** A file's bytes, or none when it is a link to nothing. */
function readOrEmpty(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

/** Write a file of the bundle, never through a symlink (which may point out of the bundle, at the example). */
function replaceFile(file: string, content: string | Uint8Array): void {
  rmSync(file, { force: true });
  writeFileSync(file, content);
}

function apply(bundle: string, outside: string, m: Mutation): void {
  const files = filesOf(bundle);
  const pick = (n: number) => files[n % files.length] ?? join(bundle, 'bundle.json');
  switch (m.kind) {
    case 'field': {
      const file = pick(m.file);
      let json: Value;
      try {
        json = JSON.parse(readFileSync(file, 'utf8')) as Value;
      } catch {
        return; // already broken by an earlier mutation, or a link to nothing
      }
      const out = mutateJson(json, m.path, m.action);
      replaceFile(file, out === undefined ? '' : JSON.stringify(out, null, 1));
      return;
    }
    case 'binary':
      replaceFile(pick(m.file), m.bytes);
      return;
    case 'truncate': {
      const file = pick(m.file);
      const text = readOrEmpty(file);
      replaceFile(file, text.subarray(0, m.at % (text.length + 1)));
      return;
    }
    case 'deep-text':
      replaceFile(pick(m.file), '['.repeat(m.depth) + (m.closed ? ']'.repeat(m.depth) : ''));
      return;
    case 'symlink': {
      const file = pick(m.file);
      const copy = join(outside, relative(bundle, file).replaceAll('/', '_'));
      writeFileSync(copy, readOrEmpty(file));
      rmSync(file);
      if (m.to === 'outside') symlinkSync(copy, file);
      else if (m.to === 'dangling') symlinkSync(join(outside, 'nothing-here.json'), file);
      else if (m.to === 'inside')
        symlinkSync(relative(dirname(file), pick(m.file + 1) === file ? copy : pick(m.file + 1)), file);
      else symlinkSync('.', file);
      return;
    }
    case 'add-file': {
      const where =
        ['k8s/fuzz.json', 'token/fuzz.jwt', 'gcp/logs/fuzz.json', 'probe/fuzz.json'][m.where] ?? 'k8s/fuzz.json';
      mkdirSync(dirname(join(bundle, where)), { recursive: true });
      writeFileSync(join(bundle, where), m.content);
      return;
    }
  }
}

// ---- The invariants.
const LAST_LINE = /(?:^|\n)wi-doctor: [^\n]+\n$/;

function checkRun(run: CliRun, format: string, where: string): void {
  expect([0, 1, 2], `${where}: exit code`).toContain(run.code);
  expect(run.stderr, `${where}: crash text`).not.toMatch(/unexpected error|internal error|Maximum call stack/i);
  expect(run.stdout, `${where}: internal error`).not.toMatch(/failed internally|internal error in /);
  expect(
    CONTROL.test(run.stderr),
    `${where}: control characters on stderr: ${JSON.stringify(run.stderr.slice(0, 300))}`,
  ).toBe(false);
  if (format === 'text' || format === 'markdown') {
    const hit = CONTROL.exec(run.stdout);
    expect(
      hit,
      `${where}: control character on stdout near ${JSON.stringify(run.stdout.slice(Math.max(0, (hit?.index ?? 0) - 40), (hit?.index ?? 0) + 40))}`,
    ).toBeNull();
  }
  for (const piece of SECRET_PIECES) {
    expect(run.stdout.includes(piece) || run.stderr.includes(piece), `${where}: secret ${piece} shown`).toBe(false);
  }
  if (run.code === 2) {
    expect(run.stdout, `${where}: a report with exit 2`).toBe('');
    expect(run.stderr, `${where}: exit 2 without its line`).toMatch(LAST_LINE);
  }
}

const key = (r: { check: string; subject: string }) => `${r.check} ${r.subject}`;

describe('fuzzing the example bundles', () => {
  const tmp = scratch('wi-doctor-fuzz-');
  afterAll(() => tmp.cleanup());
  const bases = new Map<string, Map<string, string>>();
  let n = 0;

  async function baseOf(command: 'check' | 'audit', example: string): Promise<Map<string, string>> {
    let base = bases.get(`${command} ${example}`);
    if (base === undefined) {
      const flags = command === 'check' ? flagsOf(example) : [];
      const run = await runCli([command, '--from', join(EXAMPLES, example), ...flags, '--format', 'json']);
      const report = JSON.parse(run.stdout) as Report;
      base = new Map(report.results.map((r) => [key(r), r.status]));
      bases.set(`${command} ${example}`, base);
    }
    return base;
  }

  it(
    `holds its promises over ${RUNS} mutated bundles (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...EXAMPLE_NAMES),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (example, mutations) => {
            const dir = join(tmp.dir, `case-${n++}`);
            const bundle = join(dir, 'bundle');
            const outside = join(dir, 'outside');
            mkdirSync(outside, { recursive: true });
            cpSync(join(EXAMPLES, example), bundle, { recursive: true });
            for (const m of mutations) apply(bundle, outside, m);
            const where = `${example} after ${JSON.stringify(mutations, (_k, v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…` : v))}`;
            try {
              for (const command of ['check', 'audit'] as const) {
                const base = await baseOf(command, example);
                const flags = command === 'check' ? flagsOf(example) : [];
                for (const format of ['json', 'text', 'markdown']) {
                  const run = await runCli([command, '--from', bundle, ...flags, '--format', format]);
                  checkRun(run, format, `${where} (${command} ${format})`);
                  if (format !== 'json' || run.code === 2 || !mutations.every(corrupts)) continue;
                  const report = JSON.parse(run.stdout) as Report;
                  for (const r of report.results) {
                    // A result the intact bundle did not have (a node pool now in scope because a pod's node is
                    // unknown) has nothing to compare with; the engine's rule covers what it read.
                    const before = base.get(key(r));
                    if (r.status !== 'pass' || before === undefined) continue;
                    expect(before, `${where}: ${command}: ${key(r)} passes after a corrupting mutation`).toBe('pass');
                  }
                }
              }
              for (const format of ['json', 'text']) {
                const run = await runCli([
                  'logs',
                  '--from',
                  bundle,
                  '--ksa',
                  ksaOf(example),
                  '--since',
                  '400d',
                  '--format',
                  format,
                ]);
                checkRun(run, format, `${where} (logs ${format})`);
              }
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    },
    Math.max(60_000, RUNS * 3_000),
  );
});

// ---- explain-error reads whatever is pasted or piped: hostile stdin.

/** Error texts explain-error knows (from its signatures' sources), to splice hostile pieces into. */
const KNOWN_ERRORS = [
  "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
  'Unable to generate access token; IAM returned 403 Forbidden: Permission iam.serviceAccounts.getAccessToken denied on resource (or it may not exist).',
  'compute: Received 403 `Request had insufficient authentication scopes.`',
];

/** `wi-doctor explain-error - ARGS` with `input` on stdin. */
function explainStdin(input: Uint8Array, args: string[]): Promise<CliRun> {
  return runCli(['explain-error', '-', ...args], { NO_COLOR: '1' }, Buffer.from(input));
}

const hostilePiece: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom(...CONTROL_CHARS),
  fc.constantFrom(...SECRET_VALUES),
  fc.constantFrom(...KNOWN_ERRORS),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constant('['.repeat(5000)),
);

describe('fuzzing explain-error with hostile stdin', () => {
  it(
    `holds its promises over ${RUNS * 5} inputs (seed ${SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostilePiece, { minLength: 1, maxLength: 8 }),
          fc.constantFrom('text', 'json'),
          async (pieces, format) => {
            const input = Buffer.concat(
              pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))),
            );
            const run = await explainStdin(input, ['--format', format]);
            const where = `explain-error (${format}) on ${JSON.stringify(input.toString('latin1').slice(0, 200))}`;
            expect(run.code, `${where}: exit code`).toBe(0);
            checkRun(run, format, where);
            if (format === 'json') expect(() => JSON.parse(run.stdout) as unknown, `${where}: JSON`).not.toThrow();
          },
        ),
        { seed: SEED, numRuns: RUNS * 5, endOnFailure: true },
      );
    },
    Math.max(60_000, RUNS * 1_000),
  );
});
