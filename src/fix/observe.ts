// One verification round against the live APIs: collect exactly as `check --e2e` does (every check's facts plus
// the token chain of each subject KSA), diagnose, and hand back the report with each KSA's chain outcome.

import { CHECKS } from '../checks/index.js';
import { factsFromFiles } from '../collect/bundle/facts.js';
import type { LiveHooks, LiveRequestOptions } from '../collect/live/live.js';
import { collectLiveInput, requiredFacts } from '../collect/live/live.js';
import { diagnose } from '../engine/diagnose.js';
import { resolveSubjects } from '../engine/subjects.js';
import type { E2eResult } from '../model/facts.js';
import type { Observation } from './verify.js';

export async function observeLive(
  request: LiveRequestOptions,
  hooks: LiveHooks,
  version: string,
): Promise<Observation & { subjects: { id: string; ksa: string }[] }> {
  const { input } = await collectLiveInput({ ...request, e2e: true }, requiredFacts(CHECKS), hooks);
  const facts = factsFromFiles(input);
  const targets = { all: request.all, ksa: request.ksa, workload: request.workload, pod: request.pod };
  const report = diagnose(facts, CHECKS, {
    targets,
    options: { need: request.need ?? [], on: request.on, impersonate: request.impersonate, e2e: true },
    source: 'live',
    version,
    generatedAt: new Date().toISOString(),
  });
  const subjects = resolveSubjects(facts, targets).map((s) => ({ id: s.id, ksa: `${s.namespace}/${s.ksaName}` }));
  const chains = new Map<string, E2eResult | undefined>();
  for (const { ksa } of subjects) {
    const fact = facts.e2e(ksa);
    chains.set(ksa, fact.status === 'present' ? fact.value : undefined);
  }
  return { report, chains, subjects, facts };
}
