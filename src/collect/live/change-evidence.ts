// Who changed it, live: once the facts are in, diagnose them; for what failed in a way a recorded change can
// explain, the collector reads the Admin Activity logs too (nothing more is read when nothing such failed).

import { CHECKS } from '../../checks/index.js';
import { changeTargets } from '../../engine/changes.js';
import { DEFAULT_OPTIONS, diagnose } from '../../engine/diagnose.js';
import type { TargetRequest } from '../../engine/subjects.js';
import { resolveSubjects } from '../../engine/subjects.js';
import type { ChangeTarget } from '../../model/log-query.js';
import type { BundleInput } from '../bundle/facts.js';
import { factsFromFiles } from '../bundle/facts.js';

/** The change targets of what fails among `targets`, as the collector's `changeEvidence` hook wants them. */
export function changeEvidenceFor(
  options: TargetRequest & { only?: readonly string[]; skip?: readonly string[] },
): (input: BundleInput) => ChangeTarget[] {
  return (input) => {
    const facts = factsFromFiles(input);
    const targets = { all: options.all, ksa: options.ksa, workload: options.workload, pod: options.pod };
    const report = diagnose(facts, CHECKS, {
      targets,
      options: DEFAULT_OPTIONS,
      ...(options.only !== undefined ? { only: options.only } : {}),
      ...(options.skip !== undefined ? { skip: options.skip } : {}),
      source: 'live',
      version: 'change-evidence',
    });
    return changeTargets(report, facts, resolveSubjects(facts, targets));
  };
}
