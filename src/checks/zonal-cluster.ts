// A zonal cluster has one control plane in one zone: the tokens pods get through Workload Identity depend on it,
// so an outage or upgrade of that zone's control plane stops token issuance for the whole cluster. A regional
// cluster replicates its control plane across zones. Warn; a location that is neither form is unknown.

import { need } from '../model/facts.js';
import { defineCheck } from './define.js';

const ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;
const REGION = /^[a-z]+-[a-z]+\d+$/;

export default defineCheck({
  id: 'zonal-cluster',
  title: 'The cluster is regional',
  failureTitle: 'The cluster is zonal: token issuance depends on one control plane',
  group: 'audit',
  scope: 'cluster',
  chainOrder: 912,
  requires: ['cluster'],
  run({ facts, target }) {
    const cluster = need(facts.cluster);
    const location = cluster.location ?? cluster.zone ?? target.cluster.location;
    if (REGION.test(location)) {
      return { status: 'pass', cause: `cluster \`${cluster.name}\` is regional (\`${location}\`)` };
    }
    if (!ZONE.test(location)) {
      return {
        status: 'unknown',
        cause: `location \`${location}\` is neither a zone (like europe-west1-b) nor a region (like europe-west1)`,
        missing: [facts.cluster.source],
      };
    }
    return {
      status: 'warn',
      cause: `cluster \`${cluster.name}\` is zonal (\`${location}\`): when its one control plane is down or upgrading, pods cannot get new tokens`,
      evidence: { expected: 'a region (replicated control plane)', actual: location },
      fix: [
        {
          action: 'manual',
          target: `projects/${target.cluster.project}/locations/${location}/clusters/${cluster.name}`,
          params: {},
          description:
            'Run workloads that must keep getting tokens through control-plane outages on a regional cluster (gcloud container clusters create … --region=REGION) and move them there.',
        },
      ],
    };
  },
});
