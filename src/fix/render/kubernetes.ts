// Renderers for changes to Kubernetes objects: service accounts, workloads and network policies.

import type { LabelSelector } from '../../model/k8s/types.js';
import { WI_ANNOTATION } from '../../model/k8s/types.js';
import type { FixPlan } from '../../model/results.js';
import { attr, block, renderHcl, resourceName } from './hcl.js';
import type { HclItem } from './hcl.js';
import { flag, shellArg, singleQuote } from './shell.js';
import { FixPlanError, KUBECTL_KIND, WORKLOAD_KINDS, parseObject } from './targets.js';
import type { ObjectTarget, WorkloadKind } from './targets.js';
import { optionalParam, param } from './types.js';
import type { Rendered } from './types.js';

const SERVICE_ACCOUNTS = ['serviceaccounts'] as const;

function nsFlag(namespace: string): string {
  return flag('namespace', namespace);
}

function annotateCommand(name: string, namespace: string, key: string, value: string): string {
  return `kubectl annotate serviceaccount ${shellArg(name)} ${nsFlag(namespace)} ${shellArg(`${key}=${value}`)} --overwrite`;
}

export function annotateServiceAccount(plan: FixPlan): Rendered {
  const sa = parseObject(plan.action, plan.target, SERVICE_ACCOUNTS);
  const key = param(plan, 'key');
  const value = param(plan, 'value');
  return {
    gcloud: null,
    kubectl: annotateCommand(sa.name, sa.namespace, key, value),
    terraform: renderHcl([
      // kubernetes_annotations changes one object Terraform need not own (hashicorp/kubernetes provider).
      block(
        'resource',
        ['kubernetes_annotations', resourceName(sa.namespace, sa.name, 'annotations')],
        [
          attr('api_version', 'v1'),
          attr('kind', 'ServiceAccount'),
          block('metadata', [], [attr('name', sa.name), attr('namespace', sa.namespace)]),
          attr('annotations', { map: { [key]: value } }),
          // Like --overwrite: take over a value another manager set.
          attr('force', true),
        ],
      ),
    ]),
  };
}

export function removeAnnotation(plan: FixPlan): Rendered {
  const sa = parseObject(plan.action, plan.target, SERVICE_ACCOUNTS);
  const key = param(plan, 'key');
  return {
    gcloud: null,
    kubectl: `kubectl annotate serviceaccount ${shellArg(sa.name)} ${nsFlag(sa.namespace)} ${shellArg(`${key}-`)}`,
    terraform: null,
  };
}

export function createKubernetesServiceAccount(plan: FixPlan): Rendered {
  const sa = parseObject(plan.action, plan.target, SERVICE_ACCOUNTS);
  const annotationValue = optionalParam(plan, 'annotationValue');
  const create = `kubectl create serviceaccount ${shellArg(sa.name)} ${nsFlag(sa.namespace)}`;
  const metadata: HclItem[] = [attr('name', sa.name), attr('namespace', sa.namespace)];
  if (annotationValue !== undefined) metadata.push(attr('annotations', { map: { [WI_ANNOTATION]: annotationValue } }));
  return {
    gcloud: null,
    kubectl:
      annotationValue === undefined
        ? create
        : `${create} && ${annotateCommand(sa.name, sa.namespace, WI_ANNOTATION, annotationValue)}`,
    terraform: renderHcl([
      block(
        'resource',
        ['kubernetes_service_account', resourceName(sa.namespace, sa.name)],
        [block('metadata', [], metadata)],
      ),
    ]),
  };
}

/** The JSON path of the pod spec inside a workload, as nested keys; undefined for pods. */
function podSpecPath(kind: WorkloadKind): string[] | undefined {
  switch (kind) {
    case 'cronjobs':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    case 'pods':
      return undefined;
    default:
      return ['spec', 'template', 'spec'];
  }
}

function nest(path: readonly string[], leaf: Record<string, unknown>): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), leaf);
}

function mergePatch(w: ObjectTarget<WorkloadKind>, podSpec: Record<string, unknown>): string | null {
  const path = podSpecPath(w.kind);
  if (path === undefined) return null;
  const patch = JSON.stringify(nest(path, podSpec));
  return `kubectl patch ${KUBECTL_KIND[w.kind]} ${shellArg(w.name)} ${nsFlag(w.namespace)} --type=merge -p ${singleQuote(patch)}`;
}

/** Why a change to the pod template cannot be made in place, for the kinds where it cannot. */
function immutableNote(w: ObjectTarget<WorkloadKind>, change: string): string | undefined {
  if (w.kind === 'pods') {
    return `A pod's ${change} cannot be changed in place: change it in the pod's manifest (or its owner's) and recreate pod ${w.namespace}/${w.name}.`;
  }
  if (w.kind === 'jobs') {
    return `A Job's pod template is immutable: change ${change} in the manifest, then delete and recreate job ${w.namespace}/${w.name}.`;
  }
  return undefined;
}

export function setServiceAccountName(plan: FixPlan): Rendered {
  const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
  const serviceAccountName = param(plan, 'serviceAccountName');
  const note = immutableNote(w, 'serviceAccountName');
  const rendered: Rendered = {
    gcloud: null,
    kubectl: note === undefined ? mergePatch(w, { serviceAccountName }) : null,
    terraform: null,
  };
  if (note !== undefined) rendered.note = note;
  return rendered;
}

export function restartWorkload(plan: FixPlan): Rendered {
  const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
  switch (w.kind) {
    case 'pods':
      return {
        gcloud: null,
        kubectl: `kubectl delete pod ${shellArg(w.name)} ${nsFlag(w.namespace)}`,
        terraform: null,
      };
    case 'jobs':
    case 'cronjobs':
      return {
        gcloud: null,
        kubectl: null,
        terraform: null,
        note: `A ${w.kind === 'jobs' ? 'Job' : 'CronJob'} cannot be restarted: its next pods (${w.kind === 'jobs' ? 'after deleting and recreating the job' : 'at the next scheduled run'}) get the change.`,
      };
    default:
      return {
        gcloud: null,
        kubectl: `kubectl rollout restart ${shellArg(`${KUBECTL_KIND[w.kind]}/${w.name}`)} ${nsFlag(w.namespace)}`,
        terraform: null,
      };
  }
}

export function unsetHostNetwork(plan: FixPlan): Rendered {
  const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
  const note = immutableNote(w, 'hostNetwork');
  const rendered: Rendered = {
    gcloud: null,
    // false rather than removing the field: a merge patch then works whether or not it is set.
    kubectl: note === undefined ? mergePatch(w, { hostNetwork: false }) : null,
    terraform: null,
  };
  if (note !== undefined) rendered.note = note;
  return rendered;
}

export function removeCredentialOverride(plan: FixPlan): Rendered {
  const w = parseObject(plan.action, plan.target, WORKLOAD_KINDS);
  const container = param(plan, 'container');
  const env = optionalParam(plan, 'env');
  const volume = optionalParam(plan, 'volume');
  if (env === undefined && volume === undefined) {
    throw new FixPlanError(plan.action, plan.target, 'param "env" or "volume" is required');
  }
  const notes: string[] = [];
  let kubectl: string | null = null;
  const immutable = immutableNote(w, 'environment and volumes');
  if (immutable !== undefined) {
    notes.push(immutable);
  } else if (env !== undefined) {
    // `set env NAME-` removes the variable by name, where a JSON patch would need its index.
    kubectl = `kubectl set env ${shellArg(`${KUBECTL_KIND[w.kind]}/${w.name}`)} ${nsFlag(w.namespace)} ${flag('containers', container)} ${shellArg(`${env}-`)}`;
  }
  if (volume !== undefined) {
    notes.push(
      `Remove volume ${volume} and its volumeMounts in container ${container} from ${KUBECTL_KIND[w.kind]} ${w.namespace}/${w.name}'s manifest and apply it (no index-free kubectl command removes a volume).`,
    );
  }
  const rendered: Rendered = { gcloud: null, kubectl, terraform: null };
  if (notes.length > 0) rendered.note = notes.join(' ');
  return rendered;
}

function parseSelector(plan: FixPlan): LabelSelector {
  const text = param(plan, 'podSelector');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FixPlanError(plan.action, plan.target, `podSelector is not JSON: ${(e as Error).message}`);
  }
  if (!isLabelSelector(parsed)) {
    throw new FixPlanError(plan.action, plan.target, `podSelector ${text} is not a label selector`);
  }
  return parsed;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function isLabelSelector(v: unknown): v is LabelSelector {
  if (!isRecord(v)) return false;
  const { matchLabels, matchExpressions } = v;
  if (
    matchLabels !== undefined &&
    !(isRecord(matchLabels) && Object.values(matchLabels).every((s) => typeof s === 'string'))
  ) {
    return false;
  }
  if (matchExpressions === undefined) return true;
  return (
    Array.isArray(matchExpressions) &&
    matchExpressions.every(
      (e) =>
        isRecord(e) &&
        typeof e.key === 'string' &&
        typeof e.operator === 'string' &&
        (e.values === undefined || isStringArray(e.values)),
    )
  );
}

function selectorHcl(selector: LabelSelector): HclItem[] {
  const items: HclItem[] = [];
  if (selector.matchLabels !== undefined && Object.keys(selector.matchLabels).length > 0) {
    items.push(attr('match_labels', { map: selector.matchLabels }));
  }
  for (const e of selector.matchExpressions ?? []) {
    items.push(
      block(
        'match_expressions',
        [],
        [
          attr('key', e.key),
          attr('operator', e.operator),
          ...(e.values === undefined ? [] : [attr('values', e.values)]),
        ],
      ),
    );
  }
  return items;
}

export function allowMetadataEgress(plan: FixPlan): Rendered {
  const np = parseObject(plan.action, plan.target, ['networkpolicies'] as const);
  const podSelector = parseSelector(plan);
  const cidr = param(plan, 'cidr');
  const portText = param(plan, 'port');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FixPlanError(plan.action, plan.target, `port "${portText}" is not a port number`);
  }
  const manifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: np.name, namespace: np.namespace },
    spec: {
      podSelector,
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port }] }],
    },
  };
  // The manifest as one line of JSON in a single-quoted word, piped to kubectl: one line, one command, pasted
  // from anywhere with any indentation. A heredoc is not: an indented terminator line is no terminator, and
  // bash swallows every command pasted after it.
  return {
    gcloud: null,
    kubectl: `printf '%s\\n' ${singleQuote(JSON.stringify(manifest))} | kubectl apply -f -`,
    terraform: renderHcl([
      block(
        'resource',
        ['kubernetes_network_policy_v1', resourceName(np.namespace, np.name)],
        [
          block('metadata', [], [attr('name', np.name), attr('namespace', np.namespace)]),
          block(
            'spec',
            [],
            [
              block('pod_selector', [], selectorHcl(podSelector)),
              attr('policy_types', ['Egress']),
              block(
                'egress',
                [],
                [
                  block('to', [], [block('ip_block', [], [attr('cidr', cidr)])]),
                  // The provider types port as a string (it may name a port).
                  block('ports', [], [attr('protocol', 'TCP'), attr('port', String(port))]),
                ],
              ),
            ],
          ),
        ],
      ),
    ]),
  };
}
