// `who-can` as text or JSON. Pure: the analysis in, a string out.

import type { GrantRow, WhoCanGsa, WhoCanKsa } from '../engine/who-can.js';
import { redactSecrets } from './common.js';

function grantLine(g: GrantRow, showPermissions: boolean): string {
  const perms = showPermissions && g.permissions.length > 0 ? ` (${g.permissions.join(', ')})` : '';
  const cond = g.condition !== undefined ? ` under condition ${g.condition.title ?? g.condition.expression}` : '';
  const partial = g.source.startsWith('gcp/asset-search/') ? ' [Cloud Asset Inventory]' : '';
  return `  ${g.member}\n      ${g.role} on ${g.resource}${perms}${cond}${partial}`;
}

const KSA_ICON: Record<string, string> = {
  'gets it': '✓',
  'gets it under a condition': '!',
  'annotated, not granted': '✗',
  'granted, not annotated': '-',
  unknown: '?',
};

/** `clustersAsked`: clusters whose KSAs were to be read (default: as many as were read). */
export function renderWhoCanGsaText(r: WhoCanGsa, clustersRead: number, clustersAsked = clustersRead): string {
  const lines: string[] = [];
  const exists = r.exists === 'yes' ? '' : r.exists === 'no' ? ' (the account does not exist)' : ' (existence unknown)';
  lines.push(`Who can get tokens for ${r.gsa}${exists}`, '');
  lines.push(
    'Principals that can mint its tokens (grants on the account, its project, and the folders and organization above):',
  );
  if (r.principals.length === 0) lines.push('  none in the policies read');
  for (const g of r.principals) lines.push(grantLine(g, true));
  lines.push('');
  if (clustersRead === 0 && clustersAsked > 0) {
    lines.push('KSAs: unknown: no cluster’s KSAs could be read (the notes on stderr say why)');
  } else if (clustersRead === 0) {
    lines.push('KSAs: no cluster was read (give --clusters or --context to list the KSAs that would get it)');
  } else {
    lines.push(`KSAs of the ${clustersRead} cluster(s) read that name it or are granted it:`);
    if (r.ksas.length === 0) lines.push('  none');
    for (const k of r.ksas)
      lines.push(`  ${KSA_ICON[k.outcome] ?? '?'} ${k.cluster}  ${k.ksa}: ${k.outcome}: ${k.why}`);
  }
  if (r.unreadable.length > 0) {
    lines.push('', 'Not readable (a grant may hide there):', ...r.unreadable.map((u) => `  ${u}`));
  }
  if (r.searched.length > 0) lines.push('', ...r.searched.map((s) => `searched: ${s}`));
  return redactSecrets(`${lines.join('\n')}\n`);
}

export function renderWhoCanKsaText(r: WhoCanKsa): string {
  const lines: string[] = [];
  lines.push(`What KSA ${r.ksa} of ${r.cluster} can reach`, '');
  // Annotated, its pods get the GSA's tokens: grants to its own principal reach them only without the annotation.
  const own = r.gsa === undefined ? 'direct binding' : 'not what its pods use while it is annotated with a GSA';
  lines.push(`Its own principal (${own}): ${r.principal ?? 'none (the cluster has no workload pool)'}`);
  if (r.direct.length === 0) lines.push('  no grant in the policies read');
  for (const g of r.direct) lines.push(grantLine(g, false));
  lines.push('');
  if (r.gsa === undefined) lines.push('Through a GSA: none (no iam.gke.io/gcp-service-account annotation)');
  else {
    const how: Record<WhoCanKsa['impersonation'], string> = {
      granted: 'it may mint the GSA’s tokens',
      conditional: 'it may mint the GSA’s tokens only under a condition',
      'not-granted': 'it may NOT mint the GSA’s tokens, so none of these reach it',
      unknown: 'whether it may mint the GSA’s tokens is unknown',
      none: '',
    };
    lines.push(`Through GSA ${r.gsa}: ${how[r.impersonation]}`);
    if (r.throughGsa.length === 0) lines.push('  no grant to the GSA in the policies read');
    for (const g of r.throughGsa) lines.push(grantLine(g, false));
  }
  if (r.unreadable.length > 0) {
    lines.push('', 'Not readable (a grant may hide there):', ...r.unreadable.map((u) => `  ${u}`));
  }
  if (r.searched.length > 0) lines.push('', ...r.searched.map((s) => `searched: ${s}`));
  return redactSecrets(`${lines.join('\n')}\n`);
}

export function renderWhoCanJson(r: WhoCanGsa | WhoCanKsa): string {
  return redactSecrets(`${JSON.stringify(r, null, 2)}\n`);
}
