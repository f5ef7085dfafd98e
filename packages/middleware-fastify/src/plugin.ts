import { createPerformanceMonitor, type PerformanceMonitor } from '@wai/metrics-core';
import {
  clientAddressKey,
  createProfileTrigger,
  createRateLimiter,
  normalizeMethod,
  normalizeRoute,
  UNMATCHED_ROUTE,
  subscribeResponseFinish,
  watchRequest,
  watchResponse,
  type RateLimiter,
  RequestTiming,
  requestTimingContext,
  type RequestTimingContext,
  type WatchedRequest,
} from '@wai/metrics-core/http';
import {
  createHttpPipeline,
  REVALIDATION_HEADER,
  revalidationToken,
  type HttpCache,
  type HttpRequestInfo,
  type PipelineAction,
  type PipelineRateLimit,
  type PipelineRequestOptions,
  type PipelineResponse,
  type ResponseCapture,
} from '@wai/metrics-core/http';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { PLUGIN_DEFAULTS, type RouteCacheConfig, type RouteRateLimitConfig, type WaiPerformanceOptions } from './options.js';

/** What `fastify.perf` offers route code. */
export interface WaiPerf {
  readonly monitor: PerformanceMonitor;
  /** The HTTP response cache (lookup/save rules, store). */
  readonly cache: HttpCache;
  /** Drops cached responses carrying any of `tags` (call it from write routes). */
  invalidate(tags: string | readonly string[]): Promise<void>;
  /** The rate limiter, when `rateLimit` is configured. */
  readonly limiter: RateLimiter | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    perf: WaiPerf;
  }
  interface FastifyContextConfig {
    /** Cache this GET route's responses (`true` or `{ ttl, tags, staleWhileRevalidate, vary }`). */
    cache?: RouteCacheConfig;
    /** Override (`{ max, windowMs }`) or disable (`false`) rate limiting for this route. */
    rateLimit?: RouteRateLimitConfig;
  }
}

/** The plugin instance's timing context: the monitor, clock and logger, and its end-of-request handler. */
interface PluginContext extends RequestTimingContext {
  finished(state: RequestState, statusCode: number): void;
}

/**
 * Per-request state: the request's timing plus what the hooks pass each other, in one object per request (the
 * timing is its base class) holding what differs per request; what every request shares is in the context.
 */
class RequestState extends RequestTiming implements WatchedRequest {
  release: (() => void) | undefined = undefined;
  /** The response pipeline's work after the handler (store, ETag / 304, invalidation), when there is any. */
  capture: ResponseCapture | undefined = undefined;
  /** Answered from the cache; onSend leaves the payload alone. */
  cached = false;

  constructor(
    context: PluginContext,
    /** The route template, or UNMATCHED_ROUTE (finish, abort and the profiler all need it). */
    readonly label: string,
    /** Normalised once at the start. */
    readonly method: string,
    readonly raw: object,
  ) {
    super(context);
  }

  responseFinished(statusCode: number): void {
    (this.context as PluginContext).finished(this, statusCode);
  }

  connectionClosed(): void {
    abortState(this);
  }
}

/** A route's label and method, resolved on its first request and kept on its config object (one per route). */
interface RouteLabel {
  label: string;
  /** The route's own method, or undefined when it serves several (then each request's method is normalised). */
  method: string | undefined;
}

type RouteConfigObject = { url?: unknown; method?: unknown } & Record<symbol, RouteLabel | undefined>;

/**
 * Reads a request's route config object. Fastify keeps the route's context on each request under an internal
 * symbol (`Symbol('fastify.context')`, found on the first request by its description, per plugin instance since
 * two copies of Fastify in one process have two symbols); `request.routeOptions` is the public way but builds a
 * twelve-field object on every access, so the hot path uses it only when the symbol is missing.
 * @internal Exported for tests only (the package index does not re-export it).
 */
export function routeConfigReader(): (request: FastifyRequest) => RouteConfigObject | undefined {
  let contextKey: symbol | null | undefined;
  return (request) => {
    if (contextKey === undefined) contextKey = Object.getOwnPropertySymbols(request).find((key) => key.description === 'fastify.context') ?? null;
    if (contextKey === null) return request.routeOptions.config as unknown as RouteConfigObject | undefined;
    return (request as unknown as Record<symbol, { config?: RouteConfigObject } | undefined>)[contextKey]?.config;
  };
}

const STATE = Symbol('wai-perf');
type WithState = FastifyRequest & { [STATE]?: RequestState | null };

function isMonitor(value: WaiPerformanceOptions['monitor']): value is PerformanceMonitor {
  return typeof (value as PerformanceMonitor | undefined)?.trackEndpoint === 'function';
}

/** Reports one request (first call wins inside the track). */
function finishState(state: RequestState, statusCode: number): number {
  releaseState(state);
  return state.finish(state.label, state.method, statusCode);
}

/** Frees the concurrency slot once, whichever of finish and abort comes first. */
function releaseState(state: RequestState): void {
  const release = state.release;
  state.release = undefined;
  release?.();
}

function abortState(state: RequestState): void {
  releaseState(state);
  state.abort(state.label, state.method);
}

function splitUrl(url: string): { path: string; query: string } {
  const index = url.indexOf('?');
  return index === -1 ? { path: url, query: '' } : { path: url.slice(0, index), query: url.slice(index + 1) };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** The pipeline's view of a Fastify request. */
function requestInfo(request: FastifyRequest, route: string): HttpRequestInfo {
  const { path, query } = splitUrl(request.url);
  return { method: request.method, path, query, route, headers: request.headers };
}

const waiPerformancePlugin: FastifyPluginCallback<WaiPerformanceOptions> = (fastify, options, done) => {
  const logger = options.logger ?? fastify.log;
  const ownsMonitor = !isMonitor(options.monitor);
  const monitor = isMonitor(options.monitor) ? options.monitor : createPerformanceMonitor({ logger, ...(options.monitor ?? {}) });
  const clock = options.clock;
  const rateLimit = options.rateLimit;
  const limiter = rateLimit
    ? createRateLimiter({ ...rateLimit, monitor, logger, ...(clock ? { clock } : {}), ...(options.loadSignal ? { loadSignal: options.loadSignal } : {}) })
    : undefined;
  const pipeline = createHttpPipeline({
    ...options.cache,
    logger,
    ...(options.cacheStore ? { store: options.cacheStore } : {}),
    ...(clock ? { clock } : {}),
    ...(limiter ? { rateLimiter: limiter } : {}),
  });
  const cache = pipeline.cache;
  const invalidateOnUnsafe = options.cache?.invalidateOnUnsafe ?? true;
  let cachedRoutes = 0;
  const limitEveryRoute = rateLimit?.global ?? PLUGIN_DEFAULTS.global;
  const globalScope: PipelineRateLimit = rateLimit?.scope === undefined ? {} : { scope: rateLimit.scope };
  const keyOf = rateLimit?.keyGenerator ?? ((request: FastifyRequest) => clientAddressKey(request.ip));
  const serverTiming = options.serverTiming ?? PLUGIN_DEFAULTS.serverTiming;
  const profiling = options.profiling ?? PLUGIN_DEFAULTS.profiling;
  const trigger = profiling ? createProfileTrigger({ monitor, logger, ...(clock ? { clock } : {}), ...(typeof profiling === 'object' ? profiling : {}) }) : undefined;

  // Declared up front so every request object keeps one shape (Fastify's advice for per-request state).
  fastify.decorateRequest(STATE, null);
  fastify.decorate('perf', {
    monitor,
    cache,
    limiter,
    invalidate: (tags: string | readonly string[]) => cache.invalidate(typeof tags === 'string' ? [tags] : tags),
  } satisfies WaiPerf);

  const revalidate = (request: FastifyRequest, key: string) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || name === 'if-none-match' || name === 'if-modified-since' || name === 'content-length') continue;
      headers[name] = value;
    }
    headers[REVALIDATION_HEADER] = revalidationToken();
    // RFC 5861: refresh in the background by running the route again in-process (light-my-request).
    fastify
      .inject({ method: 'GET', url: request.url, headers })
      .catch((error: unknown) => logger.warn({ err: error, key }, '[wai:middleware-fastify] background revalidation failed'))
      .finally(() => cache.endRevalidation(key));
  };

  const sendResponse = (reply: FastifyReply, response: PipelineResponse) => reply.code(response.status).headers(response.headers).send(response.body);

  // One onRequest hook times every request (404s included) and labels it from its route's config, resolved on
  // the route's first request: an empty onRequest hook alone measured about 3 % of bare Fastify's instructions
  // per request (callgrind), so a second hook per request only runs on routes that cache or rate-limit. That
  // work stays in per-route hooks (attached in onRoute), which run after every instance-wide hook: a user's
  // authentication hook still runs before a cached response is served.
  // HTTP/2 streams end without their connection closing, so there only Fastify's per-request signal works.
  const http2 = Boolean(fastify.initialConfig.http2);
  const context: PluginContext = {
    ...requestTimingContext(monitor, { logger }),
    // Runs inside Node's channel publish, where a throw would become an uncaught exception: never throw.
    finished(state, statusCode) {
      try {
        const duration = finishState(state, statusCode);
        trigger?.observe(state.label, state.method, duration);
      } catch (error) {
        logger.warn({ err: error }, '[wai:middleware-fastify] reporting a finished request failed');
      }
    },
  };
  // Per plugin instance: two registrations in nested scopes each keep their own view of a route.
  const ROUTE = Symbol('wai-route');
  const unmatched: RouteLabel = { label: UNMATCHED_ROUTE, method: undefined };
  const routeConfigOf = routeConfigReader();
  const routeOf = (request: FastifyRequest): RouteLabel => {
    const config = routeConfigOf(request);
    if (config === undefined) return unmatched;
    let route = config[ROUTE];
    if (route === undefined) {
      // A 404 context has no url (UNMATCHED); a route serving several methods has an array as its method, so
      // each of its requests is labelled with its own.
      route = { label: normalizeRoute(typeof config.url === 'string' ? config.url : undefined), method: typeof config.method === 'string' ? normalizeMethod(config.method) : undefined };
      // Non-enumerable, so code that copies or inspects `routeOptions.config` does not see it. A 404 handler's
      // config is the user's own object, which may be frozen: then the label is worked out per request.
      if (Object.isExtensible(config)) Object.defineProperty(config, ROUTE, { value: route });
    }
    return route;
  };
  const unsubscribe = subscribeResponseFinish();
  fastify.addHook('onRequest', (request, reply, next) => {
    const route = routeOf(request);
    const state = new RequestState(context, route.label, route.method ?? normalizeMethod(request.method), request.raw);
    (request as WithState)[STATE] = state;
    // HTTP/1 requests are reported from Node's end-of-response channel and their connection's close (see
    // watchRequest in @wai/metrics-core); `inject` and HTTP/2 requests from their response's events.
    if (!watchRequest(request.raw, state)) watchResponse(reply.raw, state);
    if (limiter === undefined || !limitEveryRoute || !request.is404) {
      next();
      return;
    }
    // Unmatched requests have no route hook; the global limit still applies to them.
    void handleRequest(request, reply, state, globalScope, undefined).then(
      (answered) => {
        if (!answered) next();
      },
      (error: unknown) => next(error as Error),
    );
  });

  /** The route's rate limit and cache work, or undefined when it has none (the route then gets no hook). */
  const routeHook = (config: { cache?: RouteCacheConfig; rateLimit?: RouteRateLimitConfig } | undefined): onRequestHookHandler | undefined => {
    const routeLimit = config?.rateLimit;
    const routeCache = config?.cache;
    const limitThis = limiter !== undefined && routeLimit !== false && (limitEveryRoute || routeLimit !== undefined);
    const limitOptions = limitThis ? routeLimit || globalScope : undefined;
    if (limitOptions === undefined && !routeCache) return undefined;
    // Without a rate limit the pipeline's options are the same for every request of the route.
    const cacheOnly: PipelineRequestOptions | undefined = limitOptions === undefined && routeCache ? { cache: routeCache, rateLimit: false } : undefined;
    return function waiRoute(request, reply, next) {
      const state = (request as WithState)[STATE];
      if (!state) {
        next();
        return;
      }
      if (cacheOnly !== undefined) {
        // A stored answer the store can give now (an in-process store) is sent without a promise.
        let served: Extract<PipelineAction, { type: 'respond' }> | undefined;
        try {
          served = pipeline.answerSync(requestInfo(request, state.label), cacheOnly);
        } catch (error) {
          next(error as Error);
          return;
        }
        if (served !== undefined) {
          state.mark('cache');
          respond(request, reply, state, served);
          return;
        }
      }
      void handleRequest(request, reply, state, limitOptions, routeCache).then(
        (answered) => {
          if (!answered) next();
        },
        (error: unknown) => next(error as Error),
      );
    };
  };

  /** Sends a stored answer (or the pipeline's own: 429, 504); starts its background revalidation when due. */
  const respond = (request: FastifyRequest, reply: FastifyReply, state: RequestState, action: Extract<PipelineAction, { type: 'respond' }>): FastifyReply => {
    state.cached = true;
    state.release = action.release;
    if (action.revalidate !== undefined) revalidate(request, action.revalidate);
    return sendResponse(reply, action.response);
  };

  /** The pipeline's rate limit and cache lookup; true when the reply was sent here. */
  const handleRequest = async (
    request: FastifyRequest,
    reply: FastifyReply,
    state: RequestState,
    routeLimit: PipelineRateLimit | undefined,
    routeCache: RouteCacheConfig | undefined,
  ): Promise<boolean> => {
    const limit = limiter !== undefined && routeLimit !== undefined;
    const action = await pipeline.begin(requestInfo(request, state.label), {
      cache: routeCache ?? false,
      rateLimit: limit ? routeLimit : false,
      ...(limit ? { clientKey: keyOf(request) } : {}),
    });
    if (limit) state.mark('ratelimit');
    if (routeCache) state.mark('cache');
    state.release = action.release;
    if (action.type === 'respond') {
      await respond(request, reply, state, action);
      return true;
    }
    reply.headers(action.headers);
    if (action.requestHeaders) Object.assign(request.raw.headers, action.requestHeaders);
    state.capture = action.capture;
    return false;
  };

  const serverTimingOnSend: onSendHookHandler = (request, reply, payload, next) => {
    const state = (request as WithState)[STATE];
    if (state) reply.header('server-timing', state.serverTiming());
    next(null, payload);
  };

  /** Hands the route's answer to the pipeline (strings and buffers; streams pass through uncached) and sends its result. */
  const cacheOnSend: onSendHookHandler = (request, reply, payload, next) => {
    const state = (request as WithState)[STATE];
    const capture = state?.capture;
    if (!state || state.cached || capture === undefined) {
      next(null, payload);
      return;
    }
    state.capture = undefined;
    const bodyless = capture.maxBodyBytes === 0;
    if (!bodyless && typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
      capture.abandon();
      next(null, payload);
      return;
    }
    const body = bodyless ? Buffer.alloc(0) : typeof payload === 'string' ? Buffer.from(payload) : (payload as Buffer);
    if (body.byteLength > capture.maxBodyBytes && !bodyless) {
      capture.abandon();
      next(null, payload);
      return;
    }
    capture.complete({ status: reply.statusCode, headers: reply.getHeaders(), body }).then(
      (final) => {
        if (bodyless) {
          next(null, payload);
          return;
        }
        reply.code(final.status);
        for (const name of final.remove) reply.removeHeader(name);
        reply.headers(final.headers);
        next(null, final.body);
      },
      (error: unknown) => next(error as Error),
    );
  };

  /** Unsafe requests to routes without `config.cache`: the pipeline invalidates their URL (RFC 9111 §4.4). */
  const unsafeOnSend: onSendHookHandler = (request, _reply, payload, next) => {
    const state = (request as WithState)[STATE];
    if (!state || cachedRoutes === 0 || SAFE_METHODS.has(request.method)) {
      next(null, payload);
      return;
    }
    pipeline.begin(requestInfo(request, state.label), { rateLimit: false }).then(
      (action) => {
        if (action.type === 'forward' && action.capture) state.capture = action.capture;
        cacheOnSend.call(fastify, request, _reply, payload, next);
      },
      (error: unknown) => next(error as Error),
    );
  };

  if (serverTiming) fastify.addHook('onSend', serverTimingOnSend);
  const appendHook = <H>(existing: H | H[] | undefined, hook: H): H[] => (existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook]);
  fastify.addHook('onRoute', (route) => {
    const config = route.config as { cache?: RouteCacheConfig; rateLimit?: RouteRateLimitConfig } | undefined;
    const hook = routeHook(config);
    if (hook) route.onRequest = appendHook(route.onRequest as onRequestHookHandler | onRequestHookHandler[] | undefined, hook);
    // Only cached routes pay for the body hook (the approach of @fastify/rate-limit's per-route hooks); write
    // routes get the invalidation hook.
    if (config?.cache) {
      cachedRoutes++;
      route.onSend = appendHook(route.onSend as onSendHookHandler | onSendHookHandler[] | undefined, cacheOnSend);
    } else if (invalidateOnUnsafe && (Array.isArray(route.method) ? route.method : [route.method]).some((method) => !SAFE_METHODS.has(method.toUpperCase()))) {
      route.onSend = appendHook(route.onSend as onSendHookHandler | onSendHookHandler[] | undefined, unsafeOnSend);
    }
  });

  fastify.addHook('onError', (request, _reply, error, next) => {
    (request as WithState)[STATE]?.fail(error);
    next();
  });

  if (http2) {
    fastify.addHook('onRequestAbort', (request, next) => {
      const state = (request as WithState)[STATE];
      if (state) abortState(state);
      next();
    });
  }

  fastify.addHook('onClose', (_instance: FastifyInstance, next) => {
    unsubscribe();
    const closing = [limiter?.close(), ownsMonitor ? monitor.close() : undefined];
    Promise.all(closing).then(() => next(), (error: unknown) => next(error as Error));
  });

  if (ownsMonitor) monitor.start();
  done();
};

/**
 * The @wai Fastify plugin: request timing by route template, per-route HTTP caching (`config.cache`), sliding-
 * window and adaptive rate limiting (`config.rateLimit`), and `fastify.perf` for the monitor, cache and limiter.
 */
export const waiPerformance = fp(waiPerformancePlugin, { fastify: '5.x', name: '@wai/middleware-fastify' });
