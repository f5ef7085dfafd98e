import { request as httpRequest } from 'node:http';
import { silentLogger, type CacheStore, type Clock, type Logger } from '@wai/metrics-core';
import {
  createHttpPipeline,
  REVALIDATION_HEADER,
  revalidationToken,
  type HttpCache,
  type HttpRequestInfo,
  type PipelineAction,
  type ResponseCapture,
} from '@wai/metrics-core/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getDefaultCacheStore } from './defaults.js';
import { requestInfo, sendResponse } from './pipeline-io.js';
import { getTrack, routeLabel, setRouteLabel } from './request-state.js';

export interface IntelligentCacheOptions {
  /**
   * Freshness lifetime in seconds for responses that state none (`max-age`, `s-maxage`, `Expires`); without it
   * those are stored only under the `Last-Modified` heuristic (RFC 9111). @default undefined
   */
  ttl?: number;
  /** Let `ttl` / `staleWhileRevalidate` replace the response's own freshness headers. @default false */
  overrideOrigin?: boolean;
  /** Include the request's `Host` in the key. @default true */
  keyIncludesHost?: boolean;
  /** Invalidate a URL's stored responses when an unsafe request to it succeeds (RFC 9111 §4.4). @default true */
  invalidateOnUnsafe?: boolean;
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
  /** Seconds a stale response is still served while one background refresh runs (with `ttl`; the origin's own value wins). @default 0 */
  staleWhileRevalidate?: number;
  /** Largest body stored (bytes). @default 1048576 */
  maxBodyBytes?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface IntelligentCacheMiddleware extends RequestHandler {
  readonly cache: HttpCache;
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

/**
 * HTTP response caching (`app.get('/x', intelligentCache({ ttl: 600 }), handler)`, or `app.use(intelligentCache())`
 * in front of every route) with the rules of @wai/metrics-core's HTTP pipeline: freshness from the origin's
 * headers (the `ttl` where they state none), credentials and `Set-Cookie` never cached, ETag + 304,
 * `X-Cache: HIT | MISS | STALE`, stale-while-revalidate / stale-if-error, tags, and unsafe requests invalidating
 * their URL's stored responses.
 */
export function intelligentCache(options: IntelligentCacheOptions = {}): IntelligentCacheMiddleware {
  const logger = options.logger ?? silentLogger;
  const pipeline = createHttpPipeline({ ...options, store: options.store ?? getDefaultCacheStore(), logger });
  const cache = pipeline.cache;

  const respond = (req: Request, res: Response, action: Extract<PipelineAction, { type: 'respond' }>) => {
    if (action.route !== undefined) setRouteLabel(req, action.route);
    if (action.revalidate !== undefined) revalidateInBackground(req, cache, action.revalidate, logger);
    sendResponse(res, action.response);
  };

  const begin = async (req: Request, res: Response, next: NextFunction, info: HttpRequestInfo) => {
    let action: PipelineAction;
    try {
      action = await pipeline.begin(info);
    } catch (error) {
      next(error);
      return;
    }
    getTrack(req)?.mark('cache');
    if (action.type === 'respond') {
      respond(req, res, action);
      return;
    }
    for (const [name, value] of Object.entries(action.headers)) res.setHeader(name, value);
    if (action.requestHeaders) Object.assign(req.headers, action.requestHeaders);
    if (action.capture) captureResponse(req, res, info, action.capture);
    next();
  };

  const middleware = function waiIntelligentCache(req: Request, res: Response, next: NextFunction): Promise<void> | undefined {
    const info = requestInfo(req);
    // A stored answer an in-process store gives now is sent without a promise; everything else goes through begin.
    let served: Extract<PipelineAction, { type: 'respond' }> | undefined;
    try {
      served = pipeline.answerSync(info);
    } catch (error) {
      next(error);
      return undefined;
    }
    if (served === undefined) return begin(req, res, next, info);
    getTrack(req)?.mark('cache');
    respond(req, res, served);
    return undefined;
  } as IntelligentCacheMiddleware;
  Object.defineProperty(middleware, 'cache', { value: cache });
  return middleware;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Buffers the body the handler writes (up to `capture.maxBodyBytes`, then it streams through uncached and the
 * capture is abandoned), hands the finished response to the pipeline and sends what it returns. A capture with
 * `maxBodyBytes: 0` (an unsafe request's invalidation) only holds the end of the response until it completes.
 */
function captureResponse(req: Request, res: Response, info: HttpRequestInfo, capture: ResponseCapture): void {
  const write = res.write.bind(res) as (chunk: unknown, encoding?: BufferEncoding, callback?: WriteCallback) => boolean;
  const end = res.end.bind(res) as (chunk?: unknown, encoding?: BufferEncoding, callback?: () => void) => Response;
  const bodyless = capture.maxBodyBytes === 0;
  let chunks: Buffer[] | undefined = bodyless ? undefined : [];
  let size = 0;

  const toBuffer = (chunk: unknown, encoding: BufferEncoding | undefined): Buffer =>
    Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : Buffer.from(chunk as Uint8Array);

  const passThrough = () => {
    const buffered = chunks;
    chunks = undefined;
    capture.abandon();
    if (buffered) for (const chunk of buffered) write(chunk);
  };

  if (!bodyless) {
    res.write = function captureWrite(chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
      const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (!chunks) return write(chunk, encoding, done);
      const buffer = toBuffer(chunk, encoding);
      size += buffer.byteLength;
      chunks.push(buffer);
      if (size > capture.maxBodyBytes) passThrough();
      if (done) process.nextTick(done);
      return true;
    } as Response['write'];
  }

  res.end = function captureEnd(chunk?: unknown, encodingOrCallback?: BufferEncoding | (() => void), callback?: () => void): Response {
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const done = typeof chunk === 'function' ? (chunk as () => void) : typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    const last = typeof chunk === 'function' || chunk === undefined || chunk === null ? undefined : chunk;
    res.write = write as Response['write'];
    res.end = end as Response['end'];
    if (bodyless) {
      const finish = () => void end(last, encoding, done);
      // The pipeline logs a failed invalidation itself; the response ends either way.
      capture.complete({ status: res.statusCode, headers: res.getHeaders(), body: Buffer.alloc(0) }).then(finish, finish);
      return res;
    }
    if (!chunks || res.headersSent) {
      if (chunks) {
        capture.abandon();
        for (const buffered of chunks) write(buffered);
      }
      return end(last, encoding, done);
    }
    if (last !== undefined) chunks.push(toBuffer(last, encoding));
    const body = Buffer.concat(chunks);
    chunks = undefined;
    // The handler ran, so the route template is known now: store it with the entry for labelling hits.
    info.route = routeLabel(req);
    capture.complete({ status: res.statusCode, headers: res.getHeaders(), body }).then(
      (final) => {
        res.statusCode = final.status;
        for (const name of final.remove) res.removeHeader(name);
        for (const [name, value] of Object.entries(final.headers)) res.setHeader(name, value);
        end(final.body.byteLength > 0 ? final.body : undefined, undefined, done);
      },
      (error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
    return res;
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
