// The Kubernetes object store of one cluster: objects by resource and namespace/name, a global
// resourceVersion, uids and creation timestamps assigned on write, lists kept sorted for stable paging.

import type { KObject } from '../../model/k8s/types.js';
import type { Prng } from '../prng.js';

export class KubeStore {
  private readonly byResource = new Map<string, Map<string, KObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private rv = 1000;

  constructor(
    private readonly prng: Prng,
    private readonly now: () => number,
  ) {}

  get resourceVersion(): string {
    return String(this.rv);
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
    return obj;
  }

  delete(resource: string, namespace: string | undefined, name: string): boolean {
    const removed = this.byResource.get(resource)?.delete(key(namespace, name)) ?? false;
    if (removed) {
      this.rv += 1;
      this.sortedKeys.delete(resource);
    }
    return removed;
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
