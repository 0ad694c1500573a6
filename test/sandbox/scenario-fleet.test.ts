// Scenario pieces of the Google side: organization, folders and project parents are validated; the shipped
// scenarios' service accounts have ids IAM accepts (so gcloud can delete and recreate them).

import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadScenarioFile, parseScenario } from '../../src/sandbox/index.js';
import { SCENARIOS } from './helpers.js';

const ORG = 'organization: { id: "555000111222" }\n';

describe('fleet scope in scenarios', () => {
  test('a project under a folder under the organization loads', () => {
    const s = parseScenario(
      `${ORG}folders: [{ id: "7001", parent: organizations/555000111222 }]\nprojects:\n  - { id: acme-shop, number: "123456789012", parent: folders/7001 }\n`,
    );
    expect(s.projects[0]?.parent).toBe('folders/7001');
  });

  test.each([
    [
      `${ORG}projects:\n  - { id: acme-shop, number: "123456789012", parent: folders/9 }\n`,
      "/projects/0/parent: unknown parent 'folders/9'",
    ],
    [
      `folders: [{ id: "7001", parent: organizations/1 }]\nprojects:\n  - { id: acme-shop, number: "123456789012" }\n`,
      "/folders/0/parent: unknown parent 'organizations/1'",
    ],
    [
      `${ORG}folders: [{ id: "1", parent: folders/2 }, { id: "2", parent: folders/1 }]\nprojects:\n  - { id: acme-shop, number: "123456789012" }\n`,
      'folders form a cycle',
    ],
    [
      `${ORG}projects:\n  - { id: acme-shop, number: "123456789012", parent: projects/x }\n`,
      '/projects/0/parent: must match pattern',
    ],
    [
      'projects:\n  - id: acme-shop\n    number: "123456789012"\n    firewallRules: [{ name: r, direction: SIDEWAYS }]\n',
      '/projects/0/firewallRules/0/direction: must be equal to one of the allowed values',
    ],
  ])('rejects %j', (text, message) => {
    expect(() => parseScenario(text, 'scenarios/x.yaml')).toThrow(message);
  });

  test.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')))(
    '%s: every GSA id is one IAM accepts',
    async (file) => {
      const s = await loadScenarioFile(`${SCENARIOS}${file}`);
      for (const p of s.projects)
        for (const g of p.serviceAccounts ?? []) {
          const id = g.name.split('@')[0] ?? '';
          expect(id).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])$/);
          expect(id.length).toBeGreaterThanOrEqual(6);
          expect(id.length).toBeLessThanOrEqual(30);
        }
    },
  );
});
