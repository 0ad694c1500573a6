// Kubernetes objects from a bundle's k8s/*.json files, indexed once so every subject's lookups are O(1)
// (a cluster may hold 20,000 KSAs and 50,000 pods). Which kinds are known complete follows the bundle format
// (docs/bundle.md): the manifest's `k8sKinds`, or, without it, every kind that appears in the files.
//
// Every object is validated against its kind's schema on the way in. One that does not validate is not
// indexed; it is kept as "broken" with what can still be told of it (kind, namespace, name, the pod's KSA),
// and every lookup it could belong to answers `error` naming the file and field: a broken pod in `shop`
// makes the pods of `shop` unknown, not the pods of `payments`, and never "no pods".

import { absent, factError, present } from '../../model/facts.js';
import type { Fact, K8sFacts, UnavailableFact } from '../../model/facts.js';
import { K8S_KINDS, KIND_TO_RESOURCE } from '../../model/k8s/types.js';
import type { K8sKind, KObject, Pod } from '../../model/k8s/types.js';
import { commands } from './layout.js';
import { k8sSchemas } from './schemas.js';
import { failureOf, jsonType, validatorOf } from './validate.js';
import type { Validator } from './validate.js';

export type KindStatus = { status: 'complete' } | { status: 'error'; message: string } | { status: 'not-collected' };

const RESOURCE_TO_KIND = new Map<K8sKind, string>(
  Object.entries(KIND_TO_RESOURCE).map(([kind, resource]) => [resource, kind]),
);

/**
 * The resource of a Kind (`Pod` → `pods`), or undefined. The table has no prototype, so a `kind` of
 * `constructor` or `toString` in a hand-edited file finds nothing.
 */
function resourceOf(kindName: string): K8sKind | undefined {
  return KIND_TO_RESOURCE[kindName];
}

/** `k8sKinds` entries are plural resource names; also accept a Kind (`Pod`) for hand-written manifests. */
export function toK8sKind(value: string): K8sKind | undefined {
  const lower = value.toLowerCase();
  if ((K8S_KINDS as readonly string[]).includes(lower)) return lower as K8sKind;
  return resourceOf(value);
}

/**
 * What the items of one Kind name share while a file is read: its resource (undefined for a kind wi-doctor does
 * not read), and for a read kind its validator and its objects.
 */
type KindEntry =
  | { kindName: string; kind: undefined }
  | { kindName: string; kind: K8sKind; validate: Validator; objects: KindObjects };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An object that did not validate: what is known of it (undefined = unknown, so it may be any) and why.
 * `kind` undefined: an item whose kind cannot be told (it taints every kind its file may hold).
 */
interface BrokenObject {
  namespace: string | undefined;
  name: string | undefined;
  /** For pods: the KSA it runs as, when readable. */
  serviceAccount: string | undefined;
  /** `k8s/pods.json: items[3].spec: must be object (found null)` */
  problem: string;
}

/** The source of every fact about a kind (`k8s:pods`), made once rather than on every look-up. */
const SOURCE_OF = new Map<K8sKind, string>(K8S_KINDS.map((kind) => [kind, `k8s:${kind}`]));
const sourceOf = (kind: K8sKind): string => SOURCE_OF.get(kind) ?? `k8s:${kind}`;

/** Broken objects listed per file in notes before they are only counted. */
const NOTES_PER_FILE = 5;

const stringOr = (value: unknown, fallback: string | undefined): string | undefined =>
  value === undefined ? fallback : typeof value === 'string' ? value : undefined;

/**
 * The objects of one kind in one namespace (`''` for cluster-scoped kinds). Maps nested by kind, namespace and
 * name rather than one map under a joined `kind/namespace/name` key: the strings JSON.parse made are the keys,
 * so no key string is built, and no new string hashed, per object or per look-up.
 */
interface NamespaceObjects {
  /** The first copy of each object (the same object in two files counts once). */
  byName: Map<string, KObject>;
  /** In the order the files and their items came. */
  list: KObject[];
  /** Pods only: by the KSA they run as. */
  podsBySa: Map<string, Pod[]>;
}

interface KindObjects {
  list: KObject[];
  byNamespace: Map<string, NamespaceObjects>;
}

export class K8sIndex implements K8sFacts {
  private readonly byKind = new Map<K8sKind, KindObjects>();
  private readonly kindStatus = new Map<K8sKind, KindStatus>();
  /** The fact every look-up of a kind that is not complete answers, made once by `finish`. */
  private readonly unavailableFacts = new Map<K8sKind, UnavailableFact>();
  readonly notes: string[] = [];

  /** Kinds that appear in the files (for the no-`k8sKinds` rule). */
  private readonly seen = new Set<K8sKind>();

  /** Broken objects per kind (see BrokenObject); empty for a clean bundle, so lookups stay O(1). */
  private readonly broken = new Map<K8sKind, BrokenObject[]>();

  /**
   * Add the content of one k8s file: a List (`items`) or a single object, of any kinds. Returns why the file
   * as a whole is unreadable (not an object, `items` not an array), or undefined; broken objects inside a
   * readable file are kept per object.
   */
  addFile(source: string, json: unknown): string | undefined {
    if (!isRecord(json)) return `must be object (found ${jsonType(json)})`;
    const listKind = typeof json.kind === 'string' && json.kind.endsWith('List') ? json.kind.slice(0, -4) : '';
    const isList = 'items' in json || listKind !== '';
    if (isList && !Array.isArray(json.items)) return `items: must be array (found ${jsonType(json.items)})`;
    const items: readonly unknown[] = isList ? (json.items as unknown[]) : [json];
    // The kind a file is named after (`k8s/pods.json`), for items that do not say theirs.
    const base = source.slice(source.lastIndexOf('/') + 1).replace(/\.json$/, '');
    const fileKind = toK8sKind(base);
    const ignored = new Map<string, number>();
    const problems: string[] = [];
    const where = (i: number) => (isList ? `items[${i}]` : '');
    /** `k8s/pods.json: items[3].kind: …`, or without `items[3]` for a file holding one object. */
    const problemAt = (i: number, field: string, message: string) => {
      const path = [where(i), field].filter((p) => p !== '').join('.');
      return `${source}: ${path}${path !== '' ? ': ' : ''}${message}`;
    };
    // The kind of the item before, with its validator and its objects: a list holds one kind, so they are looked
    // up once per run of items of a kind, not per item.
    let current: KindEntry | undefined;
    // A plain loop that builds no string and no closure for an object that validates: this runs once per pod.
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!isRecord(item)) {
        problems.push(this.breakUnknown(fileKind, problemAt(i, '', `must be object (found ${jsonType(item)})`)));
        continue;
      }
      const kindField = item.kind;
      if (kindField !== undefined && typeof kindField !== 'string') {
        problems.push(
          this.breakUnknown(fileKind, problemAt(i, 'kind', `must be string (found ${jsonType(kindField)})`)),
        );
        continue;
      }
      const kindName = kindField !== undefined && kindField !== '' ? kindField : listKind;
      if (current?.kindName !== kindName) current = this.entryOf(kindName);
      if (current.kind === undefined) {
        // A kind wi-doctor does not read (Secret, Service, …) is ignored; an item with no kind at all is broken.
        if (kindName === '') {
          problems.push(this.breakUnknown(fileKind, problemAt(i, 'kind', 'must name a Kubernetes kind (found none)')));
        } else ignored.set(`kind ${kindName}`, (ignored.get(`kind ${kindName}`) ?? 0) + 1);
        continue;
      }
      const { kind, validate } = current;
      if (validate(item)) {
        this.add(kind, current.objects, item as unknown as KObject);
        continue;
      }
      const problem = failureOf(validate, item, where(i));
      const meta = isRecord(item.metadata) ? item.metadata : undefined;
      const spec = kind === 'pods' && isRecord(item.spec) ? item.spec : undefined;
      const serviceAccount =
        kind !== 'pods'
          ? undefined
          : spec === undefined
            ? undefined
            : (stringOr(spec.serviceAccountName, undefined) ??
              (spec.serviceAccountName === undefined ? stringOr(spec.serviceAccount, 'default') : undefined));
      const broken: BrokenObject = {
        namespace: meta === undefined ? undefined : stringOr(meta.namespace, ''),
        name: meta === undefined ? undefined : stringOr(meta.name, undefined),
        serviceAccount,
        problem: `${source}: ${problem}`,
      };
      push(this.broken, kind, broken);
      problems.push(broken.problem);
    }
    for (const [label, n] of ignored) this.notes.push(`ignored ${n} object(s) of ${label} in ${source}`);
    for (const problem of problems.slice(0, NOTES_PER_FILE)) {
      this.notes.push(`${problem}; what that object holds is treated as unknown`);
    }
    if (problems.length > NOTES_PER_FILE) {
      this.notes.push(`${source}: ${problems.length - NOTES_PER_FILE} more objects do not validate`);
    }
    return undefined;
  }

  /** An item whose kind cannot be told: it may be any kind its file holds (any kind at all for a mixed file). */
  private breakUnknown(fileKind: K8sKind | undefined, problem: string): string {
    for (const kind of fileKind !== undefined ? [fileKind] : K8S_KINDS) {
      this.seen.add(kind);
      push(this.broken, kind, { namespace: undefined, name: undefined, serviceAccount: undefined, problem });
    }
    return problem;
  }

  private entryOf(kindName: string): KindEntry {
    const kind = resourceOf(kindName);
    if (kind === undefined) return { kindName, kind };
    this.seen.add(kind);
    return { kindName, kind, validate: validatorOf(k8sSchemas[kind] ?? {}), objects: this.objectsOf(kind) };
  }

  private objectsOf(kind: K8sKind): KindObjects {
    let objects = this.byKind.get(kind);
    if (objects === undefined) {
      objects = { list: [], byNamespace: new Map() };
      this.byKind.set(kind, objects);
    }
    return objects;
  }

  private add(kind: K8sKind, objects: KindObjects, obj: KObject): void {
    const ns = obj.metadata.namespace ?? '';
    let inNamespace = objects.byNamespace.get(ns);
    if (inNamespace === undefined) {
      inNamespace = { byName: new Map(), list: [], podsBySa: new Map() };
      objects.byNamespace.set(ns, inNamespace);
    }
    const name = obj.metadata.name;
    // The same object in two files (e.g. `kubectl get all` and `kubectl get pods`) counts once.
    if (inNamespace.byName.has(name)) return;
    inNamespace.byName.set(name, obj);
    objects.list.push(obj);
    inNamespace.list.push(obj);
    if (kind === 'pods') {
      const spec = (obj as Pod).spec as Pod['spec'] | undefined;
      const sa = spec?.serviceAccountName ?? spec?.serviceAccount ?? 'default';
      push(inNamespace.podsBySa, sa, obj as Pod);
    }
  }

  /** The objects of `kind` in `namespace`, if any were added. */
  private namespaceObjects(kind: K8sKind, namespace: string): NamespaceObjects | undefined {
    return this.byKind.get(kind)?.byNamespace.get(namespace);
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
      const unavailable = this.unavailableOf(kind);
      if (unavailable !== undefined) this.unavailableFacts.set(kind, unavailable);
    }
  }

  /** The fact for a kind that is not complete, or undefined when it is (as `finish` fixed it). */
  private unavailable(kind: K8sKind): UnavailableFact | undefined {
    return this.kindStatus.has(kind) ? this.unavailableFacts.get(kind) : this.unavailableOf(kind);
  }

  private unavailableOf(kind: K8sKind): UnavailableFact | undefined {
    const status = this.status(kind);
    const source = sourceOf(kind);
    if (status.status === 'complete') return undefined;
    if (status.status === 'error') return { status: 'error', source, message: status.message };
    return { status: 'not-collected', source, message: `not collected: Kubernetes ${kind} (${commands.k8s(kind)})` };
  }

  status(kind: K8sKind): KindStatus {
    return this.kindStatus.get(kind) ?? { status: 'not-collected' };
  }

  /** The error fact for the broken objects of `kind` that match, or undefined when none could be meant. */
  private brokenFact<T>(kind: K8sKind, matches: (b: BrokenObject) => boolean): Fact<T> | undefined {
    const list = this.broken.get(kind);
    if (list === undefined) return undefined;
    const hits = list.filter(matches);
    const [first] = hits;
    if (first === undefined) return undefined;
    const more = hits.length > 1 ? ` (and ${hits.length - 1} more objects that do not validate)` : '';
    return factError(sourceOf(kind), `${first.problem}${more}`);
  }

  list<T extends KObject = KObject>(kind: K8sKind): Fact<readonly T[]> {
    return (
      this.brokenFact(kind, () => true) ??
      this.unavailable(kind) ??
      present((this.byKind.get(kind)?.list ?? []) as T[], sourceOf(kind))
    );
  }

  get<T extends KObject = KObject>(kind: K8sKind, namespace: string | undefined, name: string): Fact<T> {
    const ns = namespace ?? '';
    // A broken object that may be this one makes it unknown, even next to a valid copy (which of the two is true?).
    const broken = this.brokenFact<T>(kind, (b) => sameOrUnknown(b.namespace, ns) && sameOrUnknown(b.name, name));
    if (broken) return broken;
    const found = this.namespaceObjects(kind, ns)?.byName.get(name);
    // An object that was seen is a fact even when its kind was not fully collected.
    if (found) return present(found as T, sourceOf(kind));
    const what = `${RESOURCE_TO_KIND.get(kind) ?? kind} ${namespace ? `${namespace}/` : ''}${name}`;
    return this.unavailable(kind) ?? absent(sourceOf(kind), `no ${what} in the collected ${kind}`);
  }

  inNamespace<T extends KObject = KObject>(kind: K8sKind, namespace: string): Fact<readonly T[]> {
    return (
      this.brokenFact(kind, (b) => sameOrUnknown(b.namespace, namespace)) ??
      this.unavailable(kind) ??
      present((this.namespaceObjects(kind, namespace)?.list ?? []) as T[], sourceOf(kind))
    );
  }

  podsOfServiceAccount(namespace: string, ksa: string): Fact<readonly Pod[]> {
    return (
      this.brokenFact<readonly Pod[]>(
        'pods',
        (b) => sameOrUnknown(b.namespace, namespace) && sameOrUnknown(b.serviceAccount, ksa),
      ) ??
      this.unavailable('pods') ??
      present(this.namespaceObjects('pods', namespace)?.podsBySa.get(ksa) ?? [], sourceOf('pods'))
    );
  }
}

/** A broken object's field matches a wanted value when it is that value or could not be read. */
const sameOrUnknown = (known: string | undefined, wanted: string): boolean => known === undefined || known === wanted;

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
