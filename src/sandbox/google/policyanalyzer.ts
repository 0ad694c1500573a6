// Policy Analyzer v1 activities:query, activity type serviceAccountLastAuthentication: when each service
// account of the project last authenticated, derived from the tokens the sandbox itself issued (metadata
// server, IAM Credentials, key files) and the scenario's `lastAuthenticatedTime`. As Google documents it:
// times are dates at T07:00:00Z, the observation period ends a lag behind now (world.activityLagMs), accounts
// never used are listed without lastAuthenticatedTime, disabled accounts are included.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { RouteTable } from '../http/router.js';
import type { GsaState, World } from '../world.js';
import { authenticate } from './common.js';
import { FilterSyntaxError, parseFilter } from './logging-filter.js';

const DAY = 86_400_000;
const SEVEN_HOURS = 7 * 3600_000;

/** The T07:00:00Z instant of the day `ms` falls on (days start at 07:00 UTC, as Google reports them). */
function dayOf(ms: number): number {
  return Math.floor((ms - SEVEN_HOURS) / DAY) * DAY + SEVEN_HOURS;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function policyAnalyzerRoutes(world: World): RouteTable {
  return new RouteTable(
    [
      {
        method: 'GET',
        path: '/v1/projects/{project}/locations/{location}/activityTypes/{type}/activities:query',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const type = req.params.type ?? '';
          const permission = `policyanalyzer.${type}Activities.query`;
          const p = world.project(req.params.project ?? '');
          if (!p || !world.check(auth.principal, permission, world.projectChain(p.id)).allowed)
            return permissionDenied(permission, 'policyanalyzer.googleapis.com');
          if (type !== 'serviceAccountLastAuthentication')
            // UNVERIFIED wording; serviceAccountKeyLastAuthentication is not played by the sandbox.
            return googleError(400, `Activity type ${type} is not supported by the sandbox.`);
          let matches: (o: unknown) => boolean;
          try {
            matches = parseFilter(req.query.get('filter') ?? '');
          } catch (e) {
            // UNVERIFIED: the API's wording for a filter it cannot parse.
            if (e instanceof FilterSyntaxError) return googleError(400, `Invalid filter: ${e.message}`);
            throw e;
          }
          const end = dayOf(world.now() - world.activityLagMs) + DAY;
          const start = end - 400 * DAY;
          const accounts = world.gsas
            .filter((g) => !g.deleted && g.projectId === p.id)
            .sort((a, b) => a.email.localeCompare(b.email));
          const activities = accounts
            .map((g) => activity(p.id, p.number, g, start, end, world.now() - world.activityLagMs))
            .filter((a) => {
              const name = a.fullResourceName;
              // Filters name the account as activities.full_resource_name (the documented form).
              return matches({
                activities: { full_resource_name: name, fullResourceName: name },
                activity: a.activity,
              });
            });
          const size = Math.min(Number(req.query.get('pageSize') ?? 1000) || 1000, 1000);
          const from = Number(req.query.get('pageToken') ?? 0) || 0;
          const out: Record<string, unknown> = { activities: activities.slice(from, from + size) };
          if (from + size < activities.length) out.nextPageToken = String(from + size);
          return { status: 200, json: out };
        },
      },
    ],
    (req) => googleNotFoundRoute('policyanalyzer', req.method, req.path),
  );
}

function activity(
  projectId: string,
  projectNumber: string,
  g: GsaState,
  start: number,
  end: number,
  observedUntil: number,
): { fullResourceName: string; activityType: string; observationPeriod: unknown; activity: Record<string, unknown> } {
  const fullResourceName = `//iam.googleapis.com/projects/${projectId}/serviceAccounts/${g.email}`;
  const inner: Record<string, unknown> = {};
  const seen = (g.authentications ?? []).filter((t) => t <= observedUntil && t >= start);
  const last = seen[seen.length - 1];
  if (last !== undefined) inner.lastAuthenticatedTime = iso(dayOf(last));
  inner.serviceAccount = { projectNumber, fullResourceName, serviceAccountId: g.uniqueId };
  return {
    fullResourceName,
    activityType: 'serviceAccountLastAuthentication',
    observationPeriod: { startTime: iso(start), endTime: iso(end) },
    activity: inner,
  };
}
