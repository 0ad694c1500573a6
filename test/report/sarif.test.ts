import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docsUrl } from '../../src/model/results.js';
import { artifactUri, fingerprint, FINGERPRINT_KEY, pascalCase, renderSarif } from '../../src/report/sarif.js';
import { CATALOG } from './fixtures/catalog.js';
import { FIXTURES, FIXTURE_NAMES, copy } from './fixtures/index.js';
import { expectGolden } from './golden.js';

const MULTITOOL_DIR = join(process.cwd(), 'node_modules/@microsoft/sarif-multitool-linux');
const MULTITOOL = join(MULTITOOL_DIR, 'Sarif.Multitool');
const tmp = mkdtempSync(join(tmpdir(), 'wi-doctor-sarif-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const render = (name: keyof typeof FIXTURES) => renderSarif(FIXTURES[name], { checks: CATALOG });
/** The parts of a SARIF log these tests read. */
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string } };
    logicalLocations: { name: string }[];
  }[];
  partialFingerprints: Record<string, string>;
  properties: { subject: string; status: string };
}
interface SarifRule {
  id: string;
  name: string;
  helpUri: string;
  defaultConfiguration: { level: string };
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: [
    {
      tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } };
      results: SarifResult[];
    },
  ];
}
const parse = (text: string): SarifLog => JSON.parse(text) as SarifLog;

function multitoolUsable(): string | undefined {
  try {
    accessSync(MULTITOOL, constants.X_OK);
    return undefined;
  } catch (error) {
    return String(error);
  }
}

/**
 * Validates files with the SARIF multitool, in one run (it takes seconds to start). It exits 0 even when
 * it reports errors, so its output is read: the error lines of each file are returned.
 */
function validateSarif(files: readonly string[]): Map<string, string[]> {
  const errors = new Map(files.map((f) => [f, [] as string[]]));
  const why = multitoolUsable();
  if (why !== undefined) {
    // Fallback for machines without the binary: the JSON schema only (weaker than the multitool's rules).
    console.log(`skipped multitool: ${why}`);
    const Ajv = AjvModule.default;
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(MULTITOOL_DIR, 'sarif-2.1.0.json'), 'utf8')));
    for (const file of files) {
      if (!validate(JSON.parse(readFileSync(file, 'utf8')))) {
        errors.set(
          file,
          (validate.errors ?? []).map((e) => JSON.stringify(e)),
        );
      }
    }
    return errors;
  }
  const out = execFileSync(MULTITOOL, ['validate', ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toContain(`Done. ${files.length} files scanned.`);
  expect(out).toContain('Analysis completed successfully');
  for (const line of out.split('\n').filter((l) => /\berror\b/i.test(l))) {
    const file = files.find((f) => line.startsWith(f)) ?? files[0] ?? '';
    errors.get(file)?.push(line);
  }
  return errors;
}

/** Every log the tests render, validated in one multitool run. */
const LOGS: Record<string, string> = {};
let validation = new Map<string, string[]>();
const fileOf = (name: string): string => join(tmp, `${name}.sarif`);

beforeAll(() => {
  for (const name of FIXTURE_NAMES) LOGS[name] = render(name);
  const noLocation = copy(FIXTURES.failing);
  for (const r of noLocation.results) r.location = '';
  LOGS['no-location'] = renderSarif(noLocation, { checks: CATALOG });
  // A result whose check the catalog does not list, and a location with characters a URI may not hold.
  const uncatalogued = copy(FIXTURES.failing);
  for (const r of uncatalogued.results) r.location = 'gcp/resources/acme shop[1].json';
  LOGS['uncatalogued'] = renderSarif(uncatalogued, { checks: CATALOG.filter((c) => c.id !== 'wi-binding') });
  for (const [name, text] of Object.entries(LOGS)) writeFileSync(fileOf(name), text);
  validation = validateSarif(Object.keys(LOGS).map(fileOf));
}, 180_000);

describe('renderSarif', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.sarif`, render(name));
  });

  it.each([...FIXTURE_NAMES, 'no-location', 'uncatalogued'])('%s passes the SARIF multitool without errors', (name) => {
    expect(validation.get(fileOf(name))).toEqual([]);
  });

  it('states the schema, the version and the tool', () => {
    const log = parse(render('failing'));
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'wi-doctor', version: '0.1.0' });
    expect(driver.informationUri).toMatch(/^https:\/\//);
  });

  it('has one rule per catalog check, with its docs page, even without results', () => {
    const rules = parse(render('healthy')).runs[0].tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(CATALOG.map((c) => c.id));
    const wi = rules.find((r) => r.id === 'wi-binding');
    expect(wi).toMatchObject({
      name: 'WiBinding',
      helpUri: docsUrl('wi-binding'),
      defaultConfiguration: { level: 'error' },
    });
    expect(rules.find((r) => r.id === 'gsa-shared')!.defaultConfiguration.level).toBe('warning');
  });

  it('reports fail, warn and unknown as error, warning and note, and leaves out pass and skip', () => {
    const report = FIXTURES.shared;
    const results = parse(render('shared')).runs[0].results;
    const expected = report.results.filter((r) => ['fail', 'warn', 'unknown'].includes(r.status));
    expect(results).toHaveLength(expected.length);
    const levels: Record<string, string> = { fail: 'error', warn: 'warning', unknown: 'note' };
    expected.forEach((r, i) => {
      expect(results[i]).toMatchObject({ ruleId: r.check, level: levels[r.status] });
      expect(results[i]!.message.text).toContain(r.subject);
    });
  });

  it('gives every result a location, a logical location, a valid rule index and a stable fingerprint', () => {
    const log = parse(render('shared'));
    const rules = log.runs[0].tool.driver.rules;
    for (const result of log.runs[0].results) {
      expect(rules[result.ruleIndex]!.id).toBe(result.ruleId);
      const loc = result.locations[0];
      expect(loc!.physicalLocation.artifactLocation.uri).toMatch(/^(https:\/\/|[a-z0-9])/);
      expect(loc!.logicalLocations[0]!.name).toBe(result.properties.subject);
      expect(result.partialFingerprints[FINGERPRINT_KEY]).toBe(fingerprint(result.ruleId, result.properties.subject));
    }
    const prints = log.runs[0].results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    expect(new Set(prints).size).toBe(prints.length);
    // Stable: the same finding in another run (other time, other wording) keeps its fingerprint.
    const later = copy(FIXTURES.shared);
    later.generatedAt = '2026-12-01T00:00:00Z';
    for (const r of later.results) r.cause = `${r.cause ?? ''} (again)`;
    const again = parse(renderSarif(later, { checks: CATALOG })).runs[0].results.map(
      (r) => r.partialFingerprints[FINGERPRINT_KEY],
    );
    expect(again).toEqual(prints);
  });

  it('adds a rule for a result whose check is not in the catalog, so its ruleIndex is valid', () => {
    const log = parse(LOGS['uncatalogued'] ?? '');
    const result = log.runs[0].results.find((r) => r.ruleId === 'wi-binding');
    expect(log.runs[0].tool.driver.rules[result!.ruleIndex]!.id).toBe('wi-binding');
  });

  it('makes locations valid URIs and falls back to the cluster when a result has none', () => {
    expect(
      artifactUri('//iam.googleapis.com/projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com'),
    ).toBe('https://iam.googleapis.com/projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com');
    expect(artifactUri('gcp/resources/acme shop[1].json')).toBe('gcp/resources/acme%20shop%5B1%5D.json');
    expect(artifactUri('k8s/a%20b.json')).toBe('k8s/a%20b.json');
    expect(artifactUri('k8s/100%.json')).toBe('k8s/100%25.json');
    const uris = parse(LOGS['no-location'] ?? '').runs[0].results.map(
      (r) => r.locations[0]!.physicalLocation.artifactLocation.uri,
    );
    expect(uris.length).toBeGreaterThan(0);
    expect(new Set(uris)).toEqual(
      new Set(['https://container.googleapis.com/projects/acme-shop/locations/europe-west1/clusters/prod']),
    );
  });

  it('names rules in PascalCase', () => {
    expect(pascalCase('iamcredentials-api-enabled')).toBe('IamcredentialsApiEnabled');
    expect(pascalCase('gsa-user-managed-keys')).toBe('GsaUserManagedKeys');
  });
});
