import { expect } from 'vitest';
import { describeCheck } from '../helpers/check-table.js';
import type { BundleEditor } from '../helpers/check-table.js';
import check from '../../src/checks/credential-override.js';

const CART = { ksa: ['shop/cart'] };
const CART_POD = 'cart-7d9f8b6c5d-abcde';

/** Edit the cart pod's first container and its volumes. */
function cartPod(fn: (container: any, spec: any) => void) {
  return (b: BundleEditor) =>
    b.k8s('pods', 'shop', CART_POD, (p: any) => {
      fn(p.spec.containers[0], p.spec);
    });
}

const keySecretVolume = { name: 'gcp-key', secret: { secretName: 'cart-gcp-key' } };

describeCheck(check, [
  {
    name: 'no override passes',
    subject: CART,
    expect: { status: 'pass', cause: /no container of `shop\/cart` sets GOOGLE_APPLICATION_CREDENTIALS/ },
  },
  {
    name: 'the variable pointing into a mounted Secret fails',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' });
      c.volumeMounts.push({ name: 'gcp-key', mountPath: '/var/secrets/google', readOnly: true });
      spec.volumes.push(keySecretVolume);
    }),
    expect: {
      status: 'fail',
      cause: /GOOGLE_APPLICATION_CREDENTIALS=\/var\/secrets\/google\/key\.json, inside Secret `cart-gcp-key`/,
      fix: ['remove-credential-override'],
    },
  },
  {
    name: 'the fix removes the variable from the container of the Deployment',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' });
      c.volumeMounts.push({ name: 'gcp-key', mountPath: '/var/secrets/google/', readOnly: true });
      spec.volumes.push(keySecretVolume);
    }),
    expect: (results) => {
      expect(results[0]!.status).toBe('fail');
      expect(results[0]!.fix).toHaveLength(1);
      expect(results[0]!.fix[0]).toMatchObject({
        target: 'namespaces/shop/deployments/cart',
        params: { container: 'cart', env: 'GOOGLE_APPLICATION_CREDENTIALS' },
      });
    },
  },
  {
    name: 'a .json path held by a Secret volume (mounted with subPath elsewhere) fails',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/app/sa.json' });
      spec.volumes.push({
        name: 'creds',
        secret: { secretName: 'cart-creds', items: [{ key: 'key', path: 'sa.json' }] },
      });
    }),
    expect: { status: 'fail', cause: /Secret `cart-creds` \(volume `creds`\) holds `sa\.json`/ },
  },
  {
    name: 'a value from a secretKeyRef warns: the file cannot be told',
    subject: CART,
    patch: cartPod((c) => {
      c.env.push({
        name: 'GOOGLE_APPLICATION_CREDENTIALS',
        valueFrom: { secretKeyRef: { name: 'cart-env', key: 'gac' } },
      });
    }),
    expect: { status: 'warn', cause: /from Secret `cart-env` key `gac`/, fix: ['remove-credential-override'] },
  },
  {
    name: 'a path inside a ConfigMap mount warns (could be an external_account configuration)',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/etc/gcp/config.json' });
      c.volumeMounts.push({ name: 'gcp-config', mountPath: '/etc/gcp' });
      spec.volumes.push({ name: 'gcp-config', configMap: { name: 'cart-gcp-config' } });
    }),
    expect: { status: 'warn', cause: /ConfigMap `cart-gcp-config`.*external_account/ },
  },
  {
    name: 'a path under no mount warns',
    subject: CART,
    patch: cartPod((c) => {
      c.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/app/credentials/service.json' });
    }),
    expect: { status: 'warn', cause: /not under any of its volume mounts/ },
  },
  {
    name: 'a mounted Secret with a key.json item warns even without the variable',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.volumeMounts.push({ name: 'sa', mountPath: '/secrets' });
      spec.volumes.push({
        name: 'sa',
        secret: { secretName: 'cart-sa', items: [{ key: 'key.json', path: 'key.json' }] },
      });
    }),
    expect: (results) => {
      expect(results[0]!.status).toBe('warn');
      expect(results[0]!.cause).toMatch(/mounts Secret `cart-sa` at \/secrets with file `key\.json`/);
      expect(results[0]!.fix[0]).toMatchObject({
        action: 'remove-credential-override',
        params: { container: 'cart', volume: 'sa' },
      });
    },
  },
  {
    name: 'a mounted Secret named like a key warns',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.volumeMounts.push({ name: 'gcp-key', mountPath: '/var/secrets/google' });
      spec.volumes.push(keySecretVolume);
    }),
    expect: { status: 'warn', cause: /Secret `cart-gcp-key`.*looks like a service-account key/ },
  },
  {
    name: 'an ordinary TLS Secret mount passes',
    subject: CART,
    patch: cartPod((c, spec) => {
      c.volumeMounts.push({ name: 'tls', mountPath: '/etc/tls' });
      spec.volumes.push({ name: 'tls', secret: { secretName: 'cart-tls' } });
    }),
    expect: { status: 'pass' },
  },
  {
    name: 'a workload with no pods is judged by its template',
    subject: { workload: ['shop/deployment/cart'] },
    patch: (b) => {
      b.removeK8s('pods', 'shop', CART_POD);
      b.k8s('deployments', 'shop', 'cart', (d: any) => {
        const c = d.spec.template.spec.containers[0];
        c.env = [...(c.env ?? []), { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' }];
        c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'gcp-key', mountPath: '/var/secrets/google' }];
        d.spec.template.spec.volumes = [...(d.spec.template.spec.volumes ?? []), keySecretVolume];
      });
    },
    expect: { status: 'fail', cause: /GOOGLE_APPLICATION_CREDENTIALS/ },
  },
  {
    name: 'pods unreadable with no template is unknown',
    subject: CART,
    patch: (b) => {
      b.remove('k8s/pods.json');
      b.error('k8s:pods', '403 Forbidden: pods is forbidden');
    },
    expect: { status: 'unknown' },
  },
]);
