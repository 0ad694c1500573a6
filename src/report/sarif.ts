// SARIF 2.1.0 for code-scanning services. One rule per check id of the catalog (so a service can show a
// rule even when it produced no result in this run), with its documentation as the rule's help: the page
// that ships in the package when the CLI passes it, else how to read it (`wi-doctor explain ID`).
//
// Which statuses become results: fail → `error`, warn → `warning`, unknown → `note`. Pass and skip are
// not findings and are left out, as linters do. Unknown is kept (at the lowest level) because a check
// that could not be evaluated is something to act on — collect more, or grant the missing permission — and
// leaving it out would read as a clean bill of health. A result a baseline suppresses is kept, with a
// SARIF `suppressions` entry (kind `external`, the baseline's reason as justification).
//
// Every result has a location (code-scanning services reject results without one), and every location is
// in one URI scheme: the Google full resource name of the object the result is about, made absolute with
// `https:` (SARIF consumers treat a reference that starts with `//` as relative to a base, and the
// multitool rejects it). Kubernetes objects get the name Cloud Asset Inventory gives them inside their
// cluster (`//container.googleapis.com/projects/P/locations/L/clusters/C/k8s/namespaces/NS/pods/NAME`, the
// API group before the resource for non-core kinds, e.g. `apps/deployments`). A result located at a bundle
// file is located at its subject instead, and the file is kept in the result's properties.

import { createHash } from 'node:crypto';

import type { CheckResult, Report, ReportStream, Status } from '../model/results.js';
import { docsUrl, streamOf } from '../model/results.js';
import { redactSecrets } from './common.js';
import { renderedFix } from './fixes.js';

export interface CatalogEntry {
  id: string;
  title: string;
  failureTitle: string;
  group: 'diagnose' | 'probe' | 'audit';
  /** The check's documentation page (Markdown), when the caller has it: it becomes the rule's help. */
  help?: string;
}

export interface SarifOptions {
  checks: readonly CatalogEntry[];
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'warning' | 'note';
const LEVEL: Partial<Record<Status, Level>> = { fail: 'error', warn: 'warning', unknown: 'note' };

/** Diagnose and probe failures break Workload Identity; audit findings are hygiene unless a result says more. */
const DEFAULT_LEVEL: Record<CatalogEntry['group'], Level> = { diagnose: 'error', probe: 'error', audit: 'warning' };

/** The key of our fingerprint in `partialFingerprints`; bump the version if the hashed input changes. */
export const FINGERPRINT_KEY = 'wiDoctorCheckSubject/v1';

export function renderSarif(report: Report, opts: SarifOptions): string {
  return renderSarifStream(streamOf(report), opts);
}

/**
 * The SARIF log of a report stream: each slice's findings made SARIF results as the slice is read (pass and skip
 * results, most of a large run, are let go at once), the log written at the end. The same log as `renderSarif`
 * of the report made whole.
 */
export function renderSarifStream(stream: ReportStream, opts: SarifOptions): string {
  const catalog = [...opts.checks];
  const index = new Map(catalog.map((c, i) => [c.id, i]));
  const { cluster } = stream.head;
  const results: Record<string, unknown>[] = [];
  const take = (r: CheckResult): void => {
    // A result of a check the catalog does not list still needs a rule for its ruleIndex.
    let ruleIndex = index.get(r.check);
    if (ruleIndex === undefined) {
      ruleIndex = catalog.length;
      catalog.push({ id: r.check, title: r.title, failureTitle: r.title, group: 'diagnose' });
      index.set(r.check, ruleIndex);
    }
    const level = LEVEL[r.status];
    if (level !== undefined) results.push(sarifResult(r, level, ruleIndex, cluster));
  };
  for (const r of stream.shared) take(r);
  for (const slice of stream.slices) for (const r of slice.results) take(r);
  stream.end();

  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'wi-doctor',
            version: stream.head.tool.version,
            semanticVersion: stream.head.tool.version,
            rules: catalog.map(rule),
          },
        },
        automationDetails: { id: `wi-doctor/${cluster}/` },
        invocations: [{ executionSuccessful: true, endTimeUtc: stream.head.generatedAt }],
        results,
      },
    ],
  };
  return redactSecrets(JSON.stringify(log, null, 2) + '\n');
}

function rule(entry: CatalogEntry): Record<string, unknown> {
  const where = `Run \`wi-doctor explain ${entry.id}\`, or read ${docsUrl(entry.id)} in the wi-doctor package.`;
  return {
    id: entry.id,
    name: pascalCase(entry.id),
    shortDescription: { text: sentence(entry.title) },
    fullDescription: { text: sentence(`${entry.title}. Fails when: ${lowerFirst(entry.failureTitle)}`) },
    help:
      entry.help === undefined
        ? { text: where, markdown: where }
        : { text: `${where}\n\n${entry.help}`, markdown: entry.help },
    defaultConfiguration: { level: DEFAULT_LEVEL[entry.group] },
    properties: { tags: ['workload-identity', 'gke', entry.group] },
  };
}

function sarifResult(r: CheckResult, level: Level, ruleIndex: number, cluster: string): Record<string, unknown> {
  const uri = artifactUri(resourceNameOf(r, cluster));
  const file = r.location !== '' && isBundlePath(r.location) ? r.location : undefined;
  return {
    ruleId: r.check,
    ruleIndex,
    level,
    message: { text: sentence(`${r.subject}: ${r.cause ?? r.title}`) },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri } },
        logicalLocations: [{ name: r.subject, fullyQualifiedName: r.subject, kind: 'resource' }],
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(r.check, r.subject) },
    ...(r.suppressed !== undefined
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: r.suppressed.reason }] }
      : {}),
    properties: {
      status: r.status,
      subject: r.subject,
      ...(file !== undefined ? { bundleFile: file } : {}),
      ...(r.missing !== undefined && r.missing.length > 0 ? { missing: r.missing } : {}),
      ...(r.fix.length > 0 ? { fixes: r.fix.map((f) => renderedFix(f).description) } : {}),
      ...(r.suppressed?.expires !== undefined ? { suppressedUntil: r.suppressed.expires } : {}),
    },
  };
}

/** A path of the bundle layout (`gcp/…`, `k8s/…`, `probe/…`, `token/…`, `bundle.json`): not a resource. */
function isBundlePath(location: string): boolean {
  return (
    !location.startsWith('/') &&
    !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) &&
    !/^(projects|folders|organizations)\//.test(location)
  );
}

/** API group of the Kubernetes resources a result can be about (core resources have none). */
const K8S_GROUP: Record<string, string> = {
  deployments: 'apps/',
  statefulsets: 'apps/',
  daemonsets: 'apps/',
  replicasets: 'apps/',
  jobs: 'batch/',
  cronjobs: 'batch/',
  networkpolicies: 'networking.k8s.io/',
};

/** The Kubernetes object `resource/name` in `namespace`, named inside its cluster as Cloud Asset Inventory names it. */
function k8sName(cluster: string, namespace: string, resource: string, name: string): string {
  return `//container.googleapis.com/${cluster}/k8s/namespaces/${namespace}/${K8S_GROUP[resource] ?? ''}${resource}/${name}`;
}

/** The full resource name a result is about: its location when that names a resource, else its subject. */
export function resourceNameOf(r: Pick<CheckResult, 'location' | 'subject'>, cluster: string): string {
  const location = r.location;
  if (location.startsWith('//') || /^https?:\/\//.test(location)) return location;
  const k8s = /^kubernetes:\/\/\/namespaces\/([^/]+)\/([^/]+)\/(.+)$/.exec(location);
  if (k8s?.[1] !== undefined && k8s[2] !== undefined && k8s[3] !== undefined) {
    return k8sName(cluster, k8s[1], k8s[2], k8s[3]);
  }
  const named = googleName(location);
  if (named !== undefined) return named;
  return subjectName(r.subject, cluster);
}

/** Short Google names (`projects/P`, `projects/-/serviceAccounts/E`, `folders/N`) as full resource names. */
function googleName(name: string): string | undefined {
  if (/^projects\/[^/]+\/serviceAccounts\/[^/]+$/.test(name)) return `//iam.googleapis.com/${name}`;
  if (/^projects\/[^/]+\/locations\/[^/]+\/clusters\/[^/]+(\/nodePools\/[^/]+)?$/.test(name)) {
    return `//container.googleapis.com/${name}`;
  }
  if (/^(projects|folders|organizations)\/[^/]+$/.test(name)) return `//cloudresourcemanager.googleapis.com/${name}`;
  return undefined;
}

/** A subject (`ns/ksa`, `ns/kind/name`, `ns/pod/name`, an email, a Google name) as a full resource name. */
function subjectName(subject: string, cluster: string): string {
  const named = googleName(subject);
  if (named !== undefined) return named;
  if (/^[^/@\s]+@[^/@\s]+$/.test(subject)) return `//iam.googleapis.com/projects/-/serviceAccounts/${subject}`;
  const parts = subject.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return k8sName(cluster, parts[0], 'serviceaccounts', parts[1]);
  if (parts.length === 3 && parts[0] && parts[1] && parts[2]) {
    const resource = parts[1] === 'pod' ? 'pods' : `${parts[1]}s`;
    return k8sName(cluster, parts[0], resource, parts[2]);
  }
  return `//container.googleapis.com/${cluster}`;
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

/** The artifact URI of a resource name: full resource names made absolute, then made a valid URI reference. */
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
