import { expect, it } from 'vitest';
import { orderByError } from '../../src/engine/error-context.js';
import { classifyText } from '../../src/explain/classify.js';
import type { Report } from '../../src/model/results.js';

const report = (): Report => ({
  format: 'wi-doctor-report/1',
  tool: { name: 'wi-doctor', version: 't' },
  generatedAt: 't',
  source: 't',
  cluster: 'c',
  results: [],
  groups: [],
  summary: { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 },
  notes: [],
  verdicts: [
    {
      subject: 'shop/cart',
      rootCause: null,
      headline: 'h',
      ruledOut: ['cluster-workload-pool: ok', 'nodepool-gke-metadata: ok', 'gsa-exists: ok', 'wi-binding: ok'],
      notEvaluated: ['network-policy-metadata: ?', 'metadata-server-healthy: ?'],
      fix: [],
      related: [],
    },
  ],
});

it('puts the checks naming the error’s causes first, in their rank, keeping the rest in order', () => {
  const r = orderByError(report(), classifyText("Permission 'iam.serviceAccounts.getAccessToken' denied"));
  expect(r.verdicts[0]?.ruledOut).toEqual([
    'wi-binding: ok',
    'gsa-exists: ok',
    'cluster-workload-pool: ok',
    'nodepool-gke-metadata: ok',
  ]);
  const t = orderByError(report(), classifyText('context deadline exceeded'));
  expect(t.verdicts[0]?.notEvaluated).toEqual(['network-policy-metadata: ?', 'metadata-server-healthy: ?']);
  const m = orderByError(report(), classifyText('GKE Metadata Server: Internal Server Error'));
  expect(m.verdicts[0]?.notEvaluated).toEqual(['metadata-server-healthy: ?', 'network-policy-metadata: ?']);
});
