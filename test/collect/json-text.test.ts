import { describe, expect, it } from 'vitest';
import {
  decodeText,
  findJsonErrorOffset,
  parseJsonText,
  positionFromMessage,
  positionOf,
} from '../../src/collect/bundle/json-text.js';
import { MAX_DEPTH, tooDeep } from '../../src/collect/bundle/validate.js';

describe('positionOf', () => {
  it('counts lines and columns from 1, for \\n, \\r\\n and lone \\r', () => {
    expect(positionOf('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(positionOf('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(positionOf('ab\r\ncd', 5)).toEqual({ line: 2, column: 2 });
    expect(positionOf('ab\rcd\ref', 7)).toEqual({ line: 3, column: 2 });
  });
});

describe('positionFromMessage', () => {
  it('reads "at position N" (Node 20)', () => {
    expect(positionFromMessage('{"a":1\n,x}', 'Unexpected token x in JSON at position 8')).toEqual({
      line: 2,
      column: 2,
    });
  });
  it('reads "(line N column M)" (newer V8)', () => {
    expect(positionFromMessage('', 'Unexpected token \'}\', "{"a":}" is not valid JSON (line 3 column 7)')).toEqual({
      line: 3,
      column: 7,
    });
  });
  it('puts "Unexpected end of JSON input" at the end of the text', () => {
    expect(positionFromMessage('{\n  "a": [1,', 'Unexpected end of JSON input')).toEqual({ line: 2, column: 11 });
  });
  it('returns undefined when the message names no position', () => {
    expect(positionFromMessage('{"a":}', 'Unexpected token \'}\', "{"a":}" is not valid JSON')).toBeUndefined();
  });
});

describe('findJsonErrorOffset', () => {
  const cases: [string, number][] = [
    ['{"a":}', 5],
    ['{\n  "a": 1,\n  "b": tru\n}', 22],
    ['[1,2]x', 5],
    ['{"a" 1}', 5],
    ['{"a":"x\ny"}', 7],
    ['[01]', 2],
    ['', 0],
    ['{"a":[1,2', 9],
  ];
  it.each(cases)('locates the error in %j at %i', (text, offset) => {
    expect(() => {
      JSON.parse(text);
    }).toThrow();
    expect(findJsonErrorOffset(text)).toBe(offset);
  });
  it('returns the text length for valid JSON', () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"], "b": {}}';
    expect(() => {
      JSON.parse(text);
    }).not.toThrow();
    expect(findJsonErrorOffset(text)).toBe(text.length);
  });
});

describe('parseJsonText', () => {
  it('gives line and column even when V8 names no position', () => {
    const r = parseJsonText('{\n  "kind": "List",\n  "items": [}\n}');
    expect(r).toMatchObject({ ok: false, line: 3, column: 13 });
  });
  it('keeps V8 position messages consistent with the scanner', () => {
    const text = '{\n  "a": 1\n  "b": 2\n}';
    const r = parseJsonText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect({ line: r.line, column: r.column }).toEqual(positionOf(text, findJsonErrorOffset(text)));
      expect(r.message).not.toMatch(/position/);
    }
  });
  it('parses valid JSON', () => {
    expect(parseJsonText('{"a":[1]}')).toEqual({ ok: true, value: { a: [1] } });
  });

  it('takes nesting up to MAX_DEPTH and names the first bracket past it, valid JSON or not', () => {
    const nest = (n: number, inner = '1'): string => `${'[{"a":'.repeat(n / 2)}${inner}${'}]'.repeat(n / 2)}`;
    expect(parseJsonText(nest(MAX_DEPTH)).ok).toBe(true);
    // Past it: on line 2, at the bracket that opens level MAX_DEPTH + 1 (the outer object is level 1), the
    // innermost of `nest`; brackets inside strings do not count.
    const deeper = `{"s": "[[[[",\n"v": ${nest(MAX_DEPTH)}}`;
    const column = '"v": '.length + nest(MAX_DEPTH).lastIndexOf('{') + 1;
    const expected = { ok: false, line: 2, column, message: tooDeep() };
    expect(parseJsonText(deeper)).toEqual(expected);
    expect(parseJsonText(deeper.slice(0, -1))).toEqual(expected); // not valid JSON either: depth is said first
  });
});

describe('decodeText', () => {
  it('drops a UTF-8 BOM and decodes UTF-16LE with BOM (PowerShell redirection)', () => {
    expect(decodeText(Buffer.from('\uFEFF{"a":1}', 'utf8'))).toBe('{"a":1}');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":"é"}', 'utf16le')]);
    expect(JSON.parse(decodeText(utf16))).toEqual({ a: 'é' });
  });
});
