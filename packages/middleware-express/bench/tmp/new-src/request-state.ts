import { joinRoutePath, normalizeRoute, UNMATCHED_ROUTE, type RequestTrack } from '@wai/metrics-core';
import type { Request } from 'express';

/**
 * What the middleware knows about one request, kept beside it in one WeakMap record rather than as symbol
 * properties on `req`: in a CPU profile of the benchmark server under autocannon, writing up to four symbol
 * properties onto each Express request (and the `route` setter doing two of them) cost about twice what one
 * record does.
 */
interface RequestRecord {
  track: RequestTrack | undefined;
  /** `req.route` as Express assigned it, and `req.baseUrl` at that moment (see `watchRoute`). */
  route: { path?: unknown } | undefined;
  routeBase: string | undefined;
  routeSeen: boolean;
  /** A label fixed before the route ran (a cache hit knows the label of its entry). */
  label: string | undefined;
}

// The record lives on the request under a registered symbol (one property, added the same way to every
// request, so requests keep one shape): a WeakMap entry per request cost more, in insertion and in GC.
const RECORD = Symbol.for('@wai/middleware-express.request');
type WithRecord = { [RECORD]?: RequestRecord };

function recordOf(request: object): RequestRecord {
  let record = (request as WithRecord)[RECORD];
  if (record === undefined) {
    record = { track: undefined, route: undefined, routeBase: undefined, routeSeen: false, label: undefined };
    (request as WithRecord)[RECORD] = record;
  }
  return record;
}

/** Sets the label for a request answered before its route ran (a cache hit knows the label of its entry). */
export function setRouteLabel(request: Request, label: string): void {
  recordOf(request).label = label;
}

export function setTrack(request: Request, track: RequestTrack): void {
  recordOf(request).track = track;
}

/** The timing of this request, when `enhancedRequestTiming` runs before the caller. */
export function getTrack(request: Request): RequestTrack | undefined {
  return (request as WithRecord)[RECORD]?.track;
}

const patchedPrototypes = new WeakSet<object>();

/**
 * Remembers `req.baseUrl` at the moment Express assigns `req.route` (when the matched route starts), because by
 * the time the response finishes after an error, the router has already restored `baseUrl` to its parent. The
 * accessor goes on the app's request prototype once (Express 4 and 5 both give each request `app.request` as
 * its prototype), not on every request, and stores into the request's record, so `req` never changes shape.
 */
export function watchRoute(request: Request): void {
  const prototype = Object.getPrototypeOf(request) as object | null;
  if (prototype === null || patchedPrototypes.has(prototype)) return;
  patchedPrototypes.add(prototype);
  if (Object.prototype.hasOwnProperty.call(request, 'route')) return;
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: object) {
      return (this as WithRecord)[RECORD]?.route;
    },
    set(this: { baseUrl: string }, value: { path?: unknown } | undefined) {
      const record = recordOf(this);
      record.route = value;
      record.routeBase = this.baseUrl;
      record.routeSeen = true;
    },
  });
}

/** `req.baseUrl + req.route.path` (a template), or `UNMATCHED` when no route matched. */
export function routeLabel(request: Request): string {
  const record = (request as WithRecord)[RECORD];
  if (record?.label !== undefined) return record.label;
  const route = (request as { route?: { path?: unknown } }).route;
  if (!route) return UNMATCHED_ROUTE;
  const base = record?.routeSeen ? record.routeBase : request.baseUrl;
  return normalizeRoute(joinRoutePath(base, route.path));
}

/** The label while a request is being handled: the route if known, else the mounted path (never the query). */
export function currentLabel(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return route ? routeLabel(request) : normalizeRoute(request.baseUrl + request.path);
}
