// The rotation journal: what the rotation is (resolved once, at the start) and the state of every step,
// written before and after each step, atomically (a temporary file renamed over the old one), so that a
// process killed at any moment leaves a journal `rotate --resume` can continue from.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ClusterRef } from '../../model/facts.js';

export const JOURNAL_FORMAT = 'wi-doctor-rotate-journal/1';
export const DEFAULT_JOURNAL = 'wi-doctor-rotate.journal.json';

export type RotateMode = 'zero-downtime' | 'revoke-first';

export type RotateStepKind =
  | 'disable-old'
  | 'create-new'
  | 'copy-grants'
  | 'bind'
  | 'verify-binding'
  | 'annotate'
  | 'restart'
  | 'verify'
  | 'delete-old';

export type StepState = 'pending' | 'started' | 'done' | 'skipped' | 'failed';

export interface RotationSpec {
  cluster: ClusterRef;
  /** The cluster's workload pool: the KSAs' members name it. */
  pool: string;
  mode: RotateMode;
  /** The KSAs named with --ksa (`NS/NAME`). */
  named: string[];
  /** Every KSA moved to the new GSA: the named ones, plus the other users with --all-users. */
  moved: string[];
  oldGsa: string;
  oldUniqueId?: string;
  oldDisplayName?: string;
  newGsa: string;
  /** Policies whose grants to the old GSA are copied to the new one (projects, --on resources). */
  grantSources: string[];
  allUsers: boolean;
  deleteOld: boolean;
  /**
   * Who else uses the old GSA, when the rotation was planned: KSAs of this cluster annotated with it (`NS/NAME`),
   * KSAs of other clusters of the pool (`NS/NAME in cluster C`), other members of its policy that can get its
   * credentials (`MEMBER (ROLE)`).
   */
  otherUsers: string[];
  /** What could not be read when the rotation was planned: who else uses the old GSA is unknown there. */
  otherUsersUnknown?: string[];
  /** Workloads restarted (`namespaces/NS/KIND/NAME`). */
  workloads: string[];
  /** The pod-template stamp of every restart, fixed once so that a resumed restart does not roll again. */
  restartedAt: string;
  verifyTimeoutSeconds: number;
}

export interface JournalStep {
  n: number;
  kind: RotateStepKind;
  target: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  detail?: string;
  etagBefore?: string;
  etagAfter?: string;
}

export interface Journal {
  format: typeof JOURNAL_FORMAT;
  createdAt: string;
  updatedAt: string;
  finished: boolean;
  spec: RotationSpec;
  steps: JournalStep[];
}

export interface JournalStore {
  readonly path: string;
  load(): Journal | undefined;
  save(journal: Journal): void;
}

export class JournalError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function fileJournal(path: string): JournalStore {
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new JournalError(`journal ${path}: ${(e as Error).message}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new JournalError(`journal ${path}: not JSON (${(e as Error).message})`);
      }
      if (
        !isRecord(parsed) ||
        parsed.format !== JOURNAL_FORMAT ||
        !isRecord(parsed.spec) ||
        !Array.isArray(parsed.steps)
      ) {
        throw new JournalError(`journal ${path}: not a ${JOURNAL_FORMAT} file`);
      }
      return parsed as unknown as Journal;
    },
    save(journal) {
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
      writeFileSync(tmp, `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}

/** A journal kept in memory (tests, dry runs). */
export function memoryJournal(): JournalStore & { current: Journal | undefined } {
  const store = {
    path: '(memory)',
    current: undefined as Journal | undefined,
    load: () => (store.current === undefined ? undefined : structuredClone(store.current)),
    save: (j: Journal) => {
      store.current = structuredClone(j);
    },
  };
  return store;
}
