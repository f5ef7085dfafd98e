// Explicit named exports only. Sections are owned by different areas; keep each list sorted.

// ── contracts ────────────────────────────────────────────────────────────────────────────────────────────
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export {
  ConfigError,
  NotFoundError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  WaiError,
  type WaiErrorCode,
  type WaiErrorOptions,
} from './errors.js';
export { silentLogger, type Logger } from './logger.js';
export type {
  Alert,
  AlertRule,
  AlertSignal,
  AlertState,
  AlertThresholds,
  AlertType,
  Analyzer,
  AnalyzerContext,
  AnalyzerResult,
  Bottleneck,
  BottleneckKind,
  CacheAdmin,
  CacheAnalytics,
  CacheSetOptions,
  CacheStatsSource,
  CacheStore,
  FillToken,
  CacheTierAnalytics,
  CpuStats,
  EndpointStats,
  EventLoopStats,
  Finding,
  GcStats,
  HealthComponent,
  HealthReport,
  HealthStatus,
  HistoryMetric,
  HistoryPoint,
  HistoryQuery,
  HistoryRecord,
  HistoryStore,
  LatencySummary,
  LoadSignal,
  MemoryStats,
  MetricsSnapshot,
  MonitorEvents,
  OperationStats,
  PerformanceMonitor,
  PerformanceMonitorOptions,
  ProfileFunction,
  ProfileResult,
  ProfileSummary,
  RateLimitDecision,
  RateLimitHit,
  RateLimitStore,
  Recommendation,
  Severity,
  StatusClass,
  WarmingResult,
} from './types.js';

// ── metric engine (monitor, sketches, windows, alerts, health, history, Prometheus, config) ─────────────
export {
  configureForEnvironment,
  loadConfigFromEnv,
  type Environment,
  type LogLevel,
  type WaiConfig,
  type WaiConfigOverrides,
} from './config/environment-config.js';
export { computeHealth, HEALTH_WEIGHTS, type HealthInputs } from './monitor/health-score.js';
export { createMemoryHistoryStore, type MemoryHistoryStoreOptions } from './monitor/memory-history-store.js';
export { createPerformanceMonitor, CURRENT_WINDOW_MS } from './monitor/performance-monitor.js';
export { escapeLabelValue } from './monitor/prometheus-exposition.js';
export { QuantileSketch, SketchMapping, type QuantileSketchOptions } from './monitor/quantile-sketch.js';
export { OVERFLOW_ROUTE } from './monitor/series-registry.js';

// ── framework-neutral request logic (routes, HTTP caching rules, rate limiting) ─────────────────────────
export { createAdaptiveLimit, type AdaptiveLimit, type AdaptiveLimitOptions, type AdaptiveState, type StressBand } from './http/adaptive-limit.js';
export { createCacheKey, headerValue, normalizeQuery, parseVary, type CacheKeyInput } from './http/cache-key.js';
export {
  DEFAULT_CACHEABLE_STATUSES,
  evaluateCacheRequest,
  evaluateCacheResponse,
  type CacheRulesOptions,
  type RequestCacheDecision,
  type RequestCacheReason,
  type ResponseCacheDecision,
  type ResponseCacheReason,
} from './http/cacheability.js';
export { subscribeResponseFinish, watchRequest, watchResponse, type WatchedRequest } from './http/connection-watch.js';
export { createConcurrencyLimiter, type ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './http/concurrency-limiter.js';
export { createEtag, ifNoneMatchMatches } from './http/etag.js';
export { ageSeconds, freshnessOf, type Freshness, type FreshnessInfo } from './http/freshness.js';
export {
  createHttpCache,
  REVALIDATION_HEADER,
  revalidationToken,
  type HttpCache,
  type HttpCacheLookup,
  type HttpCacheOptions,
  type HttpCacheRouteOptions,
  type HttpCacheSaveResult,
  type StoredHttpResponse,
} from './http/http-cache.js';
export type { HttpHeaders, HttpRequestInfo, HttpResponseInfo } from './http/http-types.js';
export { createMemoryCacheStore, type MemoryCacheStore, type MemoryCacheStoreOptions } from './http/memory-cache-store.js';
export { createMemoryRateLimitStore, type MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './http/memory-rate-limit-store.js';
export { createProfileTrigger, type ProfileTrigger, type ProfileTriggerOptions } from './http/profile-trigger.js';
export { clientAddressKey } from './http/rate-limit-key.js';
export { rateLimitBody, rateLimitHeaders, retryAfterSeconds, type RateLimitErrorBody } from './http/rate-limit-response.js';
export {
  createRateLimiter,
  DEFAULT_EXEMPT_PATHS,
  isExemptPath,
  type RateLimitCheck,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitOutcome,
} from './http/rate-limiter.js';
export { createRequestTracker, RequestTiming, requestTimingContext, type RequestTimingContext, type RequestTrack, type RequestTracker, type RequestTrackerOptions } from './http/request-tracker.js';
export { joinRoutePath, normalizeMethod, normalizeRoute, OTHER_METHOD, UNMATCHED_ROUTE } from './http/route-label.js';
