// Kubernetes objects from a bundle's k8s/*.json files, indexed once so every subject's lookups are O(1)
// (a cluster may hold 20,000 KSAs and 50,000 pods). Which kinds are known complete follows docs/bundle.md:
// the manifest's `k8sKinds`, or, without it, every kind that appears in the files.

import { absent, factError, notCollected, present } from '../../model/facts.js';
import type { Fact, K8sFacts } from '../../model/facts.js';
import { K8S_KINDS, KIND_TO_RESOURCE } from '../../model/k8s/types.js';
import type { K8sKind, KObject, Pod } from '../../model/k8s/types.js';
import { commands } from './layout.js';

export type KindStatus = { status: 'complete' } | { status: 'error'; message: string } | { status: 'not-collected' };

const RESOURCE_TO_KIND = new Map<K8sKind, string>(
  Object.entries(KIND_TO_RESOURCE).map(([kind, resource]) => [resource, kind]),
);

/** `k8sKinds` entries are plural resource names; also accept a Kind (`Pod`) for hand-written manifests. */
export function toK8sKind(value: string): K8sKind | undefined {
  const lower = value.toLowerCase();
  if ((K8S_KINDS as readonly string[]).includes(lower)) return lower as K8sKind;
  return KIND_TO_RESOURCE[value];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const key = (...parts: string[]) => parts.join('\u0000');

export class K8sIndex implements K8sFacts {
  private readonly byKind = new Map<K8sKind, KObject[]>();
  private readonly byName = new Map<string, KObject>();
  private readonly byNamespace = new Map<string, KObject[]>();
  private readonly podsBySa = new Map<string, Pod[]>();
  private readonly kindStatus = new Map<K8sKind, KindStatus>();
  readonly notes: string[] = [];

  /** Kinds that appear in the files (for the no-`k8sKinds` rule). */
  private readonly seen = new Set<K8sKind>();

  /** Add the content of one k8s file: a List (`items`) or a single object, of any kinds. */
  addFile(source: string, json: unknown): void {
    if (!isRecord(json)) {
      this.notes.push(`ignored ${source}: not a Kubernetes object or List`);
      return;
    }
    const items = Array.isArray(json.items) ? (json.items as unknown[]) : [json];
    // API lists (`PodList`) may omit each item's kind; kubectl's `List` always sets it.
    const listKind = typeof json.kind === 'string' && json.kind.endsWith('List') ? json.kind.slice(0, -4) : '';
    const ignored = new Map<string, number>();
    for (const item of items) {
      if (!isRecord(item)) continue;
      const kindName = typeof item.kind === 'string' && item.kind !== '' ? item.kind : listKind;
      const kind = KIND_TO_RESOURCE[kindName];
      const meta = item.metadata;
      if (kind === undefined || !isRecord(meta) || typeof meta.name !== 'string') {
        const label = kind === undefined ? `kind ${kindName || '(none)'}` : `${kindName} without metadata.name`;
        ignored.set(label, (ignored.get(label) ?? 0) + 1);
        continue;
      }
      this.add(kind, item as unknown as KObject);
    }
    for (const [label, n] of ignored) this.notes.push(`ignored ${n} object(s) of ${label} in ${source}`);
  }

  private add(kind: K8sKind, obj: KObject): void {
    const ns = obj.metadata.namespace ?? '';
    const k = key(kind, ns, obj.metadata.name);
    // The same object in two files (e.g. `kubectl get all` and `kubectl get pods`) counts once.
    if (this.byName.has(k)) return;
    this.byName.set(k, obj);
    this.seen.add(kind);
    push(this.byKind, kind, obj);
    push(this.byNamespace, key(kind, ns), obj);
    if (kind === 'pods') {
      const spec = (obj as Pod).spec as Pod['spec'] | undefined;
      const sa = spec?.serviceAccountName ?? spec?.serviceAccount ?? 'default';
      push(this.podsBySa, key(ns, sa), obj as Pod);
    }
  }

  /**
   * Fix each kind's status once all files are in. `unreadable` maps kinds to the error of a k8s file that
   * could not be read: its objects are missing, so "not there" must not become "known absent".
   */
  finish(k8sKinds: readonly string[] | undefined, errors: Record<string, string>, unreadable: string[]): void {
    let listed: Set<K8sKind>;
    if (k8sKinds) {
      listed = new Set();
      for (const entry of k8sKinds) {
        const kind = toK8sKind(entry);
        if (kind) listed.add(kind);
        else this.notes.push(`ignored unknown kind "${entry}" in bundle.json k8sKinds`);
      }
    } else {
      listed = this.seen;
    }
    for (const kind of K8S_KINDS) {
      const error = errors[`k8s:${kind}`];
      if (error !== undefined) this.kindStatus.set(kind, { status: 'error', message: error });
      else if (!listed.has(kind)) this.kindStatus.set(kind, { status: 'not-collected' });
      else if (unreadable.length > 0) {
        this.kindStatus.set(kind, {
          status: 'error',
          message: `some Kubernetes files could not be read (${unreadable.join('; ')})`,
        });
      } else this.kindStatus.set(kind, { status: 'complete' });
    }
  }

  /** The fact for a kind that is not complete, or undefined when it is. */
  private unavailable<T>(kind: K8sKind): Fact<T> | undefined {
    const status = this.kindStatus.get(kind) ?? { status: 'not-collected' };
    const source = `k8s:${kind}`;
    if (status.status === 'complete') return undefined;
    if (status.status === 'error') return factError(source, status.message);
    return notCollected(source, `not collected: Kubernetes ${kind} (${commands.k8s(kind)})`);
  }

  status(kind: K8sKind): KindStatus {
    return this.kindStatus.get(kind) ?? { status: 'not-collected' };
  }

  list<T extends KObject = KObject>(kind: K8sKind): Fact<readonly T[]> {
    return this.unavailable(kind) ?? present((this.byKind.get(kind) ?? []) as T[], `k8s:${kind}`);
  }

  get<T extends KObject = KObject>(kind: K8sKind, namespace: string | undefined, name: string): Fact<T> {
    const found = this.byName.get(key(kind, namespace ?? '', name));
    // An object that was seen is a fact even when its kind was not fully collected.
    if (found) return present(found as T, `k8s:${kind}`);
    const what = `${RESOURCE_TO_KIND.get(kind) ?? kind} ${namespace ? `${namespace}/` : ''}${name}`;
    return this.unavailable(kind) ?? absent(`k8s:${kind}`, `no ${what} in the collected ${kind}`);
  }

  inNamespace<T extends KObject = KObject>(kind: K8sKind, namespace: string): Fact<readonly T[]> {
    return this.unavailable(kind) ?? present((this.byNamespace.get(key(kind, namespace)) ?? []) as T[], `k8s:${kind}`);
  }

  podsOfServiceAccount(namespace: string, ksa: string): Fact<readonly Pod[]> {
    return this.unavailable('pods') ?? present(this.podsBySa.get(key(namespace, ksa)) ?? [], 'k8s:pods');
  }
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
