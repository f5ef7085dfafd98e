import { joinRoutePath, normalizeRoute, UNMATCHED_ROUTE, type RequestTrack } from '@wai/metrics-core';
import type { Request } from 'express';

const TRACK = Symbol.for('@wai/middleware-express.track');
const ROUTE = Symbol('route');
const ROUTE_BASE = Symbol('routeBase');
const LABEL = Symbol('label');

interface RequestWithState {
  [TRACK]?: RequestTrack;
  [ROUTE]?: { path?: unknown } | undefined;
  [ROUTE_BASE]?: string | undefined;
  [LABEL]?: string;
}

/** Sets the label for a request answered before its route ran (a cache hit knows the label of its entry). */
export function setRouteLabel(request: Request, label: string): void {
  (request as unknown as RequestWithState)[LABEL] = label;
}

export function setTrack(request: Request, track: RequestTrack): void {
  (request as unknown as RequestWithState)[TRACK] = track;
}

/** The timing of this request, when `enhancedRequestTiming` runs before the caller. */
export function getTrack(request: Request): RequestTrack | undefined {
  return (request as unknown as RequestWithState)[TRACK];
}

const patchedPrototypes = new WeakSet<object>();

/**
 * Remembers `req.baseUrl` at the moment Express assigns `req.route` (when the matched route starts), because by
 * the time the response finishes after an error, the router has already restored `baseUrl` to its parent. The
 * accessor goes on the app's request prototype once (Express 4 and 5 both give each request `app.request` as
 * its prototype), not on every request: an own accessor per request would push `req` into dictionary mode.
 */
export function watchRoute(request: Request): void {
  const prototype = Object.getPrototypeOf(request) as object | null;
  if (prototype === null || patchedPrototypes.has(prototype)) return;
  patchedPrototypes.add(prototype);
  if (Object.prototype.hasOwnProperty.call(request, 'route')) return;
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: RequestWithState) {
      return this[ROUTE];
    },
    set(this: RequestWithState & { baseUrl: string }, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      this[ROUTE_BASE] = this.baseUrl;
    },
  });
}

/** `req.baseUrl + req.route.path` (a template), or `UNMATCHED` when no route matched. */
export function routeLabel(request: Request): string {
  const state = request as unknown as RequestWithState;
  if (state[LABEL] !== undefined) return state[LABEL];
  const route = (request as { route?: { path?: unknown } }).route;
  if (!route) return UNMATCHED_ROUTE;
  const base = ROUTE_BASE in state ? state[ROUTE_BASE] : request.baseUrl;
  return normalizeRoute(joinRoutePath(base, route.path));
}

/** The label while a request is being handled: the route if known, else the mounted path (never the query). */
export function currentLabel(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return route ? routeLabel(request) : normalizeRoute(request.baseUrl + request.path);
}
