// Fix plans collected per pod or per node repeat themselves (pods of one Deployment share a fix).

import type { FixPlan } from '../../model/results.js';

/** The plans in first-seen order, each action/target/params once. */
export function dedupeFixes(plans: readonly FixPlan[]): FixPlan[] {
  const seen = new Set<string>();
  return plans.filter((p) => {
    const key = `${p.action} ${p.target} ${JSON.stringify(p.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `a`, `a` and `b`, `a`, `b` and `c`: names in prose, each in backticks. */
export function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `\`${n}\``);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1] ?? ''}`;
}
