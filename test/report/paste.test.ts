// Copy-paste safety: every fix command of every example, as a person selects it in the text report (lines
// with their indentation) or in the Markdown report (a fenced block), pasted into bash together with the
// others: it must parse (`bash -n`), and run with gcloud and kubectl stubbed as exactly one call per command,
// with the arguments the command means — so that no command swallows the next (as an indented heredoc
// terminator does) and none is split in two.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import type { CheckOptions } from '../../src/checks/define.js';
import { readBundleSync } from '../../src/collect/bundle/read.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import type { Report } from '../../src/model/results.js';
import { renderedFix } from '../../src/report/fixes.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';

const root = join(import.meta.dirname, '..', '..', 'examples');
// Pasted commands run here: a fix may write a file (`… > policy.json`), never into the repository.
const scratch = mkdtempSync(join(tmpdir(), 'wi-doctor-paste-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const examples = readdirSync(root).filter((d) => existsSync(join(root, d, 'expected.json')));
const hasBash = spawnSync('bash', ['--version']).status === 0;

function reportOf(name: string): Report {
  const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as {
    targets: TargetRequest;
    options?: Partial<CheckOptions>;
  };
  const { facts } = readBundleSync(join(root, name));
  return diagnose(facts, CHECKS, {
    targets: expected.targets,
    options: { ...DEFAULT_OPTIONS, ...expected.options },
    source: name,
    version: 'test',
    generatedAt: '2026-12-01T00:00:00Z',
  });
}

/** Every shell command of every fix in the report (what the renderers show), each once. */
function shellCommands(report: Report): string[] {
  const plans = [...report.results.flatMap((r) => r.fix), ...report.verdicts.flatMap((v) => v.fix)];
  const commands = plans.flatMap((p) => {
    const f = renderedFix(p);
    return [f.gcloud, f.kubectl].filter((c): c is string => c !== null);
  });
  return [...new Set(commands)];
}

/** gcloud and kubectl as bash functions that log each call: its tool, its arguments, and stdin if piped. */
const STUBS = `
call() { printf 'CALL %s %s\\n' "$1" "$(($# - 1))"; shift; for a in "$@"; do printf 'ARG %s\\n' "$a"; done; }
gcloud() { call gcloud "$@"; }
kubectl() {
  call kubectl "$@"
  if [ "$1 $2 $3" = "apply -f -" ]; then printf 'STDIN %s\\n' "$(tr -d '\\n' | tr -s ' ')"; fi
}
`;

interface Call {
  tool: string;
  args: string[];
  stdin?: string;
}

function parseCalls(out: string): Call[] {
  const calls: Call[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('CALL ')) calls.push({ tool: line.split(' ')[1] ?? '', args: [] });
    else if (line.startsWith('ARG ')) calls.at(-1)?.args.push(line.slice(4));
    else if (line.startsWith('STDIN ')) {
      const last = calls.at(-1);
      if (last !== undefined) last.stdin = line.slice(6);
    }
  }
  return calls;
}

/** Runs pasted text in bash with the stubs; the calls it made, and the markers it echoed. */
function paste(text: string): { calls: Call[]; markers: string[]; status: number | null; stderr: string } {
  const syntax = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8', cwd: scratch });
  if (syntax.status !== 0) return { calls: [], markers: [], status: syntax.status, stderr: syntax.stderr };
  const run = spawnSync('bash', ['-c', `${STUBS}\n${text}`], { encoding: 'utf8', timeout: 20_000, cwd: scratch });
  return {
    calls: parseCalls(run.stdout),
    markers: run.stdout.split('\n').filter((l) => l.startsWith('MARK ')),
    status: run.status,
    stderr: run.stderr,
  };
}

/** What one command alone does: the reference each pasted command is compared with. */
const alone = (command: string): Call[] => paste(command).calls;

/** The lines of the text report that hold `command`, exactly as printed (indentation included). */
function linesOf(text: string, command: string): string[] {
  const lines = text.split('\n');
  const [first = ''] = command.split('\n');
  const at = lines.findIndex((l) => l.trimStart() === first);
  if (at < 0) return [];
  return lines.slice(at, at + command.split('\n').length);
}

describe.skipIf(!hasBash)('fix commands pasted into bash', () => {
  it('finds examples with shell fixes', () => {
    const withFixes = examples.filter((e) => shellCommands(reportOf(e)).length > 0);
    expect(withFixes.length).toBeGreaterThan(15);
  });

  for (const name of examples) {
    it(`${name}: from the text report, each command runs as one command`, () => {
      const report = reportOf(name);
      const text = renderText(report, { color: false, hidePass: false, width: 100 });
      const commands = shellCommands(report);
      // Each command is printed whole, on its own lines, with nothing else on them.
      const pasted = commands.map((c) => {
        const lines = linesOf(text, c);
        expect(lines.map((l) => l.trimStart()).join('\n'), `${name}: ${c} is not printed as is`).toBe(c);
        return lines.join('\n');
      });
      // Pasted all at once, with a marker between them: every command is one call, none swallows the next.
      const script = pasted.map((p, i) => `${p}\necho MARK ${i}`).join('\n');
      const result = paste(script);
      expect(result.status, result.stderr).toBe(0);
      expect(result.markers).toEqual(commands.map((_c, i) => `MARK ${i}`));
      expect(result.calls).toEqual(commands.flatMap(alone));
      expect(result.calls).toHaveLength(commands.length);
      for (const call of result.calls.filter((c) => c.stdin !== undefined)) {
        expect(() => JSON.parse(call.stdin ?? '') as unknown).not.toThrow();
      }
    });

    it(`${name}: from the Markdown report, each fenced block runs as its command`, () => {
      const report = reportOf(name);
      const md = renderMarkdown(report);
      const blocks = [...md.matchAll(/^(`{3,})sh\n([\s\S]*?)\n\1$/gm)].map((m) => m[2] ?? '');
      for (const command of shellCommands(report)) expect(blocks, `${name}: ${command}`).toContain(command);
      const result = paste(blocks.map((b, i) => `${b}\necho MARK ${i}`).join('\n'));
      expect(result.status, result.stderr).toBe(0);
      expect(result.markers).toHaveLength(blocks.length);
      expect(result.calls).toHaveLength(blocks.length);
    });
  }

  it('would catch an indented heredoc terminator (the form fixes no longer use)', () => {
    const heredoc = "kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: List\nEOF";
    const indented = heredoc
      .split('\n')
      .map((l) => `       ${l}`)
      .join('\n');
    const result = paste(`${indented}\necho MARK 0\ngcloud projects describe p\necho MARK 1`);
    // bash reads to the end looking for EOF: the marker and the next command are swallowed.
    expect(result.markers).not.toEqual(['MARK 0', 'MARK 1']);
    expect(result.calls.map((c) => c.tool)).not.toEqual(['kubectl', 'gcloud']);
  });
});
