import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/pods-restarted-after-change.js';

const CART = { ksa: ['shop/cart'] };
const CART_POD = 'cart-7d9f8b6c5d-abcde';
// The example's annotation was last written 2026-11-24T14:05:12Z; the pod started 2026-11-25T10:00:31Z.
const startedEarly = (b: BundleEditor) =>
  b.k8s('pods', 'shop', CART_POD, (p: any) => {
    p.status.startTime = '2026-11-20T08:00:00Z';
  });
const ksa = (fn: (s: any) => void) => (b: BundleEditor) => b.k8s('serviceaccounts', 'shop', 'cart', fn);

describeCheck(check, [
  {
    name: 'pods started after the annotation changed pass',
    subject: CART,
    expect: {
      status: 'pass',
      cause: /started after KSA `shop\/cart`'s annotation was last written \(2026-11-24T14:05:12\.000Z\)/,
    },
  },
  {
    name: 'a pod started before the annotation changed warns with restart-workload',
    subject: CART,
    patch: startedEarly,
    expect: {
      status: 'warn',
      cause: /`cart-7d9f8b6c5d-abcde`/,
      fix: ['restart-workload'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/`kubectl-annotate`/),
    },
  },
  {
    name: 'the restart targets the Deployment that owns the pod',
    subject: CART,
    patch: startedEarly,
    expect: (results) => {
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'restart-workload',
        target: 'namespaces/shop/deployments/cart',
      });
    },
  },
  {
    name: 'a bare pod is deleted rather than restarted',
    subject: CART,
    patch: (b) => {
      startedEarly(b);
      b.k8s('pods', 'shop', CART_POD, (p: any) => {
        delete p.metadata.ownerReferences;
      });
    },
    expect: (results) => {
      const fix = results[0]!.fix[0]!;
      expect(fix).toMatchObject({ action: 'restart-workload', target: `namespaces/shop/pods/${CART_POD}` });
      expect(fix.description).toMatch(/^Delete pod/);
    },
  },
  {
    name: 'the latest entry owning the annotation decides',
    subject: CART,
    patch: ksa((s) => {
      s.metadata.managedFields.push({
        manager: 'argocd-controller',
        operation: 'Apply',
        time: '2026-11-26T09:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:iam.gke.io/gcp-service-account': {} } } },
      });
    }),
    expect: { status: 'warn', cause: /2026-11-26T09:00:00\.000Z/ },
  },
  {
    name: 'entries that do not own the annotation are ignored',
    subject: CART,
    patch: ksa((s) => {
      s.metadata.managedFields.push({
        manager: 'kubectl-label',
        operation: 'Update',
        time: '2026-11-27T09:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } },
      });
    }),
    expect: { status: 'pass' },
  },
  {
    name: 'finished pods are not counted',
    subject: CART,
    patch: (b) => {
      startedEarly(b);
      b.k8s('pods', 'shop', CART_POD, (p: any) => {
        p.status.phase = 'Succeeded';
      });
    },
    // No running pod left to compare: nothing was ruled out, so it is not a pass.
    expect: { status: 'skip', cause: /no running pod/ },
  },
  {
    name: 'without managedFields it is unknown and says how to collect them',
    subject: CART,
    patch: ksa((s) => {
      delete s.metadata.managedFields;
    }),
    expect: { status: 'unknown', missing: /--show-managed-fields/ },
  },
  {
    name: 'managedFields that never mention the annotation are unknown',
    subject: CART,
    patch: ksa((s) => {
      s.metadata.managedFields = s.metadata.managedFields.filter(
        (m: any) => !JSON.stringify(m.fieldsV1).includes('gcp-service-account'),
      );
    }),
    expect: { status: 'unknown', cause: /no managedFields entry/ },
  },
  {
    name: 'a KSA without the annotation (direct binding) is skipped',
    subject: { ksa: ['shop/api'] },
    expect: { status: 'skip', cause: /direct binding/ },
  },
]);
