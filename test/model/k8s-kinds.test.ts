// Kinds come from the data: a kind that is a property of every JavaScript object must name nothing.

import { describe, expect, it } from 'vitest';
import { resourceOfKind } from '../../src/checks/lib/workloads.js';
import { KIND_TO_RESOURCE } from '../../src/model/k8s/types.js';

describe('KIND_TO_RESOURCE', () => {
  it('maps the kinds it lists', () => {
    expect(KIND_TO_RESOURCE['Deployment']).toBe('deployments');
    expect(KIND_TO_RESOURCE['NetworkPolicy']).toBe('networkpolicies');
  });
  for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`names nothing for \`${kind}\``, () => {
      expect(KIND_TO_RESOURCE[kind]).toBeUndefined();
      expect(resourceOfKind(kind)).toBe(`${kind.toLowerCase()}s`);
    });
  }
});
