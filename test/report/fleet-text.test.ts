// The fleet summary line: its counts add up to the rows listed, and numbers agree with their nouns.

import { describe, expect, it } from 'vitest';
import type { Status } from '../../src/model/results.js';
import { renderFleetText, type FleetSummary } from '../../src/report/fleet.js';

const SUMMARY = { pass: 0, fail: 0, warn: 0, unknown: 0, skip: 0 };

function fleet(statuses: Status[], clusters = 1): FleetSummary {
  return {
    format: 'wi-doctor-fleet/1',
    clusters: Array.from({ length: clusters }, (_, i) => ({
      cluster: `c${i}`,
      reachable: true,
      subjects: statuses.length,
      summary: SUMMARY,
    })),
    verdicts: statuses.map((status, i) => ({
      cluster: 'c0',
      subject: `s${i}`,
      status,
      rootCause: null,
      headline: 'h',
    })),
    identities: [],
    searched: [],
    notes: [],
  };
}

describe('renderFleetText', () => {
  it('counts every row, not applicable ones included, and says "1 cluster"', () => {
    const text = renderFleetText(fleet(['warn', 'warn', 'skip', 'pass', 'fail']), { hidePass: false });
    expect(text.split('\n')[0]).toBe(
      'Fleet: 1 cluster (0 not reached), 5 subjects: 1 failing, 2 warning, 0 unknown, 1 passing, 1 not applicable',
    );
  });

  it('several clusters, one subject', () => {
    const text = renderFleetText(fleet(['pass'], 2), { hidePass: false });
    expect(text.split('\n')[0]).toBe(
      'Fleet: 2 clusters (0 not reached), 1 subject: 0 failing, 0 warning, 0 unknown, 1 passing',
    );
  });
});
