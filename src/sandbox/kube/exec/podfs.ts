// A container's file system, as far as `kubectl exec` and `kubectl cp` need it: the service-account token
// volume the kubelet projects (with its `..data` symlink layout), the pod's other projected, ConfigMap and
// Secret volumes, /etc files the kubelet writes, and whatever `kubectl cp` puts there. Token files hold real
// tokens, minted when read (a projected token rotates; a fresh one is what a reader gets).

import type { Pod } from '../../../model/k8s/types.js';
import { arr, at, num, obj, str } from '../json.js';
import { KUBE_DNS_IP } from '../objects.js';

export type Entry =
  | { type: 'dir'; mode: number; mtime: number }
  | { type: 'file'; mode: number; mtime: number; data: Buffer | (() => Promise<Buffer>) }
  | { type: 'link'; mode: number; mtime: number; target: string };

export interface TokenSpec {
  audience?: string;
  expirationSeconds: number;
}

export type MintToken = (spec: TokenSpec) => Promise<string>;

/** A ConfigMap's data, or a Secret's (decoded), from the pod's namespace. */
export type ReadData = (kind: 'configmaps' | 'secrets', name: string) => Record<string, string> | undefined;

export class PodFs {
  readonly entries = new Map<string, Entry>();
  /** Directories of projected volumes (tmpfs). */
  private readonly projected = new Set<string>();

  constructor(
    readonly pod: Pod,
    mint: MintToken,
    project: string,
    read: ReadData,
  ) {
    const started = Date.parse(pod.status?.startTime ?? '') || Date.now();
    const dir = (p: string, mode = 0o755): void => {
      this.entries.set(p, { type: 'dir', mode, mtime: started });
    };
    for (const d of [
      '/',
      '/bin',
      '/etc',
      '/home',
      '/proc',
      '/root',
      '/tmp',
      '/usr',
      '/usr/bin',
      '/usr/local',
      '/usr/local/bin',
      '/var',
      '/var/run',
      '/var/run/secrets',
    ])
      dir(d, d === '/tmp' ? 0o1777 : d === '/root' ? 0o700 : 0o755);
    const ns = pod.metadata.namespace ?? 'default';
    const file = (p: string, text: string, mode = 0o644): void => {
      this.entries.set(p, { type: 'file', mode, mtime: started, data: Buffer.from(text) });
    };
    file('/etc/hostname', `${pod.metadata.name}\n`);
    file(
      '/etc/hosts',
      `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${pod.status?.podIP ?? ''}\t${pod.metadata.name}\n`,
    );
    file(
      '/etc/resolv.conf',
      `search ${ns}.svc.cluster.local svc.cluster.local cluster.local c.${project}.internal google.internal\nnameserver ${KUBE_DNS_IP}\noptions ndots:5\n`,
    );
    // Projected volumes: the kubelet writes them into a timestamped folder and points ..data at it.
    const stamp = new Date(started + 2000).toISOString().replace(/[-:]/g, '_').replace('T', '_').replace(/\..*$/, '');
    const volumes = new Map<string, unknown>(arr(pod.spec.volumes).map((v) => [str(at(v, 'name')), v]));
    const mounts = arr(at(pod.spec.containers[0], 'volumeMounts')).map(obj);
    for (const m of mounts) {
      const mountPath = str(m.mountPath).replace(/\/+$/, '');
      const vol = obj(volumes.get(str(m.name)));
      // A ConfigMap or Secret volume is laid out as a projected one with that single source.
      const sources = vol.configMap
        ? [{ configMap: vol.configMap }]
        : vol.secret
          ? [{ secret: { ...obj(vol.secret), name: str(at(vol, 'secret', 'secretName')) } }]
          : arr(at(vol, 'projected', 'sources')).map(obj);
      if (mountPath === '' || sources.length === 0) continue;
      const parts = mountPath.split('/').filter((x) => x !== '');
      for (let i = 1; i < parts.length; i++) {
        const p = `/${parts.slice(0, i).join('/')}`;
        if (!this.entries.has(p)) dir(p);
      }
      dir(mountPath, 0o1777);
      const data = `..${stamp}.${String(started % 1_000_000_000).padStart(9, '0')}`;
      dir(`${mountPath}/${data}`);
      this.projected.add(mountPath);
      this.projected.add(`${mountPath}/${data}`);
      this.entries.set(`${mountPath}/..data`, { type: 'link', mode: 0o777, mtime: started, target: data });
      for (const s of sources) {
        const token = obj(s.serviceAccountToken);
        const files: [string, () => Promise<Buffer> | Buffer][] = [];
        if (Object.keys(token).length > 0) {
          const spec: TokenSpec = { expirationSeconds: num(token.expirationSeconds) || 3600 };
          if (str(token.audience) !== '') spec.audience = str(token.audience);
          files.push([str(token.path) || 'token', async () => Buffer.from(await mint(spec))]);
        }
        for (const kind of ['configMap', 'secret'] as const) {
          const ref = obj(s[kind]);
          if (Object.keys(ref).length === 0) continue;
          const data = read(kind === 'configMap' ? 'configmaps' : 'secrets', str(ref.name)) ?? {};
          const items = arr(ref.items).map(obj);
          const wanted =
            items.length > 0
              ? items.map((i) => [str(i.key), str(i.path)] as const)
              : Object.keys(data).map((k) => [k, k] as const);
          for (const [key, path] of wanted) {
            const value = data[key];
            if (value !== undefined) files.push([path, () => Buffer.from(value)]);
          }
        }
        for (const item of arr(at(s, 'downwardAPI', 'items')).map(obj))
          if (str(at(item, 'fieldRef', 'fieldPath')) === 'metadata.namespace')
            files.push([str(item.path), () => Buffer.from(ns)]);
        for (const [name, read] of files) {
          this.entries.set(`${mountPath}/${data}/${name}`, {
            type: 'file',
            mode: 0o644,
            mtime: started,
            data: async () => Promise.resolve(read()),
          });
          this.entries.set(`${mountPath}/${name}`, {
            type: 'link',
            mode: 0o777,
            mtime: started,
            target: `..data/${name}`,
          });
        }
      }
    }
  }

  /** The path with `.`/`..` resolved and symlinks followed (the last component only when `follow`). */
  resolve(path: string, cwd = '/', follow = true, hops = 0): string {
    const abs = path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`;
    const parts = abs.split('/').filter((x) => x !== '' && x !== '.');
    let cur: string[] = [];
    parts.forEach((part, i) => {
      if (part === '..') {
        cur.pop();
        return;
      }
      cur.push(part);
      const p = `/${cur.join('/')}`;
      const e = this.entries.get(p);
      if (e?.type === 'link' && (i < parts.length - 1 || follow) && hops < 16) {
        const parent = `/${cur.slice(0, -1).join('/')}`;
        cur = this.resolve(e.target, parent, true, hops + 1)
          .split('/')
          .filter((x) => x !== '');
      }
    });
    return `/${cur.join('/')}`;
  }

  stat(path: string, follow = true): Entry | undefined {
    return this.entries.get(this.resolve(path, '/', follow));
  }

  list(dir: string): string[] {
    const base = dir === '/' ? '/' : `${dir}/`;
    const names: string[] = [];
    for (const p of this.entries.keys()) {
      if (p === dir || !p.startsWith(base)) continue;
      const rest = p.slice(base.length);
      if (rest !== '' && !rest.includes('/')) names.push(rest);
    }
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async read(path: string): Promise<Buffer> {
    const e = this.stat(path);
    if (e?.type !== 'file') throw new Error('not a file');
    return typeof e.data === 'function' ? e.data() : e.data;
  }

  write(path: string, data: Buffer, mode = 0o644): void {
    const p = this.resolve(path, '/', false);
    const parts = p.split('/').filter((x) => x !== '');
    for (let i = 1; i < parts.length; i++) {
      const d = `/${parts.slice(0, i).join('/')}`;
      if (!this.entries.has(d)) this.entries.set(d, { type: 'dir', mode: 0o755, mtime: Date.now() });
    }
    this.entries.set(p, { type: 'file', mode, mtime: Date.now(), data });
  }

  mkdir(path: string): void {
    const p = this.resolve(path, '/', false);
    if (!this.entries.has(p)) this.entries.set(p, { type: 'dir', mode: 0o755, mtime: Date.now() });
  }

  async size(path: string, e: Entry): Promise<number> {
    // tmpfs (projected volumes) counts directory entries; disk directories are a block.
    if (e.type === 'dir') return this.projected.has(path) ? 40 + 20 * this.list(path).length : 4096;
    if (e.type === 'link') return e.target.length;
    return (await this.read(path)).length;
  }
}
