// `wi-doctor explain-error`: read the text (arguments, or stdin with `-`), classify it, print the likely causes.
// Unknown text, empty text and binary input are said so with exit 0; only no input at all is a usage error.

import { classifyBytes } from '../../explain/classify.js';
import { UsageError } from '../../engine/errors.js';
import { renderExplainJson, renderExplainText } from '../../report/explain.js';
import type { Io } from '../output.js';

/** Larger inputs are cut here, with a note: the first 64 MiB of a log are enough to find its errors. */
const MAX_INPUT = 64 * 2 ** 20;

async function readStdin(stream: NodeJS.ReadableStream): Promise<{ bytes: Uint8Array; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buf);
    size += buf.length;
    if (size >= MAX_INPUT) return { bytes: Buffer.concat(chunks).subarray(0, MAX_INPUT), cut: true };
  }
  return { bytes: Buffer.concat(chunks), cut: false };
}

export async function runExplainErrorCommand(
  text: readonly string[],
  options: { format: 'text' | 'json' },
  io: Io & { stdin?: NodeJS.ReadableStream },
): Promise<number> {
  if (text.length === 0) {
    throw new UsageError('explain-error needs the error text as an argument, or - to read it from stdin');
  }
  let input: { bytes: Uint8Array; cut: boolean };
  if (text.length === 1 && text[0] === '-') input = await readStdin(io.stdin ?? process.stdin);
  else input = { bytes: Buffer.from(text.join(' '), 'utf8'), cut: false };
  if (input.cut)
    io.stderr.write(`wi-doctor: the input is longer than ${MAX_INPUT / 2 ** 20} MiB: only its start was read\n`);
  const classification = classifyBytes(input.bytes);
  io.stdout.write(options.format === 'json' ? renderExplainJson(classification) : renderExplainText(classification));
  return 0;
}
