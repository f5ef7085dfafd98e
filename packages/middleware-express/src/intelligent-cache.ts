import { request as httpRequest } from 'node:http';
import {
  createHttpCache,
  REVALIDATION_HEADER,
  revalidationToken,
  silentLogger,
  type CacheStore,
  type Clock,
  type HttpCache,
  type HttpCacheLookup,
  type HttpRequestInfo,
  type Logger,
  type FillToken,
} from '@wai/metrics-core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultCacheStore } from './defaults.js';
import { currentLabel, getTrack, routeLabel, setRouteLabel } from './request-state.js';

export interface IntelligentCacheOptions {
  /** Freshness lifetime in seconds. @default 300 */
  ttl?: number;
  /** Where responses live (any @wai cache or your own `CacheStore`). @default the shared default store */
  store?: CacheStore;
  /** Tags on every stored response, so `invalidateOnWrite({ tags })` can drop them. @default [] */
  tags?: readonly string[];
  /** Request headers that select a variant (part of the key). @default [] */
  vary?: readonly string[];
  /** Cache requests with `Authorization` / `Cookie` (only when the response is the same for everyone). @default false */
  allowAuthorized?: boolean;
  /** Statuses that may be stored. @default [200, 203, 204, 300, 301, 404, 410] */
  statuses?: readonly number[];
  /** Seconds a stale response is still served while one background refresh runs. @default 0 */
  staleWhileRevalidate?: number;
  /** Largest body stored (bytes). @default 1048576 */
  maxBodyBytes?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface IntelligentCacheMiddleware extends RequestHandler {
  readonly cache: HttpCache;
}

function requestInfo(req: Request): HttpRequestInfo {
  const url = req.originalUrl;
  const queryStart = url.indexOf('?');
  return {
    method: req.method,
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    query: queryStart === -1 ? '' : url.slice(queryStart + 1),
    route: currentLabel(req),
    headers: req.headers,
  };
}

/**
 * Re-runs the request against this same server in the background (RFC 5861 stale-while-revalidate), carrying
 * the per-process revalidation token so the cache stores the fresh response instead of answering from itself.
 * Plain-HTTP servers only; on TLS sockets the stale entry simply expires.
 */
function revalidateInBackground(req: Request, cache: HttpCache, key: string, logger: Logger): void {
  const socket = req.socket as typeof req.socket & { encrypted?: boolean };
  if (socket.encrypted || !socket.localPort) {
    cache.endRevalidation(key);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'if-none-match' || name === 'if-modified-since' || name === 'connection') continue;
    headers[name] = value;
  }
  headers[REVALIDATION_HEADER] = revalidationToken();
  const family = socket.localAddress?.includes(':') ? 6 : 4;
  const outgoing = httpRequest({ host: socket.localAddress, family, port: socket.localPort, method: 'GET', path: req.originalUrl, headers, timeout: 30_000 }, (incoming) => {
    incoming.resume();
    incoming.on('end', () => cache.endRevalidation(key));
  });
  outgoing.on('timeout', () => outgoing.destroy(new Error('revalidation timed out')));
  outgoing.on('error', (error) => {
    cache.endRevalidation(key);
    logger.warn({ err: error, key }, '[wai:middleware-express] background revalidation failed');
  });
  outgoing.end();
}

function sendCached(res: Response, lookup: Extract<Awaited<ReturnType<HttpCache['lookup']>>, { status: 'hit' | 'stale' }>): void {
  res.statusCode = lookup.responseStatus;
  for (const [name, value] of Object.entries(lookup.headers)) res.setHeader(name, value);
  if (lookup.responseStatus !== 304) res.setHeader('Content-Length', lookup.body.byteLength);
  res.end(lookup.body);
}

/**
 * HTTP response caching for GET/HEAD routes (`app.get('/x', intelligentCache({ ttl: 600 }), handler)`), with the
 * rules of @wai/metrics-core's `createHttpCache`: credentials and `Set-Cookie` never cached, `Cache-Control`
 * honoured, ETag + 304, `X-Cache: HIT | MISS | STALE`, stale-while-revalidate and tags.
 */
export function intelligentCache(options: IntelligentCacheOptions = {}): IntelligentCacheMiddleware {
  const logger = options.logger ?? silentLogger;
  const cache = createHttpCache({ ...options, store: options.store ?? getDefaultCacheStore(), logger });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  const middleware = async function waiIntelligentCache(req: Request, res: Response, next: NextFunction) {
    const info = requestInfo(req);
    let lookup: HttpCacheLookup;
    try {
      lookup = await cache.lookup(info);
    } catch (error) {
      next(error);
      return;
    }
    getTrack(req)?.mark('cache');
    if (lookup.status === 'bypass') {
      next();
      return;
    }
    if (lookup.status !== 'miss') {
      if (lookup.entry.route !== undefined) setRouteLabel(req, lookup.entry.route);
      if (lookup.revalidate) revalidateInBackground(req, cache, lookup.key, logger);
      sendCached(res, lookup);
      return;
    }
    res.setHeader('X-Cache', 'MISS');
    if (!lookup.store) {
      next();
      return;
    }
    captureAndStore(req, res, cache, lookup.key, info, maxBodyBytes, logger, lookup.fill);
    next();
  } as IntelligentCacheMiddleware;
  Object.defineProperty(middleware, 'cache', { value: cache });
  return middleware;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Buffers the body the handler writes (up to `maxBodyBytes`, then it streams through uncached), adds the ETag,
 * answers a matching `If-None-Match` with 304, sends, and stores the response without delaying it.
 */
function captureAndStore(req: Request, res: Response, cache: HttpCache, key: string, info: HttpRequestInfo, maxBodyBytes: number, logger: Logger, fill: FillToken | undefined): void {
  const write = res.write.bind(res) as (chunk: unknown, encoding?: BufferEncoding, callback?: WriteCallback) => boolean;
  const end = res.end.bind(res) as (chunk?: unknown, encoding?: BufferEncoding, callback?: () => void) => Response;
  let chunks: Buffer[] | undefined = [];
  let size = 0;

  const toBuffer = (chunk: unknown, encoding: BufferEncoding | undefined): Buffer =>
    Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : Buffer.from(chunk as Uint8Array);

  const passThrough = () => {
    const buffered = chunks;
    chunks = undefined;
    res.write = write as Response['write'];
    res.end = end as Response['end'];
    if (buffered) for (const chunk of buffered) write(chunk);
  };

  res.write = function captureWrite(chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (!chunks) return write(chunk, encoding, done);
    const buffer = toBuffer(chunk, encoding);
    size += buffer.byteLength;
    chunks.push(buffer);
    if (size > maxBodyBytes) passThrough();
    if (done) process.nextTick(done);
    return true;
  } as Response['write'];

  res.end = function captureEnd(chunk?: unknown, encodingOrCallback?: BufferEncoding | (() => void), callback?: () => void): Response {
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const done = typeof chunk === 'function' ? (chunk as () => void) : typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    const last = typeof chunk === 'function' || chunk === undefined || chunk === null ? undefined : chunk;
    res.write = write as Response['write'];
    res.end = end as Response['end'];
    if (!chunks || res.headersSent) {
      if (chunks) for (const buffered of chunks) write(buffered);
      return end(last, encoding, done);
    }
    if (last !== undefined) chunks.push(toBuffer(last, encoding));
    const body = Buffer.concat(chunks);
    chunks = undefined;
    const response = { status: res.statusCode, headers: res.getHeaders(), body };
    // The handler ran, so the route template is known now: store it with the entry for labelling hits.
    info.route = routeLabel(req);
    const current = res.getHeader('ETag');
    if (res.statusCode >= 200 && res.statusCode < 300 && (current === undefined || String(current).startsWith('W/'))) {
      // Express's default ETag is weak (`W/"len-sha1"`); one strong tag of the bytes serves client and cache alike.
      const etag = cache.etagFor(body);
      res.setHeader('ETag', etag);
      response.headers = res.getHeaders();
    }
    void cache
      .save(key, info, response, undefined, fill)
      .catch((error: unknown) => logger.warn({ err: error, key }, '[wai:middleware-express] storing the response failed'));
    if (cache.matchesIfNoneMatch(info, response)) {
      res.statusCode = 304;
      for (const name of ['content-type', 'content-length', 'transfer-encoding']) res.removeHeader(name);
      return end(undefined, undefined, done);
    }
    if (req.method === 'HEAD') return end(undefined, undefined, done);
    return end(body, undefined, done);
  } as Response['end'];
}

export interface InvalidateOnWriteOptions {
  /** Tags to drop after a successful (2xx) write. */
  tags: readonly string[] | ((req: Request) => readonly string[]);
  /** The store the cached reads live in. @default the shared default store */
  store?: CacheStore;
  logger?: Logger;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * For write routes (unsafe methods; safe ones pass through untouched): when the response ends with 2xx, drops the cached reads carrying `tags` before the response
 * is sent, so a client that reads right after its write sees the change
 * (`app.post('/workshops', invalidateOnWrite({ tags: ['workshops'] }), handler)`).
 */
export function invalidateOnWrite(options: InvalidateOnWriteOptions): RequestHandler {
  const logger = options.logger ?? silentLogger;
  return function waiInvalidateOnWrite(req: Request, res: Response, next: NextFunction) {
    // Safe methods change nothing (RFC 9110 §9.2.1): mounted with `app.use`, a GET must not invalidate — it would
    // also make the response cache refuse that GET's own response, whose fill began before the invalidation.
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = function endAfterInvalidation(...args: unknown[]): Response {
      res.end = end as Response['end'];
      if (res.statusCode < 200 || res.statusCode >= 300) return end(...args);
      const store = options.store ?? getDefaultCacheStore();
      const tags = typeof options.tags === 'function' ? options.tags(req) : options.tags;
      Promise.all(tags.map((tag) => store.invalidateByTag(tag)))
        .catch((error: unknown) => logger.warn({ err: error, tags }, '[wai:middleware-express] cache invalidation failed'))
        .finally(() => end(...args));
      return res;
    } as Response['end'];
    next();
  };
}
