// Count every request the sandbox's servers receive, by API (Google APIs by name, `kubernetes`, `metadata`),
// by wrapping the fault injector every request passes through (src/sandbox/http/server.ts).

export function countRequests(sandbox) {
  const counts = {};
  const faults = sandbox.world.faults;
  const decide = faults.decide.bind(faults);
  faults.decide = (api, path) => {
    counts[api] = (counts[api] ?? 0) + 1;
    return decide(api, path);
  };
  return () => ({ ...counts });
}

export const diff = (after, before) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v > 0),
  );

export const total = (counts) => Object.values(counts).reduce((a, n) => a + n, 0);
