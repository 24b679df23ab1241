/**
 * The route that serves `path`, as its pattern: request logs name it instead of the path, so that the
 * ids a path carries (`/api/v1/metrics/cpuLoadAvg/byUser/6a:d6:96:d3:45:35`) never make a log field of
 * their own, and `/metrics` counts requests by a bounded label. `null` for a path no route serves.
 */
export function routeName(path: string): string | null {
  switch (path) {
    case '/graphql':
    case '/health':
    case '/ready':
    case '/metrics':
    case '/api/v1/metrics':
    case '/':
      return path;
    case '/index.html':
      return '/';
  }
  // The web console's files: their names are bounded by its manifest, but a caller may send any.
  if (path.startsWith('/assets/')) return '/assets/:name';
  if (/^\/api\/v1\/metrics\/[^/]+\/byUser\/[^/]+$/.test(path))
    return '/api/v1/metrics/:metric/byUser/:userId';
  return null;
}
