import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import check from '../../src/checks/ksa-exists.js';

const CART = { workload: ['shop/deployment/cart'] };

describeCheck(check, [
  {
    name: 'existing KSA passes',
    subject: CART,
    expect: { status: 'pass', cause: /KSA `shop\/cart` exists/ },
  },
  {
    name: 'every KSA subject of --all passes',
    expect: (results) => {
      expect(results.map((r) => r.subject).sort()).toEqual(['shop/api', 'shop/cart']);
      for (const r of results) expect(r.status).toBe('pass');
    },
  },
  {
    name: 'the KSA the workload runs as is missing: create it, then restart the pods still running as it',
    subject: CART,
    patch: (b) => b.removeK8s('serviceaccounts', 'shop', 'cart'),
    expect: {
      status: 'fail',
      cause: /KSA `shop\/cart` that `shop\/deployment\/cart` runs as does not exist/,
      fix: ['create-kubernetes-service-account', 'restart-workload'],
    },
  },
  {
    name: 'a misspelled serviceAccountName fails and names the annotated KSAs as hints',
    subject: CART,
    patch: (b) => {
      b.k8s('deployments', 'shop', 'cart', (d: any) => {
        d.spec.template.spec.serviceAccountName = 'carts';
      });
      b.k8s('pods', 'shop', 'cart-7d9f8b6c5d-abcde', (p: any) => {
        p.spec.serviceAccountName = 'carts';
        p.spec.serviceAccount = 'carts';
      });
    },
    expect: (results) => {
      expect(results).toHaveLength(1);
      const r = results[0]!;
      expect(r.status).toBe('fail');
      expect(r.cause).toMatch(/`shop\/carts`/);
      expect(r.fix[0]).toMatchObject({
        action: 'create-kubernetes-service-account',
        target: 'namespaces/shop/serviceaccounts/carts',
      });
      expect(r.evidence?.notes?.join('\n')).toMatch(
        /`shop\/cart` exists and is annotated with `cart@acme-shop\.iam\.gserviceaccount\.com`/,
      );
    },
  },
  {
    name: 'service accounts unreadable is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/serviceaccounts.json');
      b.error('k8s:serviceaccounts', '403 Forbidden: serviceaccounts is forbidden');
    },
    expect: { status: 'unknown' },
  },
]);
