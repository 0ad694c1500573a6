// Events (core/v1), as the controllers, the scheduler and the kubelet record them: one object per distinct
// (object, reason, message), its count and lastTimestamp bumped when it happens again, as client-go's event
// correlator does. events.k8s.io/v1 reads the same events in its own field names.

import type { KObject } from '../../model/k8s/types.js';
import { at, num, obj, str, type JsonObject } from './json.js';
import { kubeTime } from './managed-fields.js';
import type { ClusterKube } from './objects.js';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  host?: string;
  fieldPath?: string;
}

export function recordEvent(c: ClusterKube, about: KObject, e: EventSpec): void {
  const namespace = about.metadata.namespace ?? 'default';
  const now = kubeTime(c.now());
  const same = c.store
    .list<KObject & JsonObject>('events', namespace)
    .find(
      (ev) =>
        str(at(ev, 'involvedObject', 'uid')) === (about.metadata.uid ?? '') &&
        str(ev.reason) === e.reason &&
        str(ev.message) === e.message,
    );
  if (same) {
    same.count = num(same.count) + 1;
    same.lastTimestamp = now;
    c.store.put('events', same);
    return;
  }
  const involved: JsonObject = {
    kind: about.kind,
    namespace,
    name: about.metadata.name,
    uid: about.metadata.uid,
    apiVersion: about.apiVersion,
    resourceVersion: about.metadata.resourceVersion,
  };
  if (e.fieldPath !== undefined) involved.fieldPath = e.fieldPath;
  // The name's suffix is the time in nanoseconds, in hex, as client-go's recorder writes it.
  const suffix = (BigInt(c.now()) * 1_000_000n + BigInt(Math.floor(c.prng.next() * 1_000_000))).toString(16);
  const event: JsonObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${about.metadata.name}.${suffix}`, namespace },
    involvedObject: involved,
    reason: e.reason,
    message: e.message,
    source: e.host !== undefined ? { component: e.component, host: e.host } : { component: e.component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.host ?? '',
  };
  c.store.put('events', event as unknown as KObject);
}

/** A core/v1 Event as events.k8s.io/v1 names its fields. */
export function asEventsV1(ev: JsonObject): JsonObject {
  const source = obj(ev.source);
  const out: JsonObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: ev.metadata,
    eventTime: ev.eventTime ?? null,
    reportingController: str(ev.reportingComponent) || str(source.component),
    reportingInstance: str(ev.reportingInstance) || str(source.host),
    reason: ev.reason,
    regarding: ev.involvedObject,
    note: ev.message,
    type: ev.type,
    deprecatedSource: source,
    deprecatedFirstTimestamp: ev.firstTimestamp,
    deprecatedLastTimestamp: ev.lastTimestamp,
    deprecatedCount: ev.count,
  };
  return out;
}
