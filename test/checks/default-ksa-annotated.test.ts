import { expect } from 'vitest';
import check from '../../src/checks/default-ksa-annotated.js';
import { describeCheck } from '../helpers/check-table.js';

const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';
const CART = 'cart@acme-shop.iam.gserviceaccount.com';
const annotate =
  (value: string, key = 'iam.gke.io/gcp-service-account') =>
  (o: { metadata: { annotations?: Record<string, string> } }) => {
    o.metadata.annotations = { ...o.metadata.annotations, [key]: value };
  };

describeCheck(check, [
  {
    name: 'healthy: no default KSA is annotated',
    expect: { status: 'pass', subject: CLUSTER, cause: /5 default KSAs seen/ },
  },
  {
    name: 'shop/default annotated: fail; dedicated KSAs first, then remove the annotation',
    patch: (b) => b.k8s('serviceaccounts', 'shop', 'default', annotate(CART)),
    expect: {
      status: 'fail',
      subject: CLUSTER,
      cause: /KSA `shop\/default` is annotated with `cart@acme-shop.iam.gserviceaccount.com`/,
      fix: ['manual', 'remove-annotation'],
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/pods? of `shop` run as `default`/),
    },
  },
  {
    name: 'a pod runs as shop/default: its Deployment is restarted after the annotation is removed',
    patch: (b) => {
      b.k8s('serviceaccounts', 'shop', 'default', annotate(CART));
      b.k8s('pods', 'shop', 'api-5c6b7a8d9f-fghij', (o: { spec: { serviceAccountName?: string } }) => {
        o.spec.serviceAccountName = 'default';
      });
    },
    expect: (results) => {
      const [result] = results;
      expect(result?.status).toBe('fail');
      expect(result?.fix?.map((f) => f.action)).toEqual(['manual', 'remove-annotation', 'restart-workload']);
      expect(result?.fix?.[2]?.target).toBe('namespaces/shop/deployments/api');
    },
  },
  {
    name: 'two namespaces: one result naming both',
    patch: (b) => {
      b.k8s('serviceaccounts', 'shop', 'default', annotate(CART));
      b.k8s('serviceaccounts', 'default', 'default', annotate(CART));
    },
    expect: {
      status: 'fail',
      subject: CLUSTER,
      cause: /and 1 more namespace/,
      fix: ['manual', 'remove-annotation', 'manual', 'remove-annotation'],
    },
  },
  {
    name: 'trap: an annotated KSA with another name is no finding',
    patch: (b) => b.k8s('serviceaccounts', 'shop', 'api', annotate(CART)),
    expect: { status: 'pass', subject: CLUSTER },
  },
  {
    name: 'trap: a misspelt key on default is ksa-annotation’s business, not this',
    patch: (b) => b.k8s('serviceaccounts', 'shop', 'default', annotate(CART, 'iam.gke.io/gcp-service-acount')),
    expect: { status: 'pass', subject: CLUSTER },
  },
  {
    name: 'pods unreadable: still a finding, the pod count unknown',
    patch: (b) => {
      b.k8s('serviceaccounts', 'shop', 'default', annotate(CART));
      b.error('k8s:pods', '403 Forbidden');
    },
    expect: {
      status: 'fail',
      subject: CLUSTER,
      evidence: (e) => expect(e.notes?.join('\n')).toMatch(/not readable/),
    },
  },
  {
    name: 'service accounts unreadable: unknown',
    patch: (b) => b.error('k8s:serviceaccounts', '403 Forbidden'),
    expect: { status: 'unknown', subject: CLUSTER },
  },
]);
