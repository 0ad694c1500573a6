// Scenario files: every shipped scenario validates; errors name the file and the path of the bad field.

import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadScenarioFile, parseScenario } from '../../src/sandbox/index.js';
import { SCENARIOS } from './helpers.js';

describe('scenario loader', () => {
  test.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')))('%s validates', async (file) => {
    const s = await loadScenarioFile(`${SCENARIOS}${file}`);
    expect(s.projects.length).toBeGreaterThan(0);
  });

  test.each([
    [
      'projects:\n  - id: acme-shop\n    number: 123456789012\n',
      'scenarios/x.yaml: /projects/0/number: must be string',
    ],
    [
      'projects:\n  - id: acme-shop\n    number: "123456789012"\n    nubmer: "1"\n',
      "scenarios/x.yaml: /projects/0: must NOT have additional properties 'nubmer'",
    ],
    [
      'projects:\n  - id: acme-shop\n    number: "123456789012"\nclusters:\n  - project: acme-shop\n    location: europe-west1\n    name: prod\n    nodePools: [{ name: default-pool, mode: GKE }]\n',
      'scenarios/x.yaml: /clusters/0/nodePools/0/mode: must be equal to one of the allowed values',
    ],
    [
      'projects:\n  - id: acme-shop\n    number: "123456789012"\nclusters:\n  - project: nope-project\n    location: l\n    name: c\n',
      "scenarios/x.yaml: /clusters/0/project: unknown project 'nope-project'",
    ],
    [
      'projects:\n  - id: acme-shop\n    number: "123456789012"\nclusters:\n  - project: acme-shop\n    location: l\n    name: c\n    namespaces:\n      - name: shop\n        serviceAccounts: [{ name: cart, annotatedAt: yesterday }]\n',
      'scenarios/x.yaml: /clusters/0/namespaces/0/serviceAccounts/0/annotatedAt: must match pattern',
    ],
  ])('rejects %j', (text, message) => {
    expect(() => parseScenario(text, 'scenarios/x.yaml')).toThrow(message);
  });
});
