/** The REST v1 history route, its two segments variables. */
const HISTORY_ROUTE = /^\/api\/v1\/metrics\/[^/]+\/byUser\/[^/]+$/;

/**
 * The route a path matched, as a pattern (`/api/v1/metrics/:metric/byUser/:userId`), `other` for a path no
 * route serves: a bounded label for `/metrics`, whatever paths callers send.
 */
export function routePattern(path: string): string {
  switch (path) {
    case '/graphql':
    case '/health':
    case '/ready':
    case '/metrics':
    case '/api/v1/metrics':
      return path;
    default:
      return HISTORY_ROUTE.test(path) ? '/api/v1/metrics/:metric/byUser/:userId' : 'other';
  }
}
