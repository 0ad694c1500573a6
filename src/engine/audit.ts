// facts + request → audit report. Same engine pieces, report shape, formats and exit codes as a diagnosis, for
// the Audit checks: the scope is the cluster, its node pools, every GSA its KSAs are annotated with, and every
// project that holds one of them (plus the cluster's and the pool's project). There are no per-subject verdicts:
// each result is a finding about its own subject (a GSA, a project, the cluster, a node pool).

import type { AnyCheck, CheckOptions } from '../checks/define.js';
import type { Facts } from '../model/facts.js';
import { createRoleResolver } from '../model/iam/roles.js';
import { projectOfServiceAccount } from '../model/iam/policies.js';
import { projectOfPool, tryParseMember } from '../model/identifiers.js';
import type { CheckResult, Report } from '../model/results.js';
import { docsUrl, summarize } from '../model/results.js';
import { UsageError } from './errors.js';
import { selectChecks } from './diagnose.js';
import type { RunEnvironment } from './runner.js';
import { runCheck } from './runner.js';
import type { Target } from './subject.js';
import { resolveSubjects } from './subjects.js';
import { allNodePools, targetLocation, targetSubject } from './targets.js';

export interface AuditRequest {
  options: CheckOptions;
  only?: readonly string[];
  skip?: readonly string[];
  /** A bundle path or `live`. */
  source: string;
  version: string;
  generatedAt?: string;
}

/** A GSA in the audit's scope: the KSAs (`ns/ksa`) annotated with it; none when only its policy names the pool. */
export interface AuditGsa {
  email: string;
  ksas: string[];
}

export interface AuditScope {
  projects: string[];
  /** GSAs the cluster's KSAs are annotated with. */
  gsas: AuditGsa[];
  /** GSAs no annotation points at whose collected policy names KSAs of the cluster's pool. */
  boundOnlyGsas: AuditGsa[];
  /** Why the KSAs (and so the GSAs) are unknown, when they could not be read. */
  ksasUnknown?: string;
}

/** GSAs whose collected policy names a member of the pool (`serviceAccount:POOL[…]`, `principal…/POOL/…`). */
function gsasBoundToPool(facts: Facts, pool: string | undefined): string[] {
  if (pool === undefined) return [];
  const out: string[] = [];
  for (const email of facts.knownServiceAccounts) {
    const policy = facts.serviceAccountPolicy(email);
    if (policy.status !== 'present') continue;
    const names = (policy.value.bindings ?? []).some((b) =>
      (b.members ?? []).some((m) => {
        if (!m.includes(pool)) return false;
        const parsed = tryParseMember(m);
        return parsed.ok && 'pool' in parsed.member && parsed.member.pool === pool;
      }),
    );
    if (names) out.push(email);
  }
  return out;
}

/** The cluster, its pool's project, and the projects of the GSAs in scope. */
export function auditScope(facts: Facts): AuditScope {
  const pool =
    facts.cluster.status === 'present' ? facts.cluster.value.workloadIdentityConfig?.workloadPool : undefined;
  const byEmail = new Map<string, AuditGsa>();
  let ksasUnknown: string | undefined;
  try {
    for (const subject of resolveSubjects(facts, { all: true })) {
      if (subject.gsaEmail === undefined) continue;
      const key = subject.gsaEmail.toLowerCase();
      const entry = byEmail.get(key) ?? { email: subject.gsaEmail, ksas: [] };
      entry.ksas.push(subject.id);
      byEmail.set(key, entry);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const ksas = facts.k8s.list('serviceaccounts');
    ksasUnknown = ksas.status === 'present' ? error.message : `${ksas.source}: ${ksas.message}`;
  }
  const gsas = [...byEmail.values()].sort((a, b) => a.email.localeCompare(b.email));
  const boundOnlyGsas = gsasBoundToPool(facts, pool)
    .filter((email) => !byEmail.has(email.toLowerCase()))
    .map((email) => ({ email, ksas: [] }));
  const projects = new Set<string>([facts.clusterRef.project]);
  const poolProject = pool === undefined ? undefined : projectOfPool(pool);
  if (poolProject !== undefined) projects.add(poolProject);
  for (const gsa of gsas) {
    const project = projectOfServiceAccount(facts, gsa.email);
    if (project !== undefined) projects.add(project);
  }
  return {
    projects: [...projects].sort(),
    gsas,
    boundOnlyGsas,
    ...(ksasUnknown !== undefined ? { ksasUnknown } : {}),
  };
}

/** A result the engine states itself (no GSA to run on, or the GSAs unknown), about the cluster. */
function clusterLevelResult(check: AnyCheck, facts: Facts, status: 'skip' | 'unknown', cause: string): CheckResult {
  const target: Target = { scope: 'cluster', cluster: facts.clusterRef };
  const result: CheckResult = {
    check: check.id,
    status,
    subject: targetSubject(target),
    title: check.title,
    cause,
    fix: [],
    docs: docsUrl(check.id),
    location: targetLocation(target),
  };
  if (status === 'unknown') result.missing = [`the cluster's Kubernetes service accounts (${cause})`];
  return result;
}

/** Audit checks only: a Diagnose id given to `audit --only` is a usage error that says where it belongs. */
export function selectAuditChecks(
  catalog: readonly AnyCheck[],
  only: readonly string[] | undefined,
  skip: readonly string[] | undefined,
): AnyCheck[] {
  const selected = selectChecks(catalog, only, skip);
  const misplaced = (only ?? []).filter((id) => catalog.find((c) => c.id === id)?.group !== 'audit');
  if (misplaced.length > 0) {
    throw new UsageError(
      `${misplaced.map((id) => `\`${id}\``).join(', ')}: not an audit check; run it with \`wi-doctor check --only ${misplaced.join(',')}\``,
    );
  }
  return selected.filter((c) => c.group === 'audit');
}

export function audit(facts: Facts, catalog: readonly AnyCheck[], request: AuditRequest): Report {
  const checks = selectAuditChecks(catalog, request.only, request.skip);
  const env: RunEnvironment = { facts, roles: createRoleResolver(facts), options: request.options };
  const scope = auditScope(facts);
  const cluster: Target = { scope: 'cluster', cluster: facts.clusterRef };
  const results: CheckResult[] = [];

  for (const check of checks) {
    switch (check.scope) {
      case 'project':
        for (const project of scope.projects) results.push(runCheck(check, { scope: 'project', project }, env));
        break;
      case 'cluster':
        results.push(runCheck(check, cluster, env));
        break;
      case 'nodePool':
        for (const nodePool of allNodePools(facts)) {
          results.push(runCheck(check, { scope: 'nodePool', cluster: facts.clusterRef, nodePool }, env));
        }
        break;
      case 'gsa': {
        const gsas = check.includeBoundOnlyGsas === true ? [...scope.gsas, ...scope.boundOnlyGsas] : scope.gsas;
        if (scope.ksasUnknown !== undefined && gsas.length === 0) {
          results.push(
            clusterLevelResult(
              check,
              facts,
              'unknown',
              `which GSAs the cluster's KSAs use is unknown: ${scope.ksasUnknown}`,
            ),
          );
        } else if (gsas.length === 0) {
          results.push(
            clusterLevelResult(
              check,
              facts,
              'skip',
              'no KSA of the cluster is annotated with a Google service account (direct binding only, or no Workload Identity)',
            ),
          );
        }
        for (const gsa of gsas) results.push(runCheck(check, { scope: 'gsa', email: gsa.email, ksas: gsa.ksas }, env));
        break;
      }
      case 'subject':
        throw new Error(`audit check ${check.id} has scope subject, which the audit does not run`);
    }
  }

  return {
    format: 'wi-doctor-report/1',
    tool: { name: 'wi-doctor', version: request.version },
    generatedAt: request.generatedAt ?? facts.now.toISOString(),
    source: request.source,
    cluster: targetSubject(cluster),
    results,
    verdicts: [],
    groups: [],
    summary: summarize(results),
    notes: [...facts.notes],
  };
}
