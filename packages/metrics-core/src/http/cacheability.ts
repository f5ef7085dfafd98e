import { deltaSeconds, parseCacheControl } from './cache-control.js';
import { headerValue, parseVary } from './cache-key.js';
import { responseFreshness, type FreshnessDefaults, type ResponseFreshness } from './freshness.js';
import type { HttpHeaders, HttpRequestInfo } from './http-types.js';

/** Statuses cached by default: RFC 9110 §15.1's heuristically cacheable set without 405/414/501/206. */
export const DEFAULT_CACHEABLE_STATUSES: readonly number[] = [200, 203, 204, 300, 301, 404, 410];

// Final statuses RFC 9110 §15 defines (the ones a cache understands for must-understand).
const UNDERSTOOD_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
  410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505,
]);

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
const PLAIN_GET: RequestCacheDecision = Object.freeze({ lookup: true, store: true });
const PLAIN_HEAD: RequestCacheDecision = Object.freeze({ lookup: true, store: false });

export function evaluateCacheRequest(request: Pick<HttpRequestInfo, 'method' | 'headers'>, options: CacheRulesOptions = {}): RequestCacheDecision {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return { lookup: false, store: false, reason: 'method' };
  if (!options.allowAuthorized) {
    if (headerValue(request.headers, 'authorization') !== undefined) return { lookup: false, store: false, reason: 'authorization' };
    if (headerValue(request.headers, 'cookie') !== undefined) return { lookup: false, store: false, reason: 'cookie' };
  }
  const cacheControl = headerValue(request.headers, 'cache-control');
  // The common request carries no directives: one shared answer (callers only read it).
  if (cacheControl === undefined && request.headers.pragma === undefined) return method === 'GET' ? PLAIN_GET : PLAIN_HEAD;
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
  /** Freshness lifetime in ms (the origin's; the route's or the Last-Modified heuristic where the origin states none). */
  ttlMs: number;
  /** Lifetime, initial age and stale allowances of the response (zeros when refused). */
  freshness: ResponseFreshness;
  /** Response header names the stored response varies on (from `Vary`). */
  vary: string[];
}

const REFUSED: ResponseFreshness = { explicit: false, lifetimeMs: 0, initialAgeMs: 0, staleWhileRevalidateMs: 0, staleIfErrorMs: 0 };

/**
 * Response-side rules (RFC 9111 §3 for a shared cache, plus our own refusals): `Set-Cookie`, `Cache-Control:
 * no-store | private | no-cache`, `Surrogate-Control: no-store` and `Vary: *` are never stored; a response to a
 * request with `Authorization` only with `public`, `must-revalidate` or `s-maxage` (§3.5) unless
 * `allowAuthorized`. Freshness comes from `responseFreshness` (`Surrogate-Control: max-age` first, the
 * Edge Architecture rule for surrogates); a response with an explicit lifetime may be stored whatever its final
 * status (§3, except 206, which is not assembled here), one without only with a status in `statuses`. A response
 * already stale on arrival is not stored.
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
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return refuse('not-storable');
  if (response.status < 200 || response.status > 599 || response.status === 206 || response.status === 304) return refuse('status');
  if (headerValue(response.headers, 'set-cookie') !== undefined) return refuse('set-cookie');
  const cacheControl = headerValue(response.headers, 'cache-control');
  const directives = parseCacheControl(cacheControl);
  const surrogate = parseCacheControl(headerValue(response.headers, 'surrogate-control'));
  // RFC 9111 §5.2.2.3: must-understand stores only statuses whose caching rules we know, and then overrides no-store.
  const mustUnderstand = directives.has('must-understand');
  if (mustUnderstand && !UNDERSTOOD_STATUSES.has(response.status)) return refuse('status');
  if ((directives.has('no-store') && !mustUnderstand) || surrogate.has('no-store')) return refuse('no-store');
  if (directives.has('private')) return refuse('private');
  if (directives.has('no-cache')) return refuse('no-cache');
  if (vary.includes('*')) return refuse('vary-star');
  // RFC 9111 §5.4: Pragma: no-cache on a response without Cache-Control is the HTTP/1.0 spelling of no-cache.
  if (cacheControl === undefined && /no-cache/i.test(headerValue(response.headers, 'pragma') ?? '')) return refuse('no-cache');
  if (!options.allowAuthorized && headerValue(request.headers, 'authorization') !== undefined) {
    if (!directives.has('public') && !directives.has('must-revalidate') && !directives.has('s-maxage')) return refuse('not-storable');
  }
  const surrogateMaxAge = deltaSeconds(surrogate, 'max-age');
  const effective = surrogateMaxAge === undefined ? directives : new Map([...directives, ['s-maxage', String(surrogate.get('max-age'))]]);
  const freshness = responseFreshness(response.headers, effective, now, defaults);
  if (!freshness.explicit && !statuses.includes(response.status)) return refuse('status');
  if (freshness.lifetimeMs - freshness.initialAgeMs <= 0) return refuse('stale');
  return { store: true, ttlMs: freshness.lifetimeMs, freshness, vary };
}
