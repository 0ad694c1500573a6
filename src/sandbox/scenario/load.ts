// Reads a scenario (YAML text or file), validates it and checks cross-references. Every error names the
// file and the JSON path of the offending field, so a typo is found without reading the loader.

import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { scenarioSchema } from './schema.js';
import type { Scenario } from './types.js';

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(scenarioSchema);

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ScenarioError(`${source}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  return checkScenario(doc, source);
}

export function checkScenario(doc: unknown, source = 'scenario'): Scenario {
  if (!validate(doc)) {
    const lines = (validate.errors ?? []).slice(0, 10).map((err) => {
      const extra =
        err.keyword === 'additionalProperties'
          ? ` '${String((err.params as { additionalProperty?: string }).additionalProperty)}'`
          : err.keyword === 'enum'
            ? ` (${((err.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')})`
            : '';
      return `${source}: ${err.instancePath || '/'}: ${err.message ?? 'invalid'}${extra}`;
    });
    throw new ScenarioError(lines.join('\n'));
  }
  const scenario = doc as Scenario;
  checkReferences(scenario, source);
  return scenario;
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  return parseScenario(await readFile(path, 'utf8'), path);
}

/** References the schema cannot express: clusters name known projects, nodes name known pools, no duplicates. */
function checkReferences(s: Scenario, source: string): void {
  const problems: string[] = [];
  const projectIds = new Set<string>();
  s.projects.forEach((p, i) => {
    if (projectIds.has(p.id)) problems.push(`/projects/${i}/id: duplicate project '${p.id}'`);
    projectIds.add(p.id);
  });
  // Folders and projects hang under the scenario's organization or its folders, without cycles.
  const orgName = s.organization ? `organizations/${s.organization.id}` : undefined;
  const folderParents = new Map((s.folders ?? []).map((f) => [`folders/${f.id}`, f.parent]));
  const parentKnown = (parent: string): boolean => parent === orgName || folderParents.has(parent);
  (s.folders ?? []).forEach((f, i) => {
    if (!parentKnown(f.parent)) problems.push(`/folders/${i}/parent: unknown parent '${f.parent}'`);
    const seen = new Set<string>([`folders/${f.id}`]);
    for (
      let p = folderParents.get(`folders/${f.id}`);
      p !== undefined && p.startsWith('folders/');
      p = folderParents.get(p)
    ) {
      if (seen.has(p)) {
        problems.push(`/folders/${i}/parent: folders form a cycle through '${p}'`);
        break;
      }
      seen.add(p);
    }
  });
  if (folderParents.size !== (s.folders ?? []).length) problems.push('/folders: duplicate folder id');
  s.projects.forEach((p, i) => {
    if (p.parent !== undefined && !parentKnown(p.parent))
      problems.push(`/projects/${i}/parent: unknown parent '${p.parent}'`);
  });
  (s.clusters ?? []).forEach((c, i) => {
    if (!projectIds.has(c.project)) problems.push(`/clusters/${i}/project: unknown project '${c.project}'`);
    const pools = new Set((c.nodePools ?? [{ name: 'default-pool' }]).map((np) => np.name));
    (c.nodes ?? []).forEach((n, j) => {
      if (!pools.has(n.pool)) problems.push(`/clusters/${i}/nodes/${j}/pool: unknown node pool '${n.pool}'`);
    });
    const nsNames = new Set<string>();
    (c.namespaces ?? []).forEach((ns, j) => {
      if (nsNames.has(ns.name)) problems.push(`/clusters/${i}/namespaces/${j}/name: duplicate namespace '${ns.name}'`);
      nsNames.add(ns.name);
    });
  });
  if (problems.length > 0) throw new ScenarioError(problems.map((p) => `${source}: ${p}`).join('\n'));
}
