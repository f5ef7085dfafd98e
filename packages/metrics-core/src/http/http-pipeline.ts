import { silentLogger, type Logger } from '../logger.js';
import { headerValue, requestHost } from './cache-key.js';
import { createHttpCache, REVALIDATION_HEADER, revalidationToken, type HttpCache, type HttpCacheLookup, type HttpCacheOptions, type HttpCacheRouteOptions, type StoredHttpResponse } from './http-cache.js';
import type { HttpRequestInfo, HttpResponseInfo } from './http-types.js';
import { HTTP_OPTION_DEFAULTS } from './option-defaults.js';
import type { RateLimiter } from './rate-limiter.js';

/** A response the adapter writes as is: `status`, these `headers` (set, replacing), then `body`. */
export interface PipelineResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** Bytes to write; empty for 304. For HEAD it is the stored body, with its `content-length`: Node sends no body for HEAD. */
  body: Buffer;
}

/** What the handler's response becomes: `status` and `headers` set over the handler's, `remove` dropped, `body` sent. */
export interface CompletedResponse extends PipelineResponse {
  remove: readonly string[];
}

/** Runs after the handler answered: hand it the captured response, send what it returns. */
export interface ResponseCapture {
  /** Largest body worth buffering; past it, stream the rest through and call `abandon()`. */
  readonly maxBodyBytes: number;
  /** Decides the final response (ETag, 304, stale-if-error fallback) and stores or invalidates as required. */
  complete(response: HttpResponseInfo): Promise<CompletedResponse>;
  /** The body could not be captured (streamed, too large): nothing is stored. */
  abandon(): void;
}

export type PipelineAction =
  /** Answer now without the handler: a stored response (HIT / STALE), a 304, or 504 for `only-if-cached`. */
  | {
      type: 'respond';
      response: PipelineResponse;
      /** Route label of the request that produced the stored response, for labelling the hit. */
      route?: string;
      /** Re-run the route in the background carrying the revalidation header; then `cache.endRevalidation(key)`. */
      revalidate?: string;
      /** Frees the request's concurrency slot: call once the response has finished or the connection closed. */
      release?: () => void;
    }
  /**
   * Run the handler after setting `headers`; when `capture` is present, buffer the response and pass it to
   * `capture.complete` (without it the pipeline has nothing more to do).
   */
  | {
      type: 'forward';
      headers: Record<string, string>;
      capture?: ResponseCapture;
      /**
       * Request headers to set before the handler runs: the validator of a stale stored response (RFC 9111
       * §4.3.1). A handler that answers it with 304 (Express's `res.send` does, or a proxied origin) refreshes the
       * stored response; the client still gets the full response.
       */
      requestHeaders?: Record<string, string>;
      /** Frees the request's concurrency slot: call once the response has finished or the connection closed. */
      release?: () => void;
    };

/** A route's own rate limit, over the pipeline's `rateLimiter` defaults. */
export interface PipelineRateLimit {
  /** Requests per window and client. @default the limiter's `max` */
  max?: number;
  /** Window length (ms). @default the limiter's `windowMs` */
  windowMs?: number;
  /**
   * Counter space: requests count only against others of the same scope. @default `'<METHOD> <route>'` when
   * `max` or `windowMs` is set here (a route's own limit does not share the global count), else the global space
   */
  scope?: string;
}

/** What one request asks of the pipeline (the route's configuration, resolved by the adapter). */
export interface PipelineRequestOptions {
  /** Response caching: the route's options, `true` for the pipeline's defaults, `false` for none. @default true */
  cache?: boolean | HttpCacheRouteOptions;
  /** Rate limiting (with the pipeline's `rateLimiter`): the route's own limit, or `false` to exempt it. @default {} */
  rateLimit?: false | PipelineRateLimit;
  /** The client's rate-limit key (see `clientAddressKey`); needed whenever the request is rate limited. */
  clientKey?: string;
}

export interface HttpPipelineOptions extends HttpCacheOptions {
  /** An existing cache (its options win); otherwise one is made from these options on first use. */
  cache?: HttpCache;
  /**
   * Rate limiting before the cache lookup (a cached answer counts too): 429 / 503 answers with `RateLimit-*` and
   * `Retry-After`, and the `RateLimit-*` headers on allowed responses. The caller owns (and closes) the limiter.
   * @default undefined (no rate limiting)
   */
  rateLimiter?: RateLimiter;
  /**
   * Invalidate the stored responses of a URL when an unsafe request (POST, PUT, DELETE, PATCH, …) to it gets a
   * 2xx/3xx, and of its same-host `Location` / `Content-Location` (RFC 9111 §4.4). @default true
   */
  invalidateOnUnsafe?: boolean;
}

/** One request's trip through the response cache, framework-free: a request view in, actions out. */
export interface HttpPipeline {
  readonly cache: HttpCache;
  readonly rateLimiter: RateLimiter | undefined;
  /** Decide what to do with a request before its handler runs: rate limit, then the response cache. */
  begin(request: HttpRequestInfo, options?: PipelineRequestOptions): Promise<PipelineAction>;
  /**
   * `begin` for the case that needs no waiting: the stored answer when the route is not rate limited and the
   * cache's store answers synchronously (`getSync`, as the in-process stores do); undefined otherwise, and then
   * the adapter calls `begin`. Same answer as `begin`, without a promise per cached hit.
   */
  answerSync(request: HttpRequestInfo, options?: PipelineRequestOptions): Extract<PipelineAction, { type: 'respond' }> | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const FORWARD: PipelineAction = { type: 'forward', headers: {} };
const NO_OPTIONS: PipelineRequestOptions = {};
const JSON_TYPE = 'application/json; charset=utf-8';
const MISS_HEADERS: Readonly<Record<string, string>> = { 'x-cache': 'MISS' };
// What a 304 must not carry from the 200 it replaces (RFC 9110 §15.4.5: no content).
const NOT_MODIFIED_REMOVED = ['content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'content-range', 'surrogate-control'];
// Surrogate-Control is addressed to us (Edge Architecture 1.0): honoured, then removed.
const SURROGATE_REMOVED = ['surrogate-control'];

/** Invalidation targets of an unsafe request: its own URL, and same-host `Location` / `Content-Location`. */
function invalidationTargets(request: HttpRequestInfo, response: HttpResponseInfo): Array<{ host: string; path: string }> {
  const host = requestHost(request.headers);
  const targets = [{ host, path: request.path }];
  for (const name of ['location', 'content-location']) {
    const value = headerValue(response.headers, name);
    if (value === undefined) continue;
    try {
      const url = new URL(value, `http://${host || 'localhost'}${request.path}`);
      if (url.host.toLowerCase() === host) targets.push({ host, path: url.pathname });
    } catch {
      // Not a URL: nothing else to invalidate.
    }
  }
  return targets;
}

/**
 * The response-cache pipeline both adapters translate their lifecycle to (`@wai/metrics-core/http`): lookup,
 * HIT / STALE / 304 answers with the right headers, stale-while-revalidate and stale-if-error, ETag + 304 on a
 * miss, store with the fill token taken before the handler ran (so a response made before a write's invalidation
 * is refused, once, here), and RFC 9111 §4.4 invalidation by unsafe requests.
 */
export function createHttpPipeline(options: HttpPipelineOptions = {}): HttpPipeline {
  // Made on first use: a pipeline that only rate-limits never builds a response cache.
  let ownCache = options.cache;
  const cacheOf = (): HttpCache => (ownCache ??= createHttpCache(options));
  const rateLimiter = options.rateLimiter;
  const logger: Logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_OPTION_DEFAULTS.cache.maxBodyBytes;
  const invalidateOnUnsafe = options.invalidateOnUnsafe ?? HTTP_OPTION_DEFAULTS.cache.invalidateOnUnsafe;

  const unsafeCapture = (cache: HttpCache, request: HttpRequestInfo): ResponseCapture => ({
    maxBodyBytes: 0,
    abandon: () => undefined,
    async complete(response) {
      if (response.status >= 200 && response.status < 400) {
        await Promise.all(invalidationTargets(request, response).map((target) => cache.invalidateUrl(target.host, target.path))).catch((error: unknown) =>
          logger.warn({ err: error, path: request.path }, '[wai:metrics-core] invalidating the cached responses of an unsafe request failed'),
        );
      }
      return { status: response.status, headers: {}, remove: [], body: response.body };
    },
  });

  const storeCapture = (cache: HttpCache, request: HttpRequestInfo, key: string, route: HttpCacheRouteOptions | undefined, store: boolean, lookup: Extract<Awaited<ReturnType<HttpCache['lookup']>>, { status: 'miss' }>): ResponseCapture => ({
    maxBodyBytes,
    abandon: () => cache.endRevalidation(key),
    async complete(response) {
      if (lookup.validate !== undefined && response.status === 304) {
        const answered = await cache.refresh(key, request, lookup.validate, response.headers, route, lookup.fill);
        return { status: answered.responseStatus, headers: answered.headers, remove: [], body: answered.body };
      }
      const fallback: StoredHttpResponse | undefined = lookup.fallback;
      if (fallback !== undefined && response.status >= 500) {
        // RFC 5861 §4: the handler failed and the stored response is within stale-if-error.
        const answered = cache.answer(request, fallback, 'STALE');
        return { status: answered.responseStatus, headers: answered.headers, remove: [], body: answered.body };
      }
      const headers: Record<string, string> = {};
      let etag = headerValue(response.headers, 'etag');
      // A HEAD's captured body is empty: a tag of it would not be the representation's.
      if (etag === undefined && request.method.toUpperCase() !== 'HEAD' && response.status >= 200 && response.status < 300) {
        etag = cache.etagFor(response.body);
        headers.etag = etag;
      }
      const final = etag === undefined ? response : { ...response, headers: { ...response.headers, etag } };
      if (store) {
        // The handler's own response: `save` makes the same tag and marks it as ours (never sent to validate).
        void cache.save(key, request, response, route, lookup.fill).catch((error: unknown) => logger.warn({ err: error, key }, '[wai:metrics-core] storing the response failed'));
      }
      if (cache.matchesIfNoneMatch(request, final)) {
        return { status: 304, headers, remove: NOT_MODIFIED_REMOVED, body: Buffer.alloc(0) };
      }
      return { status: response.status, headers, remove: SURROGATE_REMOVED, body: response.body };
    },
  });

  /** The rate-limit step: a refusal to send now, or the headers (and concurrency release) of an allowed request. */
  const limit = async (request: HttpRequestInfo, routeLimit: PipelineRateLimit, clientKey: string | undefined, limiter: RateLimiter): Promise<PipelineAction | { headers: Record<string, string>; release: () => void }> => {
    const hasOwnLimit = routeLimit.max !== undefined || routeLimit.windowMs !== undefined;
    const scope = routeLimit.scope ?? (hasOwnLimit ? `${request.method.toUpperCase()} ${request.route}` : undefined);
    const outcome = await limiter.check({
      key: clientKey ?? 'ip:unknown',
      path: request.path,
      route: request.route,
      ...(routeLimit.max === undefined ? {} : { max: routeLimit.max }),
      ...(routeLimit.windowMs === undefined ? {} : { windowMs: routeLimit.windowMs }),
      ...(scope === undefined ? {} : { scope }),
    });
    if (outcome.allowed) return { headers: outcome.headers, release: outcome.release };
    const body = Buffer.from(JSON.stringify(outcome.body));
    return { type: 'respond', response: { status: outcome.statusCode ?? 429, headers: { ...outcome.headers, 'content-type': JSON_TYPE, 'content-length': String(body.byteLength) }, body } };
  };

  /** The action for a stored response the cache may serve (HIT, STALE or the client's 304). */
  const servedAction = (lookup: Extract<HttpCacheLookup, { status: 'hit' | 'stale' }>): Extract<PipelineAction, { type: 'respond' }> => {
    const action: Extract<PipelineAction, { type: 'respond' }> = { type: 'respond', response: { status: lookup.responseStatus, headers: lookup.headers, body: lookup.body } };
    if (lookup.entry.route !== undefined) action.route = lookup.entry.route;
    if (lookup.revalidate) action.revalidate = lookup.key;
    return action;
  };

  const respondFromCache = async (request: HttpRequestInfo, cacheOption: true | HttpCacheRouteOptions): Promise<PipelineAction> => {
    const cache = cacheOf();
    const route = cacheOption === true ? undefined : cacheOption;
    const method = request.method.toUpperCase();
    if (!SAFE_METHODS.has(method)) return invalidateOnUnsafe ? { type: 'forward', headers: {}, capture: unsafeCapture(cache, request) } : FORWARD;
    const lookup = await cache.lookup(request, route);
    if (lookup.status === 'bypass') return FORWARD;
    if (lookup.status === 'miss') {
      if (lookup.onlyIfCached) {
        const body = Buffer.from('{"error":{"code":"E_NOT_CACHED","message":"[wai:metrics-core] only-if-cached: no stored response"}}');
        return { type: 'respond', response: { status: 504, headers: { 'content-type': 'application/json', 'content-length': String(body.byteLength) }, body } };
      }
      // A conditional request still needs the ETag / 304 decision even when nothing may be stored.
      if (lookup.conditional === undefined) return { type: 'forward', headers: MISS_HEADERS, capture: storeCapture(cache, request, lookup.key, route, lookup.store, lookup) };
      // The adapter adds the validator to the request it hands the handler; the pipeline keeps the client's view.
      const clientView = { ...request, headers: { ...request.headers } };
      return { type: 'forward', headers: MISS_HEADERS, requestHeaders: lookup.conditional, capture: storeCapture(cache, clientView, lookup.key, route, lookup.store, lookup) };
    }
    return servedAction(lookup);
  };

  return {
    get cache() {
      return cacheOf();
    },
    rateLimiter,
    answerSync(request, requestOptions = NO_OPTIONS) {
      const cacheOption = requestOptions.cache ?? true;
      if (cacheOption === false) return undefined;
      if (rateLimiter !== undefined && requestOptions.rateLimit !== false) return undefined;
      const method = request.method;
      if (method !== 'GET' && method !== 'HEAD' && !SAFE_METHODS.has(method.toUpperCase())) return undefined;
      const lookup = cacheOf().lookupSync(request, cacheOption === true ? undefined : cacheOption);
      return lookup === undefined ? undefined : servedAction(lookup);
    },
    async begin(request, requestOptions = NO_OPTIONS) {
      const cacheOption = requestOptions.cache ?? true;
      const routeLimit = requestOptions.rateLimit ?? {};
      // A background revalidation is the cache's own request: it is not the client's to pay for.
      const limited = rateLimiter !== undefined && routeLimit !== false && headerValue(request.headers, REVALIDATION_HEADER) !== revalidationToken();
      if (!limited) return cacheOption === false ? FORWARD : respondFromCache(request, cacheOption);
      const allowed = await limit(request, routeLimit, requestOptions.clientKey, rateLimiter);
      if ('type' in allowed) return allowed;
      const action = cacheOption === false ? FORWARD : await respondFromCache(request, cacheOption);
      // Each action gets its own header object: the cache's may be shared (MISS_HEADERS) or the stored entry's.
      if (action.type === 'respond') return { ...action, response: { ...action.response, headers: { ...allowed.headers, ...action.response.headers } }, release: allowed.release };
      return { ...action, headers: { ...allowed.headers, ...action.headers }, release: allowed.release };
    },
  };
}
