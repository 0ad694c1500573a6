// facts + request → report. The one entry point that the CLI (bundle or live input) and tests call.

import type { AnyCheck, CheckOptions } from '../checks/define.js';
import type { Facts } from '../model/facts.js';
import { createRoleResolver } from '../model/iam/roles.js';
import type { CheckResult, Report, ReportSlice, ReportStream, Verdict } from '../model/results.js';
import { reportOf, tally } from '../model/results.js';
import { ChangeExplainer } from './changes.js';
import { VerdictGrouper, buildVerdict } from './verdict.js';
import { probeResultsFor } from './probes.js';
import { reconcileWithLiveChain } from './reconcile.js';
import { UsageError } from './errors.js';
import { nearestNames } from '../model/edit-distance.js';
import type { RunEnvironment } from './runner.js';
import { notApplicable, runCheck, runClusterWide, runSubjectChecks } from './runner.js';
import type { TargetRequest } from './subjects.js';
import { resolveSubjects } from './subjects.js';
import type { Subject, Target } from './subject.js';
import { sharedTargets, targetSubject } from './targets.js';

export interface DiagnoseRequest {
  targets: TargetRequest;
  options: CheckOptions;
  /** Check ids to run (empty or undefined: all). */
  only?: readonly string[];
  /** Check ids not to run. */
  skip?: readonly string[];
  /** Where the facts came from, for the report: a bundle path or `live`. */
  source: string;
  version: string;
  /** When the report is made (ISO time); defaults to when the facts were collected, which keeps output reproducible. */
  generatedAt?: string;
  /** Subjects per slice of the stream (default SLICE_SIZE); the report is the same whatever it is. */
  sliceSize?: number;
}

/** `--only a,b --skip c` as asked, or undefined when every check runs. */
function describeSelection(
  only: readonly string[] | undefined,
  skip: readonly string[] | undefined,
): string | undefined {
  const parts = [
    ...(only?.length ? [`--only ${only.join(',')}`] : []),
    ...(skip?.length ? [`--skip ${skip.join(',')}`] : []),
  ];
  return parts.length > 0 ? parts.join(' ') : undefined;
}

export const DEFAULT_OPTIONS: CheckOptions = { need: [], on: undefined, impersonate: undefined, e2e: false };

export function selectChecks(
  catalog: readonly AnyCheck[],
  only: readonly string[] | undefined,
  skip: readonly string[] | undefined,
): AnyCheck[] {
  const known = new Set(catalog.map((c) => c.id));
  for (const [flag, ids] of [
    ['--only', only],
    ['--skip', skip],
  ] as const) {
    for (const id of ids ?? []) {
      if (known.has(id)) continue;
      const close = nearestNames(id, known);
      const hint = close.length > 0 ? `; did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?` : '';
      throw new UsageError(`${flag}: unknown check id \`${id}\`${hint} (\`wi-doctor checks\` lists them)`);
    }
  }
  // Chain order (pod → KSA → GSA → token) is the order people read a checklist in.
  return catalog
    .filter((c) => (!only?.length || only.includes(c.id)) && !skip?.includes(c.id))
    .sort((a, b) => a.chainOrder - b.chainOrder || a.id.localeCompare(b.id));
}

/** Diagnose and probe checks only: an audit id given to `check --only` is a usage error that says where it belongs. */
export function selectDiagnoseChecks(
  catalog: readonly AnyCheck[],
  only: readonly string[] | undefined,
  skip: readonly string[] | undefined,
): AnyCheck[] {
  const selected = selectChecks(catalog, only, skip);
  const misplaced = (only ?? []).filter((id) => catalog.find((c) => c.id === id)?.group === 'audit');
  if (misplaced.length > 0) {
    throw new UsageError(
      `${misplaced.map((id) => `\`${id}\``).join(', ')}: an audit check; run it with \`wi-doctor audit --only ${misplaced.join(',')}\``,
    );
  }
  return selected.filter((c) => c.group !== 'audit');
}

/**
 * The report, made whole: every slice of the diagnosis gathered (what the library, fix, graph and the formats
 * that need the whole report use).
 */
export function diagnose(facts: Facts, catalog: readonly AnyCheck[], request: DiagnoseRequest): Report {
  return reportOf(startDiagnosis(facts, catalog, request));
}

/**
 * Subjects per slice: few enough that a slice's results die young (V8 moves what survives two minor collections
 * into the old generation, copying it twice, and frees it only in a full collection), enough that a slice costs
 * nothing of its own. On 20,000 KSAs, text: 500 a slice spent about 0.18 s more in minor collections than 25, and
 * its peak was 40 MB higher; 50 is as good as 25.
 */
export const SLICE_SIZE = 50;

/**
 * The diagnosis as a stream (`ReportStream`): the checks on shared objects run first; then each slice of subjects
 * is diagnosed when it is read, with its verdicts and recorded changes; the counts, groups and notes are complete
 * once every slice has been read. A renderer that lays out or writes each slice as it comes never holds all the
 * results at once.
 */
export function startDiagnosis(facts: Facts, catalog: readonly AnyCheck[], request: DiagnoseRequest): ReportStream {
  const checks = selectDiagnoseChecks(catalog, request.only, request.skip);
  const selection = describeSelection(request.only, request.skip);
  const subjects = resolveSubjects(facts, request.targets);
  const env: RunEnvironment = { facts, roles: createRoleResolver(facts), options: request.options };
  const shared = sharedTargets(facts, subjects, facts.clusterRef);
  const chainOrder = new Map(catalog.map((c) => [c.id, c.chainOrder]));
  const checksById = new Map(catalog.map((c) => [c.id, c]));

  const sharedList: CheckResult[] = [];
  const sharedResults = new Map<string, CheckResult[]>(); // shared target subject → its results
  const runShared = (check: AnyCheck, target: Target): void => {
    // A shared check that bears on none of the subjects (the IAM Credentials API when every subject uses
    // direct binding) must not fail the run: it is not applicable.
    const relevant = !check.relevantTo || subjects.length === 0 || subjects.some((s) => check.relevantTo?.(s));
    const result = relevant ? runCheck(check, target, env) : notApplicable(check, target);
    sharedList.push(result);
    const list = sharedResults.get(result.subject) ?? [];
    list.push(result);
    sharedResults.set(result.subject, list);
  };
  for (const check of checks) {
    if (check.scope === 'project') runShared(check, shared.project);
    else if (check.scope === 'cluster') runShared(check, shared.cluster);
    else if (check.scope === 'nodePool') for (const target of shared.nodePools.values()) runShared(check, target);
  }
  // Findings about the whole cluster that subject checks would repeat per subject: reported once, and in no
  // subject's verdict (a risk for the cluster does not break one KSA's chain).
  if (subjects.length > 0 && shared.cluster.scope === 'cluster') {
    for (const check of checks) {
      const result = runClusterWide(check, shared.cluster, env);
      if (result !== undefined) sharedList.push(result);
    }
  }

  const probes = probeResultsFor(facts, subjects);

  // The shared results a subject's verdict may take in (its project's, its cluster's, its node pools'): gathered
  // once per list of node pools, which most subjects share.
  const sharedByPools = new Map<string, CheckResult[]>();
  const sharedResultsOn = (pools: readonly string[]): CheckResult[] => {
    const key = pools.join('\u0000');
    let found = sharedByPools.get(key);
    if (found === undefined) {
      found = [
        targetSubject(shared.project),
        targetSubject(shared.cluster),
        ...pools.map((pool) => {
          const target = shared.nodePools.get(pool);
          return target ? targetSubject(target) : pool;
        }),
      ].flatMap((s) => sharedResults.get(s) ?? []);
      sharedByPools.set(key, found);
    }
    return found;
  };
  const verdictOf = (subject: Subject, own: readonly CheckResult[]): Verdict => {
    const relatedResults = sharedResultsOn(shared.poolsBySubject.get(subject.id) ?? []).filter(
      (r) => checksById.get(r.check)?.relevantTo?.(subject) ?? true,
    );
    // Only shared objects with a result that bears on this subject are related to it (and shown with it).
    const related = [...new Set(relatedResults.map((r) => r.subject))];
    // Shared results stay as they are in the report (they are about the object); this subject's verdict
    // reconciles them with its own live chain.
    const forVerdict = reconcileWithLiveChain(subject, [...own, ...relatedResults]);
    return buildVerdict(subject.id, forVerdict, chainOrder, related, selection);
  };

  // Counted, grouped and explained slice by slice; groups and recorded changes look at failures only.
  const counted = tally(sharedList);
  const summary = counted.summary;
  const grouper = new VerdictGrouper(counted.failures);
  const changes = new ChangeExplainer(facts);
  let started = false;
  let done = false;

  function* slices(): Generator<ReportSlice> {
    if (started) throw new Error('the slices of a diagnosis are read once');
    started = true;
    const asked = request.sliceSize;
    const size = asked !== undefined && Number.isInteger(asked) && asked > 0 ? asked : SLICE_SIZE;
    for (let first = 0; first < subjects.length; first += size) {
      const some = subjects.slice(first, first + size);
      const results: CheckResult[] = [];
      const verdicts: Verdict[] = [];
      for (const subject of some) {
        const own = runSubjectChecks(checks, subject, env);
        own.push(...(probes.bySubject.get(subject.id) ?? []));
        const reconciled = reconcileWithLiveChain(subject, own);
        for (const r of reconciled) results.push(r);
        verdicts.push(verdictOf(subject, reconciled));
      }
      const { summary: counts, failures } = tally(results);
      for (const status of STATUSES) summary[status] += counts[status];
      // Grouped before recorded changes are attached: a group's headline is the cause, not who changed it.
      grouper.add(verdicts, failures);
      changes.attach(verdicts, some, failures);
      yield { results, verdicts };
    }
    done = true;
  }

  return {
    head: {
      format: 'wi-doctor-report/1',
      tool: { name: 'wi-doctor', version: request.version },
      generatedAt: request.generatedAt ?? facts.now.toISOString(),
      collectedAt: facts.now.toISOString(),
      source: request.source,
      cluster: targetSubject(shared.cluster),
      ...(selection !== undefined ? { selection } : {}),
    },
    shared: sharedList,
    subjectCount: subjects.length,
    slices: { [Symbol.iterator]: slices },
    end: () => {
      if (!done) throw new Error('the diagnosis was asked for its end before its slices were read');
      return { summary, groups: grouper.groups(), notes: [...facts.notes, ...probes.notes, ...changes.notes()] };
    },
  };
}

const STATUSES = ['pass', 'fail', 'warn', 'unknown', 'skip'] as const;
