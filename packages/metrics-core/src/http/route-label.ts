/**
 * Route labels for metrics and cache keys. Labels are route templates (`/api/workshops/:id`), never raw URLs,
 * so a metric series or a cache tag stays bounded however many distinct URLs clients send.
 */

/** The one label every request that matched no route shares (scanners must not create a series per URL). */
export const UNMATCHED_ROUTE = 'UNMATCHED';

/** Label for methods outside RFC 9110 §9 and RFC 5789 (PATCH), so junk methods cannot grow series either. */
export const OTHER_METHOD = 'OTHER';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Upper-cases a method and collapses unknown ones into {@link OTHER_METHOD}. */
export function normalizeMethod(method: string | undefined): string {
  if (!method) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : OTHER_METHOD;
}

/**
 * The label for a matched route template, or {@link UNMATCHED_ROUTE} when there is none. Duplicate slashes are
 * collapsed and a trailing slash dropped (except for `/`), so `/api//x/` and `/api/x` share a label.
 */
export function normalizeRoute(template: string | undefined | null): string {
  if (!template) return UNMATCHED_ROUTE;
  let route = template.includes('//') ? template.replace(/\/{2,}/g, '/') : template;
  if (route.length > 1 && route.endsWith('/')) route = route.slice(0, -1);
  return route;
}

/**
 * Joins a mount path and a route path the way Express reports them (`req.baseUrl + req.route.path`). Route
 * paths can be strings, regular expressions or arrays of either; non-strings are labelled by their source.
 */
export function joinRoutePath(basePath: string | undefined, routePath: unknown): string | undefined {
  if (routePath === undefined || routePath === null) return undefined;
  const path = typeof routePath === 'string'
    ? routePath
    : Array.isArray(routePath)
      ? routePath.map((part) => (typeof part === 'string' ? part : String(part))).join('|')
      : String(routePath);
  const base = basePath ?? '';
  if (path === '/' && base !== '') return base;
  return base + path;
}
