// collectFleet's schedule: at most --cluster-concurrency clusters at once, each handed over before its worker starts
// another (memory holds about that many clusters), every cluster handed over, a failing hand-over failing the run.

import { describe, expect, test } from 'vitest';
import type { CallOutcome } from '../../src/collect/live/calls.js';
import type { FleetCluster, FleetCollection, FleetSources } from '../../src/collect/live/fleet.js';
import { collectFleet } from '../../src/collect/live/fleet.js';
import type { ClusterRef } from '../../src/model/facts.js';

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sources whose cluster describe fails at once (no network): each cluster is collected as unreachable. */
function sources(log: string[]): FleetSources {
  const google = {
    prime: () => undefined,
    cluster: async (ref: ClusterRef): Promise<CallOutcome<unknown>> => {
      log.push(`collect ${ref.name}`);
      await tick(5);
      return { ok: false, kind: 'error', status: 503, message: 'unavailable' };
    },
  };
  return {
    google: google as unknown as FleetSources['google'],
    runner: {} as unknown as FleetSources['runner'],
    credentials: {} as FleetSources['credentials'],
    env: {},
  };
}

const cluster = (name: string): FleetCluster => {
  const ref = { project: 'p', location: 'europe-west1', name };
  return { label: `gke_p_europe-west1_${name}`, ref };
};

const request = { requires: [], targets: { all: true }, options: {} };

describe('collectFleet', () => {
  test('with one cluster at a time, each is handed over before the next is collected', async () => {
    const log: string[] = [];
    let handing = 0;
    let mostAtOnce = 0;
    await collectFleet(['a', 'b', 'c'].map(cluster), sources(log), request, 1, async (r: FleetCollection) => {
      handing++;
      mostAtOnce = Math.max(mostAtOnce, handing);
      log.push(`hand ${r.cluster.ref?.name ?? ''}`);
      await tick(40);
      log.push(`handed ${r.cluster.ref?.name ?? ''}`);
      handing--;
    });
    expect(mostAtOnce).toBe(1);
    expect(log).toEqual([
      'collect a',
      'hand a',
      'handed a',
      'collect b',
      'hand b',
      'handed b',
      'collect c',
      'hand c',
      'handed c',
    ]);
  });

  test('every cluster is handed over, whatever the concurrency', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `c${i}`);
    const handed: string[] = [];
    await collectFleet(names.map(cluster), sources([]), request, 3, (r) => {
      handed.push(r.cluster.ref?.name ?? '');
      if (r.ok) expect(r.unreachable).toMatch(/could not be described: unavailable/);
    });
    expect([...handed].sort()).toEqual(names);
  });

  test('a failing hand-over fails the run', async () => {
    await expect(
      collectFleet(['a', 'b'].map(cluster), sources([]), request, 1, (r) => {
        if (r.cluster.ref?.name === 'a') throw new Error('render failed');
      }),
    ).rejects.toThrow('render failed');
  });
});
