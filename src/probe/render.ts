// The probe's output: the checklist style of `wi-doctor check` text (✓ ✗ ! ? – with id and cause, a summary
// line), or the JSON report that joins a bundle's probe/ folder. Secrets are scrubbed last, as everywhere.

import { exitCodeFor } from '../model/results.js';
import { oneLine, redactSecrets } from '../report/common.js';
import { sanitize } from '../report/sanitize.js';
import { STATUS_SYMBOL } from '../report/text.js';
import type { ProbeReport } from './types.js';

export function renderProbeJson(report: ProbeReport): string {
  return redactSecrets(`${JSON.stringify(report, null, 2)}\n`);
}

export function renderProbeText(report: ProbeReport, opts: { hidePass: boolean }): string {
  const p = report.probe;
  const lines: string[] = [];
  const where = [
    `mode ${p.mode === 'metadata' ? 'GKE metadata server' : 'Workload Identity Federation'}`,
    p.pod !== null ? `pod ${p.pod}` : `host ${p.hostname}`,
    ...(p.node !== undefined ? [`node ${p.node}`] : []),
    ...(p.metadataHost !== undefined ? [`metadata ${p.metadataHost}`] : []),
    ...(p.credentialsFile !== undefined ? [`credentials ${p.credentialsFile}`] : []),
  ];
  lines.push(sanitize(`wi-doctor probe ${report.tool.version} · ${where.join(' · ')}`), '');
  const width = Math.max(...report.results.map((r) => r.check.length));
  const stepWidth = Math.max(0, ...report.results.flatMap((r) => r.steps.map((s) => s.step.length)));
  for (const r of report.results) {
    lines.push(`${STATUS_SYMBOL[r.status]} ${sanitize(r.check).padEnd(width)}  ${oneLine(r.cause ?? r.title)}`);
    if (r.status === 'skip') continue;
    for (const s of r.steps) {
      if (opts.hidePass && s.status === 'pass') continue;
      const timing = `${s.ms} ms${s.attempts !== undefined && s.attempts > 1 ? `, ${s.attempts} tries` : ''}`;
      lines.push(`    ${STATUS_SYMBOL[s.status]} ${s.step.padEnd(stepWidth)}  ${oneLine(s.message)}  (${timing})`);
    }
  }
  const s = report.summary;
  lines.push(
    '',
    [
      `${report.results.length} checks`,
      `${s.fail} failed`,
      `${s.warn} ${s.warn === 1 ? 'warning' : 'warnings'}`,
      `${s.pass} passed`,
      `${s.skip} skipped`,
      `${s.unknown} unknown (could not be evaluated)`,
      `${(p.durationMs / 1000).toFixed(1)} s`,
    ].join(' · '),
  );
  return redactSecrets(`${lines.join('\n')}\n`);
}

export function renderProbe(report: ProbeReport, format: 'text' | 'json', hidePass: boolean): string {
  return format === 'json' ? renderProbeJson(report) : renderProbeText(report, { hidePass });
}

/** 0 when nothing failed, 1 when a check failed (2 is for usage errors, decided before the run). */
export function probeExitCode(report: ProbeReport): 0 | 1 {
  return exitCodeFor(report.results, 'fail');
}
