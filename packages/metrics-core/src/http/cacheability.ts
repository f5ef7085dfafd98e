import CachePolicy from 'http-cache-semantics';
import { headerValue, parseVary } from './cache-key.js';
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
}

function directives(value: string | undefined): Set<string> {
  const found = new Set<string>();
  if (!value) return found;
  for (const part of value.split(',')) {
    const name = part.split('=', 1)[0]?.trim().toLowerCase();
    if (name) found.add(name);
  }
  return found;
}

function hasMaxAgeZero(value: string | undefined): boolean {
  return value !== undefined && /(?:^|,)\s*max-age\s*=\s*"?0"?\s*(?:,|$)/i.test(value);
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
  const requestDirectives = directives(cacheControl);
  if (requestDirectives.has('no-store')) return { lookup: false, store: false, reason: 'no-store' };
  const pragma = cacheControl === undefined ? headerValue(request.headers, 'pragma') : undefined;
  if (requestDirectives.has('no-cache') || hasMaxAgeZero(cacheControl) || (pragma !== undefined && /no-cache/i.test(pragma))) {
    // A HEAD cannot refresh the entry: it has no body to store.
    return { lookup: false, store: method === 'GET', reason: 'no-cache' };
  }
  return { lookup: true, store: method === 'GET' };
}

export type ResponseCacheReason =
  | 'status'
  | 'set-cookie'
  | 'no-store'
  | 'private'
  | 'no-cache'
  | 'vary-star'
  | 'not-storable';

export interface ResponseCacheDecision {
  store: boolean;
  reason?: ResponseCacheReason;
  /** Freshness lifetime in ms: the configured TTL, shortened by an explicit `s-maxage`/`max-age`/`Expires`. */
  ttlMs: number;
  /** Response header names the stored response varies on (from `Vary`). */
  vary: string[];
}

/**
 * Response-side rules: a status outside the configured set, `Set-Cookie`, `Cache-Control: no-store | private |
 * no-cache` and `Vary: *` are never stored; everything else must also pass `http-cache-semantics`' RFC 9111 §3
 * storability check for a shared cache. The configured TTL is the server's own freshness intent; an explicit,
 * shorter lifetime on the response wins.
 */
export function evaluateCacheResponse(
  request: Pick<HttpRequestInfo, 'method' | 'headers' | 'path' | 'query'>,
  response: { status: number; headers: HttpHeaders },
  ttlMs: number,
  options: CacheRulesOptions = {},
): ResponseCacheDecision {
  const statuses = options.statuses ?? DEFAULT_CACHEABLE_STATUSES;
  const vary = parseVary(headerValue(response.headers, 'vary'));
  const refuse = (reason: ResponseCacheReason): ResponseCacheDecision => ({ store: false, reason, ttlMs: 0, vary });
  if (!statuses.includes(response.status)) return refuse('status');
  if (headerValue(response.headers, 'set-cookie') !== undefined) return refuse('set-cookie');
  const cacheControl = headerValue(response.headers, 'cache-control');
  const responseDirectives = directives(cacheControl);
  if (responseDirectives.has('no-store')) return refuse('no-store');
  if (responseDirectives.has('private')) return refuse('private');
  if (responseDirectives.has('no-cache')) return refuse('no-cache');
  if (vary.includes('*')) return refuse('vary-star');

  const requestHeaders = toPolicyHeaders(request.headers);
  // Authorization was judged by our own rule above (allowAuthorized); do not let the library veto it again.
  if (options.allowAuthorized) delete requestHeaders.authorization;
  const responseHeaders = toPolicyHeaders(response.headers);
  const explicit = responseHeaders.expires !== undefined || responseDirectives.has('max-age') || responseDirectives.has('s-maxage');
  // Our TTL is explicit freshness: statuses the library only caches with explicit lifetimes (302, 307) then pass.
  // (max-age, not s-maxage: s-maxage would also license storing authorized responses, RFC 9111 §3.5.)
  if (!explicit) responseHeaders['cache-control'] = cacheControl ? `${cacheControl}, max-age=${Math.ceil(ttlMs / 1000)}` : `max-age=${Math.ceil(ttlMs / 1000)}`;
  const query = request.query ? (request.query.startsWith('?') ? request.query : `?${request.query}`) : '';
  const policy = new CachePolicy(
    { method: request.method.toUpperCase(), url: request.path + query, headers: requestHeaders },
    { status: response.status, headers: responseHeaders },
    { shared: true },
  );
  if (!policy.storable()) return refuse('not-storable');
  // timeToLive() counts from the library's own Date.now(); whole seconds are what the headers can express.
  const lifetime = explicit ? Math.min(ttlMs, Math.ceil(policy.timeToLive() / 1000) * 1000) : ttlMs;
  if (lifetime <= 0) return refuse('not-storable');
  return { store: true, ttlMs: lifetime, vary };
}

function toPolicyHeaders(headers: HttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}
