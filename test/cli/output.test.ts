// The report writer encodes chunks straight into byte buffers: the bytes must be those of the chunks joined (and a
// final newline), whatever the chunks' sizes and characters, to a file and to a stream.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { emitChunks } from '../../src/cli/output.js';
import { memoryIo } from '../helpers/memory-io.js';

const dir = mkdtempSync(join(tmpdir(), 'wi-doctor-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1 << 20;
const CASES: Record<string, string[]> = {
  empty: [],
  'one line without a newline': ['✗ shop/cart'],
  'ends with a newline already': ['a\n', '', 'b\n'],
  'multi-byte characters across buffer ends': Array.from({ length: 3000 }, (_, i) => `${i} ✓ — ü 漢字 😀\n`.repeat(40)),
  'a chunk bigger than a buffer': ['x'.repeat(MB - 3), '€'.repeat(MB), 'tail'],
  'a chunk that just fits, then one byte more': ['y'.repeat(Math.floor(MB / 3)), 'z'],
  'a lone surrogate (encoded as U+FFFD, as Node does)': ['a\ud800b', '\udc00'],
};

describe('emitChunks', () => {
  for (const [name, chunks] of Object.entries(CASES)) {
    const joined = chunks.join('');
    const expected = Buffer.from(joined.endsWith('\n') ? joined : `${joined}\n`, 'utf8');
    it(`to a file: ${name}`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.txt`);
      await emitChunks(memoryIo(), chunks, file);
      expect(readFileSync(file).equals(expected)).toBe(true);
    });
    it(`to stdout: ${name}`, async () => {
      const io = memoryIo();
      await emitChunks(io, chunks, undefined);
      expect(io.out()).toBe(expected.toString('utf8'));
    });
  }
});

describe('emitChunks when the reader goes away', () => {
  it('stops writing, but still produces the rest of the report (its exit code counts every subject)', async () => {
    let produced = 0;
    function* report(): Generator<string> {
      for (let i = 0; i < 8; i++) {
        produced++;
        yield 'z'.repeat(MB);
      }
    }
    const io = memoryIo();
    let written = 0;
    // A reader that takes one write, then closes the pipe (as `head -c 1000` does).
    io.stdout = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        cb();
        io.stdout.emit('close');
      },
    });
    await emitChunks(io, report(), undefined);
    expect(produced).toBe(8);
    expect(written).toBeLessThan(3 * MB);
  });
});
