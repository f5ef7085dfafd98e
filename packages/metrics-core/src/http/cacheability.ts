import CachePolicy from 'http-cache-semantics';
import { deltaSeconds, parseCacheControl } from './cache-control.js';
import { headerValue, parseVary } from './cache-key.js';
import { responseFreshness, type FreshnessDefaults, type ResponseFreshness } from './freshness.js';
import type { HttpHeaders, HttpRequestInfo } from './http-types.js';

/** Statuses cached by default: RFC 9110 §15.1's heuristically cacheable set without 405/414/501/206. */
export const DEFAULT_CACHEABLE_STATUSES: readonly number[] = [200, 203, 204, 300, 301, 404, 410];

export interface CacheRulesOptions {
  /** Cache requests carrying `Authorization` or `Cookie` (only for responses that do not vary per user). @default false */
  allowAuthorized?: boolean;
  /** Response statuses that may be stored. @default [200, 203, 204, 300, 301, 404, 410] */
  statuses?: readonly number[];
}

export type RequestCacheReason = 'method' | 'authorization' | 'cookie' | 'no-store' | 'no-cache';

/** What the cache may do for a request before the handler runs. */
export interface RequestCacheDecision {
  /** A stored response may answer it. */
  lookup: boolean;
  /** Its response may be stored. */
  store: boolean;
  reason?: RequestCacheReason;
  /** Request `max-age` (ms): a stored response older than this is not used (RFC 9111 §5.2.1.1). */
  maxAgeMs?: number;
  /** Request `min-fresh` (ms): a stored response must stay fresh at least this long (RFC 9111 §5.2.1.3). */
  minFreshMs?: number;
  /** Request `only-if-cached`: answer 504 rather than run the handler (RFC 9111 §5.2.1.7). */
  onlyIfCached?: boolean;
}

/**
 * Request-side rules: only GET/HEAD; never for `Authorization` / `Cookie` unless allowed (a shared cache must not
 * hand one user's response to another, RFC 9111 §3.5); `Cache-Control: no-store` bypasses the cache entirely;
 * `no-cache`, `max-age=0` and `Pragma: no-cache` (RFC 9111 §5.2.1.4, §5.4) skip the lookup but may refresh the entry.
 */
export function evaluateCacheRequest(request: Pick<HttpRequestInfo, 'method' | 'headers'>, options: CacheRulesOptions = {}): RequestCacheDecision {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return { lookup: false, store: false, reason: 'method' };
  if (!options.allowAuthorized) {
    if (headerValue(request.headers, 'authorization') !== undefined) return { lookup: false, store: false, reason: 'authorization' };
    if (headerValue(request.headers, 'cookie') !== undefined) return { lookup: false, store: false, reason: 'cookie' };
  }
  const cacheControl = headerValue(request.headers, 'cache-control');
  const requestDirectives = parseCacheControl(cacheControl);
  if (requestDirectives.has('no-store')) return { lookup: false, store: false, reason: 'no-store' };
  const pragma = cacheControl === undefined ? headerValue(request.headers, 'pragma') : undefined;
  const maxAge = deltaSeconds(requestDirectives, 'max-age');
  if (requestDirectives.has('no-cache') || maxAge === 0 || (pragma !== undefined && /no-cache/i.test(pragma))) {
    // A HEAD cannot refresh the entry: it has no body to store.
    return { lookup: false, store: method === 'GET', reason: 'no-cache' };
  }
  const decision: RequestCacheDecision = { lookup: true, store: method === 'GET' };
  if (maxAge !== undefined && !Number.isNaN(maxAge)) decision.maxAgeMs = maxAge * 1000;
  const minFresh = deltaSeconds(requestDirectives, 'min-fresh');
  if (minFresh !== undefined && !Number.isNaN(minFresh)) decision.minFreshMs = minFresh * 1000;
  if (requestDirectives.has('only-if-cached')) decision.onlyIfCached = true;
  return decision;
}

export type ResponseCacheReason =
  | 'status'
  | 'set-cookie'
  | 'no-store'
  | 'private'
  | 'no-cache'
  | 'vary-star'
  | 'not-storable'
  | 'stale';

export interface ResponseCacheDecision {
  store: boolean;
  reason?: ResponseCacheReason;
  /** Freshness lifetime in ms (the origin's, or the route's where the origin states none). */
  ttlMs: number;
  /** Lifetime, initial age and stale allowances of the response (zeros when refused). */
  freshness: ResponseFreshness;
  /** Response header names the stored response varies on (from `Vary`). */
  vary: string[];
}

const REFUSED: ResponseFreshness = { explicit: false, lifetimeMs: 0, initialAgeMs: 0, staleWhileRevalidateMs: 0, staleIfErrorMs: 0 };

/**
 * Response-side rules: a status outside the configured set, `Set-Cookie`, `Cache-Control: no-store | private |
 * no-cache` and `Vary: *` are never stored; everything else must also pass `http-cache-semantics`' RFC 9111 §3
 * storability check for a shared cache. Freshness comes from the origin's headers (`responseFreshness`); the
 * route's TTL only fills in where the origin states none. A response already stale on arrival is not stored.
 */
export function evaluateCacheResponse(
  request: Pick<HttpRequestInfo, 'method' | 'headers' | 'path' | 'query'>,
  response: { status: number; headers: HttpHeaders },
  defaults: FreshnessDefaults,
  options: CacheRulesOptions = {},
  now: number = Date.now(),
): ResponseCacheDecision {
  const statuses = options.statuses ?? DEFAULT_CACHEABLE_STATUSES;
  const vary = parseVary(headerValue(response.headers, 'vary'));
  const refuse = (reason: ResponseCacheReason): ResponseCacheDecision => ({ store: false, reason, ttlMs: 0, freshness: REFUSED, vary });
  if (!statuses.includes(response.status)) return refuse('status');
  if (headerValue(response.headers, 'set-cookie') !== undefined) return refuse('set-cookie');
  const cacheControl = headerValue(response.headers, 'cache-control');
  const responseDirectives = parseCacheControl(cacheControl);
  if (responseDirectives.has('no-store')) return refuse('no-store');
  if (responseDirectives.has('private')) return refuse('private');
  if (responseDirectives.has('no-cache')) return refuse('no-cache');
  if (vary.includes('*')) return refuse('vary-star');
  // RFC 9111 §5.4: Pragma: no-cache on a response without Cache-Control is the HTTP/1.0 spelling of no-cache.
  if (cacheControl === undefined && /no-cache/i.test(headerValue(response.headers, 'pragma') ?? '')) return refuse('no-cache');

  const requestHeaders = toPolicyHeaders(request.headers);
  // Authorization was judged by our own rule above (allowAuthorized); do not let the library veto it again.
  if (options.allowAuthorized) delete requestHeaders.authorization;
  const responseHeaders = toPolicyHeaders(response.headers);
  const freshness = responseFreshness(response.headers, responseDirectives, now, defaults);
  // The route's TTL is explicit freshness: statuses the library only caches with explicit lifetimes (302, 307)
  // then pass. (max-age, not s-maxage: s-maxage would also license storing authorized responses, RFC 9111 §3.5.)
  if (!freshness.explicit) responseHeaders['cache-control'] = cacheControl ? `${cacheControl}, max-age=${Math.ceil(defaults.ttlMs / 1000)}` : `max-age=${Math.ceil(defaults.ttlMs / 1000)}`;
  const query = request.query ? (request.query.startsWith('?') ? request.query : `?${request.query}`) : '';
  const policy = new CachePolicy(
    { method: request.method.toUpperCase(), url: request.path + query, headers: requestHeaders },
    { status: response.status, headers: responseHeaders },
    { shared: true },
  );
  if (!policy.storable()) return refuse('not-storable');
  if (freshness.lifetimeMs - freshness.initialAgeMs <= 0) return refuse('stale');
  return { store: true, ttlMs: freshness.lifetimeMs, freshness, vary };
}

function toPolicyHeaders(headers: HttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}
