// SARIF 2.1.0 for code-scanning services. One rule per check id of the catalog (so a service can show a
// rule even when it produced no result in this run), with its docs page as help URI.
//
// Which statuses become results: fail → `error`, warn → `warning`, unknown → `note`. Pass and skip are
// not findings and are left out, as linters do. Unknown is kept (at the lowest level) because a check
// that could not run is something to act on — collect more, or grant the missing permission — and
// leaving it out would read as a clean bill of health.
//
// Every result has a location (code-scanning services reject results without one): the result's
// `location`, a bundle file path or a resource URI, made into a valid URI reference. Google full resource
// names (`//container.googleapis.com/…`) get the `https:` scheme: SARIF consumers treat a reference that
// starts with a slash as relative to a base and the multitool rejects it (SARIF1004). A bundle file gets
// the region `startLine: 1`, since the finding is about the file as a whole; a resource has no lines.

import { createHash } from 'node:crypto';

import type { CheckResult, Report, Status } from '../model/results.js';
import { docsUrl } from '../model/results.js';
import { redactSecrets } from './common.js';

export interface CatalogEntry {
  id: string;
  title: string;
  failureTitle: string;
  group: 'diagnose' | 'probe' | 'audit';
}

export interface SarifOptions {
  checks: readonly CatalogEntry[];
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/wi-doctor/wi-doctor';

type Level = 'error' | 'warning' | 'note';
const LEVEL: Partial<Record<Status, Level>> = { fail: 'error', warn: 'warning', unknown: 'note' };

/** Diagnose and probe failures break Workload Identity; audit findings are hygiene unless a result says more. */
const DEFAULT_LEVEL: Record<CatalogEntry['group'], Level> = { diagnose: 'error', probe: 'error', audit: 'warning' };

/** The key of our fingerprint in `partialFingerprints`; bump the version if the hashed input changes. */
export const FINGERPRINT_KEY = 'wiDoctorCheckSubject/v1';

export function renderSarif(report: Report, opts: SarifOptions): string {
  const catalog = [...opts.checks];
  // A result of a check the catalog does not list still needs a rule for its ruleIndex.
  for (const r of report.results) {
    if (!catalog.some((c) => c.id === r.check)) {
      catalog.push({ id: r.check, title: r.title, failureTitle: r.title, group: 'diagnose' });
    }
  }
  const index = new Map(catalog.map((c, i) => [c.id, i]));

  const results = report.results.flatMap((r) => {
    const level = LEVEL[r.status];
    if (level === undefined) return [];
    const ruleIndex = index.get(r.check) ?? 0;
    return [sarifResult(r, level, ruleIndex, report.cluster)];
  });

  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'wi-doctor',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: INFORMATION_URI,
            rules: catalog.map(rule),
          },
        },
        automationDetails: { id: `wi-doctor/${report.cluster}/` },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results,
      },
    ],
  };
  return redactSecrets(JSON.stringify(log, null, 2) + '\n');
}

function rule(entry: CatalogEntry): Record<string, unknown> {
  const help = docsUrl(entry.id);
  return {
    id: entry.id,
    name: pascalCase(entry.id),
    shortDescription: { text: sentence(entry.title) },
    fullDescription: { text: sentence(`${entry.title}. Fails when: ${lowerFirst(entry.failureTitle)}`) },
    helpUri: help,
    help: { text: `See ${help}`, markdown: `See [${entry.id}](${help}).` },
    defaultConfiguration: { level: DEFAULT_LEVEL[entry.group] },
    properties: { tags: ['workload-identity', 'gke', entry.group] },
  };
}

function sarifResult(r: CheckResult, level: Level, ruleIndex: number, cluster: string): Record<string, unknown> {
  // `location` is required; should a check leave it empty, the run is at least about the cluster.
  const uri = artifactUri(r.location || `//container.googleapis.com/${cluster}`);
  const isBundleFile = !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !uri.startsWith('/');
  return {
    ruleId: r.check,
    ruleIndex,
    level,
    message: { text: sentence(`${r.subject}: ${r.cause ?? r.title}`) },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri }, ...(isBundleFile ? { region: { startLine: 1 } } : {}) },
        logicalLocations: [{ name: r.subject, fullyQualifiedName: r.subject, kind: 'resource' }],
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(r.check, r.subject) },
    properties: {
      status: r.status,
      subject: r.subject,
      ...(r.missing !== undefined && r.missing.length > 0 ? { missing: r.missing } : {}),
      ...(r.fix.length > 0 ? { fixes: r.fix.map((f) => f.description) } : {}),
    },
  };
}

/** `wi-binding` → `WiBinding`: SARIF rule names are PascalCase identifiers. */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Stable across runs and tool versions: the same check about the same subject is the same alert. */
export function fingerprint(check: string, subject: string): string {
  return createHash('sha256').update(`${check}\u0000${subject}`).digest('hex').slice(0, 32);
}

/** The artifact URI of a location: full resource names made absolute, then made a valid URI reference. */
export function artifactUri(location: string): string {
  return toUriReference(location.startsWith('//') ? `https:${location}` : location);
}

/**
 * A valid URI reference from a bundle path or resource name: characters a URI may not hold (`[`, `]`
 * of `acme-shop.svc.id.goog[shop/cart]`, spaces) are percent-encoded; existing `%XX` escapes are kept.
 */
export function toUriReference(location: string): string {
  return location.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

// SARIF's own guidance (and the multitool's SARIF2001) wants messages that are complete sentences.
const sentence = (text: string): string => {
  const t = text.replace(/\s+/g, ' ').trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
};
const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);
