// Cloud Logging v2 entries:list over the sandbox's audit log, with the Logging query language (the grammar
// is in logging-filter.ts). Resource names `projects/P` (or a log view of P's buckets); Data Access entries
// are private logs and need logging.privateLogEntries.list.

import { googleError, googleNotFoundRoute, permissionDenied } from '../http/errors.js';
import { str, readBody, RouteTable } from '../http/router.js';
import type { World } from '../world.js';
import { authenticate } from './common.js';
import { FilterSyntaxError, parseFilter, type Predicate } from './logging-filter.js';

export function loggingRoutes(world: World): RouteTable {
  return new RouteTable(
    [
      {
        method: 'POST',
        path: '/v2/entries:list',
        handler: (req) => {
          const auth = authenticate(world, req);
          if (!auth.ok) return auth.response;
          const body = readBody(req);
          const names = [
            ...(Array.isArray(body.resourceNames) ? body.resourceNames.map(String) : []),
            ...(Array.isArray(body.projectIds) ? body.projectIds.map((id) => `projects/${String(id)}`) : []),
          ];
          // UNVERIFIED: the API's wording for a request without resource names.
          if (names.length === 0) return googleError(400, 'Invalid resource name: resourceNames must not be empty.');
          // Each resource name is a log parent: projects/P (or one of its log views), folders/N, organizations/N.
          const parents: string[] = [];
          const mayReadPrivate = new Set<string>();
          for (const n of names) {
            const m =
              /^(projects|folders|organizations)\/([^/]+)(\/locations\/[^/]+\/buckets\/[^/]+\/views\/[^/]+)?$/.exec(n);
            if (!m) return googleError(400, `Invalid resource name: ${n}`);
            let parent: string;
            let chain;
            if (m[1] === 'projects') {
              const p = world.project(m[2] ?? '');
              parent = `projects/${p?.id ?? m[2] ?? ''}`;
              chain = p ? world.projectChain(p.id) : undefined;
            } else {
              parent = `${m[1] ?? ''}/${m[2] ?? ''}`;
              const exists = m[1] === 'folders' ? world.folders.has(parent) : world.organization?.id === m[2];
              chain = exists ? world.ancestorChain(parent) : undefined;
            }
            if (!chain || !world.check(auth.principal, 'logging.logEntries.list', chain).allowed)
              return permissionDenied('logging.logEntries.list', 'logging.googleapis.com');
            parents.push(parent);
            // Data Access logs are private logs: reading them needs logging.privateLogEntries.list.
            if (world.check(auth.principal, 'logging.privateLogEntries.list', chain).allowed)
              mayReadPrivate.add(parent);
          }
          let predicate: Predicate;
          try {
            predicate = parseFilter(str(body.filter));
          } catch (e) {
            // How the Logging API refuses a filter it cannot parse (seen through gcloud logging read).
            if (e instanceof FilterSyntaxError) return googleError(400, `Unparseable filter: ${e.message}`);
            throw e;
          }
          let entries = world.audit.all().filter((e) => {
            const parent = e.logName.slice(0, e.logName.indexOf('/logs/'));
            if (!parents.includes(parent)) return false;
            if (e.logName.endsWith('%2Fdata_access') && !mayReadPrivate.has(parent)) return false;
            return predicate(e);
          });
          const desc = str(body.orderBy).includes('desc');
          entries = [...entries].sort(
            (a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0) * (desc ? -1 : 1),
          );
          const size = Math.min(Number(body.pageSize ?? 50) || 50, 1000);
          const start = Number(body.pageToken ?? 0) || 0;
          const out: Record<string, unknown> = {};
          const page = entries.slice(start, start + size);
          if (page.length > 0) out.entries = page;
          if (start + size < entries.length) out.nextPageToken = String(start + size);
          return { status: 200, json: out };
        },
      },
    ],
    (req) => googleNotFoundRoute('logging', req.method, req.path),
  );
}
