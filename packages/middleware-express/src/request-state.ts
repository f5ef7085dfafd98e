import { joinRoutePath, normalizeRoute, UNMATCHED_ROUTE, type RequestTrack, type WatchedRequest } from '@wai/metrics-core/http';
import type { Request } from 'express';

/** How the timing middleware reports the end of a request it started timing. */
export interface RequestReporter {
  finished(request: Request, record: RequestRecord, statusCode: number): void;
  aborted(request: Request, record: RequestRecord): void;
}

/**
 * What the middleware knows about one request, in one record on the request (see `RECORD`). It is also the entry
 * `watchRequest` keeps on the connection, so Node's end-of-response channel and the connection's close reach
 * the timing middleware without a listener per request.
 */
export class RequestRecord implements WatchedRequest {
  track: RequestTrack | undefined = undefined;
  reporter: RequestReporter | undefined = undefined;
  /** `req.route` as Express assigned it, and `req.baseUrl` at that moment (see `watchRoute`). */
  route: { path?: unknown } | undefined = undefined;
  routeBase: string | undefined = undefined;
  routeSeen = false;
  /** A label fixed before the route ran (a cache hit knows the label of its entry). */
  label: string | undefined = undefined;

  constructor(readonly raw: Request) {}

  responseFinished(statusCode: number): void {
    this.reporter?.finished(this.raw, this, statusCode);
  }

  connectionClosed(): void {
    this.reporter?.aborted(this.raw, this);
  }
}

// The record lives on the request under a registered symbol (one property, added the same way to every
// request, so requests keep one shape): a WeakMap entry per request cost more, in insertion and in GC.
const RECORD = Symbol.for('@wai/middleware-express.request');
type WithRecord = { [RECORD]?: RequestRecord };

export function recordOf(request: Request): RequestRecord {
  let record = (request as WithRecord)[RECORD];
  if (record === undefined) {
    record = new RequestRecord(request);
    (request as WithRecord)[RECORD] = record;
  }
  return record;
}

/**
 * Sets the label for a request answered before its route ran (a cache hit knows the label of its entry). Only
 * a timed request has a record to label: an untimed cache hit allocates nothing for it.
 */
export function setRouteLabel(request: Request, label: string): void {
  const record = (request as WithRecord)[RECORD];
  if (record !== undefined) record.label = label;
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
  if (Object.prototype.hasOwnProperty.call(request, 'route')) {
    patchedPrototypes.add(prototype);
    return;
  }
  watchRouteOn(prototype);
}

/** Installs the `route` accessor on a request prototype (an app's `app.request`), once. */
export function watchRouteOn(prototype: object): void {
  if (patchedPrototypes.has(prototype)) return;
  patchedPrototypes.add(prototype);
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: object) {
      return (this as WithRecord)[RECORD]?.route;
    },
    set(this: Request, value: { path?: unknown } | undefined) {
      const record = recordOf(this);
      record.route = value;
      record.routeBase = this.baseUrl;
      record.routeSeen = true;
    },
  });
}

/**
 * The last label computed for an Express `Route` object and the mount path it was computed under: a route
 * answers many requests, so its label is built once (per mount path) instead of joined and normalised per
 * request. Kept on the route under a registered symbol (routes live as long as the app).
 */
const LABEL = Symbol.for('@wai/middleware-express.routeLabel');
type RouteObject = { path?: unknown; [LABEL]?: { base: string | undefined; label: string } };

/** `req.baseUrl + req.route.path` (a template), or `UNMATCHED` when no route matched. */
export function routeLabel(request: Request): string {
  const record = (request as WithRecord)[RECORD];
  if (record?.label !== undefined) return record.label;
  // What the accessor stored, when it saw the assignment; otherwise Express's own property.
  const seen = record?.routeSeen === true;
  const route = (seen ? record.route : (request as { route?: RouteObject }).route) as RouteObject | undefined;
  if (!route) return UNMATCHED_ROUTE;
  const base = seen ? record.routeBase : request.baseUrl;
  const cached = route[LABEL];
  if (cached !== undefined && cached.base === base) return cached.label;
  const label = normalizeRoute(joinRoutePath(base, route.path));
  if (typeof route === 'object') route[LABEL] = { base, label };
  return label;
}

/** The label while a request is being handled: the route if known, else the mounted path (never the query). */
export function currentLabel(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return route ? routeLabel(request) : normalizeRoute(request.baseUrl + request.path);
}
