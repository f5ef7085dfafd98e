import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { CacheStore, FillToken } from '../types.js';
import { createCacheKey, headerValue, requestHost, urlTag } from './cache-key.js';
import { evaluateCacheRequest, evaluateCacheResponse, type CacheRulesOptions, type RequestCacheReason, type ResponseCacheReason } from './cacheability.js';
import { createEtag, isNotModified } from './etag.js';
import { ageSeconds, currentAgeMs, freshnessOf, type Freshness } from './freshness.js';
import type { HttpRequestInfo, HttpResponseInfo } from './http-types.js';
import { createMemoryCacheStore } from './memory-cache-store.js';

/** A response as stored in a `CacheStore` (plain JSON, so Redis and SQL stores can hold it). */
export interface StoredHttpResponse {
  v: 2;
  status: number;
  headers: Record<string, string | string[]>;
  /** Body bytes, base64. */
  body: string;
  etag: string;
  storedAt: number;
  /** Age the response already had when stored (upstream `Age`, or its `Date` in the past). */
  initialAgeMs: number;
  /** Freshness lifetime (ms), compared with the current age. */
  ttlMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
  /** Request headers named in the response's `Vary`, and the values the stored response was made for. */
  vary: string[];
  varyValues: Array<string | null>;
  /** Route label of the request that produced it, so hits answered before routing are labelled alike. */
  route?: string;
}

export interface HttpCacheRouteOptions {
  /**
   * Freshness lifetime in seconds for responses whose origin states none (no `s-maxage`, `max-age` or
   * `Expires`); with `overrideOrigin` it replaces the origin's.
   */
  ttl?: number;
  /**
   * Let `ttl` and `staleWhileRevalidate` replace the origin's `s-maxage` / `max-age` / `Expires` /
   * `stale-while-revalidate` / `stale-if-error` (an operator's choice; RFC 9111 §4.2.4's out-of-band contract).
   * `no-store`, `private`, `no-cache`, `must-revalidate` and `s-maxage`'s no-stale rule still apply. @default false
   */
  overrideOrigin?: boolean;
  /** Tags so write routes can invalidate the cached reads (`invalidate(['workshops'])`). */
  tags?: readonly string[];
  /**
   * Seconds a stale response may still be served while one background revalidation runs (RFC 5861), granted
   * with `ttl` where the origin states no freshness; the origin's own `stale-while-revalidate` wins.
   */
  staleWhileRevalidate?: number;
  /** Request headers that select a variant (part of the key), beyond what the response's `Vary` names. */
  vary?: readonly string[];
}

export interface HttpCacheOptions extends CacheRulesOptions, HttpCacheRouteOptions {
  /** Where responses live (any @wai cache or your own store). @default createMemoryCacheStore() */
  store?: CacheStore;
  /**
   * Seconds fresh for responses that state no freshness of their own. Without it (the RFC 9111 default) such a
   * response is stored only under the `Last-Modified` heuristic, so set it for handlers that send no
   * `Cache-Control`. @default undefined
   */
  ttl?: number;
  /** @default 0 */
  staleWhileRevalidate?: number;
  /** Largest body (bytes) that is stored; larger responses pass through uncached. @default 1048576 */
  maxBodyBytes?: number;
  /** The request's `Host` is part of the key (a route may answer per hostname). @default true */
  keyIncludesHost?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export type HttpCacheLookup =
  /** Caching does not apply to this request (method, credentials, `no-store`). */
  | { status: 'bypass'; reason: RequestCacheReason }
  /**
   * Run the handler; `store` says whether its response may be saved under `key`. `fill` (when the store supports
   * fills) was taken before the handler runs: pass it to `save`, which then refuses to store a response that a
   * write made outdated while the handler ran.
   */
  | {
      status: 'miss';
      key: string;
      store: boolean;
      reason?: RequestCacheReason | 'revalidation';
      fill?: FillToken;
      /** A stored response past its lifetime but within `stale-if-error`: serve it if the handler fails (5xx). */
      fallback?: StoredHttpResponse;
      /** The request asked for `only-if-cached` and nothing usable is stored: answer 504 (RFC 9111 §5.2.1.7). */
      onlyIfCached?: true;
    }
  /**
   * Answer from the cache: `status` 200-ish with `headers`/`body`, or 304 when `notModified`. For `stale`,
   * `revalidate` is true for exactly one request at a time: that adapter re-runs the route in the background.
   */
  | {
      status: 'hit' | 'stale';
      key: string;
      entry: StoredHttpResponse;
      responseStatus: number;
      headers: Record<string, string | string[]>;
      body: Buffer;
      notModified: boolean;
      revalidate: boolean;
    };

export interface CachedAnswer {
  responseStatus: number;
  headers: Record<string, string | string[]>;
  /** The stored body (also for HEAD: the server drops it); empty for 304. */
  body: Buffer;
  notModified: boolean;
}

export interface HttpCacheSaveResult {
  stored: boolean;
  reason?: ResponseCacheReason | 'too-large' | 'store-error' | 'invalidated';
  /** The entity tag the response carries (existing or generated); send it with the response. */
  etag: string;
  /** The request's `If-None-Match` matches: answer 304 instead of the body. */
  notModified: boolean;
}

export interface HttpCache {
  readonly store: CacheStore;
  lookup(request: HttpRequestInfo, route?: HttpCacheRouteOptions): Promise<HttpCacheLookup>;
  /**
   * Saves a finished response (when the rules allow) and returns the ETag / 304 decision for it. Pass the miss's
   * `fill`: without it the response is stored with a plain `set`, even if a write happened while it was made.
   */
  save(key: string, request: HttpRequestInfo, response: HttpResponseInfo, route?: HttpCacheRouteOptions, fill?: FillToken): Promise<HttpCacheSaveResult>;
  /** The strong ETag for a body (what `save` stores when the response has none). */
  etagFor(body: Buffer): string;
  /** True when the request's `If-None-Match` matches the response's ETag and a 304 may replace a 200/203. */
  matchesIfNoneMatch(request: Pick<HttpRequestInfo, 'headers'>, response: Pick<HttpResponseInfo, 'status' | 'headers'>): boolean;
  /** Drops every entry carrying one of `tags`. */
  invalidate(tags: readonly string[]): Promise<void>;
  /** Drops every stored response of `host` + `path`, whatever its query or variant (RFC 9111 §4.4). */
  invalidateUrl(host: string, path: string): Promise<void>;
  /** A stored response as an answer to `request` (headers, body, `Age`, 304 when its conditionals match). */
  answer(request: Pick<HttpRequestInfo, 'method' | 'headers'>, entry: StoredHttpResponse, xCache: 'HIT' | 'STALE'): CachedAnswer;
  /** True when `request` is our own background revalidation (carries the process's secret token). */
  isRevalidation(request: Pick<HttpRequestInfo, 'headers'>): boolean;
  /** Releases the revalidation slot of `key` (after a failed background revalidation). */
  endRevalidation(key: string): void;
}

/** Header a background revalidation carries; its value is a per-process secret so clients cannot force misses. */
export const REVALIDATION_HEADER = 'x-wai-cache-revalidate';

// Kept on globalThis: the CommonJS build bundles the root and the `/http` entries separately, and both must agree.
const TOKEN = Symbol.for('@wai/metrics-core:revalidation-token');
const tokenHolder = globalThis as typeof globalThis & { [TOKEN]?: string };
/** The per-process secret for {@link REVALIDATION_HEADER} (created on first use). */
export function revalidationToken(): string {
  tokenHolder[TOKEN] ??= randomBytes(16).toString('hex');
  return tokenHolder[TOKEN];
}

// Hop-by-hop and per-response headers (RFC 9110 §7.6.1, RFC 9111 §3.1) plus the ones we recompute per answer.
const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'content-length', 'set-cookie', 'age', 'x-cache', 'surrogate-control', 'server-timing', 'retry-after',
  'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy',
]);
// What a 304 carries (RFC 9110 §15.4.5).
const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary'];
const REVALIDATION_LEASE_MS = 30_000;
// Stores that hand back the same object on every hit (the memory store) then decode the body once.
const decodedBodies = new WeakMap<StoredHttpResponse, Buffer>();

function bodyOf(entry: StoredHttpResponse): Buffer {
  let body = decodedBodies.get(entry);
  if (!body) {
    body = Buffer.from(entry.body, 'base64');
    decodedBodies.set(entry, body);
  }
  return body;
}

function positiveSeconds(name: string, value: number | undefined, allowZero: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ValidationError('E_INVALID_TTL', `[wai:metrics-core] ${name} must be ${allowZero ? '>= 0' : '> 0'} seconds, got ${String(value)}`);
  }
}

/** Header names a response's `Connection` field marks as hop-by-hop (RFC 9110 §7.6.1). */
function connectionOptions(headers: HttpResponseInfo['headers']): Set<string> {
  const value = headerValue(headers, 'connection');
  return new Set(value ? value.split(',').map((name) => name.trim().toLowerCase()) : []);
}

/**
 * HTTP response caching, framework-free: `lookup` before the handler, `save` after it (the pipeline in
 * `http-pipeline.ts` drives both). Rules in `cacheability.ts`; keys in `cache-key.ts`; freshness, age and the
 * stale allowances in `freshness.ts`. A failing store degrades to misses (logged) and never fails the request.
 */
export function createHttpCache(options: HttpCacheOptions = {}): HttpCache {
  positiveSeconds('ttl', options.ttl, false);
  positiveSeconds('staleWhileRevalidate', options.staleWhileRevalidate, true);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const store = options.store ?? createMemoryCacheStore({ clock });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const keyIncludesHost = options.keyIncludesHost ?? true;
  const rules: CacheRulesOptions = {};
  if (options.allowAuthorized !== undefined) rules.allowAuthorized = options.allowAuthorized;
  if (options.statuses !== undefined) rules.statuses = options.statuses;
  const revalidating = new Map<string, number>();

  const varyOf = (route: HttpCacheRouteOptions | undefined) => route?.vary ?? options.vary ?? [];
  const keyOf = (request: HttpRequestInfo, route: HttpCacheRouteOptions | undefined) => {
    const input = { method: request.method, route: request.route, path: request.path, headers: request.headers, vary: varyOf(route), host: keyIncludesHost };
    return createCacheKey(request.query === undefined ? input : { ...input, query: request.query });
  };

  /** A miss that may store: with a fill token when the store has fills (taken now, before the handler runs). */
  const missing = async (key: string, store_: boolean, reason?: RequestCacheReason | 'revalidation'): Promise<Extract<HttpCacheLookup, { status: 'miss' }>> => {
    const lookup: Extract<HttpCacheLookup, { status: 'miss' }> = reason ? { status: 'miss', key, store: store_, reason } : { status: 'miss', key, store: store_ };
    if (store_ && store.beginFill && store.fill) {
      try {
        lookup.fill = await store.beginFill();
      } catch (error) {
        logger.warn({ err: error, key }, '[wai:metrics-core] response cache could not begin a fill; this response will not be stored');
        lookup.store = false;
      }
    }
    return lookup;
  };

  const isRevalidation = (request: Pick<HttpRequestInfo, 'headers'>) => headerValue(request.headers, REVALIDATION_HEADER) === revalidationToken();

  const beginRevalidation = (key: string, now: number): boolean => {
    const lease = revalidating.get(key);
    if (lease !== undefined && lease > now) return false;
    revalidating.set(key, now + REVALIDATION_LEASE_MS);
    return true;
  };

  const matchesIfNoneMatch: HttpCache['matchesIfNoneMatch'] = (request, response) =>
    isNotModified(headerValue(request.headers, 'if-none-match'), headerValue(request.headers, 'if-modified-since'), {
      status: response.status,
      etag: headerValue(response.headers, 'etag'),
      lastModified: headerValue(response.headers, 'last-modified'),
    });

  const answer: HttpCache['answer'] = (request, entry, xCache) => {
    const notModified = isNotModified(headerValue(request.headers, 'if-none-match'), headerValue(request.headers, 'if-modified-since'), {
      status: entry.status,
      etag: entry.etag || undefined,
      lastModified: headerValue(entry.headers, 'last-modified'),
    });
    const headers: Record<string, string | string[]> = {};
    const source = notModified ? NOT_MODIFIED_HEADERS : Object.keys(entry.headers);
    for (const name of source) {
      const value = entry.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    if (entry.etag) headers.etag = entry.etag;
    const now = clock.now();
    headers.age = String(ageSeconds(entry, now));
    headers['x-cache'] = xCache;
    const stored = bodyOf(entry);
    if (!notModified) headers['content-length'] = String(stored.byteLength);
    // A HEAD gets the body too: Node sends none for HEAD, and Fastify's HEAD route sets content-length from it.
    return { responseStatus: notModified ? 304 : entry.status, headers, body: notModified ? Buffer.alloc(0) : stored, notModified };
  };

  return {
    store,
    isRevalidation,
    matchesIfNoneMatch,
    answer,
    etagFor: (body) => createEtag(body),
    endRevalidation: (key) => void revalidating.delete(key),

    async lookup(request, route) {
      const rule = evaluateCacheRequest(request, rules);
      if (!rule.lookup && !rule.store) return { status: 'bypass', reason: rule.reason ?? 'method' };
      const key = keyOf(request, route);
      if (isRevalidation(request)) return missing(key, request.method.toUpperCase() === 'GET', 'revalidation');
      if (!rule.lookup) return missing(key, rule.store, rule.reason);
      let entry: StoredHttpResponse | undefined;
      try {
        entry = await store.get<StoredHttpResponse>(key);
      } catch (error) {
        logger.warn({ err: error, key }, '[wai:metrics-core] response cache read failed; answering from the handler');
      }
      const now = clock.now();
      let freshness: Freshness = entry && entry.v === 2 ? freshnessOf(entry, now) : 'expired';
      // RFC 9111 §4.1: a stored response is only used when the request's Vary'd headers match it.
      if (entry && freshness !== 'expired') {
        for (let index = 0; index < entry.vary.length; index++) {
          if ((headerValue(request.headers, entry.vary[index] as string) ?? null) !== entry.varyValues[index]) freshness = 'expired';
        }
      }
      // Request max-age / min-fresh (RFC 9111 §5.2.1.1, §5.2.1.3): the client accepts less than the cache would.
      if (entry && freshness !== 'expired' && (rule.maxAgeMs !== undefined || rule.minFreshMs !== undefined)) {
        const age = currentAgeMs(entry, now);
        if ((rule.maxAgeMs !== undefined && age > rule.maxAgeMs) || (rule.minFreshMs !== undefined && entry.ttlMs - age < rule.minFreshMs)) freshness = 'expired';
      }
      if (!entry || freshness === 'expired' || freshness === 'stale-if-error') {
        const miss = await missing(key, rule.store);
        if (entry && freshness === 'stale-if-error') miss.fallback = entry;
        if (rule.onlyIfCached) miss.onlyIfCached = true;
        return miss;
      }
      const answered = answer(request, entry, freshness === 'fresh' ? 'HIT' : 'STALE');
      return {
        status: freshness === 'fresh' ? 'hit' : 'stale',
        key,
        entry,
        ...answered,
        revalidate: freshness === 'stale' && beginRevalidation(key, now),
      };
    },

    async save(key, request, response, route, fill) {
      const existing = headerValue(response.headers, 'etag');
      const etag = existing ?? (response.status >= 200 && response.status < 300 ? createEtag(response.body) : '');
      const notModified = matchesIfNoneMatch(request, { status: response.status, headers: { ...response.headers, etag } });
      const result = (stored: boolean, reason?: HttpCacheSaveResult['reason']): HttpCacheSaveResult => {
        revalidating.delete(key);
        return reason ? { stored, reason, etag, notModified } : { stored, etag, notModified };
      };
      if (response.body.byteLength > maxBodyBytes) return result(false, 'too-large');
      const ttl = route?.ttl ?? options.ttl;
      positiveSeconds('ttl', ttl, false);
      const swr = route?.staleWhileRevalidate ?? options.staleWhileRevalidate ?? 0;
      const now = clock.now();
      const defaults = { ttlMs: ttl === undefined ? undefined : ttl * 1000, staleWhileRevalidateMs: swr * 1000, override: route?.overrideOrigin ?? options.overrideOrigin ?? false };
      const decision = evaluateCacheResponse(request, response, defaults, rules, now);
      if (!decision.store) return result(false, decision.reason);
      const hopByHop = connectionOptions(response.headers);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        const lower = name.toLowerCase();
        if (value === undefined || NOT_STORED.has(lower) || hopByHop.has(lower)) continue;
        headers[lower] = Array.isArray(value) ? [...(value as string[])] : String(value);
      }
      // The origin's Date travels with the response (RFC 9110 §6.6.1); one made here when the app set none.
      headers.date ??= new Date(now).toUTCString();
      const { freshness } = decision;
      const entry: StoredHttpResponse = {
        v: 2,
        status: response.status,
        headers,
        body: response.body.toString('base64'),
        etag,
        storedAt: now,
        initialAgeMs: freshness.initialAgeMs,
        ttlMs: freshness.lifetimeMs,
        staleWhileRevalidateMs: freshness.staleWhileRevalidateMs,
        staleIfErrorMs: freshness.staleIfErrorMs,
        vary: decision.vary,
        varyValues: decision.vary.map((name) => headerValue(request.headers, name) ?? null),
        route: request.route,
      };
      const tags = [...(route?.tags ?? options.tags ?? []), urlTag(requestHost(request.headers), request.path)];
      const usefulMs = freshness.lifetimeMs - freshness.initialAgeMs + Math.max(freshness.staleWhileRevalidateMs, freshness.staleIfErrorMs);
      const storeOptions = { ttl: Math.max(1, Math.ceil(usefulMs / 1000)), tags };
      try {
        if (fill && store.fill) {
          // Refused when a write or an invalidation reached the store after the fill began (before the handler ran).
          if (!(await store.fill(fill, key, entry, storeOptions))) return result(false, 'invalidated');
        } else await store.set(key, entry, storeOptions);
      } catch (error) {
        logger.warn({ err: error, key }, '[wai:metrics-core] response cache write failed; the response was sent uncached');
        return result(false, 'store-error');
      }
      return result(true);
    },

    async invalidate(tags) {
      await Promise.all(tags.map((tag) => store.invalidateByTag(tag)));
    },

    async invalidateUrl(host, path) {
      await store.invalidateByTag(urlTag(host.toLowerCase(), path));
    },
  };
}
