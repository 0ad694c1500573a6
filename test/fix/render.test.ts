import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIX_ACTIONS } from '../../src/fix/actions.js';
import type { FixActionName } from '../../src/fix/actions.js';
import { renderFix, renderFixes } from '../../src/fix/render.js';
import type { FixAction, FixPlan } from '../../src/model/results.js';

const LEGACY_CART = 'serviceAccount:acme-shop.svc.id.goog[shop/cart]';
const API_PRINCIPAL =
  'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/subject/ns/shop/sa/api';
const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';

function plan(action: FixActionName, target: string, params: Record<string, string> = {}): FixPlan {
  return { action, target, params, description: `Do ${action} on ${target}.` };
}

/** At least one plan per action; more for the shapes that render differently. */
const SAMPLES: Record<FixActionName, FixPlan[]> = {
  'add-iam-binding': [
    plan('add-iam-binding', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
      role: 'roles/iam.workloadIdentityUser',
      member: LEGACY_CART,
    }),
    plan('add-iam-binding', 'projects/acme-shop', { role: 'roles/storage.objectViewer', member: API_PRINCIPAL }),
    plan('add-iam-binding', '//storage.googleapis.com/projects/_/buckets/acme-shop-assets', {
      role: 'roles/storage.objectViewer',
      member: API_PRINCIPAL,
    }),
    plan('add-iam-binding', 'folders/1234', { role: 'roles/viewer', member: 'user:a@example.com' }),
    plan('add-iam-binding', 'organizations/5678', { role: 'roles/viewer', member: 'group:g@example.com' }),
    plan('add-iam-binding', 'projects/-/serviceAccounts/123456789012-compute@developer.gserviceaccount.com', {
      role: 'roles/iam.serviceAccountTokenCreator',
      member: LEGACY_CART,
    }),
    plan('add-iam-binding', 'projects/acme-data', {
      role: 'roles/bigquery.dataViewer',
      member: 'serviceAccount:reader@acme-data.iam.gserviceaccount.com',
      conditionExpression:
        "resource.name.startsWith('projects/acme-data/datasets/x') && request.time < timestamp(\"2030-01-01T00:00:00Z\") && resource.type in ['a', 'b']",
      conditionTitle: "reader's ${temporary} access",
    }),
    plan('add-iam-binding', '//secretmanager.googleapis.com/projects/acme-shop/secrets/db', {
      role: 'roles/secretmanager.secretAccessor',
      member: LEGACY_CART,
    }),
  ],
  'remove-iam-member': [
    plan('remove-iam-member', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
      role: 'roles/iam.workloadIdentityUser',
      member: 'serviceAccount:acme-shop.svc.id.goog[shop/cartt]',
    }),
    plan('remove-iam-member', 'projects/acme-shop', { role: 'roles/owner', member: LEGACY_CART }),
  ],
  'enable-service': [plan('enable-service', 'projects/acme-shop', { service: 'iamcredentials.googleapis.com' })],
  'enable-workload-identity': [plan('enable-workload-identity', CLUSTER, { workloadPool: 'acme-shop.svc.id.goog' })],
  'set-node-pool-metadata': [
    plan('set-node-pool-metadata', `${CLUSTER}/nodePools/batch-pool`, { mode: 'GKE_METADATA' }),
  ],
  'annotate-service-account': [
    plan('annotate-service-account', 'namespaces/shop/serviceaccounts/cart', {
      key: 'iam.gke.io/gcp-service-account',
      value: 'cart@acme-shop.iam.gserviceaccount.com',
    }),
  ],
  'remove-annotation': [
    plan('remove-annotation', 'namespaces/shop/serviceaccounts/api', { key: 'iam.gke.io/gcp-service-account' }),
  ],
  'create-kubernetes-service-account': [
    plan('create-kubernetes-service-account', 'namespaces/shop/serviceaccounts/cart'),
    plan('create-kubernetes-service-account', 'namespaces/shop/serviceaccounts/cart', {
      annotationValue: 'cart@acme-shop.iam.gserviceaccount.com',
    }),
  ],
  'set-service-account-name': [
    plan('set-service-account-name', 'namespaces/shop/deployments/cart', { serviceAccountName: 'cart' }),
    plan('set-service-account-name', 'namespaces/shop/cronjobs/nightly', { serviceAccountName: 'cart' }),
    plan('set-service-account-name', 'namespaces/shop/pods/cart-7d9f8b6c5d-abcde', { serviceAccountName: 'cart' }),
    plan('set-service-account-name', 'namespaces/shop/jobs/once', { serviceAccountName: 'cart' }),
  ],
  'restart-workload': [
    plan('restart-workload', 'namespaces/shop/deployments/cart'),
    plan('restart-workload', 'namespaces/shop/statefulsets/db'),
    plan('restart-workload', 'namespaces/shop/pods/cart-7d9f8b6c5d-abcde'),
    plan('restart-workload', 'namespaces/shop/cronjobs/nightly'),
  ],
  'enable-service-account': [
    plan('enable-service-account', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com'),
  ],
  'undelete-service-account': [
    plan('undelete-service-account', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
      uniqueId: '112233445566778899001',
    }),
  ],
  'create-service-account': [
    plan('create-service-account', 'projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
      accountId: 'cart',
      project: 'acme-shop',
    }),
  ],
  'allow-metadata-egress': [
    plan('allow-metadata-egress', 'namespaces/shop/networkpolicies/allow-metadata-server', {
      podSelector: '{"matchLabels":{"app":"cart"}}',
      cidr: '169.254.169.254/32',
      port: '80',
    }),
    plan('allow-metadata-egress', 'namespaces/shop/networkpolicies/allow-metadata-server', {
      podSelector: '{"matchExpressions":[{"key":"app.kubernetes.io/name","operator":"In","values":["cart","api"]}]}',
      cidr: '169.254.169.252/32',
      port: '988',
    }),
  ],
  'unset-host-network': [
    plan('unset-host-network', 'namespaces/shop/deployments/cart'),
    plan('unset-host-network', 'namespaces/shop/pods/cart-7d9f8b6c5d-abcde'),
  ],
  'remove-credential-override': [
    plan('remove-credential-override', 'namespaces/shop/deployments/cart', {
      container: 'app',
      env: 'GOOGLE_APPLICATION_CREDENTIALS',
    }),
    plan('remove-credential-override', 'namespaces/shop/deployments/cart', { container: 'app', volume: 'gcp-key' }),
  ],
  'delete-service-account-key': [
    plan('delete-service-account-key', 'projects/-/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com', {
      keyId: '1f6a0c4e8b2d4f7a9c3e5b1d7f9a2c4e6b8d0f1a',
    }),
  ],
  'enable-audit-logs': [
    plan('enable-audit-logs', 'projects/acme-shop', { service: 'iam.googleapis.com', logType: 'ADMIN_READ' }),
  ],
  manual: [plan('manual', 'projects/acme-shop', { what: 'ask an admin' })],
};

const ALL = Object.values(SAMPLES).flat();
const render = (p: FixPlan): FixAction => renderFix(p);
const only = (action: FixActionName, i = 0): FixPlan => {
  const p = SAMPLES[action][i];
  if (p === undefined) throw new Error(`no sample ${action}[${i}]`);
  return p;
};

/** Counts braces and brackets outside HCL strings and comments; returns false when unbalanced. */
function hclBalanced(text: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { '}': '{', ']': '[', ')': '(' };
  let inString = false;
  for (const line of text.split('\n')) {
    if (!inString && line.trimStart().startsWith('#')) continue;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] ?? '';
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if ('{[('.includes(ch)) stack.push(ch);
      else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
    }
    if (inString) return false; // strings never span lines here
  }
  return stack.length === 0;
}

const SCRATCH = mkdtempSync(join(tmpdir(), 'wi-doctor-render-'));
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

/**
 * The words a POSIX shell passes to each program of the command (all commands of a `&&` chain, in order).
 * The programs are shell functions that print their arguments; PATH is empty so nothing real can run.
 */
function shellWords(command: string, program: string): string[] {
  expect(command.startsWith(`${program} `)).toBe(true);
  const printers = ['gcloud', 'kubectl'].map((name) => `${name}() { printf '%s\\n' "$@"; }`).join('; ');
  const out = execFileSync('/bin/sh', ['-c', `${printers}; ${command}`], {
    encoding: 'utf8',
    // A command may write a file (`… > policy.json`): in a scratch folder, never in the repository.
    cwd: SCRATCH,
    env: { PATH: '' },
  });
  return out.replace(/\n$/, '').split('\n');
}

describe('renderFix covers the vocabulary', () => {
  it.each([...FIX_ACTIONS])('%s has samples and renders each of them', (action) => {
    const samples = SAMPLES[action];
    expect(samples?.length).toBeGreaterThan(0);
    for (const p of samples) {
      const a = render(p);
      expect(a.action).toBe(p.action);
      expect(a.target).toBe(p.target);
      expect(a.params).toEqual(p.params);
      expect(a.description.startsWith(p.description)).toBe(true);
      if (action !== 'manual')
        expect([a.gcloud, a.kubectl, a.terraform].some((c) => c !== null) || a.description !== p.description).toBe(
          true,
        );
    }
  });

  it('throws on an unknown action, naming it', () => {
    // A plan from outside the type system (a probe report's JSON) can still name anything.
    const plan = { action: 'reboot-cluster', target: 'x', params: {}, description: '' } as unknown as FixPlan;
    expect(() => renderFix(plan)).toThrow(/reboot-cluster/);
  });

  it.each([
    [
      'add-iam-binding',
      'not-a-resource',
      { role: 'roles/viewer', member: 'user:a@example.com' },
      /not an IAM resource/,
    ],
    ['add-iam-binding', 'projects/acme-shop', { role: 'roles/viewer' }, /param "member" is required/],
    ['add-iam-binding', 'projects/acme-shop', { role: 'r', member: 'm', conditionExpression: 'true' }, /go together/],
    ['set-node-pool-metadata', CLUSTER, { mode: 'GKE_METADATA' }, /nodePools/],
    ['restart-workload', 'namespaces/shop/replicasets/cart-7d9f8b6c5d', {}, /KIND one of/],
    [
      'allow-metadata-egress',
      'namespaces/shop/networkpolicies/x',
      { podSelector: '{', cidr: '1.2.3.4/32', port: '80' },
      /not JSON/,
    ],
    [
      'allow-metadata-egress',
      'namespaces/shop/networkpolicies/x',
      { podSelector: '{}', cidr: '1.2.3.4/32', port: 'http' },
      /not a port/,
    ],
    ['remove-credential-override', 'namespaces/shop/deployments/cart', { container: 'app' }, /"env" or "volume"/],
  ] as const)('rejects a malformed %s plan on %s', (action, target, params, message) => {
    expect(() => renderFix(plan(action, target, params))).toThrow(message);
  });

  it('renderFixes keeps order', () => {
    expect(renderFixes(ALL).map((a) => a.action)).toEqual(ALL.map((p) => p.action));
  });
});

describe('exact commands for the key cases', () => {
  it('service-account binding for a KSA (legacy member)', () => {
    const a = render(only('add-iam-binding', 0));
    expect(a.gcloud).toBe(
      "gcloud iam service-accounts add-iam-policy-binding cart@acme-shop.iam.gserviceaccount.com --role=roles/iam.workloadIdentityUser --member='serviceAccount:acme-shop.svc.id.goog[shop/cart]' --project=acme-shop",
    );
    expect(a.kubectl).toBeNull();
    expect(a.terraform).toBe(
      [
        'resource "google_service_account_iam_member" "cart_workload_identity_user_shop_cart" {',
        '  service_account_id = "projects/acme-shop/serviceAccounts/cart@acme-shop.iam.gserviceaccount.com"',
        '  role               = "roles/iam.workloadIdentityUser"',
        '  member             = "serviceAccount:acme-shop.svc.id.goog[shop/cart]"',
        '}',
      ].join('\n'),
    );
  });

  it('service-account binding on a default account omits --project', () => {
    const a = render(only('add-iam-binding', 5));
    expect(a.gcloud).toBe(
      "gcloud iam service-accounts add-iam-policy-binding 123456789012-compute@developer.gserviceaccount.com --role=roles/iam.serviceAccountTokenCreator --member='serviceAccount:acme-shop.svc.id.goog[shop/cart]'",
    );
    expect(a.terraform).toContain(
      'service_account_id = "projects/-/serviceAccounts/123456789012-compute@developer.gserviceaccount.com"',
    );
  });

  it('bucket binding', () => {
    const a = render(only('add-iam-binding', 2));
    expect(a.gcloud).toBe(
      `gcloud storage buckets add-iam-policy-binding gs://acme-shop-assets --role=roles/storage.objectViewer --member='${API_PRINCIPAL}'`,
    );
    expect(a.terraform).toBe(
      [
        'resource "google_storage_bucket_iam_member" "acme_shop_assets_object_viewer_shop_api" {',
        '  bucket = "acme-shop-assets"',
        '  role   = "roles/storage.objectViewer"',
        `  member = "${API_PRINCIPAL}"`,
        '}',
      ].join('\n'),
    );
  });

  it('project, folder and organization bindings', () => {
    expect(render(only('add-iam-binding', 1)).gcloud).toBe(
      `gcloud projects add-iam-policy-binding acme-shop --role=roles/storage.objectViewer --member='${API_PRINCIPAL}'`,
    );
    expect(render(only('add-iam-binding', 1)).terraform).toMatch(
      /^resource "google_project_iam_member" "[a-z0-9_]+" \{\n {2}project = "acme-shop"\n/,
    );
    expect(render(only('add-iam-binding', 3)).gcloud).toBe(
      "gcloud resource-manager folders add-iam-policy-binding 1234 --role=roles/viewer --member='user:a@example.com'",
    );
    expect(render(only('add-iam-binding', 3)).terraform).toContain('folder = "folders/1234"');
    expect(render(only('add-iam-binding', 4)).gcloud).toBe(
      "gcloud organizations add-iam-policy-binding 5678 --role=roles/viewer --member='group:g@example.com'",
    );
    expect(render(only('add-iam-binding', 4)).terraform).toContain('google_organization_iam_member');
  });

  it('conditional binding: gcloud escapes commas and quotes, Terraform writes a condition block', () => {
    const p = only('add-iam-binding', 6);
    const a = render(p);
    const condition = `expression=${p.params.conditionExpression};title=${p.params.conditionTitle}`;
    expect(shellWords(a.gcloud!, 'gcloud')).toEqual([
      'projects',
      'add-iam-policy-binding',
      'acme-data',
      '--role=roles/bigquery.dataViewer',
      '--member=serviceAccount:reader@acme-data.iam.gserviceaccount.com',
      `--condition=^;^${condition}`,
    ]);
    expect(a.terraform).toContain('  condition {\n    title      = "reader\'s $${temporary} access"\n');
    expect(a.terraform).toContain(
      "    expression = \"resource.name.startsWith('projects/acme-data/datasets/x') && request.time < timestamp(\\\"2030-01-01T00:00:00Z\\\") && resource.type in ['a', 'b']\"",
    );
  });

  it('a simple condition uses the plain comma form', () => {
    const a = render(
      plan('add-iam-binding', 'projects/acme-shop', {
        role: 'roles/viewer',
        member: 'user:a@example.com',
        conditionExpression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
        conditionTitle: 'until 2030',
      }),
    );
    expect(a.gcloud).toBe(
      `gcloud projects add-iam-policy-binding acme-shop --role=roles/viewer --member='user:a@example.com' --condition='expression=request.time < timestamp("2030-01-01T00:00:00Z"),title=until 2030'`,
    );
  });

  it('another full resource name: no commands, the description names the resource', () => {
    const a = render(only('add-iam-binding', 7));
    expect(a.gcloud).toBeNull();
    expect(a.terraform).toBeNull();
    expect(a.description).toContain('//secretmanager.googleapis.com/projects/acme-shop/secrets/db');
  });

  it('remove-iam-member', () => {
    const a = render(only('remove-iam-member', 0));
    expect(a.gcloud).toBe(
      "gcloud iam service-accounts remove-iam-policy-binding cart@acme-shop.iam.gserviceaccount.com --role=roles/iam.workloadIdentityUser --member='serviceAccount:acme-shop.svc.id.goog[shop/cartt]' --project=acme-shop",
    );
    expect(a.terraform).toBeNull();
  });

  it('node pool update', () => {
    const a = render(only('set-node-pool-metadata'));
    expect(a.gcloud).toBe(
      'gcloud container node-pools update batch-pool --cluster=prod --location=europe-west1 --project=acme-shop --workload-metadata=GKE_METADATA',
    );
    expect(a.terraform).toContain('node_config {\n  workload_metadata_config {\n    mode = "GKE_METADATA"\n  }\n}');
    expect(a.terraform).toMatch(/^# .*google_container_node_pool.*batch-pool/);
  });

  it('enable workload identity', () => {
    const a = render(only('enable-workload-identity'));
    expect(a.gcloud).toBe(
      'gcloud container clusters update prod --location=europe-west1 --project=acme-shop --workload-pool=acme-shop.svc.id.goog',
    );
    expect(a.terraform).toMatch(
      /^# .*google_container_cluster.*\nworkload_identity_config \{\n {2}workload_pool = "acme-shop.svc.id.goog"\n\}$/,
    );
  });

  it('annotate service account', () => {
    const a = render(only('annotate-service-account'));
    expect(a.kubectl).toBe(
      'kubectl annotate serviceaccount cart --namespace=shop iam.gke.io/gcp-service-account=cart@acme-shop.iam.gserviceaccount.com --overwrite',
    );
    expect(a.gcloud).toBeNull();
    expect(a.terraform).toBe(
      [
        'resource "kubernetes_annotations" "shop_cart_annotations" {',
        '  api_version = "v1"',
        '  kind        = "ServiceAccount"',
        '  metadata {',
        '    name      = "cart"',
        '    namespace = "shop"',
        '  }',
        '  annotations = {',
        '    "iam.gke.io/gcp-service-account" = "cart@acme-shop.iam.gserviceaccount.com"',
        '  }',
        '  force = true',
        '}',
      ].join('\n'),
    );
  });

  it('remove annotation, create KSA with and without annotation', () => {
    expect(render(only('remove-annotation')).kubectl).toBe(
      'kubectl annotate serviceaccount api --namespace=shop iam.gke.io/gcp-service-account-',
    );
    expect(render(only('create-kubernetes-service-account', 0)).kubectl).toBe(
      'kubectl create serviceaccount cart --namespace=shop',
    );
    expect(render(only('create-kubernetes-service-account', 1)).kubectl).toBe(
      'kubectl create serviceaccount cart --namespace=shop && kubectl annotate serviceaccount cart --namespace=shop iam.gke.io/gcp-service-account=cart@acme-shop.iam.gserviceaccount.com --overwrite',
    );
    expect(render(only('create-kubernetes-service-account', 1)).terraform).toContain(
      '"iam.gke.io/gcp-service-account" = "cart@acme-shop.iam.gserviceaccount.com"',
    );
  });

  it('set service account name per kind', () => {
    expect(render(only('set-service-account-name', 0)).kubectl).toBe(
      `kubectl patch deployment cart --namespace=shop --type=merge -p '{"spec":{"template":{"spec":{"serviceAccountName":"cart"}}}}'`,
    );
    expect(render(only('set-service-account-name', 1)).kubectl).toBe(
      `kubectl patch cronjob nightly --namespace=shop --type=merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"cart"}}}}}}'`,
    );
    const pod = render(only('set-service-account-name', 2));
    expect(pod.kubectl).toBeNull();
    expect(pod.description).toMatch(/recreate pod shop\/cart-7d9f8b6c5d-abcde/);
    const job = render(only('set-service-account-name', 3));
    expect(job.kubectl).toBeNull();
    expect(job.description).toMatch(/immutable/);
  });

  it('restart per kind', () => {
    expect(render(only('restart-workload', 0)).kubectl).toBe(
      'kubectl rollout restart deployment/cart --namespace=shop',
    );
    expect(render(only('restart-workload', 1)).kubectl).toBe('kubectl rollout restart statefulset/db --namespace=shop');
    expect(render(only('restart-workload', 2)).kubectl).toBe(
      'kubectl delete pod cart-7d9f8b6c5d-abcde --namespace=shop',
    );
    expect(render(only('restart-workload', 3)).kubectl).toBeNull();
  });

  it('service account lifecycle', () => {
    expect(render(only('enable-service-account')).gcloud).toBe(
      'gcloud iam service-accounts enable cart@acme-shop.iam.gserviceaccount.com --project=acme-shop',
    );
    expect(render(only('undelete-service-account')).gcloud).toBe(
      'gcloud iam service-accounts undelete 112233445566778899001',
    );
    const create = render(only('create-service-account'));
    expect(create.gcloud).toBe('gcloud iam service-accounts create cart --project=acme-shop');
    expect(create.terraform).toBe(
      'resource "google_service_account" "cart" {\n  project    = "acme-shop"\n  account_id = "cart"\n}',
    );
    expect(render(only('enable-service')).gcloud).toBe(
      'gcloud services enable iamcredentials.googleapis.com --project=acme-shop',
    );
  });

  it('allow metadata egress: a NetworkPolicy piped to kubectl apply, one command even when pasted indented', () => {
    for (const [i, port] of [
      [0, 80],
      [1, 988],
    ] as const) {
      const p = only('allow-metadata-egress', i);
      const a = render(p);
      expect(a.kubectl).toMatch(/^printf '%s\\n' '\{[\s\S]*\}' \| kubectl apply -f -$/);
      // Pasted from an indented listing, then another command: kubectl (stubbed) gets the manifest on stdin
      // and the next command still runs on its own.
      const pasted = (a.kubectl ?? '')
        .split('\n')
        .map((line) => `      ${line}`)
        .join('\n');
      const script = `kubectl() { printf 'ARGS %s\\n' "$*"; cat; printf '\\nEND\\n'; }\n${pasted}\necho NEXT\n`;
      const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const m = /^ARGS apply -f -\n([\s\S]*)\nEND\nNEXT\n$/.exec(run.stdout);
      expect(m, run.stdout).not.toBeNull();
      expect(JSON.parse(m![1]!)).toEqual({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-metadata-server', namespace: 'shop' },
        spec: {
          podSelector: JSON.parse(p.params.podSelector!),
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: p.params.cidr } }], ports: [{ protocol: 'TCP', port }] }],
        },
      });
      expect(a.terraform).toContain(`port     = "${port}"`);
    }
    expect(render(only('allow-metadata-egress', 1)).terraform).toContain('values   = ["cart", "api"]');
  });

  it('host network and credential overrides', () => {
    expect(render(only('unset-host-network', 0)).kubectl).toBe(
      `kubectl patch deployment cart --namespace=shop --type=merge -p '{"spec":{"template":{"spec":{"hostNetwork":false}}}}'`,
    );
    expect(render(only('unset-host-network', 1)).kubectl).toBeNull();
    expect(render(only('remove-credential-override', 0)).kubectl).toBe(
      'kubectl set env deployment/cart --namespace=shop --containers=app GOOGLE_APPLICATION_CREDENTIALS-',
    );
    const volume = render(only('remove-credential-override', 1));
    expect(volume.kubectl).toBeNull();
    expect(volume.description).toMatch(/volume gcp-key .*container app/);
  });

  it('manual renders nothing', () => {
    const a = render(only('manual'));
    expect([a.gcloud, a.kubectl, a.terraform]).toEqual([null, null, null]);
    expect(a.description).toBe(only('manual').description);
  });
});

describe('properties of every output', () => {
  const rendered = ALL.map((p) => [`${p.action} ${p.target}`, p, render(p)] as const);

  it.each(rendered.filter(([, , a]) => a.terraform !== null))('terraform is balanced: %s', (_n, _p, a) => {
    expect(hclBalanced(a.terraform!), a.terraform!).toBe(true);
    for (const m of a.terraform!.matchAll(/^resource "[a-z0-9_]+" "([^"]*)"/gm))
      expect(m[1]).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it.each(rendered.filter(([, p, a]) => p.action !== 'manual' && (a.gcloud ?? a.kubectl ?? a.terraform) !== null))(
    'never loses a param: %s',
    (_n, p, a) => {
      // What each tool receives after its own unquoting: shell words, and HCL string values.
      const decoded = [a.description];
      for (const [command, program] of [
        [a.gcloud, 'gcloud'],
        [a.kubectl, 'kubectl'],
      ] as const) {
        // A pipeline into the tool (a manifest piped to kubectl apply) is checked as text.
        if (command !== null && command.startsWith(`${program} `)) decoded.push(...shellWords(command, program));
        else if (command !== null) decoded.push(command);
      }
      for (const m of (a.terraform ?? '').matchAll(/"(?:[^"\\]|\\.)*"/g)) {
        decoded.push((JSON.parse(m[0]) as string).replaceAll('$${', '${'));
      }
      const text = decoded.join('\n');
      for (const [name, value] of Object.entries(p.params)) {
        if (name === 'podSelector') continue; // re-serialised as JSON and HCL; checked by the egress test
        expect(text, `${name}=${value}`).toContain(value);
      }
    },
  );

  const terraformBinary = (() => {
    try {
      execFileSync('terraform', ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!terraformBinary).each(rendered.filter(([, , a]) => a.terraform !== null))(
    'terraform fmt accepts it unchanged: %s',
    (_n, _p, a) => {
      // fmt parses the HCL (a syntax error fails it) and -check fails on any formatting difference. Offline.
      const run = (): string =>
        execFileSync('terraform', ['fmt', '-check', '-'], {
          input: `${a.terraform!}\n`,
          encoding: 'utf8',
          env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      expect(run).not.toThrow();
    },
  );

  it('shell quoting survives hostile values', () => {
    const member = "user:o'brien@example.com $(touch /tmp/x) `id` *";
    const a = render(plan('add-iam-binding', 'projects/acme-shop', { role: 'roles/viewer', member }));
    expect(shellWords(a.gcloud!, 'gcloud')).toEqual([
      'projects',
      'add-iam-policy-binding',
      'acme-shop',
      '--role=roles/viewer',
      `--member=${member}`,
    ]);
    const k = render(
      plan('annotate-service-account', 'namespaces/shop/serviceaccounts/cart', { key: 'a/b', value: "it's $HOME" }),
    );
    expect(shellWords(k.kubectl!, 'kubectl')).toEqual([
      'annotate',
      'serviceaccount',
      'cart',
      '--namespace=shop',
      "a/b=it's $HOME",
      '--overwrite',
    ]);
  });

  it('legacy members are quoted so the shell does not glob their brackets', () => {
    const a = render(only('add-iam-binding', 0));
    expect(shellWords(a.gcloud!, 'gcloud')).toContain(`--member=${LEGACY_CART}`);
  });
});
