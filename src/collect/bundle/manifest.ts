// `bundle.json`: validated at the boundary, so a bundle that cannot be used fails once, clearly (exit 2).

import type { BundleManifest } from './facts.js';
import { BUNDLE_FORMAT } from './layout.js';

/** No usable bundle: folder or `bundle.json` missing or invalid. One line, naming the path; the CLI exits 2. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Check a parsed `bundle.json`; `path` names the file in the error. Unknown fields are ignored. */
export function parseManifest(json: unknown, path: string): BundleManifest {
  const bad = (what: string) => new BundleError(`${path}: ${what}`);
  if (!isRecord(json)) throw bad('expected a JSON object');
  if (json.format !== BUNDLE_FORMAT) {
    throw bad(`"format" must be "${BUNDLE_FORMAT}", found ${JSON.stringify(json.format) ?? 'nothing'}`);
  }
  const cluster = json.cluster;
  if (!isRecord(cluster)) throw bad('"cluster" must be {"project": …, "location": …, "name": …}');
  for (const field of ['project', 'location', 'name'] as const) {
    const v = cluster[field];
    if (typeof v !== 'string' || v === '') throw bad(`"cluster.${field}" must be a non-empty string`);
  }
  const collectedAt = json.collectedAt;
  if (typeof collectedAt !== 'string' || Number.isNaN(Date.parse(collectedAt))) {
    throw bad('"collectedAt" must be an RFC 3339 time such as "2026-11-28T17:00:00Z"');
  }
  if (json.k8sKinds !== undefined && !isStringArray(json.k8sKinds)) throw bad('"k8sKinds" must be an array of strings');
  if (json.absent !== undefined && !isStringArray(json.absent)) throw bad('"absent" must be an array of file paths');
  const errors = json.errors;
  if (errors !== undefined && (!isRecord(errors) || !Object.values(errors).every((m) => typeof m === 'string'))) {
    throw bad('"errors" must map file paths (or "k8s:KIND") to messages');
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    cluster: { project: cluster.project as string, location: cluster.location as string, name: cluster.name as string },
    collectedAt,
  };
  if (json.k8sKinds !== undefined) manifest.k8sKinds = json.k8sKinds;
  if (json.absent !== undefined) manifest.absent = json.absent;
  if (errors !== undefined) manifest.errors = errors as Record<string, string>;
  // Checked where it is read (factsFromFiles): a malformed query costs only its own window.
  if (json.logQueries !== undefined) manifest.logQueries = json.logQueries;
  return manifest;
}
