// Every command that docs/fix.md, docs/rotate.md and the README's "Fix and rotate" section show runs here,
// exactly as written, in order, in an empty folder: each `sh` block is a session (start the sandbox in the
// background, wait for its env file, source it, run wi-doctor, stop the sandbox). A line this interpreter does
// not know fails the test, so a block cannot grow a command nobody runs; an inline `wi-doctor …` in the prose
// must be one of the lines run. A command exits 0 unless its comment says `exit 1`.

import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runSandboxCommand } from '../../src/cli/actions/sandbox.js';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '..', '..');
const temp = mkdtempSync(join(tmpdir(), 'wi-doctor-docs-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Source {
  file: string;
  /** Only this section (a `## ` heading) of the file. */
  section?: string;
}

const SOURCES: Source[] = [
  { file: 'docs/fix.md' },
  { file: 'docs/rotate.md' },
  { file: 'README.md', section: '## Fix and rotate' },
];

function textOf(source: Source): string {
  const text = readFileSync(join(repo, source.file), 'utf8');
  if (source.section === undefined) return text;
  const start = text.indexOf(`${source.section}\n`);
  if (start < 0) throw new Error(`${source.file}: no section ${source.section}`);
  const end = text.indexOf('\n## ', start + source.section.length);
  return text.slice(start, end < 0 ? undefined : end);
}

function shBlocks(text: string): string[][] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? '').split('\n').filter((l) => l.trim() !== ''),
  );
}

/** POSIX-shell words of a command line, and its trailing comment. */
export function shellWords(line: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const push = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (i < line.length) {
    const c = line[i] ?? '';
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '$') throw new Error(`no expansions in docs commands: ${line}`);
        if (line[j] === '\\') j++;
        value += line[j] ?? '';
        j++;
      }
      word = (word ?? '') + value;
      i = j + 1;
    } else if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '');
      i += 2;
    } else if (c === '#' && word === undefined) {
      return { words, comment: line.slice(i + 1).trim() };
    } else if (c === ' ' || c === '\t') {
      push();
      i++;
    } else {
      if (c === '$' || c === '`' || c === '|' || c === ';') throw new Error(`unsupported shell syntax in: ${line}`);
      word = (word ?? '') + c;
      i++;
    }
  }
  push();
  return { words, comment: '' };
}

interface Session {
  env: NodeJS.ProcessEnv;
  sandbox?: { signals: EventEmitter; done: Promise<number> };
  commands: string[];
}

async function runLine(line: string, session: Session): Promise<void> {
  const trimmed = line.trim();
  let m = /^until \[ -s (\S+) \]; do sleep [0-9.]+; done$/.exec(trimmed);
  if (m) {
    const file = m[1] ?? '';
    const deadline = Date.now() + 30_000;
    while (!(existsSync(file) && statSync(file).size > 0)) {
      if (Date.now() > deadline) throw new Error(`${file} never appeared`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return;
  }
  m = /^\. (\S+)$/.exec(trimmed);
  if (m) {
    for (const exported of readFileSync(m[1] ?? '', 'utf8').split('\n')) {
      const e = /^export ([A-Z0-9_]+)=(.*)$/.exec(exported);
      if (e) session.env[e[1] ?? ''] = shellWords(e[2] ?? '').words.join(' ');
    }
    return;
  }
  const { words, comment } = shellWords(trimmed);
  if (words.length === 2 && words[0] === 'kill' && words[1] === '%1') {
    if (session.sandbox === undefined) throw new Error('kill %1 with nothing in the background');
    session.sandbox.signals.emit('SIGTERM');
    expect(await session.sandbox.done).toBe(0);
    delete session.sandbox;
    return;
  }
  if (words[0] !== 'wi-doctor') throw new Error(`a docs line nobody runs: ${line}`);
  session.commands.push(trimmed.split(' #')[0]?.trim() ?? trimmed);
  const sink = () => {
    const s = new PassThrough();
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    return { s, text: () => text };
  };
  const out = sink();
  const err = sink();
  if (words.at(-1) === '&') {
    // The background sandbox, through its command's own code, stopped by the `kill %1` line.
    const args = words.slice(1, -1);
    expect(args.slice(0, 2)).toEqual(['sandbox', '--scenario']);
    expect(args[3]).toBe('--env-file');
    const signals = new EventEmitter();
    const done = runSandboxCommand(
      { scenario: args[2] ?? '', port: 0, envFile: args[4] ?? '' },
      { stdout: out.s, stderr: err.s, env: session.env },
      signals as unknown as NodeJS.Process,
    );
    session.sandbox = { signals, done };
    return;
  }
  let args = words.slice(1);
  let redirect: string | undefined;
  const gt = args.indexOf('>');
  if (gt >= 0) {
    redirect = args[gt + 1];
    args = args.slice(0, gt);
  }
  const code = await main(args, { stdout: out.s, stderr: err.s, env: session.env });
  if (redirect !== undefined) writeFileSync(redirect, out.text());
  const expected = /\bexit 1\b/.test(comment) ? 1 : 0;
  expect(code, `${trimmed}\n${out.text()}\n${err.text()}`).toBe(expected);
  expect(err.text()).not.toMatch(/unexpected error|at .*\.ts:\d+/);
}

async function runBlock(lines: string[], dir: string): Promise<Session> {
  const session: Session = {
    env: {
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
      GCE_METADATA_IP: '127.0.0.1:9',
      CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
      NO_COLOR: '1',
    },
    commands: [],
  };
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    for (const line of lines) await runLine(line, session);
  } finally {
    if (session.sandbox !== undefined) {
      session.sandbox.signals.emit('SIGTERM');
      await session.sandbox.done;
    }
    process.chdir(cwd);
  }
  return session;
}

describe('the commands of the fix and rotate docs run as written', () => {
  for (const source of SOURCES) {
    it(
      `${source.file}${source.section !== undefined ? ` (${source.section})` : ''}`,
      { timeout: 120_000 },
      async () => {
        const text = textOf(source);
        const blocks = shBlocks(text);
        expect(blocks.length).toBeGreaterThan(0);
        const ran: string[] = [];
        for (const [i, block] of blocks.entries()) {
          const dir = mkdtempSync(join(temp, `${source.file.replace(/\W+/g, '-')}-${i}-`));
          const session = await runBlock(block, dir);
          ran.push(...session.commands);
          // What the blocks leave behind is what they promise.
          if (existsSync(join(dir, 'fix.sh'))) {
            expect(spawnSync('bash', ['-n', join(dir, 'fix.sh')], { encoding: 'utf8' }).stderr).toBe('');
            expect(readFileSync(join(dir, 'fix.sh'), 'utf8')).toContain('set -euo pipefail');
          }
          for (const log of ['fix.jsonl', 'rotate.jsonl']) {
            if (!existsSync(join(dir, log))) continue;
            const lines = readFileSync(join(dir, log), 'utf8').trim().split('\n');
            expect(lines.length).toBeGreaterThan(0);
            for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
          }
        }
        // Commands quoted inline in the prose are among those run.
        for (const inline of text.matchAll(/`(wi-doctor [^`]+)`/g)) {
          const command = inline[1] ?? '';
          expect(
            ran.some((r) => r === command || r.startsWith(`${command} `)),
            `inline \`${command}\` is not run by a block`,
          ).toBe(true);
        }
      },
    );
  }
});
