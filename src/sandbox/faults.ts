// Injected faults: latency, 429/503 answers, hung requests, per API and optional path substring. Decisions
// come from a seeded PRNG so that a failing run can be replayed.

import { Prng } from './prng.js';
import type { ApiName, FaultRule, FaultsSpec } from './scenario/types.js';

export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; status: 429 | 503; retryAfterSeconds: number }
  | { kind: 'hang' };

export class Faults {
  private rules: FaultRule[];
  private prng: Prng;

  constructor(spec: FaultsSpec | undefined) {
    this.rules = spec?.rules ?? [];
    this.prng = new Prng(spec?.seed ?? 1);
  }

  /** Replaces the rules (admin endpoint); a new seed restarts the sequence. */
  set(spec: FaultsSpec): void {
    this.rules = spec.rules ?? [];
    if (spec.seed !== undefined) this.prng = new Prng(spec.seed);
  }

  list(): FaultRule[] {
    return this.rules;
  }

  decide(api: ApiName, path: string): FaultDecision {
    let latencyMs = 0;
    for (const rule of this.rules) {
      if (rule.api !== '*' && rule.api !== api) continue;
      if (rule.path !== undefined && !path.includes(rule.path)) continue;
      latencyMs += rule.latencyMs ?? 0;
      if (rule.timeoutRate !== undefined && this.prng.next() < rule.timeoutRate) return { kind: 'hang' };
      if (rule.errorRate !== undefined && this.prng.next() < rule.errorRate) {
        return { kind: 'error', latencyMs, status: rule.status ?? 503, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
      }
    }
    return { kind: 'none', latencyMs };
  }
}
