// The facts a set of checks reads: pure, so that commands working from a bundle can ask without loading the
// live clients (the Google and Kubernetes client libraries take most of the CLI's start-up time).

import type { AnyCheck, FactName } from '../../checks/define.js';

/** The facts every selected check reads. */
export function requiredFacts(checks: readonly AnyCheck[]): FactName[] {
  return [...new Set(checks.flatMap((c) => c.requires))].sort();
}
