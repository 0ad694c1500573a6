// Classify a pasted error, or a whole log, into the signatures it contains, most specific first. Pure: text in,
// matches out. A match quotes the first line it was found on (cut short), counts its occurrences, and carries its
// signature's causes in order.

import { redactSecrets } from '../model/redact.js';
import { SIGNATURES } from './signatures.js';
import type { Cause, Signature } from './signatures.js';

export interface Match {
  signature: string;
  title: string;
  /** The first line that matched (trimmed, at most 240 characters). */
  excerpt: string;
  /** 1-based line number of the excerpt. */
  line: number;
  /** How many lines matched. */
  count: number;
  causes: Cause[];
}

export type Classification =
  | { kind: 'matched'; matches: Match[]; lines: number }
  /** Text with no known signature: said so plainly. */
  | { kind: 'unknown'; lines: number }
  | { kind: 'empty' }
  | { kind: 'binary'; bytes: number };

const MAX_EXCERPT = 240;

/** NUL bytes, or mostly control characters: not text a person pasted. */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return true;
  const sample = bytes.subarray(0, 4096);
  let control = 0;
  for (const b of sample) if (b < 9 || (b > 13 && b < 32) || b === 127) control++;
  return sample.length > 0 && control / sample.length > 0.1;
}

/** The line as shown: secrets redacted first, so that a cut never leaves a piece of one unrecognised. */
function excerptOf(line: string): string {
  const trimmed = redactSecrets(line.trim());
  return trimmed.length > MAX_EXCERPT ? `${trimmed.slice(0, MAX_EXCERPT - 1)}…` : trimmed;
}

/**
 * Signatures are matched per line and, for texts split over lines (JSON error bodies, escaped `\n`), over the whole
 * text too; the excerpt is then the line where the match starts.
 */
function matchSignature(signature: Signature, text: string, lines: readonly string[]): Match | undefined {
  let first: { line: number; text: string } | undefined;
  let count = 0;
  lines.forEach((line, i) => {
    if (signature.pattern.test(line)) {
      count++;
      first ??= { line: i + 1, text: line };
    }
  });
  if (first === undefined) {
    const m = signature.pattern.exec(text);
    if (m === null) return undefined;
    const lineNo = text.slice(0, m.index).split('\n').length;
    first = { line: lineNo, text: lines[lineNo - 1] ?? m[0] };
    count = 1;
  }
  return {
    signature: signature.id,
    title: signature.title,
    excerpt: excerptOf(first.text),
    line: first.line,
    count,
    causes: signature.causes,
  };
}

export function classifyText(text: string, signatures: readonly Signature[] = SIGNATURES): Classification {
  if (text.trim() === '') return { kind: 'empty' };
  // Escaped line breaks inside quoted JSON (Python's repr of a response body) read as real ones.
  const normalized = text.replace(/\r\n?/g, '\n').replace(/\\n/g, '\n');
  const lines = normalized.split('\n');
  const found: { match: Match; weight: number }[] = [];
  for (const signature of signatures) {
    const match = matchSignature(signature, normalized, lines);
    if (match !== undefined) found.push({ match, weight: signature.weight });
  }
  const ids = new Set(found.map((f) => f.match.signature));
  const kept = found.filter(
    (f) => !(signatures.find((s) => s.id === f.match.signature)?.suppressedBy ?? []).some((id) => ids.has(id)),
  );
  if (kept.length === 0) return { kind: 'unknown', lines: lines.length };
  kept.sort((a, b) => b.weight - a.weight || a.match.line - b.match.line);
  return { kind: 'matched', matches: kept.map((f) => f.match), lines: lines.length };
}

export function classifyBytes(bytes: Uint8Array): Classification {
  if (bytes.length === 0) return { kind: 'empty' };
  if (looksBinary(bytes)) return { kind: 'binary', bytes: bytes.length };
  return classifyText(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
}

/** The check ids the matches name, most likely first, each once: how `check --error` orders a verdict's evidence. */
export function rankedChecks(classification: Classification): string[] {
  if (classification.kind !== 'matched') return [];
  const out: string[] = [];
  for (const m of classification.matches) {
    // The probe's checks too: a probe report in the bundle joins the verdict under their ids.
    for (const c of m.causes) for (const id of [...c.checks, ...(c.probe ?? [])]) if (!out.includes(id)) out.push(id);
  }
  return out;
}
