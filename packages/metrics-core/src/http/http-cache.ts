import { randomBytes } from 'node:crypto';
import { systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { FillToken } from '../contracts/cache.js';
import { createCacheKey, headerValue, requestHost, urlTag } from './cache-key.js';
import { evaluateCacheRequest, evaluateCacheResponse, type CacheRulesOptions, type RequestCacheReason } from './cacheability.js';
import { createEtag, isNotModified } from './etag.js';
import { ageSeconds, currentAgeMs, freshnessOf, type Freshness } from './freshness.js';
import type { CachedAnswer, HttpCache, HttpCacheLookup, HttpCacheOptions, HttpCacheRouteOptions } from './http-cache-types.js';
import type { HttpRequestInfo, HttpResponseInfo } from './http-types.js';
import { createMemoryCacheStore } from './memory-cache-store.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';
import { bodyOf, createStoredResponse, freshenedHeaders, validatorOf, type StoredHttpResponse } from './stored-response.js';

export type { StoredHttpResponse } from './stored-response.js';
export type { CachedAnswer, HttpCache, HttpCacheLookup, HttpCacheOptions, HttpCacheRouteOptions, HttpCacheSaveResult } from './http-cache-types.js';

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

// What a 304 carries (RFC 9110 §15.4.5).
const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary'];
const DEFAULTS = HTTP_OPTION_DEFAULTS.cache;
const REVALIDATION_LEASE_MS = 30_000;
const REVALIDATION_KEEP_MS = 300_000;
function positiveSeconds(name: string, value: number | undefined, allowZero: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ValidationError('E_INVALID_TTL', `[wai:metrics-core] ${name} must be ${allowZero ? '>= 0' : '> 0'} seconds, got ${String(value)}`);
  }
}

/** RFC 9111 §4.1: a stored response is only used when the request's Vary'd headers match it. */
function varyMatches(request: Pick<HttpRequestInfo, 'headers'>, entry: StoredHttpResponse): boolean {
  for (let index = 0; index < entry.vary.length; index++) {
    if ((headerValue(request.headers, entry.vary[index] as string) ?? null) !== entry.varyValues[index]) return false;
  }
  return true;
}

/** The client's own conditional request (its 304 is its own business, not a validation of ours). */
function isConditional(request: Pick<HttpRequestInfo, 'headers'>): boolean {
  return headerValue(request.headers, 'if-none-match') !== undefined || headerValue(request.headers, 'if-modified-since') !== undefined;
}

/** A stored response as the answer to `request` now: its headers (or a 304's), `Age`, `X-Cache`, body. */
function answerFrom(request: Pick<HttpRequestInfo, 'method' | 'headers'>, entry: StoredHttpResponse, xCache: 'HIT' | 'STALE' | 'REVALIDATED', now: number): CachedAnswer {
  const ifNoneMatch = headerValue(request.headers, 'if-none-match');
  const ifModifiedSince = headerValue(request.headers, 'if-modified-since');
  const notModified =
    (ifNoneMatch !== undefined || ifModifiedSince !== undefined) &&
    isNotModified(ifNoneMatch, ifModifiedSince, { status: entry.status, etag: entry.etag || undefined, lastModified: headerValue(entry.headers, 'last-modified') });
  const headers: Record<string, string | string[]> = {};
  const source = notModified ? NOT_MODIFIED_HEADERS : Object.keys(entry.headers);
  for (const name of source) {
    const value = entry.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  if (entry.etag) headers.etag = entry.etag;
  headers.age = String(ageSeconds(entry, now));
  headers['x-cache'] = xCache;
  const stored = bodyOf(entry);
  if (!notModified) headers['content-length'] = String(stored.byteLength);
  // A HEAD gets the body too: Node sends none for HEAD, and Fastify's HEAD route sets content-length from it.
  return { responseStatus: notModified ? 304 : entry.status, headers, body: notModified ? Buffer.alloc(0) : stored, notModified };
};

/** The entry to store for a response (with its store options), or why it may not be stored. */
function prepareEntry(
  settings: { options: HttpCacheOptions; rules: CacheRulesOptions; maxBodyBytes: number; now: number },
  request: HttpRequestInfo,
  response: HttpResponseInfo,
  route: HttpCacheRouteOptions | undefined,
  etag: string,
) {
  const { options, rules, maxBodyBytes, now } = settings;
  if (response.body.byteLength > maxBodyBytes) return { reason: 'too-large' as const };
  const ttl = route?.ttl ?? options.ttl;
  positiveSeconds('ttl', ttl, false);
  const swr = route?.staleWhileRevalidate ?? options.staleWhileRevalidate ?? DEFAULTS.staleWhileRevalidate;
  const defaults = { ttlMs: ttl === undefined ? undefined : ttl * 1000, staleWhileRevalidateMs: swr * 1000, override: route?.overrideOrigin ?? options.overrideOrigin ?? DEFAULTS.overrideOrigin };
  const decision = evaluateCacheResponse(request, response, defaults, rules, now);
  if (!decision.store) return { reason: decision.reason ?? ('not-storable' as const) };
  const entry = createStoredResponse(request, response, decision, etag, now);
  const tags = [...(route?.tags ?? options.tags ?? DEFAULTS.tags), urlTag(requestHost(request.headers), request.path)];
  const { freshness } = decision;
  // A response with a validator stays a while past its usefulness, so a stale hit can be revalidated (RFC 9111 §4.3).
  const keepMs = validatorOf(entry) === undefined ? 0 : REVALIDATION_KEEP_MS;
  const usefulMs = freshness.lifetimeMs - freshness.initialAgeMs + Math.max(freshness.staleWhileRevalidateMs, freshness.staleIfErrorMs) + keepMs;
  return { entry, storeOptions: { ttl: Math.max(1, Math.ceil(usefulMs / 1000)), tags } };
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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const keyIncludesHost = options.keyIncludesHost ?? DEFAULTS.keyIncludesHost;
  const rules: CacheRulesOptions = {};
  if (options.allowAuthorized !== undefined) rules.allowAuthorized = options.allowAuthorized;
  if (options.statuses !== undefined) rules.statuses = options.statuses;
  const revalidating = new Map<string, number>();

  const varyOf = (route: HttpCacheRouteOptions | undefined) => route?.vary ?? options.vary ?? DEFAULTS.vary;
  const keyOf = (request: HttpRequestInfo, route: HttpCacheRouteOptions | undefined) =>
    createCacheKey({ method: request.method, route: request.route, path: request.path, query: request.query, headers: request.headers, vary: varyOf(route), host: keyIncludesHost });

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

  const answer: HttpCache['answer'] = (request, entry, xCache) => answerFrom(request, entry, xCache, clock.now());

  const prepare = (request: HttpRequestInfo, response: HttpResponseInfo, route: HttpCacheRouteOptions | undefined, etag: string) =>
    prepareEntry({ options, rules, maxBodyBytes, now: clock.now() }, request, response, route, etag);

  /** Stores an entry (through the fill when there is one); the reason it was not stored, or undefined. */
  const persist = async (key: string, entry: StoredHttpResponse, storeOptions: { ttl: number; tags: string[] }, fill: FillToken | undefined): Promise<'invalidated' | 'store-error' | undefined> => {
    try {
      if (fill && store.fill) {
        // Refused when a write or an invalidation reached the store after the fill began (before the handler ran).
        if (!(await store.fill(fill, key, entry, storeOptions))) return 'invalidated';
      } else await store.set(key, entry, storeOptions);
    } catch (error) {
      logger.warn({ err: error, key }, '[wai:metrics-core] response cache write failed; the response was sent uncached');
      return 'store-error';
    }
    return undefined;
  };

  /** How usable a stored entry is for this request: its freshness, narrowed by Vary and the request's max-age / min-fresh. */
  const freshnessFor = (request: HttpRequestInfo, rule: ReturnType<typeof evaluateCacheRequest>, entry: StoredHttpResponse, now: number): Freshness => {
    if (entry.v !== 2) return 'expired';
    const freshness = freshnessOf(entry, now);
    if (freshness === 'expired' || !varyMatches(request, entry)) return 'expired';
    // Request max-age / min-fresh (RFC 9111 §5.2.1.1, §5.2.1.3): the client accepts less than the cache would.
    if (rule.maxAgeMs !== undefined || rule.minFreshMs !== undefined) {
      const age = currentAgeMs(entry, now);
      if ((rule.maxAgeMs !== undefined && age > rule.maxAgeMs) || (rule.minFreshMs !== undefined && entry.ttlMs - age < rule.minFreshMs)) return 'expired';
    }
    return freshness;
  };

  /** The lookup result for an entry that may be served (fresh, or stale within stale-while-revalidate). */
  const usable = (request: HttpRequestInfo, key: string, entry: StoredHttpResponse, freshness: 'fresh' | 'stale', now: number): Extract<HttpCacheLookup, { status: 'hit' | 'stale' }> => {
    const answered = answerFrom(request, entry, freshness === 'fresh' ? 'HIT' : 'STALE', now);
    return {
      status: freshness === 'fresh' ? 'hit' : 'stale',
      key,
      entry,
      responseStatus: answered.responseStatus,
      headers: answered.headers,
      body: answered.body,
      notModified: answered.notModified,
      revalidate: freshness === 'stale' && beginRevalidation(key, now),
    };
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
      const freshness = entry === undefined ? 'expired' : freshnessFor(request, rule, entry, now);
      if (entry !== undefined && (freshness === 'fresh' || freshness === 'stale')) return usable(request, key, entry, freshness, now);
      const miss = await missing(key, rule.store);
      if (entry && freshness === 'stale-if-error') miss.fallback = entry;
      if (rule.onlyIfCached) miss.onlyIfCached = true;
      if (entry && entry.v === 2 && miss.store && varyMatches(request, entry) && !isConditional(request)) {
        const conditional = validatorOf(entry);
        if (conditional) {
          miss.validate = entry;
          miss.conditional = conditional;
        }
      }
      return miss;
    },

    lookupSync(request, route) {
      const getSync = store.getSync;
      if (getSync === undefined) return undefined;
      const rule = evaluateCacheRequest(request, rules);
      if (!rule.lookup || isRevalidation(request)) return undefined;
      const key = keyOf(request, route);
      let entry: StoredHttpResponse | undefined;
      try {
        entry = getSync.call(store, key) as StoredHttpResponse | undefined;
      } catch {
        // `lookup` runs next and logs the store's failure once.
        return undefined;
      }
      if (entry === undefined) return undefined;
      const now = clock.now();
      const freshness = freshnessFor(request, rule, entry, now);
      return freshness === 'fresh' || freshness === 'stale' ? usable(request, key, entry, freshness, now) : undefined;
    },

    async save(key, request, response, route, fill) {
      const existing = headerValue(response.headers, 'etag');
      const etag = existing ?? (response.status >= 200 && response.status < 300 ? createEtag(response.body) : '');
      const notModified = matchesIfNoneMatch(request, { status: response.status, headers: { ...response.headers, etag } });
      revalidating.delete(key);
      const prepared = prepare(request, response, route, etag);
      if (!prepared.entry) return { stored: false, reason: prepared.reason, etag, notModified };
      const reason = await persist(key, prepared.entry, prepared.storeOptions, fill);
      return reason ? { stored: false, reason, etag, notModified } : { stored: true, etag, notModified };
    },

    async refresh(key, request, entry, notModified, route, fill) {
      const now = clock.now();
      const response = { status: entry.status, headers: freshenedHeaders(entry, notModified, now), body: bodyOf(entry) };
      const prepared = prepare(request, response, route, headerValue(response.headers, 'etag') ?? entry.etag);
      if (prepared.entry) {
        void persist(key, prepared.entry, prepared.storeOptions, fill);
        return answer(request, prepared.entry, 'REVALIDATED');
      }
      // The 304 made it unstorable (e.g. no-store now): answer once with the updated fields, keep nothing.
      return answer(request, { ...entry, headers: createStoredResponse(request, response, { vary: entry.vary, freshness: { ...entry, explicit: false, lifetimeMs: 0, staleIfErrorMs: 0 } }, entry.etag, now).headers }, 'REVALIDATED');
    },

    async invalidate(tags) {
      await Promise.all(tags.map((tag) => store.invalidateByTag(tag)));
    },

    async invalidateUrl(host, path) {
      await store.invalidateByTag(urlTag(host.toLowerCase(), path));
    },
  };
}
