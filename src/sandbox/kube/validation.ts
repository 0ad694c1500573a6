// The API server's validation of the fields the sandbox acts on: names, pod containers, workload selectors
// and replica counts. A failure is a 422 Invalid Status, worded as field.ErrorList words it
// (`Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`).

import type { SandboxResponse } from '../http/router.js';
import { kubeStatus } from '../http/errors.js';
import { arr, at, isObject, num, obj, str, type JsonObject } from './json.js';
import type { ResourceDef } from './resources.js';

export interface FieldError {
  field: string;
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueNotSupported';
  detail: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** A Go `%#v`-style rendering of a value, as field.Invalid quotes it. */
function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isObject(v)) {
    const entries = Object.entries(v)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, val]) => `${JSON.stringify(k)}:${JSON.stringify(val)}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(v);
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', detail: `Invalid value: ${goValue(value)}: ${detail}` };
}

export function required(field: string, what = ''): FieldError {
  return { field, type: 'FieldValueRequired', detail: what === '' ? 'Required value' : `Required value: ${what}` };
}

export function validateName(kind: string, name: string): FieldError[] {
  if (name === '') return [required('metadata.name', 'name or generateName is required')];
  if (LABEL_NAMED.has(kind)) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) return [invalid('metadata.name', name, LABEL_MSG)];
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return [invalid('metadata.name', name, SUBDOMAIN_MSG)];
  return [];
}

function validatePodSpec(spec: JsonObject, prefix: string): FieldError[] {
  const errs: FieldError[] = [];
  const containers = arr(spec.containers).map(obj);
  if (containers.length === 0) errs.push(required(`${prefix}.containers`));
  const names = new Set<string>();
  containers.forEach((ct, i) => {
    const p = `${prefix}.containers[${i}]`;
    const name = str(ct.name);
    if (name === '') errs.push(required(`${p}.name`));
    else if (!DNS1123_LABEL.test(name) || name.length > 63) errs.push(invalid(`${p}.name`, name, LABEL_MSG));
    else if (names.has(name))
      errs.push({
        field: `${p}.name`,
        type: 'FieldValueDuplicate',
        detail: `Duplicate value: ${JSON.stringify(name)}`,
      });
    names.add(name);
    if (str(ct.image) === '') errs.push(required(`${p}.image`));
  });
  return errs;
}

function matchLabelsFit(selector: unknown, labels: unknown): boolean {
  const want = obj(at(selector, 'matchLabels'));
  const have = obj(labels);
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** Kind-specific validation of an object about to be stored. */
export function validateObject(kind: string, o: JsonObject): FieldError[] {
  const errs: FieldError[] = [...validateName(kind, str(at(o, 'metadata', 'name')))];
  const spec = obj(o.spec);
  switch (kind) {
    case 'Pod':
      errs.push(...validatePodSpec(spec, 'spec'));
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet': {
      if (spec.replicas !== undefined && num(spec.replicas) < 0)
        errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
      if (spec.selector === undefined || Object.keys(obj(spec.selector)).length === 0)
        errs.push(required('spec.selector'));
      const labels = at(spec, 'template', 'metadata', 'labels');
      if (spec.selector !== undefined && !matchLabelsFit(spec.selector, labels))
        errs.push(
          invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'),
        );
      errs.push(...validatePodSpec(obj(at(spec, 'template', 'spec')), 'spec.template.spec'));
      break;
    }
    case 'Job':
      errs.push(...validatePodSpec(obj(at(spec, 'template', 'spec')), 'spec.template.spec'));
      break;
    case 'CronJob':
      if (str(spec.schedule) === '') errs.push(required('spec.schedule'));
      errs.push(
        ...validatePodSpec(
          obj(at(spec, 'jobTemplate', 'spec', 'template', 'spec')),
          'spec.jobTemplate.spec.template.spec',
        ),
      );
      break;
    case 'ClusterRole':
      arr(o.rules).forEach((r, i) => errs.push(...validatePolicyRule(obj(r), `rules[${i}]`)));
      break;
    case 'ClusterRoleBinding':
      errs.push(...validateClusterRoleBinding(o));
      break;
    default:
      break;
  }
  return errs;
}

function notSupported(field: string, value: string, supported: readonly string[]): FieldError {
  const list = supported.map((v) => JSON.stringify(v)).join(', ');
  return {
    field,
    type: 'FieldValueNotSupported',
    detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${list}`,
  };
}

/** RBAC's rule validation (a cluster-wide rule): verbs always; API groups and resources unless non-resource URLs. */
function validatePolicyRule(rule: JsonObject, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (arr(rule.verbs).length === 0) errs.push(required(`${p}.verbs`, 'verbs must contain at least one value'));
  const urls = arr(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (arr(rule.apiGroups).length > 0 || arr(rule.resources).length > 0 || arr(rule.resourceNames).length > 0)
      errs.push(
        invalid(`${p}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'),
      );
    return errs;
  }
  if (arr(rule.apiGroups).length === 0)
    errs.push(required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
  if (arr(rule.resources).length === 0)
    errs.push(required(`${p}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

/**
 * A ClusterRoleBinding refers to a ClusterRole of RBAC's group; a ServiceAccount subject names its namespace. An
 * empty roleRef.apiGroup, and a User or Group subject's, is defaulted to RBAC's group (rbac/v1 defaulting).
 */
function validateClusterRoleBinding(o: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj(o.roleRef);
  if (!['', 'rbac.authorization.k8s.io'].includes(str(ref.apiGroup)))
    errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), ['rbac.authorization.k8s.io']));
  if (str(ref.kind) !== 'ClusterRole') errs.push(notSupported('roleRef.kind', str(ref.kind), ['ClusterRole']));
  if (str(ref.name) === '') errs.push(required('roleRef.name'));
  arr(o.subjects).forEach((raw, i) => {
    const s = obj(raw);
    const p = `subjects[${i}]`;
    if (str(s.name) === '') errs.push(required(`${p}.name`));
    switch (str(s.kind)) {
      case 'ServiceAccount':
        if (str(s.apiGroup) !== '') errs.push(notSupported(`${p}.apiGroup`, str(s.apiGroup), ['']));
        if (str(s.namespace) === '') errs.push(required(`${p}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (!['', 'rbac.authorization.k8s.io'].includes(str(s.apiGroup)))
          errs.push(notSupported(`${p}.apiGroup`, str(s.apiGroup), ['rbac.authorization.k8s.io']));
        break;
      default:
        errs.push(notSupported(`${p}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

/** The 422 Status for a list of field errors. */
export function invalidStatus(
  def: Pick<ResourceDef, 'kind' | 'group'>,
  name: string,
  errs: FieldError[],
): SandboxResponse {
  const qualified = def.group === '' ? def.kind : `${def.kind}.${def.group}`;
  const parts = errs.map((e) => `${e.field}: ${e.detail}`);
  const list = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return kubeStatus(422, 'Invalid', `${qualified} "${name}" is invalid: ${list}`, {
    name,
    group: def.group === '' ? undefined : def.group,
    kind: def.kind,
    causes: errs.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}
