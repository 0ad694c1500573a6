// Server-side printing: `kubectl get` asks for `application/json;as=Table;g=meta.k8s.io;v=v1` and prints the
// columns the server returns. Columns and cell rules carried over from the API server's printers (Kubernetes
// 1.32, pkg/printers/internalversion): names, types, which are wide-only (priority 1), and how each cell is
// computed (pod STATUS from container states, RESTARTS with "(5m ago)", ages as HumanDuration…).
// Descriptions are the sandbox's own.

import type { KObject, LabelSelector } from '../../model/k8s/types.js';
import { age, formatLabels, formatSelector, humanDuration, selectorString } from './format.js';
import { arr, at, num, obj, str, strMap, type JsonObject } from './json.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date';
  format?: 'name';
  priority?: 1;
  description: string;
}

type Cell = string | number | boolean;
type Printer = { columns: Column[]; row: (o: JsonObject, now: number) => Cell[] };

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name of the object.' };
const AGE: Column = { name: 'Age', type: 'string', description: 'Time since the object was created.' };
const wide = (name: string, description: string): Column => ({ name, type: 'string', priority: 1, description });
const CONTAINERS = wide('Containers', 'Names of the containers in the pod template.');
const IMAGES = wide('Images', 'Images of the containers in the pod template.');
const SELECTOR = wide('Selector', 'Label selector of the pods.');

const meta = (o: JsonObject): JsonObject => obj(o.metadata);
const created = (o: JsonObject, now: number): string => age(str(meta(o).creationTimestamp) || undefined, now);
const selector = (v: unknown): LabelSelector | undefined => v as LabelSelector | undefined;

function containerCells(template: unknown): [string, string] {
  const containers = arr(at(template, 'spec', 'containers')).map(obj);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

function podRow(pod: JsonObject, now: number): Cell[] {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  let reason = str(status.phase);
  if (str(status.reason) !== '') reason = str(status.reason);
  let restarts = 0;
  let lastRestart = 0;
  let ready = 0;
  let hasRunning = false;
  const statuses = arr(status.containerStatuses).map(obj);
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i] ?? {};
    restarts += num(c.restartCount);
    const finished = Date.parse(str(at(c, 'lastState', 'terminated', 'finishedAt')));
    if (!Number.isNaN(finished) && finished > lastRestart) lastRestart = finished;
    const waiting = at(c, 'state', 'waiting');
    const terminated = at(c, 'state', 'terminated');
    if (waiting !== undefined && str(at(waiting, 'reason')) !== '') reason = str(at(waiting, 'reason'));
    else if (terminated !== undefined && str(at(terminated, 'reason')) !== '') reason = str(at(terminated, 'reason'));
    else if (terminated !== undefined) {
      const signal = num(at(terminated, 'signal'));
      reason = signal !== 0 ? `Signal:${signal}` : `ExitCode:${num(at(terminated, 'exitCode'))}`;
    } else if (c.ready === true && at(c, 'state', 'running') !== undefined) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) {
    const readyCond = arr(status.conditions).some(
      (x) => str(at(x, 'type')) === 'Ready' && str(at(x, 'status')) === 'True',
    );
    reason = readyCond ? 'Running' : 'NotReady';
  }
  if (meta(pod).deletionTimestamp !== undefined && !['Succeeded', 'Failed'].includes(str(status.phase)))
    reason = 'Terminating';
  const restartText =
    restarts !== 0 && lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  const ip = str(at(arr(status.podIPs)[0], 'ip')) || str(status.podIP) || '<none>';
  const gates = arr(spec.readinessGates);
  let gateText = '<none>';
  if (gates.length > 0) {
    const conds = arr(status.conditions).map(obj);
    const trueCount = gates.filter((g) =>
      conds.some((c) => str(c.type) === str(at(g, 'conditionType')) && str(c.status) === 'True'),
    ).length;
    gateText = `${trueCount}/${gates.length}`;
  }
  return [
    str(meta(pod).name),
    `${ready}/${arr(spec.containers).length}`,
    reason,
    restartText,
    created(pod, now),
    ip,
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    gateText,
  ];
}

function nodeRow(node: JsonObject, now: number): Cell[] {
  const status = obj(node.status);
  const ready = arr(status.conditions)
    .map(obj)
    .find((c) => str(c.type) === 'Ready');
  const states = [ready ? (str(ready.status) === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (at(node, 'spec', 'unschedulable') === true) states.push('SchedulingDisabled');
  const roles: string[] = [];
  for (const [k, v] of Object.entries(strMap(meta(node).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.push(v);
  }
  const address = (type: string): string =>
    str(
      arr(status.addresses)
        .map(obj)
        .find((a) => str(a.type) === type)?.address,
    ) || '<none>';
  const info = obj(status.nodeInfo);
  return [
    str(meta(node).name),
    states.join(','),
    roles.length > 0 ? roles.sort().join(',') : '<none>',
    created(node, now),
    str(info.kubeletVersion),
    address('InternalIP'),
    address('ExternalIP'),
    str(info.osImage) || '<unknown>',
    str(info.kernelVersion) || '<unknown>',
    str(info.containerRuntimeVersion) || '<unknown>',
  ];
}

function eventRow(e: JsonObject, now: number): Cell[] {
  const first =
    str(e.firstTimestamp) !== '' ? age(str(e.firstTimestamp), now) : age(str(e.eventTime) || undefined, now);
  const last = str(e.lastTimestamp) !== '' ? age(str(e.lastTimestamp), now) : first;
  const count = num(e.count) === 0 ? 1 : num(e.count);
  const involved = obj(e.involvedObject);
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) !== '' ? `${kind}/${str(involved.name)}` : kind;
  const source = obj(e.source);
  const component = str(source.component) || str(e.reportingComponent);
  const host = str(source.host) || str(e.reportingInstance);
  return [
    last,
    str(e.type),
    str(e.reason),
    target,
    str(involved.fieldPath),
    host !== '' ? `${component}, ${host}` : component,
    str(e.message).trim(),
    first,
    count,
    str(meta(e).name),
  ];
}

function servicePorts(svc: JsonObject): string {
  const ports = arr(at(svc, 'spec', 'ports')).map(obj);
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) =>
      num(p.nodePort) > 0
        ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol) || 'TCP'}`
        : `${num(p.port)}/${str(p.protocol) || 'TCP'}`,
    )
    .join(',');
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'Ready containers out of all containers.' },
      { name: 'Status', type: 'string', description: 'What the pod is doing, from its phase and container states.' },
      { name: 'Restarts', type: 'string', description: 'Container restarts, and how long ago the last one was.' },
      AGE,
      wide('IP', 'The pod IP address.'),
      wide('Node', 'The node the pod runs on.'),
      wide('Nominated Node', 'The node the scheduler nominated for preemption.'),
      wide('Readiness Gates', 'Readiness gates that are true, out of all.'),
    ],
    row: podRow,
  },
  Node: {
    columns: [
      NAME,
      { name: 'Status', type: 'string', description: 'Whether the node is Ready.' },
      { name: 'Roles', type: 'string', description: 'Roles from node-role labels.' },
      AGE,
      { name: 'Version', type: 'string', description: 'Kubelet version.' },
      wide('Internal-IP', 'Internal address.'),
      wide('External-IP', 'External address.'),
      wide('OS-Image', 'Operating system image.'),
      wide('Kernel-Version', 'Kernel version.'),
      wide('Container-Runtime', 'Container runtime and version.'),
    ],
    row: nodeRow,
  },
  Namespace: {
    columns: [NAME, { name: 'Status', type: 'string', description: 'Namespace phase.' }, AGE],
    row: (o, now) => [str(meta(o).name), str(at(o, 'status', 'phase')), created(o, now)],
  },
  ServiceAccount: {
    columns: [NAME, { name: 'Secrets', type: 'string', description: 'Number of secrets listed.' }, AGE],
    row: (o, now) => [str(meta(o).name), arr(o.secrets).length, created(o, now)],
  },
  Deployment: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'Ready replicas out of desired.' },
      { name: 'Up-to-date', type: 'string', description: 'Replicas running the current template.' },
      { name: 'Available', type: 'string', description: 'Replicas available to serve.' },
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const [names, images] = containerCells(spec.template);
      return [
        str(meta(o).name),
        `${num(status.readyReplicas)}/${num(spec.replicas)}`,
        num(status.updatedReplicas),
        num(status.availableReplicas),
        created(o, now),
        names,
        images,
        selectorString(selector(spec.selector)),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      NAME,
      { name: 'Desired', type: 'integer', description: 'Desired replicas.' },
      { name: 'Current', type: 'integer', description: 'Replicas created.' },
      { name: 'Ready', type: 'integer', description: 'Ready replicas.' },
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const [names, images] = containerCells(spec.template);
      return [
        str(meta(o).name),
        num(spec.replicas),
        num(status.replicas),
        num(status.readyReplicas),
        created(o, now),
        names,
        images,
        formatSelector(selector(spec.selector)),
      ];
    },
  },
  DaemonSet: {
    columns: [
      NAME,
      { name: 'Desired', type: 'integer', description: 'Nodes that should run the pod.' },
      { name: 'Current', type: 'integer', description: 'Nodes running the pod.' },
      { name: 'Ready', type: 'integer', description: 'Nodes with the pod ready.' },
      { name: 'Up-to-date', type: 'integer', description: 'Nodes running the current template.' },
      { name: 'Available', type: 'integer', description: 'Nodes with the pod available.' },
      { name: 'Node Selector', type: 'string', description: 'Node selector of the pod template.' },
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const [names, images] = containerCells(spec.template);
      return [
        str(meta(o).name),
        num(status.desiredNumberScheduled),
        num(status.currentNumberScheduled),
        num(status.numberReady),
        num(status.updatedNumberScheduled),
        num(status.numberAvailable),
        formatLabels(strMap(at(spec.template, 'spec', 'nodeSelector'))),
        created(o, now),
        names,
        images,
        formatSelector(selector(spec.selector)),
      ];
    },
  },
  StatefulSet: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'Ready replicas out of desired.' },
      AGE,
      CONTAINERS,
      IMAGES,
    ],
    row: (o, now) => {
      const [names, images] = containerCells(at(o, 'spec', 'template'));
      return [
        str(meta(o).name),
        `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'))}`,
        created(o, now),
        names,
        images,
      ];
    },
  },
  Job: {
    columns: [
      NAME,
      { name: 'Status', type: 'string', description: 'Complete, Failed, Suspended or Running.' },
      { name: 'Completions', type: 'string', description: 'Succeeded pods out of completions.' },
      { name: 'Duration', type: 'string', description: 'How long the job ran.' },
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const succeeded = num(status.succeeded);
      const completions =
        spec.completions !== undefined
          ? `${succeeded}/${num(spec.completions)}`
          : num(spec.parallelism) > 1
            ? `${succeeded}/1 of ${num(spec.parallelism)}`
            : `${succeeded}/1`;
      const start = Date.parse(str(status.startTime));
      const end = Date.parse(str(status.completionTime));
      const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? now : end) - start);
      const cond = (t: string): boolean =>
        arr(status.conditions).some((c) => str(at(c, 'type')) === t && str(at(c, 'status')) === 'True');
      const state = cond('Complete')
        ? 'Complete'
        : cond('Failed')
          ? 'Failed'
          : meta(o).deletionTimestamp !== undefined
            ? 'Terminating'
            : cond('Suspended')
              ? 'Suspended'
              : cond('FailureTarget')
                ? 'FailureTarget'
                : 'Running';
      const [names, images] = containerCells(spec.template);
      return [
        str(meta(o).name),
        state,
        completions,
        duration,
        created(o, now),
        names,
        images,
        formatSelector(selector(spec.selector)),
      ];
    },
  },
  CronJob: {
    columns: [
      NAME,
      { name: 'Schedule', type: 'string', description: 'Cron schedule.' },
      { name: 'Timezone', type: 'string', description: 'Time zone of the schedule.' },
      { name: 'Suspend', type: 'boolean', description: 'Whether runs are suspended.' },
      { name: 'Active', type: 'integer', description: 'Jobs running now.' },
      { name: 'Last Schedule', type: 'string', description: 'Time since the last run was scheduled.' },
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const jobSpec = obj(at(spec.jobTemplate, 'spec'));
      const [names, images] = containerCells(jobSpec.template);
      const last = str(status.lastScheduleTime);
      return [
        str(meta(o).name),
        str(spec.schedule),
        str(spec.timeZone) || '<none>',
        spec.suspend === true ? 'True' : 'False',
        arr(status.active).length,
        last !== '' ? age(last, now) : '<none>',
        created(o, now),
        names,
        images,
        formatSelector(selector(jobSpec.selector)),
      ];
    },
  },
  Service: {
    columns: [
      NAME,
      { name: 'Type', type: 'string', description: 'Service type.' },
      { name: 'Cluster-IP', type: 'string', description: 'Cluster IP address.' },
      { name: 'External-IP', type: 'string', description: 'External addresses.' },
      { name: 'Port(s)', type: 'string', description: 'Ports and protocols.' },
      AGE,
      wide('Selector', 'Pods the service selects.'),
    ],
    row: (o, now) => {
      const spec = obj(o.spec);
      const type = str(spec.type) || 'ClusterIP';
      const external = arr(spec.externalIPs).map(str);
      const ext =
        type === 'ExternalName'
          ? str(spec.externalName)
          : external.length > 0
            ? external.join(',')
            : type === 'LoadBalancer'
              ? '<pending>'
              : '<none>';
      return [
        str(meta(o).name),
        type,
        str(spec.clusterIP) || '<none>',
        ext,
        servicePorts(o),
        created(o, now),
        formatLabels(strMap(spec.selector)),
      ];
    },
  },
  ConfigMap: {
    columns: [NAME, { name: 'Data', type: 'string', description: 'Number of keys.' }, AGE],
    row: (o, now) => [
      str(meta(o).name),
      Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length,
      created(o, now),
    ],
  },
  Secret: {
    columns: [
      NAME,
      { name: 'Type', type: 'string', description: 'Secret type.' },
      { name: 'Data', type: 'string', description: 'Number of keys.' },
      AGE,
    ],
    row: (o, now) => [str(meta(o).name), str(o.type), Object.keys(obj(o.data)).length, created(o, now)],
  },
  NetworkPolicy: {
    columns: [NAME, { name: 'Pod-Selector', type: 'string', description: 'Pods the policy applies to.' }, AGE],
    row: (o, now) => [str(meta(o).name), formatSelector(selector(at(o, 'spec', 'podSelector'))), created(o, now)],
  },
  Event: {
    columns: [
      { name: 'Last Seen', type: 'string', description: 'Time since the event was last seen.' },
      { name: 'Type', type: 'string', description: 'Normal or Warning.' },
      { name: 'Reason', type: 'string', description: 'Short reason.' },
      { name: 'Object', type: 'string', description: 'The object the event is about.' },
      wide('Subobject', 'The part of the object, such as a container.'),
      wide('Source', 'The component that reported it.'),
      { name: 'Message', type: 'string', description: 'What happened.' },
      wide('First Seen', 'Time since the event was first seen.'),
      wide('Count', 'How many times it happened.'),
      { ...wide('Name', 'Name of the event.'), format: 'name' },
    ],
    row: eventRow,
  },
};

/** The default columns of kinds without a printer. */
const DEFAULT: Printer = {
  columns: [NAME, { name: 'Created At', type: 'date', description: 'When the object was created.' }],
  row: (o) => [str(meta(o).name), str(meta(o).creationTimestamp)],
};

export type IncludeObject = 'None' | 'Object' | 'PartialObjectMetadata';

function rowObject(o: KObject, include: IncludeObject): JsonObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o as unknown as JsonObject;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** A Table of objects of one kind. */
export function toTable(
  kind: string,
  items: KObject[],
  opts: { now: number; include: IncludeObject; noHeaders?: boolean; listMeta?: JsonObject },
): JsonObject {
  const printer = PRINTERS[kind] ?? DEFAULT;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
    columnDefinitions: opts.noHeaders
      ? null
      : printer.columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: c.description,
          priority: c.priority ?? 0,
        })),
    rows: items.map((o) => {
      const row: JsonObject = { cells: printer.row(o as unknown as JsonObject, opts.now) };
      const object = rowObject(o, opts.include);
      if (object) row.object = object;
      return row;
    }),
  };
}

/** Whether an Accept header asks for a Table (kubectl get: `application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0] ?? '';
  return /;\s*as=Table/.test(first) && /;\s*g=meta\.k8s\.io/.test(first);
}
