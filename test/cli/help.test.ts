// Every command's --help: examples, and the choices of every option that has a closed set of values. The
// examples that need no cloud (a shipped example bundle, the catalog) are run; every other example's
// flags must exist on its command, so a renamed flag cannot linger in a help text.

import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

const io = (): Io & { text: () => string } => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { stdout: out, stderr: out, env: { NO_COLOR: '1' }, text: () => text };
};

const program = buildProgram({ io: io(), setExit: () => undefined });

/** Every command with its path: `check`, `token decode`, … */
function commands(root: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return root.commands.flatMap((c) => [{ path: [...path, c.name()], command: c }, ...commands(c, [...path, c.name()])]);
}
const ALL = commands(program).filter((c) => c.path.at(-1) !== 'help');

async function help(path: string[]): Promise<string> {
  const sink = io();
  await main([...path, '--help'], sink);
  return sink.text();
}

/** Example lines of a help text, without trailing comments. */
function examples(text: string): string[] {
  const at = text.indexOf('\nExamples:\n');
  if (at < 0) return [];
  return text
    .slice(at + '\nExamples:\n'.length)
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** Splits a command line into words, honouring single quotes (enough for the examples here). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

describe('--help', () => {
  it('covers every command', () => {
    expect(ALL.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['check', 'collect', 'demo', 'sandbox', 'checks', 'explain', 'token decode', 'probe-pod']),
    );
  });

  it('of the program has examples', async () => {
    expect(examples(await help([])).length).toBeGreaterThan(0);
  });

  for (const { path, command } of ALL) {
    const name = path.join(' ');
    it(`${name}: has examples and lists the choices of every closed option`, async () => {
      const text = await help(path);
      const lines = examples(text);
      expect(lines.length, `${name} --help has no Examples`).toBeGreaterThan(0);
      for (const option of command.options) {
        for (const choice of option.argChoices ?? [])
          expect(text, `${option.flags} lists ${choice}`).toContain(`"${choice}"`);
      }
      // Every flag an example uses exists on the command it runs (its own, or the program's).
      for (const line of lines) {
        const all = words(line);
        const at = all.indexOf('wi-doctor');
        if (at < 0) continue;
        // The words of the wi-doctor command itself, up to a pipe or the next command.
        const end = all.findIndex((w, i) => i > at && (w === '|' || w === '&&'));
        const argv = all.slice(at + 1, end < 0 ? undefined : end);
        // The deepest command the words name (`token decode`, not `token`).
        const [target] = ALL.filter((c) => c.path.every((p, i) => argv[i] === p)).sort(
          (a, b) => b.path.length - a.path.length,
        );
        expect(target, `${line}: names no command`).toBeDefined();
        if (target === undefined) continue;
        const known = new Set(target.command.options.flatMap((o) => [o.long, o.short]).filter((f) => f !== undefined));
        for (const flag of argv.filter((w) => /^--?[a-z]/.test(w))) {
          expect(known.has(flag.split('=')[0] ?? flag), `${line}: unknown flag ${flag}`).toBe(true);
        }
      }
    });
  }

  // The examples that run offline, as written (from the repository root, where examples/ is).
  for (const name of ['check', 'checks', 'explain', 'permissions', 'probe-pod']) {
    it(`${name}: its offline examples run`, async () => {
      const offline = (l: string): boolean =>
        (l === `wi-doctor ${name}` || l.startsWith(`wi-doctor ${name} `)) &&
        !l.includes('|') &&
        !l.includes('--output') &&
        (name !== 'check' || l.includes('--from examples/'));
      const lines = examples(await help([name])).filter(offline);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const sink = io();
        const code = await main(words(line).slice(1), sink);
        expect([0, 1], `${line}\n${sink.text()}`).toContain(code);
      }
    });
  }
});
