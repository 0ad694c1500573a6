// `wi-doctor logs` output: first whether the logs are on, then each token step with its counts, failures,
// callers and the Logs Explorer link of the exact query; the JSON is the LogsReport itself.

import type { LogsReport, TokenSummary } from '../engine/logs.js';
import { oneLine, redactSecrets } from './common.js';
import { sanitizeDeep } from './sanitize.js';

const STEP_TITLES: Record<TokenSummary['step'], string> = {
  'generate-access-token': 'GenerateAccessToken (IAM Credentials: the GSA token GKE mints for the pod)',
  'sts-exchange': 'STS token exchange (the KSA token traded for a federated token)',
};

export function renderLogsText(report: LogsReport): string {
  // Callers, user agents and messages come from log entries: redacted and escaped before they are laid out.
  const r = sanitizeDeep(report);
  const lines: string[] = [];
  lines.push(
    `wi-doctor logs · KSA ${r.ksa} · ${r.model === 'impersonation' ? `impersonates ${r.gsa ?? '?'}` : 'direct binding (no GSA)'} · ${r.source}`,
    `window: ${r.window.since} → ${r.window.until}`,
    '',
  );
  for (const s of r.statements) lines.push(`• ${oneLine(s)}`);
  lines.push('', 'Audit log configuration:');
  for (const l of r.logging)
    lines.push(`  ${l.state === 'on' ? '✓' : l.state === 'off' ? '✗' : '?'} ${oneLine(l.detail)}`);
  for (const s of r.steps) {
    lines.push('', `${STEP_TITLES[s.step]}${s.project !== undefined ? ` — project ${s.project}` : ''}`);
    lines.push(`  entries: ${s.total} (${s.ok} succeeded, ${s.failed} failed)`);
    if (s.lastSuccess) lines.push(`  last success: ${s.lastSuccess.at} by ${s.lastSuccess.caller}`);
    if (s.lastFailure) lines.push(`  last failure: ${s.lastFailure.at}`);
    for (const f of s.failures) {
      lines.push(
        `  failed ×${f.count}: ${f.code !== undefined ? `code ${f.code} ` : ''}${f.message ?? ''} (last ${f.last})`.trimEnd(),
      );
    }
    for (const c of s.callers) {
      const extra = [c.ip, c.tool].filter((x) => x !== undefined).join(', ');
      lines.push(`  caller ×${c.count}: ${c.caller}${extra ? ` (${extra})` : ''}`);
    }
    lines.push(`  coverage: ${oneLine(s.coverage)}`);
    if (s.explorer) lines.push(`  Logs Explorer: ${s.explorer.url}`);
  }
  if (r.skipped > 0) {
    lines.push(
      '',
      `${r.skipped} log entr${r.skipped === 1 ? 'y' : 'ies'} of an unexpected shape skipped: ${r.skippedReasons.join('; ')}`,
    );
  }
  return redactSecrets(`${lines.join('\n')}\n`);
}

export function renderLogsJson(r: LogsReport): string {
  return redactSecrets(`${JSON.stringify(r, null, 2)}\n`);
}
