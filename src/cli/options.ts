// Option parsing shared by commands: repeatable, comma-separated lists and closed choices.

import { InvalidArgumentError } from 'commander';
import { UsageError } from '../engine/errors.js';
import { nearestNames } from '../model/edit-distance.js';
import { loadCatalog } from '../model/iam/catalog.js';

/** Collects `--x a --x b,c` into ['a', 'b', 'c']. */
export function list(value: string, previous: string[] = []): string[] {
  const items = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('expected a value');
  return [...previous, ...items];
}

export function choice<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}

/**
 * A path flag's value: never empty. `--from ''` (an unset shell variable) must not quietly mean "no --from"
 * (the live APIs with ambient credentials).
 */
export function nonEmptyPath(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a path, got an empty value');
  return value;
}

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number (0 for free ports)');
  return n;
}

/** Flags naming permissions, resources and accounts: a typo here must be a usage error, not a finding. */
export function validateAccessFlags(
  flags: { need?: string[]; on?: string; impersonate?: string },
  knownPermission: (p: string) => boolean,
  suggest: (p: string) => string[],
  isEmail: (e: string) => boolean,
): void {
  for (const need of flags.need ?? []) {
    if (/^roles\/[A-Za-z0-9_.]+$/.test(need)) {
      // A predefined role: known from the shipped catalog, so a typo is caught here as for a permission.
      const roles = loadCatalog().roles;
      if (roles.has(need)) continue;
      const close = nearestNames(need, roles.keys(), 4);
      throw new UsageError(
        `--need ${JSON.stringify(need)}: not a predefined IAM role${close.length ? `; did you mean ${close.join(', ')}?` : ''} (custom roles: projects/P/roles/…, organizations/N/roles/…)`,
      );
    }
    // Custom roles are checked against the policies and roles read.
    if (/^(projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(need)) continue;
    if (/^[a-z0-9]+(\.[a-zA-Z0-9]+){2,}$/.test(need) && knownPermission(need)) continue;
    const close = suggest(need);
    throw new UsageError(
      `--need ${JSON.stringify(need)}: not a known IAM permission or role (roles/…, projects/P/roles/…, organizations/N/roles/…)${close.length ? `; did you mean ${close.join(', ')}?` : ''}`,
    );
  }
  if (
    flags.on !== undefined &&
    !/^(\/\/[a-z0-9.-]+\.googleapis\.com\/\S+|projects\/[a-z][-a-z0-9]{4,28}[a-z0-9])$/.test(flags.on)
  ) {
    throw new UsageError(
      `--on ${JSON.stringify(flags.on)}: expected a full resource name, e.g. //storage.googleapis.com/projects/_/buckets/B, or projects/P`,
    );
  }
  if (flags.impersonate !== undefined && !isEmail(flags.impersonate)) {
    throw new UsageError(`--impersonate ${JSON.stringify(flags.impersonate)}: expected a service-account email`);
  }
}

/**
 * Examples at the end of a command's `--help`, one command a line. `test/cli/help.test.ts` runs every
 * example that needs no cloud (those reading a shipped example bundle or a local file).
 */
export function withExamples<C extends { addHelpText(position: 'after', text: string): C }>(
  command: C,
  examples: readonly string[],
): C {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}
