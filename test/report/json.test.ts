import { readFileSync } from 'node:fs';

import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import type { Report } from '../../src/model/results.js';
import { renderFix } from '../../src/fix/render.js';
import { jsonChunks, renderJson } from '../../src/report/json.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { expectGolden } from './golden.js';

// ajv is CommonJS: under NodeNext its default export arrives as the module object.
const Ajv2020 = Ajv2020Module.default;
const schema: unknown = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema as object);

const CONTRACT_ORDER = [
  'format',
  'tool',
  'generatedAt',
  'source',
  'cluster',
  'results',
  'verdicts',
  'groups',
  'summary',
  'notes',
];

describe('renderJson', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.json`, renderJson(FIXTURES[name]));
  });

  it.each(FIXTURE_NAMES)('%s round-trips to the same report, its fix plans with their commands', (name) => {
    const report = copy(FIXTURES[name]);
    const withCommands = {
      ...report,
      results: report.results.map((r) => ({ ...r, fix: r.fix.map(renderFix) })),
      verdicts: report.verdicts.map((v) => ({ ...v, fix: v.fix.map(renderFix) })),
    };
    expect(JSON.parse(renderJson(report))).toEqual(withCommands);
  });

  it.each(FIXTURE_NAMES)('%s is streamed as exactly the text of one JSON.stringify(…, null, 2)', (name) => {
    const chunks = [...jsonChunks(FIXTURES[name])];
    expect(chunks.length).toBeGreaterThan(FIXTURES[name].results.length);
    const text = chunks.join('');
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });

  it('keeps free-form keys as keys (`__proto__` too) and writes what JSON.stringify would', () => {
    const report = copy(FIXTURES.failing);
    const [first] = report.results;
    if (first === undefined) throw new Error('fixture changed');
    const actual = JSON.parse(
      '{"__proto__": {"polluted": true}, "b": 1, "10": 2, "9": 3, "a": [{"z": 1, "y": 2}]}',
    ) as unknown;
    first.evidence = { actual };
    const text = renderJson(report);
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    const written = (JSON.parse(text) as { results: { evidence: { actual: object } }[] }).results[0]?.evidence.actual;
    expect(Object.keys(written ?? {})).toEqual(['9', '10', '__proto__', 'a', 'b']);
    expect(text).toContain('"a": [\n            {\n              "y": 2,\n              "z": 1\n');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('streams a large report in chunks of bounded size, losing and reordering nothing', () => {
    const report = copy(FIXTURES.failing);
    const [first] = report.results;
    if (first === undefined) throw new Error('fixture changed');
    // Results of very different sizes, so that the chunks adapt to them.
    report.results = Array.from({ length: 2_000 }, (_, i) => ({
      ...first,
      subject: `team-${i}/app-${i}`,
      cause: 'x'.repeat(i % 7 === 0 ? 20_000 : 10),
    }));
    const chunks = [...jsonChunks(report)];
    const text = chunks.join('');
    const parsed = JSON.parse(text) as { results: { subject: string }[] };
    expect(parsed.results.map((r) => r.subject)).toEqual(report.results.map((r) => r.subject));
    expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(chunks.length).toBeLessThan(report.results.length);
    // Elements of one size (3 KB each, like a verdict): chunks of about 16 K characters, never near 64 K.
    report.results = report.results.map((r) => ({ ...r, cause: 'y'.repeat(3_000) }));
    const even = [...jsonChunks(report)].filter((c) => c.length > 100);
    expect(Math.max(...even.map((c) => c.length))).toBeLessThan(32 * 1024);
    expect(even.length).toBeLessThan(report.results.length / 3);
  });

  it('indents by two spaces and ends with a newline', () => {
    const json = renderJson(FIXTURES.healthy);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n')[1]).toBe('  "format": "wi-doctor-report/1",');
  });

  it('writes keys in the contract order whatever order the object was built in, added keys sorted after', () => {
    const source = FIXTURES.failing;
    const shuffled = Object.fromEntries(Object.entries(source).reverse()) as unknown as Report;
    const withExtras = { ...shuffled, zeta: 1, alpha: 2 } as Report;
    const firstResult = source.results[0];
    if (firstResult === undefined) throw new Error('fixture changed');
    withExtras.results = [Object.fromEntries(Object.entries(firstResult).reverse()) as typeof firstResult];
    const parsed = JSON.parse(renderJson(withExtras)) as Record<string, unknown> & { results: object[] };
    expect(Object.keys(parsed)).toEqual([...CONTRACT_ORDER, 'alpha', 'collectedAt', 'zeta']);
    expect(Object.keys(parsed.results[0] ?? {})).toEqual([
      'check',
      'status',
      'subject',
      'title',
      'cause',
      'fix',
      'docs',
      'location',
    ]);
    expect(renderJson(shuffled)).toBe(renderJson(source));
  });

  it('sorts the keys of free-form evidence so that equal evidence prints equally', () => {
    const a = copy(FIXTURES.failing);
    const b = copy(FIXTURES.failing);
    const at = (r: Report) => r.results.find((x) => x.check === 'wi-binding');
    const ea = at(a)?.evidence;
    const eb = at(b)?.evidence;
    if (ea === undefined || eb === undefined) throw new Error('fixture changed');
    ea.expected = { member: 'm', permission: 'p' };
    eb.expected = { permission: 'p', member: 'm' };
    expect(renderJson(a)).toBe(renderJson(b));
  });
});

describe('schema/report.schema.json', () => {
  it.each(FIXTURE_NAMES)('accepts the rendered %s report', (name) => {
    const ok = validate(JSON.parse(renderJson(FIXTURES[name])));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts added fields anywhere', () => {
    const report = JSON.parse(renderJson(FIXTURES.failing)) as Record<string, unknown> & { results: object[] };
    report['futureField'] = { any: 'thing' };
    report.results[0] = { ...report.results[0], severity: 'high' };
    expect(validate(report)).toBe(true);
  });

  type Mutation = [string, (r: Record<string, any>) => void, RegExp];
  const mutations: Mutation[] = [
    ['a wrong format', (r) => (r['format'] = 'wi-doctor-report/2'), /format/],
    ['no summary', (r) => delete r['summary'], /summary/],
    ['a summary without unknown', (r) => delete r['summary'].unknown, /unknown/],
    ['a negative count', (r) => (r['summary'].fail = -1), /summary\/fail/],
    ['an unknown status', (r) => (r['results'][0].status = 'error'), /results\/0\/status/],
    ['a result without docs', (r) => delete r['results'][0].docs, /docs/],
    ['a result whose fix is not an array', (r) => (r['results'][0].fix = null), /results\/0\/fix/],
    ['a fix with gcloud missing', (r) => delete r['verdicts'][0].fix[0].gcloud, /gcloud/],
    ['a fix with a numeric kubectl', (r) => (r['verdicts'][0].fix[0].kubectl = 0), /kubectl/],
    ['a verdict whose rootCause is not a check id', (r) => (r['verdicts'][0].rootCause = 42), /rootCause/],
    ['a verdict without ruledOut', (r) => delete r['verdicts'][0].ruledOut, /ruledOut/],
    ['a check id that is not kebab-case', (r) => (r['results'][0].check = 'WI_Binding'), /check/],
  ];
  it.each(mutations)('rejects a report with %s', (_label, mutate, where) => {
    const report = JSON.parse(renderJson(FIXTURES.failing)) as Record<string, any>;
    mutate(report);
    expect(validate(report)).toBe(false);
    const messages = (validate.errors ?? []).map(
      (e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
    expect(messages.join('\n')).toMatch(where);
  });
});
