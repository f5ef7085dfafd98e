import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CacheStore, FillToken } from '../contracts/cache.js';
import type { CacheRulesOptions, RequestCacheReason, ResponseCacheReason } from './cacheability.js';
import type { HttpRequestInfo, HttpResponseInfo } from './http-types.js';
import type { StoredHttpResponse } from './stored-response.js';

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
      /**
       * A stale stored response with a validator: run the handler with `conditional` added to the request; a 304
       * then goes to `refresh(key, request, validate, …)` (RFC 9111 §4.3.1).
       */
      validate?: StoredHttpResponse;
      conditional?: Record<string, string>;
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
   * `lookup` without a promise, for a store with `getSync` (the in-process ones): the hit or stale answer when one
   * can be served now, undefined otherwise (a miss, a bypass, a store without `getSync`) — then call `lookup`.
   */
  lookupSync(request: HttpRequestInfo, route?: HttpCacheRouteOptions): Extract<HttpCacheLookup, { status: 'hit' | 'stale' }> | undefined;
  /**
   * Saves a finished response (when the rules allow) and returns the ETag / 304 decision for it. Pass the miss's
   * `fill`: without it the response is stored with a plain `set`, even if a write happened while it was made.
   */
  save(key: string, request: HttpRequestInfo, response: HttpResponseInfo, route?: HttpCacheRouteOptions, fill?: FillToken): Promise<HttpCacheSaveResult>;
  /** The strong ETag for a body (what `save` stores when the response has none). */
  etagFor(body: Buffer): string;
  /** True when the request's `If-None-Match` matches the response's ETag and a 304 may replace a 200/203. */
  matchesIfNoneMatch(request: Pick<HttpRequestInfo, 'headers'>, response: Pick<HttpResponseInfo, 'status' | 'headers'>): boolean;
  /**
   * After a conditional request made for a stale entry (`lookup`'s `validate`) got 304: updates the entry's fields
   * from the 304, stores it fresh again (through `fill`) and returns the answer for the client.
   */
  refresh(key: string, request: HttpRequestInfo, entry: StoredHttpResponse, notModified: HttpResponseInfo['headers'], route?: HttpCacheRouteOptions, fill?: FillToken): Promise<CachedAnswer>;
  /** Drops every entry carrying one of `tags`. */
  invalidate(tags: readonly string[]): Promise<void>;
  /** Drops every stored response of `host` + `path`, whatever its query or variant (RFC 9111 §4.4). */
  invalidateUrl(host: string, path: string): Promise<void>;
  /** A stored response as an answer to `request` (headers, body, `Age`, 304 when its conditionals match). */
  answer(request: Pick<HttpRequestInfo, 'method' | 'headers'>, entry: StoredHttpResponse, xCache: 'HIT' | 'STALE' | 'REVALIDATED'): CachedAnswer;
  /** True when `request` is our own background revalidation (carries the process's secret token). */
  isRevalidation(request: Pick<HttpRequestInfo, 'headers'>): boolean;
  /** Releases the revalidation slot of `key` (after a failed background revalidation). */
  endRevalidation(key: string): void;
}

