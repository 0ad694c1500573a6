// The Kubernetes object store of one cluster: objects by resource and namespace/name, a global
// resourceVersion, uids and creation timestamps assigned on write, lists kept sorted for stable paging, and
// every change told to the watchers (ADDED, MODIFIED, DELETED with the object as it then was).

import type { KObject } from '../../model/k8s/types.js';
import type { Prng } from '../prng.js';

const HISTORY = 5000;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: string;
  object: KObject;
}

export class KubeStore {
  private readonly byResource = new Map<string, Map<string, KObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly watchers = new Set<(e: StoreEvent) => void>();
  private rv = 1000;
  /** Changes kept for watches that start from a resourceVersion; undefined until recording starts. */
  private history: StoreEvent[] | undefined;
  private historyFloor = 0;

  constructor(
    private readonly prng: Prng,
    private readonly now: () => number,
  ) {}

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Calls `fn` after every change; returns the function that stops it. */
  watch(fn: (e: StoreEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Keeps the last changes from now on (a scenario's own build is not history). */
  startHistory(): void {
    this.history = [];
    this.historyFloor = this.rv;
  }

  /** The changes to a resource after `rv`, or undefined when they are no longer known (too old). */
  historySince(resource: string, rv: number): StoreEvent[] | undefined {
    if (this.history === undefined || rv < this.historyFloor) return rv >= this.rv ? [] : undefined;
    return this.history.filter((e) => e.resource === resource && Number(e.object.metadata.resourceVersion) > rv);
  }

  private emit(type: WatchEventType, resource: string, object: KObject): void {
    if (this.watchers.size === 0 && this.history === undefined) return;
    const e: StoreEvent = { type, resource, object: structuredClone(object) };
    if (this.history) {
      this.history.push(e);
      if (this.history.length > HISTORY) {
        const dropped = this.history.splice(0, this.history.length - HISTORY);
        this.historyFloor = Number(dropped[dropped.length - 1]?.object.metadata.resourceVersion ?? this.historyFloor);
      }
    }
    for (const fn of [...this.watchers]) fn(e);
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the kind they stored
  get<T extends KObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    return this.byResource.get(resource)?.get(key(namespace, name)) as T | undefined;
  }

  /** All objects of a resource, optionally in one namespace, sorted by namespace/name. */
  list<T extends KObject>(resource: string, namespace?: string): T[] {
    const map = this.byResource.get(resource);
    if (!map) return [];
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      keys = [...map.keys()].sort();
      this.sortedKeys.set(resource, keys);
    }
    const out: T[] = [];
    for (const k of keys) {
      const o = map.get(k);
      if (o && (namespace === undefined || o.metadata.namespace === namespace)) out.push(o as T);
    }
    return out;
  }

  /** Creates or replaces; keeps uid and creationTimestamp of the object it replaces. */
  put<T extends KObject>(resource: string, obj: T): T {
    let map = this.byResource.get(resource);
    if (!map) {
      map = new Map();
      this.byResource.set(resource, map);
    }
    const k = key(obj.metadata.namespace, obj.metadata.name);
    const prev = map.get(k);
    this.rv += 1;
    obj.metadata.uid = prev?.metadata.uid ?? obj.metadata.uid ?? this.prng.uuid();
    obj.metadata.creationTimestamp =
      prev?.metadata.creationTimestamp ??
      obj.metadata.creationTimestamp ??
      new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.resourceVersion = String(this.rv);
    if (!prev) this.sortedKeys.delete(resource);
    map.set(k, obj);
    this.emit(prev ? 'MODIFIED' : 'ADDED', resource, obj);
    return obj;
  }

  delete(resource: string, namespace: string | undefined, name: string): boolean {
    const map = this.byResource.get(resource);
    const k = key(namespace, name);
    const obj = map?.get(k);
    if (!map || !obj) return false;
    map.delete(k);
    this.rv += 1;
    this.sortedKeys.delete(resource);
    obj.metadata.resourceVersion = String(this.rv);
    this.emit('DELETED', resource, obj);
    return true;
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
