import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { docsUrl } from '../../src/model/results.js';
import {
  artifactUri,
  fingerprint,
  FINGERPRINT_KEY,
  pascalCase,
  renderSarif,
  resourceNameOf,
} from '../../src/report/sarif.js';
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
  suppressions?: { kind: string; status: string; justification: string }[];
  properties: { subject: string; status: string; bundleFile?: string };
}
interface SarifRule {
  id: string;
  name: string;
  helpUri?: string;
  help: { text: string; markdown: string };
  defaultConfiguration: { level: string };
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: [
    {
      tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
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
  // A finding accepted by a baseline, and a rule whose help is its docs page.
  const suppressed = copy(FIXTURES.failing);
  const wi = suppressed.results.find((r) => r.check === 'wi-binding');
  if (wi !== undefined) wi.suppressed = { file: '.wi-doctor.yaml', reason: 'migration', expires: '2027-01-31' };
  const withHelp = CATALOG.map((c) => (c.id === 'wi-binding' ? { ...c, help: '# wi-binding\n\nWhy it fails.\n' } : c));
  LOGS['suppressed'] = renderSarif(suppressed, { checks: withHelp });
  for (const [name, text] of Object.entries(LOGS)) writeFileSync(fileOf(name), text);
  validation = validateSarif(Object.keys(LOGS).map(fileOf));
}, 180_000);

describe('renderSarif', () => {
  it.each(FIXTURE_NAMES)('matches the golden file for %s', (name) => {
    expectGolden(`${name}.sarif`, render(name));
  });

  it.each([...FIXTURE_NAMES, 'no-location', 'uncatalogued', 'suppressed'])(
    '%s passes the SARIF multitool without errors',
    (name) => {
      expect(validation.get(fileOf(name))).toEqual([]);
    },
  );

  it('states the schema, the version and the tool', () => {
    const log = parse(render('failing'));
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'wi-doctor', version: '0.1.0' });
    // The project publishes no web address: none is invented.
    expect(driver.informationUri).toBeUndefined();
    expect(render('failing')).not.toMatch(/github\.com/);
  });

  it('has one rule per catalog check, with its docs page as help, even without results', () => {
    const rules = parse(render('healthy')).runs[0].tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(CATALOG.map((c) => c.id));
    const wi = rules.find((r) => r.id === 'wi-binding');
    expect(wi).toMatchObject({ name: 'WiBinding', defaultConfiguration: { level: 'error' } });
    expect(wi?.helpUri).toBeUndefined();
    expect(wi?.help.text).toBe(
      `Run \`wi-doctor explain wi-binding\`, or read ${docsUrl('wi-binding')} in the wi-doctor package.`,
    );
    expect(rules.find((r) => r.id === 'gsa-shared')!.defaultConfiguration.level).toBe('warning');
    const withPage = parse(LOGS['suppressed'] ?? '').runs[0].tool.driver.rules.find((r) => r.id === 'wi-binding');
    expect(withPage?.help.markdown).toBe('# wi-binding\n\nWhy it fails.\n');
  });

  it('keeps a suppressed finding, marked as suppressed externally with the reason', () => {
    const results = parse(LOGS['suppressed'] ?? '').runs[0].results;
    const wi = results.find((r) => r.ruleId === 'wi-binding');
    expect(wi?.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'migration' }]);
    expect(results.filter((r) => r.suppressions !== undefined)).toHaveLength(1);
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

  it('locates every result in one URI scheme: the full resource name of what it is about', () => {
    expect(
      artifactUri('//iam.googleapis.com/projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com'),
    ).toBe('https://iam.googleapis.com/projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com');
    expect(artifactUri('//container.googleapis.com/x/k8s/namespaces/a b/pods/c[1]')).toBe(
      'https://container.googleapis.com/x/k8s/namespaces/a%20b/pods/c%5B1%5D',
    );
    expect(artifactUri('//x/100%')).toBe('https://x/100%25');
    const cluster = 'projects/acme-shop/locations/europe-west1/clusters/prod';
    const at = (location: string, subject: string) => resourceNameOf({ location, subject }, cluster);
    const k8s = `//container.googleapis.com/${cluster}/k8s/namespaces`;
    expect(at('kubernetes:///namespaces/shop/deployments/cart', 'shop/deployment/cart')).toBe(
      `${k8s}/shop/apps/deployments/cart`,
    );
    expect(at('gcp/cluster.json', 'shop/cart')).toBe(`${k8s}/shop/serviceaccounts/cart`);
    expect(at('k8s/pods.json', 'shop/pod/cart-1')).toBe(`${k8s}/shop/pods/cart-1`);
    expect(at('bundle.json', 'batch/cronjob/w')).toBe(`${k8s}/batch/batch/cronjobs/w`);
    expect(at('projects/acme-shop', 'shop/cart')).toBe('//cloudresourcemanager.googleapis.com/projects/acme-shop');
    expect(at('', `${cluster}/nodePools/default-pool`)).toBe(
      `//container.googleapis.com/${cluster}/nodePools/default-pool`,
    );
    expect(at('', 'cart@acme-shop.iam.gserviceaccount.com')).toBe(
      '//iam.googleapis.com/projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com',
    );
    for (const name of [...FIXTURE_NAMES, 'no-location', 'uncatalogued', 'suppressed']) {
      for (const result of parse(LOGS[name] ?? '').runs[0].results) {
        expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(
          /^https:\/\/[a-z]+\.googleapis\.com\//,
        );
      }
    }
    // A result located at a bundle file keeps the file in its properties.
    const file = parse(LOGS['uncatalogued'] ?? '').runs[0].results[0];
    expect(file?.properties.bundleFile).toBe('gcp/resources/acme shop[1].json');
  });

  it('names rules in PascalCase', () => {
    expect(pascalCase('iamcredentials-api-enabled')).toBe('IamcredentialsApiEnabled');
    expect(pascalCase('gsa-user-managed-keys')).toBe('GsaUserManagedKeys');
  });
});
