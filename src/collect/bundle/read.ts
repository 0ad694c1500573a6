// Read a bundle folder into Facts. The folder walk and file reads live here; what the files mean lives in
// facts.ts.

import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { Facts } from '../../model/facts.js';
import { factsFromFiles } from './facts.js';
import type { BundleInput, FileEntry } from './facts.js';
import { decodeText, describeJsonError, parseJsonText } from './json-text.js';
import { classifyPath, MANIFEST_FILE } from './layout.js';
import type { FileRole } from './layout.js';
import { BundleError, parseManifest } from './manifest.js';

export { BundleError } from './manifest.js';

// Files are small and many (one per pod in big bundles). Measured on 30,000 pod files: readFileSync took
// 0.35 s, fs/promises readFile with 16 or 64 in flight 4 s, callback readFile 1.7-2.2 s: per-file
// thread-pool round trips cost more than the reads. So files are read synchronously, in batches that
// yield to the event loop between them.
const READ_BATCH = 500;

/** Larger files are refused with a note: a bundle file is one API answer, and V8 strings stop at ~512 MiB. */
export const MAX_FILE_BYTES = 256 * 2 ** 20;

export interface BundleRead {
  facts: Facts;
  /** Everything the reader noticed (invalid files, ignored files), also in `facts.notes`. */
  notes: string[];
}

/** Turn one file's bytes into an entry; invalid JSON becomes an error entry and a note. */
function toEntry(path: string, role: FileRole['role'], bytes: Uint8Array, notes: string[]): FileEntry {
  const text = decodeText(bytes);
  if (role === 'token') return { json: text };
  const parsed = parseJsonText(text);
  if (parsed.ok) return { json: parsed.value };
  const message = describeJsonError(parsed);
  notes.push(`${path}: ${message}; what it holds is treated as unknown`);
  return { error: message };
}

function readEntrySync(dir: string, path: string, notes: string[], problems: ReadonlyMap<string, string>): FileEntry {
  const problem = problems.get(path);
  if (problem !== undefined) {
    notes.push(`${path}: ${problem}`);
    return { error: problem };
  }
  // Unknown files are not read (the facts core notes them as ignored), nor are companions.
  const role = classifyPath(path).role;
  if (role === 'unknown' || role === 'companion') return { json: undefined };
  try {
    const bytes = readFileSync(join(dir, path));
    if (bytes.length > MAX_FILE_BYTES) {
      const message = `larger than ${MAX_FILE_BYTES / 2 ** 20} MiB; not read`;
      notes.push(`${path}: ${message}`);
      return { error: message };
    }
    return toEntry(path, role, bytes, notes);
  } catch (e) {
    const message = `could not read: ${describeFsError(e)}`;
    notes.push(`${path}: ${message}`);
    return { error: message };
  }
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'does not exist';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  return err.message;
}

function checkFolder(dir: string, isDirectory: () => boolean): void {
  if (!isDirectory()) throw new BundleError(`${dir}: not a folder (a bundle is a folder with a bundle.json)`);
}

function manifestFrom(dir: string, bytes: Uint8Array | undefined, e?: unknown) {
  const path = join(dir, MANIFEST_FILE);
  if (bytes === undefined) throw new BundleError(`${path}: ${describeFsError(e)}; is ${dir} a wi-doctor bundle?`);
  const parsed = parseJsonText(decodeText(bytes));
  if (!parsed.ok) throw new BundleError(`${path}: ${describeJsonError(parsed)}`);
  return parseManifest(parsed.value, path);
}

/** Folders and files whose names start with "." (.git, .DS_Store) are not part of the bundle. */
const hidden = (name: string) => name.startsWith('.');

/** A path's real location is the bundle folder or inside it. */
const inside = (rootReal: string, real: string): boolean => real === rootReal || real.startsWith(rootReal + sep);

interface Listing {
  /** Bundle-relative paths of the files to read (and of the entries that could not be followed). */
  paths: string[];
  /** Paths that are no readable file of the bundle, with why: they become error entries, never silence. */
  problems: Map<string, string>;
}

/**
 * Every file of the bundle. Symlinks are followed only where they resolve inside the bundle folder (a link out
 * of it, a dangling link or a loop is reported on its own path); FIFOs, sockets and devices are reported, not
 * opened (reading a FIFO would wait forever).
 */
function listFilesSync(root: string): Listing {
  const rootReal = realpathSync(root);
  const listing: Listing = { paths: [], problems: new Map() };
  const visited = new Set<string>([rootReal]);
  const report = (path: string, problem: string) => {
    listing.paths.push(path);
    listing.problems.set(path, problem);
  };
  const walk = (rel: string): void => {
    const entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    for (const entry of entries) {
      if (hidden(entry.name)) continue;
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (path === MANIFEST_FILE) continue;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = realpathSync(join(root, path));
        } catch (e) {
          report(path, `a symlink that cannot be followed (${describeFsError(e)})`);
          continue;
        }
        if (!inside(rootReal, real)) {
          report(path, 'a symlink to outside the bundle folder; not followed');
          continue;
        }
        const stat = statSync(real);
        isDir = stat.isDirectory();
        isFile = stat.isFile();
        if (isDir && visited.has(real)) {
          report(path, 'a symlink loop; not followed');
          continue;
        }
        if (isDir) visited.add(real);
      }
      if (isDir) walk(path);
      else if (isFile) listing.paths.push(path);
      else report(path, 'not a regular file (a FIFO, socket or device); not read');
    }
  };
  walk('');
  return listing;
}

/**
 * The folder's manifest and file list, or BundleError when it is no usable bundle. Synchronous on purpose: for
 * tens of thousands of small files, sync reads measured ~18× faster here than concurrent async ones.
 */
function openBundle(dir: string): { manifest: BundleInput['manifest'] } & Listing {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new BundleError(`${dir}: ${describeFsError(e)}`);
  }
  checkFolder(dir, () => isDir);
  let manifestBytes: Uint8Array | undefined;
  let manifestError: unknown;
  try {
    const real = realpathSync(join(dir, MANIFEST_FILE));
    if (!inside(realpathSync(dir), real)) {
      throw new BundleError(`${join(dir, MANIFEST_FILE)}: a symlink to outside the bundle folder; not followed`);
    }
    manifestBytes = readFileSync(real);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    manifestError = e;
  }
  const manifest = manifestFrom(dir, manifestBytes, manifestError);
  const listing = listFilesSync(dir);
  return { manifest, paths: listing.paths.sort(), problems: listing.problems };
}

/** Read the folder into the in-memory form `factsFromFiles` takes (useful to patch before building facts). */
export async function readBundleInput(dir: string): Promise<BundleInput> {
  const { manifest, paths, problems } = openBundle(dir);
  const notes: string[] = [];
  const files = new Map<string, FileEntry>();
  for (let start = 0; start < paths.length; start += READ_BATCH) {
    for (const path of paths.slice(start, start + READ_BATCH)) {
      files.set(path, readEntrySync(dir, path, notes, problems));
    }
    // Let timers and signals run between batches.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { manifest, files, notes };
}

/** Synchronous twin of `readBundleInput`, for tests and fixtures. */
export function readBundleInputSync(dir: string): BundleInput {
  const { manifest, paths, problems } = openBundle(dir);
  const notes: string[] = [];
  const files = new Map<string, FileEntry>();
  for (const path of paths) files.set(path, readEntrySync(dir, path, notes, problems));
  return { manifest, files, notes };
}

/** Read a bundle folder. Throws BundleError when there is no usable bundle; bad files become notes. */
export async function readBundle(dir: string): Promise<BundleRead> {
  const facts = factsFromFiles(await readBundleInput(dir));
  return { facts, notes: [...facts.notes] };
}

export function readBundleSync(dir: string): BundleRead {
  const facts = factsFromFiles(readBundleInputSync(dir));
  return { facts, notes: [...facts.notes] };
}
