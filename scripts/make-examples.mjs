#!/usr/bin/env node
// Builds the failure-mode example bundles of examples/ from examples/healthy/: each example is the healthy
// world with one small patch that leaves the JSON as gcloud / kubectl would print it in that broken state,
// plus its expected.json (the verdicts and results test/examples.test.ts asserts).
//
//   node scripts/make-examples.mjs            rewrite every generated example (never touches examples/healthy/,
//                                              except its expected.json)
//   node scripts/make-examples.mjs NAME…      only those
//
// Plain Node ESM, no dependencies. Values are fixed (no clock, no randomness) so reruns give identical files.

import { Buffer } from 'node:buffer';
import console from 'node:console';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const HEALTHY = join(ROOT, 'healthy');

// ---------------------------------------------------------------------------------------------------------------
// The shared world (project acme-shop, cluster prod) and how results name things (ns/ksa, ns/kind/name).

const PROJECT = 'acme-shop';
const POOL = 'acme-shop.svc.id.goog';
const CLUSTER = 'projects/acme-shop/locations/europe-west1/clusters/prod';
const DEFAULT_POOL = `${CLUSTER}/nodePools/default-pool`;
const BATCH_POOL = `${CLUSTER}/nodePools/batch-pool`;
const PROJECT_SUBJECT = `projects/${PROJECT}`;
const CART = 'shop/cart';
const API = 'shop/api';
const CART_GSA = 'cart@acme-shop.iam.gserviceaccount.com';
const CART_GSA_OLD_UID = '269962557691428975596';
const READER_GSA = 'reader@acme-data.iam.gserviceaccount.com';
const WI_ANNOTATION = 'iam.gke.io/gcp-service-account';
const NODE_POOL_LABEL = 'cloud.google.com/gke-nodepool';
const METADATA_SERVER_LABEL = 'iam.gke.io/gke-metadata-server-enabled';
const CART_POD = 'cart-7d9f8b6c5d-abcde';

const saPath = (email) => `gcp/service-accounts/${email}.json`;
const saPolicyPath = (email) => `gcp/service-accounts/${email}.iam-policy.json`;
const saKeysPath = (email) => `gcp/service-accounts/${email}.keys.json`;
const legacyMember = (ns, ksa, pool = POOL) => `serviceAccount:${pool}[${ns}/${ksa}]`;

// ---------------------------------------------------------------------------------------------------------------
// An in-memory bundle: every file of examples/healthy parsed, edited by the patches, then written out.

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

function loadHealthy() {
  const files = new Map();
  for (const full of listFiles(HEALTHY)) {
    const path = relative(HEALTHY, full).split('\\').join('/');
    if (path === 'expected.json' || !path.endsWith('.json')) continue;
    files.set(path, JSON.parse(readFileSync(full, 'utf8')));
  }
  return files;
}

/** Bundle files are plain JSON: a JSON round trip is a deep copy. */
const clone = (value) => JSON.parse(JSON.stringify(value));

/** Deterministic values that look like the real ones (uids, etags), derived from a seed. */
function hex(seed, length) {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, length);
}
function uid(seed) {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
function digits(seed, length) {
  const h = hex(seed, length * 2);
  let out = '1';
  for (let i = 1; i < length; i++) out += String(parseInt(h.slice(i * 2, i * 2 + 2), 16) % 10);
  return out;
}
function etag(seed) {
  return `BwY${Buffer.from(hex(seed, 12), 'hex').toString('base64').slice(0, 8)}=`;
}

class Bundle {
  constructor(files) {
    this.files = files;
  }

  get manifest() {
    return this.get('bundle.json');
  }

  get(path) {
    if (!this.files.has(path)) throw new Error(`no file ${path} in the bundle`);
    return this.files.get(path);
  }

  set(path, value) {
    this.files.set(path, value);
  }

  edit(path, fn) {
    const replaced = fn(this.get(path));
    if (replaced !== undefined) this.files.set(path, replaced);
  }

  remove(path) {
    if (!this.files.delete(path)) throw new Error(`no file ${path} to remove`);
  }

  /** The items of k8s/KIND.json (a kubectl List). */
  items(kind) {
    return this.get(`k8s/${kind}.json`).items;
  }

  find(kind, namespace, name) {
    const found = this.items(kind).find(
      (o) => o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
    );
    if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name}`);
    return found;
  }

  k8s(kind, namespace, name, fn) {
    fn(this.find(kind, namespace, name));
  }

  addK8s(kind, object) {
    // resourceVersion is unique across the cluster's objects: new ones continue after the healthy world's.
    this.nextResourceVersion = (this.nextResourceVersion ?? 6000) + 1;
    object.metadata.resourceVersion = String(this.nextResourceVersion);
    this.items(kind).push(object);
  }

  removeK8s(kind, namespace, name) {
    const list = this.items(kind);
    const index = list.indexOf(this.find(kind, namespace, name));
    list.splice(index, 1);
  }

  /** The cluster as `describe` and as the project's `clusters list` print it: both are kept in step. */
  editCluster(fn) {
    fn(this.get('gcp/cluster.json'));
    const listed = this.get(`gcp/projects/${PROJECT}.clusters.json`).find((c) => c.name === 'prod');
    fn(listed);
  }

  editNodePool(name, fn) {
    this.editCluster((cluster) => {
      const pool = cluster.nodePools.find((p) => p.name === name);
      if (!pool) throw new Error(`no node pool ${name}`);
      fn(pool);
      // `nodeConfig` at the top level mirrors the first (default) pool's config.
      if (name === 'default-pool') cluster.nodeConfig = clone(pool.config);
    });
  }

  /** A node pool whose nodes do not run the GKE metadata server: no node label, no DaemonSet pod there. */
  withoutMetadataServerOn(poolName) {
    const nodes = this.items('nodes').filter((n) => n.metadata.labels[NODE_POOL_LABEL] === poolName);
    for (const node of nodes) {
      node.metadata.labels = Object.fromEntries(
        Object.entries(node.metadata.labels).filter(([key]) => key !== METADATA_SERVER_LABEL),
      );
    }
    const names = new Set(nodes.map((n) => n.metadata.name));
    const pods = this.get('k8s/pods.json');
    pods.items = pods.items.filter(
      (p) =>
        !(
          p.metadata.namespace === 'kube-system' &&
          p.metadata.name.startsWith('gke-metadata-server-') &&
          names.has(p.spec.nodeName)
        ),
    );
    this.k8s('daemonsets', 'kube-system', 'gke-metadata-server', (ds) => {
      const count = ds.status.desiredNumberScheduled - nodes.length;
      Object.assign(ds.status, {
        currentNumberScheduled: count,
        desiredNumberScheduled: count,
        numberAvailable: count,
        numberReady: count,
        updatedNumberScheduled: count,
      });
    });
  }

  /** Applies fn to the pod spec of Deployment shop/cart, of its ReplicaSet and of its running pod. */
  editCartSpecs(fn) {
    this.k8s('deployments', 'shop', 'cart', (d) => fn(d.spec.template.spec, 'template'));
    this.k8s('replicasets', 'shop', 'cart-7d9f8b6c5d', (rs) => fn(rs.spec.template.spec, 'template'));
    this.k8s('pods', 'shop', CART_POD, (p) => fn(p.spec, 'pod'));
  }

  /** `gcloud iam service-accounts describe` and `list` print the same object: edit both. */
  editServiceAccount(email, fn) {
    fn(this.get(saPath(email)));
    const project = email.split('@')[1].split('.')[0];
    const listed = this.get(`gcp/projects/${project}.service-accounts.json`).find((a) => a.email === email);
    if (listed) fn(listed);
  }

  write(dir) {
    rmSync(dir, { recursive: true, force: true });
    for (const [path, value] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, `${JSON.stringify(value, null, 2)}\n`);
    }
  }
}

/** gcloud prints objects with sorted keys. */
function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));
}

function serviceAccount(email, displayName, description, seed) {
  const domain = email.split('@')[1];
  const project = domain.split('.')[0];
  const id = digits(`${seed}:uid`, 21);
  return sortKeys({
    ...(description ? { description } : {}),
    displayName,
    email,
    etag: 'MDEwMjE5MjA=',
    name: `projects/${project}/serviceAccounts/${email}`,
    oauth2ClientId: id,
    projectId: project,
    uniqueId: id,
  });
}

function policy(bindings, seed, version = 1) {
  return bindings.length > 0 ? { bindings, etag: etag(seed), version } : { etag: etag(seed), version };
}

/** Adds a GSA with its describe, policy and keys files and its entry in the project's list. */
function addServiceAccount(b, { email, displayName, description, bindings = [] }) {
  const sa = serviceAccount(email, displayName, description, email);
  b.set(saPath(email), sa);
  b.set(saPolicyPath(email), policy(bindings, `${email}:policy`));
  b.set(saKeysPath(email), []);
  b.get(`gcp/projects/${sa.projectId}.service-accounts.json`).push(clone(sa));
  return sa;
}

function annotateManagedFields(ksa, key, time) {
  ksa.metadata.managedFields = ksa.metadata.managedFields.filter((f) => f.manager !== 'kubectl-annotate');
  ksa.metadata.managedFields.push({
    apiVersion: 'v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${key}`]: {} } } },
    manager: 'kubectl-annotate',
    operation: 'Update',
    time,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Admin Activity audit log entries, shaped as `gcloud logging read … --format=json` prints them (docs/logs.md):
// who changed what broke an example, for the who-changed-it evidence of `check`.

const GCLOUD_AGENT = (command) => `google-cloud-sdk gcloud/528.0.0 command/gcloud.${command}`;
const TERRAFORM_AGENT = 'Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-google/6.12.0';

function adminActivity({ method, email, uniqueId, principal, ip, agent, time, deltas, seed }) {
  const resourceName = `projects/-/serviceAccounts/${uniqueId}`;
  return {
    insertId: hex(`activity:${seed}`, 12),
    logName: `projects/${PROJECT}/logs/cloudaudit.googleapis.com%2Factivity`,
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      authenticationInfo: { principalEmail: principal },
      methodName: method,
      requestMetadata: { callerIp: ip, callerSuppliedUserAgent: `${agent},gzip(gfe)` },
      resourceName,
      serviceName: 'iam.googleapis.com',
      status: {},
      ...(deltas
        ? {
            serviceData: {
              '@type': 'type.googleapis.com/google.iam.v1.logging.AuditData',
              policyDelta: { bindingDeltas: deltas },
            },
          }
        : {}),
    },
    receiveTimestamp: time.replace('Z', '123Z'),
    resource: {
      labels: { email_id: email, project_id: PROJECT, unique_id: uniqueId },
      type: 'service_account',
    },
    severity: 'NOTICE',
    timestamp: time,
  };
}

/** The Admin Activity file of a bundle, with the query that read it (bundle.json logQueries). */
function setAdminActivity(b, entries, emails, uniqueIds) {
  b.set('gcp/logs/admin-activity.json', entries);
  b.manifest.logQueries = [
    ...(b.manifest.logQueries ?? []),
    {
      file: 'gcp/logs/admin-activity.json',
      filter: `logName="projects/${PROJECT}/logs/cloudaudit.googleapis.com%2Factivity"`,
      resourceNames: [`projects/${PROJECT}`],
      since: '2025-10-24T17:00:00.000Z',
      until: '2026-11-28T17:00:00.000Z',
      complete: true,
      serviceAccounts: emails,
    },
  ];
  void uniqueIds;
}

// ---------------------------------------------------------------------------------------------------------------
// More teams for the multi-team world: clones of shop/cart (namespace, KSA, Deployment, ReplicaSet, Pod).

function nodeIp(b, nodeName) {
  return b.find('nodes', undefined, nodeName).status.addresses.find((a) => a.type === 'InternalIP').address;
}

function addNamespace(b, name, created) {
  const ns = clone(b.find('namespaces', undefined, 'shop'));
  ns.metadata.name = name;
  ns.metadata.uid = uid(`ns:${name}`);
  ns.metadata.creationTimestamp = created;
  ns.metadata.labels = { 'kubernetes.io/metadata.name': name };
  ns.metadata.managedFields[0].time = created;
  b.addK8s('namespaces', ns);
  const ksa = clone(b.find('serviceaccounts', 'shop', 'default'));
  ksa.metadata.namespace = name;
  ksa.metadata.uid = uid(`ksa:${name}/default`);
  ksa.metadata.creationTimestamp = created;
  ksa.metadata.managedFields[0].time = created;
  b.addK8s('serviceaccounts', ksa);
}

/**
 * One team's app: KSA NS/KSA (annotated with `annotation` under `annotationKey`), Deployment NS/APP running as it,
 * its ReplicaSet and one pod on `node`.
 */
function addApp(
  b,
  {
    namespace,
    app,
    ksa = app,
    annotationKey = WI_ANNOTATION,
    annotation,
    node,
    hash,
    suffix,
    image,
    podIp,
    batch = false,
  },
) {
  const created = '2026-11-12T13:40:18Z';
  const started = '2026-11-26T08:15:42Z';
  const sa = clone(b.find('serviceaccounts', 'shop', 'cart'));
  sa.metadata.namespace = namespace;
  sa.metadata.name = ksa;
  sa.metadata.uid = uid(`ksa:${namespace}/${ksa}`);
  sa.metadata.creationTimestamp = created;
  sa.metadata.managedFields[0].time = created;
  if (annotation === undefined) {
    delete sa.metadata.annotations;
    sa.metadata.managedFields = sa.metadata.managedFields.filter((f) => f.manager !== 'kubectl-annotate');
  } else {
    sa.metadata.annotations = { [annotationKey]: annotation };
    annotateManagedFields(sa, annotationKey, '2026-11-12T13:41:02Z');
  }
  b.addK8s('serviceaccounts', sa);

  const rsName = `${app}-${hash}`;
  const podName = `${rsName}-${suffix}`;
  const deploymentUid = uid(`deploy:${namespace}/${app}`);
  const rsUid = uid(`rs:${namespace}/${rsName}`);
  const retarget = (spec) => {
    spec.serviceAccount = ksa;
    spec.serviceAccountName = ksa;
    const container = spec.containers[0];
    container.name = app;
    container.image = image;
    if (batch) {
      spec.nodeSelector = { workload: 'batch' };
      spec.tolerations = [
        { effect: 'NoSchedule', key: 'workload', operator: 'Equal', value: 'batch' },
        ...(spec.tolerations ?? []),
      ];
    }
  };

  const deployment = clone(b.find('deployments', 'shop', 'cart'));
  Object.assign(deployment.metadata, {
    name: app,
    namespace,
    uid: deploymentUid,
    creationTimestamp: created,
    labels: { app },
  });
  deployment.spec.selector.matchLabels = { app };
  deployment.spec.template.metadata.labels = { app };
  retarget(deployment.spec.template.spec);
  b.addK8s('deployments', deployment);

  const rs = clone(b.find('replicasets', 'shop', 'cart-7d9f8b6c5d'));
  Object.assign(rs.metadata, { name: rsName, namespace, uid: rsUid, labels: { app, 'pod-template-hash': hash } });
  rs.metadata.ownerReferences[0] = { ...rs.metadata.ownerReferences[0], name: app, uid: deploymentUid };
  rs.spec.selector.matchLabels = { app, 'pod-template-hash': hash };
  rs.spec.template.metadata.labels = { app, 'pod-template-hash': hash };
  retarget(rs.spec.template.spec);
  b.addK8s('replicasets', rs);

  const pod = clone(b.find('pods', 'shop', CART_POD));
  Object.assign(pod.metadata, {
    name: podName,
    namespace,
    generateName: `${rsName}-`,
    uid: uid(`pod:${namespace}/${podName}`),
    creationTimestamp: started,
    labels: { app, 'pod-template-hash': hash },
  });
  pod.metadata.ownerReferences[0] = { ...pod.metadata.ownerReferences[0], name: rsName, uid: rsUid };
  for (const f of pod.metadata.managedFields) f.time = started;
  retarget(pod.spec);
  pod.spec.nodeName = node;
  const hostIp = nodeIp(b, node);
  pod.status.hostIP = hostIp;
  pod.status.hostIPs = [{ ip: hostIp }];
  pod.status.podIP = podIp;
  pod.status.podIPs = [{ ip: podIp }];
  pod.status.startTime = started;
  for (const c of pod.status.conditions) c.lastTransitionTime = started;
  const status = pod.status.containerStatuses[0];
  status.name = app;
  status.image = image;
  status.imageID = `${image.split(':')[0]}@sha256:${hex(`image:${image}`, 64)}`;
  status.containerID = `containerd://${hex(`container:${podName}`, 64)}`;
  status.state = { running: { startedAt: started } };
  b.addK8s('pods', pod);
}

// ---------------------------------------------------------------------------------------------------------------
// The examples. `patch` breaks the healthy world; the rest is written to expected.json.

/** @type {{name: string, description: string, failureMode?: string, targets: object, options?: object,
 *   patch: (b: Bundle) => void, verdicts?: object[], results?: object[], allowOther?: object[]}[]} */
const EXAMPLES = [
  {
    name: 'missing-binding',
    failureMode: 'missing or wrong binding',
    description:
      'The GSA policy of cart@acme-shop has no roles/iam.workloadIdentityUser binding for shop/cart (someone ran ' +
      'remove-iam-policy-binding): the metadata server gets 403 getAccessToken denied.',
    targets: { all: true },
    patch(b) {
      b.set(saPolicyPath(CART_GSA), { etag: 'BwYmB0c1Pq8=', version: 1 });
      // Who did it: the removal is on record in the Admin Activity log (always on).
      setAdminActivity(
        b,
        [
          adminActivity({
            method: 'google.iam.admin.v1.SetIAMPolicy',
            email: CART_GSA,
            uniqueId: CART_GSA_OLD_UID,
            principal: 'alice@acme.example',
            ip: '203.0.113.24',
            agent: GCLOUD_AGENT('iam.service-accounts.remove-iam-policy-binding'),
            time: '2026-11-27T14:02:11.538Z',
            deltas: [
              { action: 'REMOVE', member: legacyMember('shop', 'cart'), role: 'roles/iam.workloadIdentityUser' },
            ],
            seed: 'missing-binding',
          }),
        ],
        [CART_GSA],
        [CART_GSA_OLD_UID],
      );
      // The token log tells the same story: the pod's last token came before the removal, and every call after it
      // was refused (IAM's getAccessToken denial; a refused caller is not named in the entry).
      b.edit('gcp/logs/iamcredentials.json', (entries) => {
        const [success] = entries;
        const before = clone(success);
        before.insertId = '1x9k2m3e4f4a';
        before.timestamp = '2026-11-27T13:58:40.116204Z';
        before.receiveTimestamp = '2026-11-27T13:58:40.731877502Z';
        const refused = clone(success);
        refused.severity = 'ERROR';
        refused.protoPayload.authenticationInfo = {};
        refused.protoPayload.authorizationInfo[0].granted = false;
        refused.protoPayload.status = {
          code: 7,
          message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        };
        delete refused.protoPayload.response;
        return [refused, before];
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'wi-binding' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'wi-binding', subject: CART, status: 'fail' }],
  },
  {
    name: 'wrong-namespace',
    failureMode: 'missing or wrong binding',
    description:
      'The workloadIdentityUser binding on cart@acme-shop names namespace shop-prod ([shop-prod/cart]); the pod ' +
      'runs in namespace shop.',
    targets: { all: true },
    patch(b) {
      b.edit(saPolicyPath(CART_GSA), (p) => {
        p.bindings[0].members = [legacyMember('shop-prod', 'cart')];
        p.etag = 'BwYmB2xT4cE=';
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'wi-binding' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'wi-binding', subject: CART, status: 'fail', cause: 'shop-prod' }],
  },
  {
    name: 'wrong-pool-cross-project',
    failureMode: "binding written with the GSA project's pool",
    description:
      'shop/cart impersonates a GSA that lives in project acme-data; its binding was written with the GSA ' +
      "project's pool (acme-data.svc.id.goog) instead of the cluster's pool acme-shop.svc.id.goog.",
    targets: { all: true },
    patch(b) {
      const email = 'shop-cart@acme-data.iam.gserviceaccount.com';
      addServiceAccount(b, {
        email,
        displayName: 'Shop cart (data access)',
        description: 'Used by shop/cart in cluster prod of acme-shop',
        bindings: [
          { members: [legacyMember('shop', 'cart', 'acme-data.svc.id.goog')], role: 'roles/iam.workloadIdentityUser' },
        ],
      });
      b.edit(`gcp/projects/acme-data.iam-policy.json`, (p) => {
        p.bindings.push({ members: [`serviceAccount:${email}`], role: 'roles/bigquery.dataViewer' });
        p.etag = 'BwYmC4kq9Hs=';
      });
      b.k8s('serviceaccounts', 'shop', 'cart', (ksa) => {
        ksa.metadata.annotations[WI_ANNOTATION] = email;
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'wi-binding' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'wi-binding', subject: CART, status: 'fail', cause: 'acme-data\\.svc\\.id\\.goog' }],
  },
  {
    name: 'annotation-typo',
    failureMode: 'annotation or GSA name wrong',
    description:
      'The KSA annotation key is misspelled iam.gke.io/gcp-service-acount: GKE ignores it and the KSA has no ' +
      'Google identity (it falls to direct binding, with no grants).',
    targets: { all: true },
    patch(b) {
      b.k8s('serviceaccounts', 'shop', 'cart', (ksa) => {
        ksa.metadata.annotations = { 'iam.gke.io/gcp-service-acount': CART_GSA };
        annotateManagedFields(ksa, 'iam.gke.io/gcp-service-acount', '2026-11-24T14:05:12Z');
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'ksa-annotation' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'ksa-annotation', subject: CART, status: 'fail', cause: 'iam\\.gke\\.io/gcp-service-account' }],
  },
  {
    name: 'annotation-value-typo',
    failureMode: 'annotation or GSA name wrong',
    description:
      "The annotation value names carts@acme-shop, which does not exist (missing from the project's " +
      'service-account list); cart@acme-shop does.',
    targets: { all: true },
    patch(b) {
      b.k8s('serviceaccounts', 'shop', 'cart', (ksa) => {
        ksa.metadata.annotations[WI_ANNOTATION] = 'carts@acme-shop.iam.gserviceaccount.com';
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'gsa-exists' },
      { subject: API, rootCause: null },
    ],
    results: [
      { check: 'gsa-exists', subject: CART, status: 'fail', cause: 'cart@acme-shop\\.iam\\.gserviceaccount\\.com' },
    ],
  },
  {
    name: 'gsa-missing',
    failureMode: 'annotation or GSA name wrong',
    description:
      'The annotated GSA cart@acme-shop was never created: it is absent from the service-account list of ' +
      'acme-shop; its describe, policy and keys answered 403 (projects/-/… hides whether an account exists).',
    targets: { all: true },
    patch(b) {
      b.edit(`gcp/projects/${PROJECT}.service-accounts.json`, (list) => list.filter((a) => a.email !== CART_GSA));
      for (const path of [saPath(CART_GSA), saPolicyPath(CART_GSA), saKeysPath(CART_GSA)]) b.remove(path);
      // gcloud addresses the account as projects/-/serviceAccounts/EMAIL, where a missing account answers 403
      // whether it exists or not: the collected list is what proves it absent.
      const denied = (permission) =>
        `403 PERMISSION_DENIED: Permission '${permission}' denied on resource (or it may not exist).`;
      b.manifest.errors = {
        [saPath(CART_GSA)]: denied('iam.serviceAccounts.get'),
        [saPolicyPath(CART_GSA)]: denied('iam.serviceAccounts.getIamPolicy'),
        [saKeysPath(CART_GSA)]: denied('iam.serviceAccountKeys.list'),
      };
      // A policy cannot name an account that never existed, and it minted no tokens.
      b.edit(`gcp/projects/${PROJECT}.iam-policy.json`, (p) => {
        p.bindings = p.bindings.filter((x) => x.role !== 'roles/pubsub.publisher');
        p.etag = 'BwYmD1aZ7wQ=';
      });
      b.set('gcp/logs/iamcredentials.json', []);
    },
    verdicts: [
      { subject: CART, rootCause: 'gsa-exists' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'gsa-exists', subject: CART, status: 'fail', cause: 'does not exist' }],
  },
  {
    name: 'gsa-disabled',
    failureMode: 'GSA disabled',
    description: 'The GSA cart@acme-shop is disabled (disabled: true): token requests for it fail.',
    targets: { all: true },
    patch(b) {
      b.editServiceAccount(CART_GSA, (sa) => {
        sa.disabled = true;
        sa.etag = 'MDEwMjE5MjQ=';
      });
      b.edit(saPath(CART_GSA), sortKeys);
      b.edit(`gcp/projects/${PROJECT}.service-accounts.json`, (list) => list.map(sortKeys));
      setAdminActivity(
        b,
        [
          adminActivity({
            method: 'google.iam.admin.v1.DisableServiceAccount',
            email: CART_GSA,
            uniqueId: CART_GSA_OLD_UID,
            principal: 'terraform@acme-admin.iam.gserviceaccount.com',
            ip: '198.51.100.7',
            agent: TERRAFORM_AGENT,
            time: '2026-11-28T09:41:53.004Z',
            seed: 'gsa-disabled',
          }),
        ],
        [CART_GSA],
        [CART_GSA_OLD_UID],
      );
    },
    verdicts: [
      { subject: CART, rootCause: 'gsa-enabled' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'gsa-enabled', subject: CART, status: 'fail', cause: 'disabled' }],
  },
  {
    name: 'gsa-recreated',
    failureMode: 'GSA deleted and recreated',
    description:
      'cart@acme-shop was deleted and recreated with the same email: the new account has a new uniqueId and an ' +
      'empty policy; the old grants survive only as deleted:serviceAccount:…?uid=' +
      CART_GSA_OLD_UID +
      ' in the project policy.',
    targets: { all: true },
    patch(b) {
      const newUid = '104838201993856722170';
      b.editServiceAccount(CART_GSA, (sa) => {
        sa.uniqueId = newUid;
        sa.oauth2ClientId = newUid;
        sa.etag = 'MDEwMjE5MzE=';
      });
      b.set(saPolicyPath(CART_GSA), { etag: 'ACAB', version: 1 });
      b.edit(`gcp/projects/${PROJECT}.iam-policy.json`, (p) => {
        const publisher = p.bindings.find((x) => x.role === 'roles/pubsub.publisher');
        publisher.members = [`deleted:serviceAccount:${CART_GSA}?uid=${CART_GSA_OLD_UID}`];
        p.etag = 'BwYmE7uV2nM=';
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'wi-binding' },
      { subject: API, rootCause: null },
    ],
    results: [
      { check: 'gsa-exists', subject: CART, status: 'pass' },
      { check: 'wi-binding', subject: CART, status: 'fail' },
      { check: 'wi-binding-stale', subject: CART, status: 'warn', cause: 'deleted' },
    ],
  },
  {
    name: 'node-pool-gce-metadata',
    failureMode: 'node pool without the GKE metadata server',
    description:
      'Node pool default-pool runs with workloadMetadataConfig mode GCE_METADATA: its nodes have no GKE ' +
      'metadata server, so pods get the node service account gke-nodes@acme-shop.',
    targets: { all: true },
    patch(b) {
      b.editNodePool('default-pool', (pool) => {
        pool.config.workloadMetadataConfig = { mode: 'GCE_METADATA' };
      });
      b.withoutMetadataServerOn('default-pool');
    },
    verdicts: [
      { subject: CART, rootCause: 'nodepool-gke-metadata' },
      { subject: API, rootCause: 'nodepool-gke-metadata' },
    ],
    results: [
      { check: 'nodepool-gke-metadata', subject: DEFAULT_POOL, status: 'fail', cause: 'GCE_METADATA' },
      { check: 'metadata-server-healthy', subject: CART, status: 'fail' },
      { check: 'metadata-server-healthy', subject: API, status: 'fail' },
    ],
  },
  {
    name: 'node-pool-concealment',
    failureMode: 'node pool without the GKE metadata server',
    description:
      'Node pool default-pool still has the legacy metadata concealment setting (workloadMetadataConfig {}), ' +
      'which is incompatible with Workload Identity.',
    targets: { all: true },
    patch(b) {
      b.editNodePool('default-pool', (pool) => {
        pool.config.workloadMetadataConfig = {};
      });
      b.withoutMetadataServerOn('default-pool');
    },
    verdicts: [
      { subject: CART, rootCause: 'nodepool-gke-metadata' },
      { subject: API, rootCause: 'nodepool-gke-metadata' },
    ],
    results: [
      { check: 'nodepool-gke-metadata', subject: DEFAULT_POOL, status: 'fail', cause: 'conceal' },
      { check: 'metadata-server-healthy', subject: CART, status: 'fail' },
      { check: 'metadata-server-healthy', subject: API, status: 'fail' },
    ],
  },
  {
    name: 'no-workload-pool',
    failureMode: 'Workload Identity off on the cluster',
    description:
      'Cluster prod has no workloadIdentityConfig (Workload Identity off): no node pool can run the GKE metadata ' +
      'server and every pod gets the node service account.',
    targets: { all: true },
    patch(b) {
      b.editCluster((cluster) => {
        delete cluster.workloadIdentityConfig;
        delete cluster.nodeConfig.workloadMetadataConfig;
        for (const pool of cluster.nodePools) delete pool.config.workloadMetadataConfig;
      });
      for (const pool of ['default-pool', 'batch-pool']) b.withoutMetadataServerOn(pool);
      b.removeK8s('daemonsets', 'kube-system', 'gke-metadata-server');
    },
    verdicts: [
      { subject: 'shop/api', rootCause: 'cluster-workload-pool' },
      { subject: CART, rootCause: 'cluster-workload-pool' },
    ],
    results: [
      { check: 'cluster-workload-pool', subject: CLUSTER, status: 'fail', cause: 'workloadIdentityConfig' },
      { check: 'nodepool-gke-metadata', subject: DEFAULT_POOL, status: 'fail' },
      { check: 'metadata-server-healthy', subject: CART, status: 'fail' },
      { check: 'metadata-server-healthy', subject: 'shop/api', status: 'fail' },
    ],
  },
  {
    name: 'host-network',
    failureMode: 'hostNetwork pod',
    description:
      'Deployment shop/cart runs with hostNetwork: true: the GKE metadata server does not intercept its ' +
      "requests and it gets the node's identity.",
    targets: { all: true },
    patch(b) {
      b.editCartSpecs((spec) => {
        spec.hostNetwork = true;
        spec.dnsPolicy = 'ClusterFirstWithHostNet';
        // With hostNetwork the API server defaults hostPort to the containerPort.
        for (const port of spec.containers[0].ports) port.hostPort = port.containerPort;
      });
      b.k8s('pods', 'shop', CART_POD, (pod) => {
        pod.status.podIP = pod.status.hostIP;
        pod.status.podIPs = [{ ip: pod.status.hostIP }];
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'host-network' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'host-network', subject: CART, status: 'fail', cause: 'hostNetwork' }],
  },
  {
    name: 'netpol-blocks-metadata',
    failureMode: 'NetworkPolicy blocks the metadata server',
    description:
      'NetworkPolicy shop/restrict-egress (all pods of shop) allows egress only to kube-dns and to port 443 ' +
      'outside 169.254.0.0/16; on Dataplane V2 the metadata server path 169.254.169.254:80 is blocked.',
    targets: { all: true },
    patch(b) {
      b.addK8s('networkpolicies', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          annotations: {},
          creationTimestamp: '2026-11-27T09:12:44Z',
          generation: 1,
          managedFields: [
            {
              apiVersion: 'networking.k8s.io/v1',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:spec': { 'f:egress': {}, 'f:podSelector': {}, 'f:policyTypes': {} } },
              manager: 'kubectl-client-side-apply',
              operation: 'Update',
              time: '2026-11-27T09:12:44Z',
            },
          ],
          name: 'restrict-egress',
          namespace: 'shop',
          resourceVersion: '5120',
          uid: uid('netpol:shop/restrict-egress'),
        },
        spec: {
          egress: [
            {
              ports: [
                { port: 53, protocol: 'UDP' },
                { port: 53, protocol: 'TCP' },
              ],
              to: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                },
              ],
            },
            {
              ports: [{ port: 443, protocol: 'TCP' }],
              to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.0.0/16'] } }],
            },
          ],
          podSelector: {},
          policyTypes: ['Egress'],
        },
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'network-policy-metadata' },
      { subject: API, rootCause: 'network-policy-metadata' },
    ],
    results: [
      { check: 'network-policy-metadata', subject: CART, status: 'fail', cause: '169\\.254\\.169\\.254:80' },
      { check: 'network-policy-metadata', subject: API, status: 'fail', cause: '169\\.254\\.169\\.254:80' },
    ],
  },
  {
    name: 'pods-not-restarted',
    failureMode: 'pods not restarted after a change',
    description:
      'The annotation of KSA shop/cart was changed at 2026-11-28T16:32:07Z (managedFields of kubectl-annotate); ' +
      'pod cart-7d9f8b6c5d-abcde started on 2026-11-25 and may still use the old identity.',
    targets: { all: true },
    patch(b) {
      b.k8s('serviceaccounts', 'shop', 'cart', (ksa) => {
        annotateManagedFields(ksa, WI_ANNOTATION, '2026-11-28T16:32:07Z');
        ksa.metadata.resourceVersion = '5204';
      });
    },
    verdicts: [
      { subject: CART, rootCause: null },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'pods-restarted-after-change', subject: CART, status: 'warn', cause: CART_POD }],
  },
  {
    name: 'default-ksa',
    failureMode: 'wrong or missing KSA',
    description:
      'Deployment shop/cart lost its serviceAccountName in a refactor: its pods run as KSA default, which has ' +
      'no Google identity; the annotated KSA cart is unused.',
    targets: { workload: ['shop/deployment/cart'] },
    patch(b) {
      b.editCartSpecs((spec, kind) => {
        if (kind === 'pod') {
          // The API server fills in `default` on the pod; the templates simply omit the field.
          spec.serviceAccount = 'default';
          spec.serviceAccountName = 'default';
        } else {
          delete spec.serviceAccount;
          delete spec.serviceAccountName;
        }
      });
    },
    verdicts: [{ subject: 'shop/deployment/cart', rootCause: 'pod-service-account' }],
    results: [
      { check: 'pod-service-account', subject: 'shop/deployment/cart', status: 'fail', cause: 'default' },
      { check: 'ksa-annotation', subject: 'shop/deployment/cart', status: 'unknown' },
    ],
  },
  {
    name: 'ksa-missing',
    failureMode: 'wrong or missing KSA',
    description:
      'KSA shop/cart was deleted after the pods started (kubectl delete sa): Deployment shop/cart still names ' +
      'it as serviceAccountName.',
    targets: { workload: ['shop/deployment/cart'] },
    patch(b) {
      b.removeK8s('serviceaccounts', 'shop', 'cart');
    },
    verdicts: [{ subject: 'shop/deployment/cart', rootCause: 'ksa-exists' }],
    results: [{ check: 'ksa-exists', subject: 'shop/deployment/cart', status: 'fail', cause: 'cart' }],
  },
  {
    name: 'metadata-server-crashloop',
    failureMode: 'metadata server unhealthy',
    description:
      'The gke-metadata-server pod on node gke-prod-default-pool-1a2b3c4d-x1y2 (where shop/cart runs) is in ' +
      'CrashLoopBackOff after being OOMKilled; shop/api runs on a node whose metadata server is Ready.',
    targets: { all: true },
    patch(b) {
      b.k8s('pods', 'kube-system', 'gke-metadata-server-2fk8q', (pod) => {
        for (const c of pod.status.conditions) {
          if (c.type === 'Ready' || c.type === 'ContainersReady') {
            c.status = 'False';
            c.lastTransitionTime = '2026-11-28T15:47:31Z';
            c.reason = 'ContainersNotReady';
            c.message = 'containers with unready status: [gke-metadata-server]';
          }
        }
        Object.assign(pod.status.containerStatuses[0], {
          lastState: {
            terminated: {
              containerID: `containerd://${hex('gke-metadata-server-2fk8q:last', 64)}`,
              exitCode: 137,
              finishedAt: '2026-11-28T16:57:02Z',
              reason: 'OOMKilled',
              startedAt: '2026-11-28T16:56:40Z',
            },
          },
          ready: false,
          restartCount: 14,
          started: false,
          state: {
            waiting: {
              message: `back-off 5m0s restarting failed container=gke-metadata-server pod=gke-metadata-server-2fk8q_kube-system(${pod.metadata.uid})`,
              reason: 'CrashLoopBackOff',
            },
          },
        });
      });
      b.k8s('daemonsets', 'kube-system', 'gke-metadata-server', (ds) => {
        ds.status.numberAvailable = 5;
        ds.status.numberReady = 5;
        ds.status.numberUnavailable = 1;
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'metadata-server-healthy' },
      { subject: API, rootCause: null },
    ],
    results: [
      { check: 'metadata-server-healthy', subject: CART, status: 'fail', cause: 'CrashLoopBackOff' },
      { check: 'metadata-server-healthy', subject: API, status: 'pass' },
    ],
  },
  {
    name: 'iamcredentials-disabled',
    failureMode: 'IAM Credentials API disabled',
    description:
      'iamcredentials.googleapis.com is missing from the enabled services of acme-shop (the IAM Service Account ' +
      'Credentials API is disabled): the metadata server cannot mint tokens.',
    targets: { all: true },
    patch(b) {
      b.edit(`gcp/projects/${PROJECT}.services.json`, (list) =>
        list.filter((s) => s.config.name !== 'iamcredentials.googleapis.com'),
      );
    },
    verdicts: [
      { subject: CART, rootCause: 'iamcredentials-api-enabled' },
      { subject: API, rootCause: null }, // direct binding: STS alone, no IAM Credentials call
    ],
    results: [
      { check: 'iamcredentials-api-enabled', subject: PROJECT_SUBJECT, status: 'fail', cause: 'iamcredentials' },
    ],
  },
  {
    name: 'key-file-override',
    failureMode: 'key file overrides Workload Identity',
    description:
      'Deployment shop/cart sets GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json inside the mounted ' +
      'Secret cart-gsa-key: client libraries use the key and never ask the metadata server.',
    targets: { all: true },
    patch(b) {
      b.editCartSpecs((spec) => {
        const container = spec.containers[0];
        container.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' });
        container.volumeMounts = [
          { mountPath: '/var/secrets/google', name: 'google-cloud-key', readOnly: true },
          ...(container.volumeMounts ?? []),
        ];
        spec.volumes = [
          { name: 'google-cloud-key', secret: { defaultMode: 420, secretName: 'cart-gsa-key' } },
          ...(spec.volumes ?? []),
        ];
      });
      const keyId = hex('cart-key', 40);
      b.set(saKeysPath(CART_GSA), [
        {
          disabled: false,
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyType: 'USER_MANAGED',
          name: `projects/${PROJECT}/serviceAccounts/${CART_GSA}/keys/${keyId}`,
          validAfterTime: '2026-11-10T09:03:12Z',
          validBeforeTime: '9999-12-31T23:59:59Z',
        },
      ]);
    },
    verdicts: [
      { subject: CART, rootCause: 'credential-override' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'credential-override', subject: CART, status: 'fail', cause: 'cart-gsa-key' }],
  },
  {
    name: 'service-account-user-not-token-creator',
    failureMode: 'serviceAccountUser instead of a token role',
    description:
      'The binding on cart@acme-shop grants shop/cart roles/iam.serviceAccountUser (actAs) instead of ' +
      'roles/iam.workloadIdentityUser: actAs does not mint tokens.',
    targets: { all: true },
    patch(b) {
      b.edit(saPolicyPath(CART_GSA), (p) => {
        p.bindings[0].role = 'roles/iam.serviceAccountUser';
        p.etag = 'BwYmF3rL8dA=';
      });
    },
    verdicts: [
      { subject: CART, rootCause: 'wi-binding' },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'wi-binding', subject: CART, status: 'fail', cause: 'serviceAccountUser' }],
  },
  {
    name: 'conditional-binding',
    failureMode: 'conditional binding',
    description:
      'The workloadIdentityUser binding for shop/cart carries an IAM condition (expiry at 2026-11-27, policy ' +
      'version 3): whether it applies is decided at request time.',
    targets: { all: true },
    patch(b) {
      b.edit(saPolicyPath(CART_GSA), (p) => {
        p.bindings[0].condition = {
          description: 'Access for the launch week only',
          expression: 'request.time < timestamp("2026-11-27T00:00:00Z")',
          title: 'launch-week',
        };
        p.version = 3;
        p.etag = 'BwYmG5pW1kY=';
      });
    },
    verdicts: [
      { subject: CART, rootCause: null },
      { subject: API, rootCause: null },
    ],
    results: [{ check: 'wi-binding', subject: CART, status: 'warn', cause: 'condition' }],
  },
  {
    name: 'missing-permission',
    failureMode: 'permission missing on the target',
    description:
      'Workload Identity works, but the roles/pubsub.publisher grant of cart@acme-shop was removed from the ' +
      'project policy: the app needs pubsub.topics.publish (--need pubsub.topics.publish).',
    targets: { ksa: [CART] },
    options: { need: ['pubsub.topics.publish'] },
    patch(b) {
      b.edit(`gcp/projects/${PROJECT}.iam-policy.json`, (p) => {
        p.bindings = p.bindings.filter((x) => x.role !== 'roles/pubsub.publisher');
        p.etag = 'BwYmH8cN0sR=';
      });
    },
    verdicts: [{ subject: CART, rootCause: 'gsa-permission' }],
    results: [{ check: 'gsa-permission', subject: CART, status: 'fail', cause: 'pubsub\\.topics\\.publish' }],
  },
  {
    name: 'cross-project-impersonation',
    failureMode: 'cross-project impersonation without TokenCreator',
    description:
      'cart@acme-shop must impersonate reader@acme-data (--impersonate), but reader@acme-data only grants it ' +
      'roles/iam.serviceAccountUser, not roles/iam.serviceAccountTokenCreator.',
    targets: { ksa: [CART] },
    options: { impersonate: READER_GSA },
    patch(b) {
      b.set(
        saPolicyPath(READER_GSA),
        policy([{ members: [`serviceAccount:${CART_GSA}`], role: 'roles/iam.serviceAccountUser' }], 'reader:policy'),
      );
    },
    verdicts: [{ subject: CART, rootCause: 'cross-project-impersonation' }],
    results: [{ check: 'cross-project-impersonation', subject: CART, status: 'fail', cause: 'serviceAccountUser' }],
  },
  {
    name: 'audit-findings',
    failureMode: 'audit',
    description:
      'Workload Identity works for every team, but least privilege does not: cart@acme-shop holds roles/editor and ' +
      'roles/storage.admin on acme-shop and has an active user-managed key; the default KSA of namespace batch is ' +
      'annotated with it (so cart@acme-shop serves two namespaces); its policy still names checkout/orders, long ' +
      'gone; shop/api holds roles/iam.workloadIdentityUser on the whole project; every KSA of namespace shop may ' +
      'read bucket acme-shop-assets; batch-pool runs as the Compute Engine default account, which holds Editor.',
    targets: { all: true },
    patch(b) {
      b.edit(`gcp/projects/${PROJECT}.iam-policy.json`, (p) => {
        p.bindings.push(
          { members: [`serviceAccount:${CART_GSA}`], role: 'roles/editor' },
          { members: [`serviceAccount:${CART_GSA}`], role: 'roles/storage.admin' },
          { members: [legacyMember('shop', 'api')], role: 'roles/iam.workloadIdentityUser' },
        );
        p.bindings.sort((x, y) => x.role.localeCompare(y.role));
        p.etag = 'BwYmF4kQ8vE=';
      });
      b.set(saKeysPath(CART_GSA), [
        {
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyType: 'USER_MANAGED',
          name: `projects/${PROJECT}/serviceAccounts/${CART_GSA}/keys/${hex('audit-findings:key', 40)}`,
          validAfterTime: '2026-03-02T11:20:45Z',
          validBeforeTime: '9999-12-31T23:59:59Z',
        },
      ]);
      b.edit(saPolicyPath(CART_GSA), (p) => {
        p.bindings[0].members.push(legacyMember('batch', 'default'), legacyMember('checkout', 'orders'));
        p.etag = 'BwYmF5mR9wA=';
      });
      addNamespace(b, 'batch', '2026-10-02T08:00:00Z');
      b.k8s('serviceaccounts', 'batch', 'default', (ksa) => {
        ksa.metadata.annotations = { [WI_ANNOTATION]: CART_GSA };
        annotateManagedFields(ksa, WI_ANNOTATION, '2026-10-02T08:03:19Z');
      });
      b.edit('gcp/resources/acme-shop-assets.json', (r) => {
        r.policy.bindings.push({
          members: [
            'principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-shop.svc.id.goog/namespace/shop',
          ],
          role: 'roles/storage.objectViewer',
        });
      });
      b.editNodePool('batch-pool', (pool) => {
        pool.config.serviceAccount = 'default';
      });
    },
    verdicts: [
      { subject: API, rootCause: null },
      { subject: CART, rootCause: null },
    ],
    results: [
      // Every KSA of shop may read the bucket (principal-set-grants), cart included, although it impersonates.
      { check: 'ksa-annotation', subject: CART, status: 'warn', cause: 'unintended impersonation' },
    ],
    audit: {
      results: [
        { check: 'primitive-roles', subject: CART_GSA, status: 'fail' },
        { check: 'project-level-impersonation', subject: PROJECT_SUBJECT, status: 'fail' },
        { check: 'broad-project-roles', subject: CART_GSA, status: 'warn' },
        { check: 'gsa-user-managed-keys', subject: CART_GSA, status: 'fail' },
        { check: 'default-ksa-annotated', subject: CLUSTER, status: 'fail' },
        { check: 'gsa-shared', subject: CART_GSA, status: 'warn' },
        { check: 'identity-sameness', subject: CLUSTER, status: 'pass' },
        { check: 'principal-set-grants', subject: CLUSTER, status: 'warn' },
        { check: 'orphan-bindings', subject: CART_GSA, status: 'warn' },
        { check: 'admin-read-audit-logs', subject: PROJECT_SUBJECT, status: 'pass' },
        { check: 'unused-gsa', subject: CART_GSA, status: 'pass' },
        { check: 'node-default-sa', subject: BATCH_POOL, status: 'fail' },
        { check: 'node-default-sa', subject: DEFAULT_POOL, status: 'pass' },
        { check: 'zonal-cluster', subject: CLUSTER, status: 'pass' },
      ],
    },
  },
  {
    name: 'multi-team',
    description:
      'Four teams on cluster prod. payments/ledger and payments/fraud-scorer run on batch-pool, which is on ' +
      'GCE_METADATA (one shared root cause); orders/orders is bound for namespace checkout (the old namespace); ' +
      'analytics/reporter has the annotation key typo iam.gke.io/gcp-service-acount; shop/cart and shop/api work.',
    targets: { all: true },
    patch(b) {
      b.editNodePool('batch-pool', (pool) => {
        pool.config.workloadMetadataConfig = { mode: 'GCE_METADATA' };
      });
      b.withoutMetadataServerOn('batch-pool');
      for (const ns of ['payments', 'orders', 'analytics']) addNamespace(b, ns, '2026-11-12T13:39:50Z');

      const gsa = (name) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
      const wiUser = (ns, ksa) => [{ members: [legacyMember(ns, ksa)], role: 'roles/iam.workloadIdentityUser' }];
      addServiceAccount(b, {
        email: gsa('ledger'),
        displayName: 'Payments ledger',
        bindings: wiUser('payments', 'ledger'),
      });
      addServiceAccount(b, {
        email: gsa('fraud-scorer'),
        displayName: 'Payments fraud scorer',
        bindings: wiUser('payments', 'fraud-scorer'),
      });
      // The team moved from namespace `checkout` to `orders` and kept the old binding.
      addServiceAccount(b, {
        email: gsa('orders'),
        displayName: 'Orders service',
        bindings: wiUser('checkout', 'orders'),
      });
      addServiceAccount(b, {
        email: gsa('reporter'),
        displayName: 'Analytics reporter',
        bindings: wiUser('analytics', 'reporter'),
      });
      b.edit(`gcp/projects/${PROJECT}.iam-policy.json`, (p) => {
        p.bindings.push(
          {
            members: [`serviceAccount:${gsa('ledger')}`, `serviceAccount:${gsa('fraud-scorer')}`],
            role: 'roles/cloudsql.client',
          },
          { members: [`serviceAccount:${gsa('orders')}`], role: 'roles/pubsub.subscriber' },
          { members: [`serviceAccount:${gsa('reporter')}`], role: 'roles/bigquery.jobUser' },
        );
        p.etag = 'BwYmJ2hK5tU=';
      });

      const registry = 'europe-west1-docker.pkg.dev/acme-shop';
      addApp(b, {
        namespace: 'payments',
        app: 'ledger',
        annotation: gsa('ledger'),
        node: 'gke-prod-batch-pool-3b4c5d6e-r7s8',
        hash: '6c8d7f9b4a',
        suffix: 'q2w4e',
        image: `${registry}/payments/ledger:3.2.1`,
        podIp: '10.4.3.21',
        batch: true,
      });
      addApp(b, {
        namespace: 'payments',
        app: 'fraud-scorer',
        annotation: gsa('fraud-scorer'),
        node: 'gke-prod-batch-pool-7f8a9b0c-t9u0',
        hash: '59b7c6d8f5',
        suffix: 'r5t6y',
        image: `${registry}/payments/fraud-scorer:0.9.4`,
        podIp: '10.4.4.12',
        batch: true,
      });
      addApp(b, {
        namespace: 'orders',
        app: 'orders',
        annotation: gsa('orders'),
        node: 'gke-prod-default-pool-9c0d1e2f-p5q6',
        hash: '7b5f9c8d6e',
        suffix: 'u7i8o',
        image: `${registry}/orders/orders:5.0.2`,
        podIp: '10.4.2.33',
      });
      addApp(b, {
        namespace: 'analytics',
        app: 'reporter',
        annotationKey: 'iam.gke.io/gcp-service-acount',
        annotation: gsa('reporter'),
        node: 'gke-prod-default-pool-5e6f7a8b-k3m4',
        hash: '84d6b9c7f2',
        suffix: 'p9a1s',
        image: `${registry}/analytics/reporter:1.7.0`,
        podIp: '10.4.1.45',
      });
    },
    verdicts: [
      { subject: 'analytics/reporter', rootCause: 'ksa-annotation' },
      { subject: 'orders/orders', rootCause: 'wi-binding' },
      { subject: 'payments/fraud-scorer', rootCause: 'nodepool-gke-metadata' },
      { subject: 'payments/ledger', rootCause: 'nodepool-gke-metadata' },
      { subject: API, rootCause: null },
      { subject: CART, rootCause: null },
    ],
    results: [
      { check: 'nodepool-gke-metadata', subject: BATCH_POOL, status: 'fail', cause: 'GCE_METADATA' },
      { check: 'nodepool-gke-metadata', subject: DEFAULT_POOL, status: 'pass' },
      { check: 'metadata-server-healthy', subject: 'payments/ledger', status: 'fail' },
      { check: 'metadata-server-healthy', subject: 'payments/fraud-scorer', status: 'fail' },
      { check: 'wi-binding', subject: 'orders/orders', status: 'fail', cause: 'checkout' },
      {
        check: 'ksa-annotation',
        subject: 'analytics/reporter',
        status: 'fail',
        cause: 'iam\\.gke\\.io/gcp-service-account',
      },
    ],
  },
];

/** The healthy example's expectation: every subject passes (written next to the bundle another helper made). */
const HEALTHY_EXPECTED = {
  description:
    'The shared world: shop/cart impersonates cart@acme-shop (annotation + workloadIdentityUser binding), shop/api ' +
    'uses direct binding (its principal reads bucket acme-shop-assets). Everything visible passes.',
  targets: { all: true },
  verdicts: [
    { subject: API, rootCause: null },
    { subject: CART, rootCause: null },
  ],
  results: [
    { check: 'iamcredentials-api-enabled', subject: PROJECT_SUBJECT, status: 'pass' },
    { check: 'cluster-workload-pool', subject: CLUSTER, status: 'pass' },
    { check: 'nodepool-gke-metadata', subject: DEFAULT_POOL, status: 'pass' },
    { check: 'ksa-annotation', subject: CART, status: 'pass' },
    { check: 'ksa-annotation', subject: API, status: 'pass', cause: 'direct binding' },
    { check: 'gsa-exists', subject: CART, status: 'pass' },
    { check: 'gsa-enabled', subject: CART, status: 'pass' },
    { check: 'wi-binding', subject: CART, status: 'pass' },
    { check: 'metadata-server-healthy', subject: CART, status: 'pass' },
    { check: 'host-network', subject: CART, status: 'pass' },
    { check: 'network-policy-metadata', subject: CART, status: 'pass' },
    { check: 'pods-restarted-after-change', subject: CART, status: 'pass' },
  ],
  // `wi-doctor audit --from examples/healthy`: least privilege holds (basic roles of accounts no KSA uses are no
  // finding); test/audit/examples.test.ts asserts these and that nothing else fails or warns.
  audit: {
    results: [
      { check: 'primitive-roles', subject: CART_GSA, status: 'pass' },
      { check: 'project-level-impersonation', subject: PROJECT_SUBJECT, status: 'pass' },
      { check: 'gsa-user-managed-keys', subject: CART_GSA, status: 'pass' },
      { check: 'default-ksa-annotated', subject: CLUSTER, status: 'pass' },
      { check: 'admin-read-audit-logs', subject: PROJECT_SUBJECT, status: 'pass' },
      { check: 'node-default-sa', subject: BATCH_POOL, status: 'pass' },
      { check: 'zonal-cluster', subject: CLUSTER, status: 'pass' },
    ],
  },
};

function expectedOf(example) {
  const { name: _name, patch: _patch, ...rest } = example;
  return {
    description: rest.description,
    ...(rest.failureMode ? { failureMode: rest.failureMode } : {}),
    targets: rest.targets,
    ...(rest.options ? { options: rest.options } : {}),
    verdicts: rest.verdicts ?? [],
    results: rest.results ?? [],
    ...(rest.allowOther ? { allowOther: rest.allowOther } : {}),
    ...(rest.audit ? { audit: rest.audit } : {}),
  };
}

/** The command line that runs an example as its expected.json does. */
function commandOf(example) {
  const flags = [];
  const { targets, options = {} } = example;
  if (targets.all) flags.push('--all');
  for (const ksa of targets.ksa ?? []) flags.push(`--ksa ${ksa}`);
  for (const workload of targets.workload ?? []) flags.push(`--workload ${workload}`);
  for (const need of options.need ?? []) flags.push(`--need ${need}`);
  if (options.on) flags.push(`--on ${options.on}`);
  if (options.impersonate) flags.push(`--impersonate ${options.impersonate}`);
  return `npx wi-doctor check --from examples/${example.name} ${flags.join(' ')}`;
}

function rootCausesOf(example) {
  const causes = new Map();
  for (const v of example.verdicts ?? []) {
    const list = causes.get(v.rootCause) ?? [];
    list.push(v.subject);
    causes.set(v.rootCause, list);
  }
  return [...causes]
    .map(
      ([cause, subjects]) =>
        `${cause === null ? 'none' : `\`${cause}\``} (${subjects.map((s) => `\`${s}\``).join(', ')})`,
    )
    .join('; ');
}

function writeReadme() {
  const rows = [{ name: 'healthy', ...HEALTHY_EXPECTED }, ...EXAMPLES].map(
    (e) =>
      `| [\`${e.name}\`](${e.name}/) | ${e.failureMode ?? (e.name === 'healthy' ? '—' : 'several')} | ${rootCausesOf(e)} | ${e.description.replace(/\|/g, '\\|')} |`,
  );
  const commands = [{ name: 'healthy', ...HEALTHY_EXPECTED }, ...EXAMPLES].flatMap((e) => [
    commandOf(e),
    ...(e.audit ? [`npx wi-doctor audit --from examples/${e.name}`] : []),
  ]);
  const text = `# Example bundles

Each folder is an evidence bundle (see [docs/bundle.md](../docs/bundle.md)): the JSON that \`gcloud … --format=json\`
and \`kubectl get … -A -o json --show-managed-fields\` print, in the layout \`wi-doctor collect\` writes. \`healthy/\` is the
shared example world (project \`acme-shop\`, cluster \`prod\`, KSAs \`shop/cart\` with impersonation and \`shop/api\`
with direct binding). Every other folder is that world with one thing broken, the way it breaks in real clusters;
\`multi-team/\` breaks several teams at once for the README demo.

Each folder has an \`expected.json\`: the targets and options to run with, the expected root cause of each
subject's verdict, results that must appear, and (\`allowOther\`) other warnings that are allowed. Any other
fail or warn is an error. \`test/examples.test.ts\` checks every folder against it.

The folders are generated: do not edit them by hand. Change the patch in
[\`scripts/make-examples.mjs\`](../scripts/make-examples.mjs) and run \`node scripts/make-examples.mjs\` (or
\`node scripts/make-examples.mjs NAME…\`). Only \`healthy/\` is written by hand (the script writes its
\`expected.json\` only).

| example | failure mode | expected root cause (subjects) | what is broken |
|---|---|---|---|
${rows.join('\n')}

## Running one

Any folder name in place of \`missing-binding\`:

\`\`\`sh
npx wi-doctor check --from examples/missing-binding --all
npx wi-doctor check --from examples/multi-team --all --format json
\`\`\`

The exact command for each example (targets and options as in its \`expected.json\`):

\`\`\`sh
${commands.join('\n')}
\`\`\`

Failure modes that a bundle cannot show are not here: IAM propagation delay, the metadata server startup race,
APIs that reject federated tokens, and the federation-mode token problems need a live pod (\`wi-doctor probe\`)
or a token; a binding added before the pool existed shows only as a \`setIamPolicy\` error at the time the
binding was made. Zonal clusters and Data Access logs are audit checks.
`;
  writeFileSync(join(ROOT, 'README.md'), text);
  console.log('examples/README.md');
}

function main(argv) {
  const wanted = argv.length > 0 ? new Set(argv) : undefined;
  const names = new Set(EXAMPLES.map((e) => e.name));
  for (const n of wanted ?? []) if (!names.has(n) && n !== 'healthy') throw new Error(`unknown example ${n}`);

  if (!wanted || wanted.has('healthy')) {
    writeFileSync(join(HEALTHY, 'expected.json'), `${JSON.stringify(HEALTHY_EXPECTED, null, 2)}\n`);
    console.log('examples/healthy/expected.json');
  }
  for (const example of EXAMPLES) {
    if (wanted && !wanted.has(example.name)) continue;
    if (example.name === 'healthy') throw new Error('examples/healthy is not generated');
    const bundle = new Bundle(loadHealthy());
    example.patch(bundle);
    const dir = join(ROOT, example.name);
    bundle.write(dir);
    writeFileSync(join(dir, 'expected.json'), `${JSON.stringify(expectedOf(example), null, 2)}\n`);
    console.log(`examples/${example.name}/`);
  }
  if (!wanted) writeReadme();
}

if (!existsSync(HEALTHY)) throw new Error(`missing ${HEALTHY}`);
main(process.argv.slice(2));
