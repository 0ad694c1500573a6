// The engine on its own: unknown is never pass, one broken check does not stop the run, subjects resolve
// pod → workload → KSA → GSA, --all picks exactly the KSAs with a Google identity, verdicts and groups.

import { describe, expect, it } from 'vitest';
import type { AnyCheck } from '../../src/checks/define.js';
import { defineCheck } from '../../src/checks/define.js';
import { CHECKS } from '../../src/checks/index.js';
import { factsFromFiles } from '../../src/collect/bundle/facts.js';
import { DEFAULT_OPTIONS, diagnose } from '../../src/engine/diagnose.js';
import { UsageError } from '../../src/engine/errors.js';
import { resolveSubjects } from '../../src/engine/subjects.js';
import type { TargetRequest } from '../../src/engine/subjects.js';
import { need } from '../../src/model/facts.js';
import { BundleEditor } from '../helpers/check-table.js';
import { loadExampleFiles } from '../fixtures/load-example.js';

const CART_POLICY = 'gcp/service-accounts/cart@acme-shop.iam.gserviceaccount.com.iam-policy.json';

function healthy(patch?: (b: BundleEditor) => void) {
  const input = loadExampleFiles('healthy');
  patch?.(new BundleEditor(input));
  return factsFromFiles(input);
}

function run(facts: ReturnType<typeof healthy>, checks: readonly AnyCheck[], targets: TargetRequest = { all: true }) {
  return diagnose(facts, checks, { targets, options: DEFAULT_OPTIONS, source: 'test', version: 'test' });
}

const throwing = defineCheck({
  id: 'always-throws',
  title: 'never passes',
  failureTitle: 'never passes',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 1,
  requires: ['cluster'],
  run() {
    throw new Error('boom');
  },
});

const needsPolicy = defineCheck({
  id: 'needs-policy',
  title: 'reads the GSA policy',
  failureTitle: 'reads the GSA policy',
  group: 'diagnose',
  scope: 'subject',
  chainOrder: 2,
  requires: ['serviceAccountPolicy'],
  run({ facts }) {
    need(facts.serviceAccountPolicy('cart@acme-shop.iam.gserviceaccount.com'));
    return { status: 'pass', cause: 'read it' };
  },
});

describe('runner', () => {
  it('turns an exception into unknown for that check only, and the run goes on', () => {
    const report = run(healthy(), [throwing, needsPolicy], { ksa: ['shop/cart'] });
    const byCheck = Object.fromEntries(report.results.map((r) => [r.check, r]));
    expect(byCheck['always-throws']).toMatchObject({ status: 'unknown' });
    expect(byCheck['always-throws']?.cause).toMatch(/boom/);
    expect(byCheck['needs-policy']).toMatchObject({ status: 'pass' });
  });

  it.each([
    ['not collected', (b: BundleEditor) => b.remove(CART_POLICY), /was not collected/],
    ['a read error', (b: BundleEditor) => b.error(CART_POLICY, '403 PERMISSION_DENIED'), /403 PERMISSION_DENIED/],
  ])('a missing fact (%s) makes the check unknown with the reason, never pass', (_name, patch, reason) => {
    const report = run(healthy(patch), [needsPolicy], { ksa: ['shop/cart'] });
    const [result] = report.results;
    expect(result?.status).toBe('unknown');
    expect(result?.cause).toMatch(reason);
    expect(result?.missing?.length).toBeGreaterThan(0);
    expect(report.verdicts[0]?.notEvaluated.join('\n')).toMatch(/needs-policy/);
  });
});

describe('subjects', () => {
  it('a pod resolves to its Deployment (through its ReplicaSet) and its KSA', () => {
    const [subject] = resolveSubjects(healthy(), { pod: ['shop/cart-7d9f8b6c5d-abcde'] });
    expect(subject).toMatchObject({
      id: 'shop/pod/cart-7d9f8b6c5d-abcde',
      ksaName: 'cart',
      gsaEmail: 'cart@acme-shop.iam.gserviceaccount.com',
      model: 'impersonation',
      workload: { kind: 'deployment', name: 'cart' },
    });
  });

  it('a workload resolves to the KSA of its pod template and its pods', () => {
    const [subject] = resolveSubjects(healthy(), { workload: ['shop/deployment/cart'] });
    expect(subject?.ksaName).toBe('cart');
    expect(subject?.pods.status === 'present' && subject.pods.value.map((p) => p.metadata.name)).toEqual([
      'cart-7d9f8b6c5d-abcde',
    ]);
  });

  it('--all takes annotated KSAs, near-miss keys and KSAs whose own principal has grants, and nothing else', () => {
    const facts = healthy((b) => {
      b.addK8s({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'typo',
          namespace: 'shop',
          annotations: { 'iam.gke.io/gcp-service-acount': 'x@acme-shop.iam.gserviceaccount.com' },
        },
      });
      b.addK8s({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'plain', namespace: 'shop' } });
    });
    const ids = resolveSubjects(facts, { all: true }).map((s) => s.id);
    expect(ids).toContain('shop/cart');
    expect(ids).toContain('shop/api'); // direct binding: a grant on the bucket names its principal
    expect(ids).toContain('shop/typo');
    expect(ids).not.toContain('shop/plain');
    expect(ids).not.toContain('shop/default');
  });

  describe('--all and direct binding: KSAs that something runs as', () => {
    const SET =
      'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog';
    const pod = (namespace: string, name: string, serviceAccountName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { ...(serviceAccountName !== undefined ? { serviceAccountName } : {}), containers: [{ name: 'app' }] },
    });
    const ksa = (namespace: string, name: string) => ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace },
    });
    const ids = (patch: (b: BundleEditor) => void) => resolveSubjects(healthy(patch), { all: true }).map((s) => s.id);

    it('lists a direct-binding KSA whose grants were not read, when pods run as it', () => {
      // Live, the bucket that grants shop/api a role is not read: api must still be a subject.
      expect(ids((b) => b.remove('gcp/resources/acme-shop-assets.json'))).toContain('shop/api');
    });

    it('lists a KSA named by a workload template only (scaled to zero), not one that nothing runs as', () => {
      const found = ids((b) => {
        b.addK8s(ksa('shop', 'batch'));
        b.addK8s(ksa('shop', 'unused'));
        b.addK8s({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'batch', namespace: 'shop' },
          spec: { replicas: 0, template: { spec: { serviceAccountName: 'batch', containers: [{ name: 'a' }] } } },
        } as never);
      });
      expect(found).toContain('shop/batch');
      expect(found).not.toContain('shop/unused');
    });

    it('lists subjects in the locale order of their ids, also where code-unit order differs (upper case)', () => {
      const found = ids((b) => {
        for (const name of ['Zeta', 'alpha', 'beta']) b.addK8s(pod('shop', `${name.toLowerCase()}-pod`, name));
      });
      // By code units `shop/Zeta` would come before `shop/alpha`; by the collator it comes after `shop/beta`.
      expect(found.filter((id) => ['shop/Zeta', 'shop/alpha', 'shop/beta'].includes(id))).toEqual([
        'shop/alpha',
        'shop/beta',
        'shop/Zeta',
      ]);
      expect(found).toEqual([...found].sort((x, y) => x.localeCompare(y)));
    });

    it('lists a KSA that pods or a workload run as but that does not exist (ksa-exists fails for it)', () => {
      const facts = healthy((b) => {
        b.addK8s(pod('shop', 'orphan-pod', 'deleted-ksa'));
        b.addK8s({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'never', namespace: 'web' },
          spec: { replicas: 1, template: { spec: { serviceAccountName: 'missing', containers: [{ name: 'a' }] } } },
        } as never);
        b.addK8s(pod('kube-system', 'addon-pod', 'gone'));
        b.addK8s(pod('web', 'plain-pod'));
      });
      const found = resolveSubjects(facts, { all: true }).map((s) => s.id);
      expect(found).toEqual(expect.arrayContaining(['shop/deleted-ksa', 'web/missing']));
      expect(found).not.toContain('kube-system/gone');
      expect(found).not.toContain('web/default');
      const report = diagnose(facts, CHECKS, {
        targets: { all: true },
        options: DEFAULT_OPTIONS,
        source: 't',
        version: 't',
      });
      const exists = report.results.find((r) => r.check === 'ksa-exists' && r.subject === 'shop/deleted-ksa');
      expect(exists?.status).toBe('fail');
    });

    it("leaves out `default` and Kubernetes' own namespaces, even when pods run as them", () => {
      const found = ids((b) => {
        b.addK8s(pod('shop', 'plain-pod'));
        b.addK8s(ksa('kube-system', 'addon'));
        b.addK8s(pod('kube-system', 'addon-pod', 'addon'));
      });
      expect(found).not.toContain('shop/default');
      expect(found).not.toContain('kube-system/addon');
      expect(found).not.toContain('kube-system/gke-metadata-server');
    });

    it('a namespace principalSet grant names every KSA that runs in that namespace, `default` included', () => {
      const found = ids((b) => {
        b.addK8s(pod('shop', 'plain-pod'));
        b.addK8s(ksa('web', 'default'));
        b.addK8s(pod('web', 'web-pod'));
        b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
          p.bindings.push({ role: 'roles/storage.objectViewer', members: [`${SET}/namespace/shop`] });
        });
      });
      expect(found).toContain('shop/default');
      expect(found).not.toContain('web/default');
    });

    it("a cluster principalSet grant names every KSA pods run as, but only for this cluster's URL", () => {
      const url = 'https://container.googleapis.com/v1/projects/acme-shop/locations/europe-west1/clusters';
      const grant = (cluster: string) => (b: BundleEditor) => {
        b.addK8s(pod('shop', 'plain-pod'));
        b.edit('gcp/projects/acme-shop.iam-policy.json', (p: any) => {
          p.bindings.push({
            role: 'roles/storage.objectViewer',
            members: [`${SET}/kubernetes.cluster/${url}/${cluster}`],
          });
        });
      };
      expect(ids(grant('prod'))).toContain('shop/default');
      expect(ids(grant('staging'))).not.toContain('shop/default');
    });

    it('a direct-binding KSA found by --all is diagnosed as unknown with the search, never as a failure', () => {
      const facts = healthy((b) => b.remove('gcp/resources/acme-shop-assets.json'));
      const report = run(facts, CHECKS);
      const api = report.results.filter((r) => r.subject === 'shop/api');
      expect(api.filter((r) => r.status === 'fail')).toEqual([]);
      expect(api.find((r) => r.check === 'ksa-annotation')?.status).toBe('unknown');
      const verdict = report.verdicts.find((v) => v.subject === 'shop/api');
      expect(verdict?.rootCause).toBeNull();
      expect(verdict?.notEvaluated.join('\n')).toMatch(/gcloud asset search-all-iam-policies/);
    });
  });

  it.each([
    [{ ksa: ['shop/nope'] }, /no ServiceAccount shop\/nope/],
    [{ workload: ['shop/deployment/nope'] }, /no deployment shop\/nope/],
    [{ workload: ['shop/widget/cart'] }, /unknown kind `widget`/],
    [{ pod: ['shop/nope'] }, /no Pod shop\/nope/],
    [{}, /name what to check/],
  ])('unknown targets are usage errors: %j', (targets, message) => {
    expect(() => resolveSubjects(healthy(), targets)).toThrow(UsageError);
    expect(() => resolveSubjects(healthy(), targets)).toThrow(message);
  });
});

describe('verdicts', () => {
  it('names the first failure in chain order as the root cause and quotes passes as ruled out', () => {
    const facts = healthy((b) => {
      b.edit(CART_POLICY, (p: any) => {
        p.bindings = [];
      });
      b.edit('gcp/cluster.json', (c: any) => {
        for (const pool of c.nodePools) pool.config.workloadMetadataConfig = { mode: 'GCE_METADATA' };
      });
    });
    const report = run(facts, CHECKS, { ksa: ['shop/cart'] });
    const [verdict] = report.verdicts;
    expect(verdict?.rootCause).toBe('nodepool-gke-metadata');
    expect(verdict?.headline).toMatch(/also failing: .*wi-binding/);
    expect(verdict?.ruledOut.some((l) => l.startsWith('cluster-workload-pool:'))).toBe(true);
    expect(verdict?.fix.map((f) => f.action)).toEqual(['set-node-pool-metadata']);
  });

  it('names what could not be evaluated when nothing fails', () => {
    const report = run(healthy(), CHECKS, { ksa: ['shop/cart'] });
    expect(report.verdicts[0]?.rootCause).toBeNull();
    expect(report.verdicts[0]?.notEvaluated.join('\n')).toMatch(/deny policies/);
  });

  it('groups subjects that share a root cause on a shared object', () => {
    const facts = healthy((b) =>
      b.edit('gcp/cluster.json', (c: any) => {
        for (const pool of c.nodePools) pool.config.workloadMetadataConfig = { mode: 'GCE_METADATA' };
      }),
    );
    const report = run(facts, CHECKS);
    const group = report.groups.find((g) => g.rootCause === 'nodepool-gke-metadata');
    expect(group?.subjects.sort()).toEqual(['shop/api', 'shop/cart']);
  });
});

describe('probe reports in the bundle', () => {
  it("join the verdict of the subject whose pod ran them, and cannot hide a static failure's order", () => {
    const facts = healthy((b) =>
      b.set('probe/cart.json', {
        format: 'wi-doctor-report/1',
        results: [
          {
            check: 'pod-access-token',
            status: 'fail',
            subject: 'shop/pod/cart-7d9f8b6c5d-abcde',
            title: 'The pod gets no access token',
            cause: 'the metadata server answered 403',
            fix: [],
            docs: 'x',
            location: 'kubernetes:///namespaces/shop/pods/cart-7d9f8b6c5d-abcde',
          },
        ],
      }),
    );
    const report = run(facts, CHECKS, { ksa: ['shop/cart'] });
    const probe = report.results.find((r) => r.check === 'pod-access-token');
    expect(probe).toMatchObject({ subject: 'shop/cart', status: 'fail' });
    expect(probe?.evidence?.notes?.join(' ')).toMatch(/seen by the probe in shop\/pod\/cart-7d9f8b6c5d-abcde/);
    expect(report.verdicts[0]?.rootCause).toBe('pod-access-token');
  });

  it('notes a file that is no probe report', () => {
    const facts = healthy((b) => b.set('probe/other.json', { hello: 'world' }));
    const report = run(facts, CHECKS, { ksa: ['shop/cart'] });
    expect(report.notes.join('\n')).toMatch(/probe\/other\.json: not a wi-doctor probe report/);
  });
});

describe('what cannot be read is never guessed', () => {
  it('a workload whose objects are unreadable has an unknown KSA, not `default`', () => {
    const facts = healthy((b) => {
      b.error('k8s:deployments', '403 Forbidden');
      b.error('k8s:replicasets', '403 Forbidden');
      b.error('k8s:pods', '403 Forbidden');
    });
    const [subject] = resolveSubjects(facts, { workload: ['shop/deployment/cart'] });
    expect(subject?.ksa.status).toBe('error');
    const report = run(facts, CHECKS, { workload: ['shop/deployment/cart'] });
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.verdicts[0]?.rootCause).toBeNull();
    expect(report.verdicts[0]?.headline).toMatch(/could not be evaluated/);
  });

  it('a direct-binding subject is not blamed on the IAM Credentials API, and the check is skipped when no subject needs it', () => {
    const facts = healthy((b) =>
      b.edit('gcp/projects/acme-shop.services.json', (list: { config?: { name?: string } }[]) =>
        list.filter((x) => x.config?.name !== 'iamcredentials.googleapis.com'),
      ),
    );
    const direct = run(facts, CHECKS, { ksa: ['shop/api'] });
    expect(direct.verdicts[0]?.rootCause).toBeNull();
    expect(direct.results.find((r) => r.check === 'iamcredentials-api-enabled')?.status).toBe('skip');
    const both = run(facts, CHECKS, { ksa: ['shop/api', 'shop/cart'] });
    expect(both.results.find((r) => r.check === 'iamcredentials-api-enabled')?.status).toBe('fail');
    expect(both.verdicts.find((v) => v.subject === 'shop/cart')?.rootCause).toBe('iamcredentials-api-enabled');
    const api = both.verdicts.find((v) => v.subject === 'shop/api');
    expect(api?.rootCause).toBeNull();
    expect(api?.related).not.toContain('projects/acme-shop');
  });
});

describe('--only and --skip: a verdict on the checks that ran, never "should work"', () => {
  const broken = () => factsFromFiles(loadExampleFiles('missing-binding'));
  const select = (only: string[], skip: string[]) =>
    diagnose(broken(), CHECKS, {
      targets: { ksa: ['shop/cart'] },
      options: DEFAULT_OPTIONS,
      only,
      skip,
      source: 'test',
      version: 'test',
    });

  it('a subset that passes says so, and that the others were not run', () => {
    const report = select(['host-network'], []);
    expect(report.selection).toBe('--only host-network');
    const [verdict] = report.verdicts;
    expect(verdict?.status).toBe('pass');
    expect(verdict?.headline).toMatch(
      /^No failure in the 1 check run \(--only host-network\); the others were not run/,
    );
    expect(verdict?.headline).not.toMatch(/should work/);
  });

  it('no check run is no evidence: unknown, not pass', () => {
    const report = select(['wi-binding'], ['wi-binding']);
    expect(report.verdicts[0]?.status).toBe('unknown');
    expect(report.verdicts[0]?.headline).toMatch(/^No check ran for this subject/);
  });

  it('every check run: the usual verdict, no selection recorded', () => {
    const report = select([], []);
    expect(report.selection).toBeUndefined();
    expect(report.verdicts[0]?.rootCause).toBe('wi-binding');
  });
});
