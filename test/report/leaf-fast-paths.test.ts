// The shortcuts in the string functions every renderer calls (redaction's pre-check, `oneLine` without line
// breaks, `wrap` of a line that fits, the summary's subject kinds): each must give what the long way gives,
// and the strings right at each shortcut's edge must still be changed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayHoldSecret, redactSecrets, SECRET_PATTERNS } from '../../src/model/redact.js';
import type { Report } from '../../src/model/results.js';
import { foldKeyOf, oneLine, summaryLine, withoutSubjectNames, wrap } from '../../src/report/common.js';
import { sanitize } from '../../src/report/sanitize.js';
import { FIXTURES } from './fixtures/index.js';

/** Pieces that make up secrets and near misses of them, so that random text often comes close to a rule. */
const piece = fc.constantFrom(
  'PRIVATE KEY',
  'PRIVATE  KEY',
  'private_key',
  'private_key_id',
  'Private_key',
  '-----BEGIN ',
  '-----END ',
  '-----',
  'RSA ',
  'MII',
  'MIi',
  'eyJ',
  'eyj',
  'ya29.',
  'ya29',
  'YA29.',
  'Bearer',
  'bEaReR',
  'BEARER',
  'Bеarer', // a Cyrillic е: not the rule's `e` in any case
  '"',
  '\\"',
  ':',
  ' ',
  '\t',
  '\n',
  '\\n',
  '.',
  '_',
  '-',
  '+/=',
  'abcd',
  'ABCDEFGH',
  'A'.repeat(30),
  '0123456789',
  'é',
);
const suspectText = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''));

/** Whether any rule's pattern matches `text` (each tried alone, on the text as given). */
const someRuleMatches = (text: string): boolean =>
  SECRET_PATTERNS.some((pattern) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(text));

describe('redaction pre-check', () => {
  it('lets through every text some rule matches (so skipping the rules never lets a secret pass)', () => {
    fc.assert(
      fc.property(suspectText, (text) => {
        if (someRuleMatches(text)) expect(mayHoldSecret(text)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('is not so loose that it proves nothing: it refuses text without any rule literal', () => {
    expect(mayHoldSecret('serviceAccount:acme-shop.svc.id.goog[shop/cart] etag BwX6Zp0a9Qc=')).toBe(false);
  });

  // The shortest match of each rule, and the same one character short or off: the first must still change.
  it.each([
    ['an access token at the length floor (9)', 'ya29.abcd', 'ya29.abc', 'ya29,abcd'],
    ['a JWT header (11)', 'eyJabcdefgh', 'eyJabcdefg', 'eyjabcdefgh'],
    ['a bearer token (15)', 'Bearer abcdefgh', 'Bearer abcdefg', 'Bearerabcdefghi'],
    ['a bearer token in another case', 'bEaReR\tabcdefgh', 'bEaReR\tabcdefg', 'bEaR3R\tabcdefgh'],
    ['a key JSON value', '"private_key":"x', '"private_key":x', '"private_kez":"x'],
    [
      'a key id, quoted inside a JSON string',
      '\\"private_key_id\\": \\"x',
      '\\"private_key_id\\": x',
      'private_key_id: x',
    ],
    [
      'a PEM BEGIN line (27)',
      '-----BEGIN PRIVATE KEY-----',
      '-----BEGIN PRIVATE KEY----',
      '-----BEGIN PRIVATE  KEY-----',
    ],
    ['a DER key body (63)', `MII${'A'.repeat(60)}`, `MII${'A'.repeat(59)}`, `MIi${'A'.repeat(60)}`],
  ])('redacts %s, and leaves its near misses alone', (_name, secret, short, off) => {
    expect(redactSecrets(secret)).not.toBe(secret);
    expect(redactSecrets(secret)).toContain('[redacted]');
    expect(redactSecrets(short)).toBe(short);
    expect(redactSecrets(off)).toBe(off);
    expect(someRuleMatches(secret)).toBe(true);
    expect(someRuleMatches(short) || someRuleMatches(off)).toBe(false);
  });

  it('redacts a secret glued to text before and after it, however long the text', () => {
    const text = `${'x'.repeat(5000)} Authorization: Bearer abcdefgh ${'y'.repeat(5000)}`;
    expect(redactSecrets(text)).toContain('Bearer …[redacted]');
  });
});

/** What `oneLine` was before its shortcut: the specification. */
const oneLineSpec = (text: string): string => sanitize(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());

/** What `wrap` was before its shortcut: the specification (greedy, words never cut). */
function wrapSpec(text: string, width: number, first: string, rest: string): string[] {
  const words = oneLineSpec(redactSecrets(text)).split(' ');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (word === '') continue;
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

const layoutText = fc
  .array(
    fc.constantFrom(
      'a',
      'word',
      'x'.repeat(12),
      ' ',
      '  ',
      '\n',
      '\r',
      '\r\n',
      ' \n ',
      '\t',
      '\u00a0',
      '\u2028',
      '\u001b',
      'é',
    ),
    {
      maxLength: 16,
    },
  )
  .map((pieces) => pieces.join(''));

describe('oneLine', () => {
  it('is what it was for any text', () => {
    fc.assert(
      fc.property(layoutText, (text) => {
        expect(oneLine(text)).toBe(oneLineSpec(text));
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['a lone carriage return', 'a\rb', 'a b'],
    ['a lone newline', 'a\nb', 'a b'],
    ['spaces around a line break, Unicode ones too', 'a \u00a0\r\n\t b', 'a b'],
    ['a line break at the end', 'a\n', 'a'],
  ])('still joins %s', (_name, text, expected) => {
    expect(oneLine(text)).toBe(expected);
  });

  it('leaves a text without line breaks as it is, but trimmed and escaped', () => {
    expect(oneLine(' a  b ')).toBe('a  b');
    expect(oneLine('a\u001bb')).toBe('a\\x1bb');
  });
});

describe('wrap', () => {
  it('is what it was for any text, width and indents, unwrapped (Infinity) included', () => {
    fc.assert(
      fc.property(
        layoutText,
        fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 30 })),
        fc.constantFrom('', '  ', '- ', 'x'.repeat(40)),
        fc.constantFrom('', '    '),
        (text, width, first, rest) => {
          expect(wrap(text, width, first, rest)).toEqual(wrapSpec(text, width, first, rest));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('keeps a text that fits exactly on one line, and wraps one character more', () => {
    expect(wrap('ab cd', 7, '- ', '  ')).toEqual(['- ab cd']);
    expect(wrap('ab cde', 7, '- ', '  ')).toEqual(['- ab', '  cde']);
  });

  it('still collapses runs of spaces and drops spaces at the ends of a text that fits', () => {
    expect(wrap('  a   b  ', Number.POSITIVE_INFINITY, '> ', '')).toEqual(['> a b']);
    expect(wrap('', Number.POSITIVE_INFINITY, '> ', '')).toEqual(['> ']);
    expect(wrap('a\nb', Number.POSITIVE_INFINITY, '', '')).toEqual(['a b']);
  });

  it('still redacts and escapes a text that fits', () => {
    expect(wrap('token Bearer abcdefghij \u001b', Number.POSITIVE_INFINITY, '', '')).toEqual([
      'token Bearer …[redacted] \\x1b',
    ]);
  });
});

describe('withoutSubjectNames', () => {
  it('returns for an empty subject (no name to take out)', () => {
    expect(withoutSubjectNames('a b', '')).toBe('a b');
  });
});

describe('summaryLine subject kinds', () => {
  const withSubjects = (subjects: string[]): Report => ({
    ...FIXTURES.shared,
    verdicts: subjects.map((subject) => ({ ...verdictOf(FIXTURES.shared), subject })),
  });

  it.each([
    [['a/b', 'c/d'], 'KSAs'],
    [['a/pod/b', 'c/pod/d'], 'pods'],
    [['a/Deployment/b', 'c/podx/d', 'e/po/f'], 'workloads'],
    [['a/b/c/d', 'nopath'], 'workloads'],
    [['a/pod/b', 'c/d'], 'subjects'],
    [['a/b', 'c/pod'], 'KSAs'],
  ])('names %j as %s', (subjects, noun) => {
    expect(summaryLine(withSubjects(subjects))).toContain(` of ${subjects.length} ${noun} broken`);
  });

  it('counts the results a baseline suppressed, also after the report was summarised once', () => {
    const report = structuredClone(FIXTURES.shared);
    expect(summaryLine(report)).not.toContain('suppressed');
    const [first] = report.results;
    if (first === undefined) throw new Error('the fixture has results');
    first.suppressed = { file: 'baseline.yaml', reason: 'known' };
    expect(summaryLine(report)).toContain('(1 suppressed by the baseline)');
  });
});

function verdictOf(report: Report): Report['verdicts'][number] {
  const [verdict] = report.verdicts;
  if (verdict === undefined) throw new Error('the fixture has a verdict');
  return verdict;
}

describe('the fold key of a not-proven subject', () => {
  // Texts made of a subject's names, their pieces, name characters and separators, so that names meet at the ends
  // of parts, inside longer names and next to each other.
  const subjects = fc.constantFrom('team-1/app-1', 'a/b', 'ns/pod/web-0', 'shop/deployment/cart', 'x', 'a\u0000b/c');
  const piece = fc.constantFrom(
    'team-1',
    'app-1',
    'team-1/app-1',
    'a',
    'b',
    'a/b',
    'web-0',
    'ns',
    'cart',
    'x',
    '-',
    '.',
    ' ',
    '`',
    '/',
    '{}',
    '\u0000',
    'z',
    'c',
  );
  const part = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));

  it('is the names taken out of the joined parts, for any parts and subject', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), subjects, (parts, subject) => {
        expect(foldKeyOf(parts, subject)).toBe(withoutSubjectNames(parts.join('\u0000'), subject));
      }),
      { numRuns: 5_000 },
    );
  });

  it('puts the parts given before first, as they are, names and all, for any parts and subject', () => {
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 3 }),
        fc.array(part, { minLength: 1, maxLength: 4 }),
        subjects,
        (before, parts, subject) => {
          expect(foldKeyOf(parts, subject, before)).toBe(
            [...before, withoutSubjectNames(parts.join('\u0000'), subject)].join('\u0000'),
          );
        },
      ),
      { numRuns: 2_000 },
    );
    expect(foldKeyOf(['app-1 is'], 'team-1/app-1', ['3', 'app-1'])).toBe('3\u0000app-1\u0000{} is');
  });

  it('takes a name out at the start and at the end of a part, not inside a longer name', () => {
    expect(foldKeyOf(['app-1 is', 'of team-1/app-1', 'app-12'], 'team-1/app-1')).toBe('{} is\u0000of {}\u0000app-12');
  });
});
