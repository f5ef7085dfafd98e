import { type CacheStore, type PerformanceMonitor } from '@wai/metrics-core';
import { createProfileTrigger, type ProfileTriggerOptions } from '@wai/metrics-core/http';
import type { RequestHandler } from 'express';
import { adaptiveRateLimit, type AdaptiveRateLimitOptions } from './adaptive-rate-limit.js';
import { composeMiddleware } from './compose.js';
import { getDefaultMonitor } from './defaults.js';
import { intelligentCache, type IntelligentCacheOptions } from './intelligent-cache.js';
import { enhancedRequestTiming } from './request-timing.js';

/** Defaults of `RouteMonitoringOptions` (the README's signature is checked against them). */
export const ROUTE_MONITORING_DEFAULTS = { enableCaching: false, cacheTTL: 300, enableProfiling: false, rateLimit: false } as const;

export interface RouteMonitoringOptions {
  monitor?: PerformanceMonitor;
  /** Cache GET/HEAD responses. @default false */
  enableCaching?: boolean;
  /** TTL (seconds) of cached responses that state no freshness of their own. @default 300 */
  cacheTTL?: number;
  /** Further cache options (store, tags, vary, staleWhileRevalidate, …). */
  cache?: Omit<IntelligentCacheOptions, 'ttl'>;
  /**
   * Per-request phase timings in `Server-Timing`, and one rate-limited CPU profile (through
   * `monitor.captureProfile`) when a request exceeds `slowRequestMs` or the event loop blocks.
   * @default false
   */
  enableProfiling?: boolean | Pick<ProfileTriggerOptions, 'slowRequestMs' | 'eventLoopDelayMs' | 'minIntervalMs' | 'durationMs' | 'minBusyShare' | 'onProfile'>;
  /** Rate limit options, or false for none. @default false */
  rateLimit?: AdaptiveRateLimitOptions | false;
  /** Store for `enableCaching` (shortcut for `cache.store`). */
  cacheStore?: CacheStore;
}

export interface RouteMonitoringMiddleware extends RequestHandler {
  close(): Promise<void>;
}

/**
 * One middleware that applies timing, rate limiting and caching to a router, as in the guide:
 * `router.use(createRouteMonitoring({ enableCaching: true, cacheTTL: 300, enableProfiling: true, rateLimit: { max: 100 } }))`.
 */
export function createRouteMonitoring(options: RouteMonitoringOptions = {}): RouteMonitoringMiddleware {
  const monitorOf = () => options.monitor ?? getDefaultMonitor();
  const profiling = options.enableProfiling ?? ROUTE_MONITORING_DEFAULTS.enableProfiling;
  const trigger = profiling
    ? createProfileTrigger({ monitor: monitorOf, ...(typeof profiling === 'object' ? profiling : {}) })
    : undefined;
  const handlers: RequestHandler[] = [
    enhancedRequestTiming({
      ...(options.monitor ? { monitor: options.monitor } : {}),
      serverTiming: Boolean(profiling),
      ...(trigger ? { onFinish: (route: string, method: string, _status: number, durationMs: number) => trigger.observe(route, method, durationMs) } : {}),
    }),
  ];
  const rateLimit = options.rateLimit ?? ROUTE_MONITORING_DEFAULTS.rateLimit;
  const limiter = rateLimit ? adaptiveRateLimit({ ...(options.monitor ? { monitor: options.monitor } : {}), ...rateLimit }) : undefined;
  if (limiter) handlers.push(limiter);
  if (options.enableCaching ?? ROUTE_MONITORING_DEFAULTS.enableCaching) {
    const store = options.cacheStore ?? options.cache?.store;
    handlers.push(intelligentCache({ ...options.cache, ...(store ? { store } : {}), ttl: options.cacheTTL ?? ROUTE_MONITORING_DEFAULTS.cacheTTL }));
  }
  const middleware = composeMiddleware(handlers) as RouteMonitoringMiddleware;
  Object.defineProperty(middleware, 'close', { value: async () => limiter?.close() });
  return middleware;
}
