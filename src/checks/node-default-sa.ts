// A node pool that runs as the Compute Engine default service account (`default`, i.e.
// `PROJECT_NUMBER-compute@developer.gserviceaccount.com`) lends that account to every pod that reaches the node's
// identity (a pool not on GKE_METADATA, a hostNetwork pod). That account often holds roles/editor on the project:
// fail when the project policy shows it does, warn otherwise. The Compute default account holding Editor while no
// pool runs as it is no Workload Identity finding.

import { need } from '../model/facts.js';
import { defineCheck } from './define.js';
import { grantsIn } from './lib/audit.js';
import { policyCollectHint } from './lib/collect-hints.js';

const BROAD = new Set(['roles/owner', 'roles/editor']);

export default defineCheck({
  id: 'node-default-sa',
  title: 'The node pool runs as a dedicated service account',
  failureTitle: 'The node pool runs as the Compute Engine default service account',
  group: 'audit',
  scope: 'nodePool',
  chainOrder: 911,
  requires: ['cluster', 'project', 'projectPolicy'],
  run({ facts, target }) {
    const cluster = need(facts.cluster);
    const pool = (cluster.nodePools ?? []).find((p) => p.name === target.nodePool);
    if (pool === undefined) {
      return {
        status: 'unknown',
        cause: `node pool \`${target.nodePool}\` is not in the cluster's description`,
        missing: [facts.cluster.source],
      };
    }
    const project = target.cluster.project;
    const configured = pool.config?.serviceAccount;
    const projectFact = facts.project(project);
    const number = projectFact.status === 'present' ? projectFact.value.projectNumber : undefined;
    const computeDefault = number === undefined ? undefined : `${number}-compute@developer.gserviceaccount.com`;
    const isDefault =
      configured === undefined ||
      configured === '' ||
      configured === 'default' ||
      /^\d+-compute@developer\.gserviceaccount\.com$/i.test(configured);
    if (!isDefault) {
      return { status: 'pass', cause: `node pool \`${pool.name}\` runs as \`${configured}\`` };
    }
    const email = configured !== undefined && configured.includes('@') ? configured : computeDefault;
    const mode = pool.config?.workloadMetadataConfig?.mode;
    const exposure =
      mode === 'GKE_METADATA' || cluster.autopilot?.enabled === true
        ? 'pods reach it only through hostNetwork or a node compromise (the pool runs the GKE metadata server)'
        : 'every pod of the pool reaches it: the pool does not run the GKE metadata server';
    const fix = [
      {
        action: 'manual',
        target: `projects/${project}/locations/${target.cluster.location}/clusters/${target.cluster.name}/nodePools/${pool.name}`,
        params: {},
        description: `Create a node pool that runs as a dedicated service account holding roles/container.defaultNodeServiceAccount (gcloud container node-pools create … --service-account=EMAIL), move the workloads to it, then delete \`${pool.name}\`.`,
      },
    ];
    const policy = facts.projectPolicy(project);
    if (email === undefined || policy.status !== 'present') {
      return {
        status: 'warn',
        cause: `node pool \`${pool.name}\` runs as the Compute Engine default service account, which often holds roles/editor; ${exposure}`,
        evidence: {
          expected: 'a dedicated node service account',
          actual: configured ?? 'default',
          notes: [
            policy.status !== 'present'
              ? `its roles are unknown: ${policyCollectHint(`projects/${project}`)}`
              : 'its email is unknown: the project number was not read',
          ],
        },
        fix,
      };
    }
    const broad = grantsIn(`projects/${project}`, 'project', policy.value).filter(
      (g) => BROAD.has(g.role) && g.member.toLowerCase() === `serviceaccount:${email.toLowerCase()}`,
    );
    return {
      status: broad.length > 0 ? 'fail' : 'warn',
      cause:
        broad.length > 0
          ? `node pool \`${pool.name}\` runs as \`${email}\`, which holds ${broad.map((g) => `\`${g.role}\``).join(', ')} on project \`${project}\`; ${exposure}`
          : `node pool \`${pool.name}\` runs as the Compute Engine default service account \`${email}\` (no basic role on project \`${project}\` now, but it is shared with every VM that runs as it); ${exposure}`,
      evidence: {
        expected: 'a dedicated node service account with roles/container.defaultNodeServiceAccount',
        actual: { serviceAccount: email, projectRoles: broad.map((g) => g.role) },
      },
      fix,
    };
  },
});
