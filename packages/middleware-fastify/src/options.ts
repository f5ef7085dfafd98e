import type {
  CacheStore,
  Clock,
  LoadSignal,
  Logger,
  PerformanceMonitor,
  PerformanceMonitorOptions,
} from '@wai/metrics-core';
import type { HttpCacheRouteOptions, HttpPipelineOptions, PipelineRateLimit, ProfileTriggerOptions, RateLimiterOptions } from '@wai/metrics-core/http';
import type { FastifyRequest } from 'fastify';

/** Per-route `config.cache`: `true` for the plugin defaults, or overrides. */
export type RouteCacheConfig = boolean | HttpCacheRouteOptions;

/**
 * Per-route `config.rateLimit`: overrides of the plugin's limit (`{ max, windowMs, scope }`; a route with its own
 * `max` / `windowMs` counts in its own scope, `'<METHOD> <route>'`, unless `scope` names one), or `false` to
 * exempt the route.
 */
export type RouteRateLimitConfig = false | PipelineRateLimit;

/** The plugin's own value defaults (the README's tables are checked against them; the rest are metrics-core's). */
export const PLUGIN_DEFAULTS = { serverTiming: false, profiling: false, global: true } as const;

export interface WaiRateLimitOptions extends Omit<RateLimiterOptions, 'monitor' | 'clock' | 'logger' | 'loadSignal'> {
  /** Key of a request. @default the client address (`request.ip`, which follows Fastify's `trustProxy`) */
  keyGenerator?: (request: FastifyRequest) => string;
  /** Limit every route (true) or only routes with `config.rateLimit` (false). @default true */
  global?: boolean;
  /**
   * Counter space of the plugin-wide limit, so two limits sharing one `store` (two apps, or an Express and a
   * Fastify service) count apart. @default undefined (one space per client)
   */
  scope?: string;
}

export interface WaiPerformanceOptions {
  /** A monitor you built, or options for a new one the plugin creates and closes. @default {} */
  monitor?: PerformanceMonitor | PerformanceMonitorOptions;
  /** Where cached responses live (any @wai cache or your own store). @default a bounded in-memory store */
  cacheStore?: CacheStore;
  /**
   * Defaults for routes with `config.cache` (ttl in seconds where the response states no freshness, tags,
   * statuses, staleWhileRevalidate, keyIncludesHost, overrideOrigin, invalidateOnUnsafe, …).
   */
  cache?: Omit<HttpPipelineOptions, 'store' | 'clock' | 'logger' | 'cache' | 'rateLimiter'>;
  /** Rate limiting (sliding window, adaptive, concurrency); off when absent. */
  rateLimit?: WaiRateLimitOptions;
  /** Load source for `rateLimit.adaptive`. @default () => monitor.getLoadSignal() */
  loadSignal?: () => LoadSignal;
  /** Add `Server-Timing` (phases + total) to responses. @default false */
  serverTiming?: boolean;
  /** Capture one rate-limited CPU profile when a route turns slow or the loop blocks. @default false */
  profiling?: boolean | Pick<ProfileTriggerOptions, 'slowRequestMs' | 'eventLoopDelayMs' | 'minIntervalMs' | 'durationMs' | 'minBusyShare' | 'onProfile'>;
  clock?: Clock;
  /** @default fastify.log */
  logger?: Logger;
}
