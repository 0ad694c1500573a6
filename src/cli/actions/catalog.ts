// `wi-doctor checks` (the catalog), `wi-doctor explain ID` (one check's docs page) and `wi-doctor permissions`.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS, CHECKS_IN_CHAIN_ORDER, DIAGNOSE_CHECKS } from '../../checks/index.js';
import { editDistance } from '../../model/edit-distance.js';
import { UsageError } from '../../engine/errors.js';
import { docsUrl } from '../../model/results.js';
import type { Io } from '../output.js';
import { PACKAGE_ROOT } from '../package-info.js';
import { requiredFacts } from '../../collect/live/required.js';
import type { ExtraRead, PermissionList } from '../../collect/live/permissions.js';
import { e2ePermissions, minimalPermissions } from '../../collect/live/permissions.js';
import type { E2eNeeds } from '../../collect/live/permissions.js';
import { auditRequires } from './audit.js';
import { PROBE_TITLES } from '../../probe/run.js';
import { PROBE_CHECKS } from '../../probe/types.js';

export function runChecksCommand(options: { format: 'text' | 'json' }, io: Io): number {
  if (options.format === 'json') {
    const catalog = CHECKS_IN_CHAIN_ORDER.map((c) => ({
      id: c.id,
      group: c.group,
      scope: c.scope,
      title: c.title,
      failureTitle: c.failureTitle,
      requires: c.requires,
      docs: docsUrl(c.id),
    }));
    io.stdout.write(`${JSON.stringify(catalog, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...CHECKS.map((c) => c.id.length));
  const lines = CHECKS_IN_CHAIN_ORDER.map(
    (c) =>
      `${c.id.padEnd(width)}  ${c.scope.padEnd(8)}  ${c.title}\n${' '.repeat(width + 12)}needs: ${c.requires.join(', ')}`,
  );
  io.stdout.write(`${'id'.padEnd(width)}  ${'scope'.padEnd(8)}  what it checks\n${lines.join('\n')}\n`);
  return 0;
}

export function runExplainCommand(id: string, io: Io): number {
  const probeCheck = PROBE_CHECKS.find((c) => c === id);
  if (probeCheck !== undefined) {
    io.stdout.write(
      `${probeCheck}: a check of the in-pod probe (not of \`wi-doctor check\`): ${PROBE_TITLES[probeCheck]}.\n` +
        'Run the probe in the pod (wi-doctor probe-pod --workload NS/KIND/NAME) and read its result; ' +
        'docs/probe.md, "What it checks, in order", says what each step establishes.\n',
    );
    return 0;
  }
  const check = CHECKS.find((c) => c.id === id);
  const path = join(PACKAGE_ROOT, 'docs', 'checks', `${id}.md`);
  if (!check || !existsSync(path)) {
    const close = CHECKS.map((c) => c.id).filter((c) => editDistance(c, id, 4) <= 4 || c.includes(id));
    const hint = close.length ? `; did you mean ${close.join(', ')}?` : '';
    throw new UsageError(`no check \`${id}\`${hint} (see \`wi-doctor checks\`)`);
  }
  io.stdout.write(readFileSync(path, 'utf8'));
  return 0;
}

export interface PermissionsCommandOptions {
  format: 'text' | 'json';
  /** Also what `audit` and `collect --audit` read. */
  audit?: boolean;
  /** Also what fleet runs read: Cloud Asset Inventory over a scope, the clusters of a project. */
  scope?: boolean;
  /** Also what `check --e2e` needs: a TokenRequest per KSA (not read-only). */
  e2e?: boolean;
}

/** The facts and extra reads of the runs asked for, as the collector makes them. */
export function permissionsFor(options: Omit<PermissionsCommandOptions, 'format'>): PermissionList {
  const requires =
    options.audit === true ? [...requiredFacts(CHECKS), ...auditRequires()] : requiredFacts(DIAGNOSE_CHECKS);
  const extra: ExtraRead[] = ['adminActivity'];
  if (options.scope === true) extra.push('assetSearch', 'clusterList');
  return minimalPermissions([...new Set(requires)], extra);
}

export function runPermissionsCommand(options: PermissionsCommandOptions, io: Io): number {
  const { permissions, roles, kubernetes } = permissionsFor(options);
  const e2e = options.e2e === true ? e2ePermissions() : undefined;
  if (options.format === 'json') {
    io.stdout.write(`${JSON.stringify({ roles, permissions, kubernetes, ...(e2e ? { e2e } : {}) }, null, 2)}\n`);
    return 0;
  }
  const what = [
    'diagnose live (check, collect)',
    ...(options.audit === true ? ['audit (audit, collect --audit)'] : []),
    ...(options.scope === true ? ['search a scope and many clusters (--scope, --clusters)'] : []),
  ].join(', ');
  io.stdout.write(
    [
      `wi-doctor only reads. To ${what}, the caller needs these permissions:`,
      ...permissions.map((p) => `  ${p}`),
      '',
      'Predefined roles that give them (all read-only):',
      ...roles.map((r) => `  ${r}`),
      '',
      'In each cluster, Kubernetes get and list on (with RBAC instead of the IAM container.* permissions):',
      ...kubernetes.map((k) => `  ${k}`),
      '',
      // The one write wi-doctor makes, and only when asked: the report itself, to a bucket.
      'With --output gs://BUCKET/…, writing the report needs storage.objects.create on that bucket',
      '(roles/storage.objectCreator); replacing an object of the same name also needs storage.objects.delete,',
      'so gs://BUCKET/PREFIX/ (a new object per run) is enough with that role.',
      '',
      ...(e2e ? e2eLines(e2e) : []),
    ].join('\n'),
  );
  return 0;
}

function e2eLines(e2e: E2eNeeds): string[] {
  return [
    'check --e2e also mints a short-lived token for each KSA it checks (a TokenRequest: not read-only):',
    ...e2e.permissions.map((p) => `  ${p}`),
    `  or, with RBAC: ${e2e.kubernetes.join(', ')} in the KSA's namespace`,
    ...(e2e.roles.length > 0
      ? [`  (smallest predefined role holding it: ${e2e.roles.join(', ')}, which also writes)`]
      : []),
    "The STS exchange and generateAccessToken run on that token, not on the caller's credentials: they need only",
    "the KSA's own grant on its GSA, which the checks verify.",
    '',
  ];
}
