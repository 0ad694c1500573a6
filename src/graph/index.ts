// The identity graph: a pure function of facts and results (./build.ts), parts of it (./select.ts), and its
// shapes (./types.ts). Renderers are in src/report/graph/ and src/report/html/.

import type { Facts } from '../model/facts.js';
import { createRoleResolver } from '../model/iam/roles.js';
import type { Report } from '../model/results.js';
import type { GraphRequest } from './build.js';
import { buildIdentityGraph } from './build.js';
import type { IdentityGraph } from './types.js';

export { buildIdentityGraph, nodeId } from './build.js';
export type { GraphRequest } from './build.js';
export { aroundNode } from './select.js';
export { withTokenMinters } from './minters.js';
export * from './types.js';

/** The graph of a diagnosis, with the role catalog and the custom roles of its facts. */
export function identityGraph(facts: Facts, report: Report, options?: GraphRequest['options']): IdentityGraph {
  return buildIdentityGraph({ facts, report, roles: createRoleResolver(facts), ...(options ? { options } : {}) });
}
