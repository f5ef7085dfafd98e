// `@wai/metrics-core/http`: the framework-neutral request pipeline the Express and Fastify adapters translate to,
// and the rules it is made of.
export { parseCacheControl, cacheControlOf, deltaSeconds, type CacheDirectives } from './cache-control.js';
export { createCacheKey, headerValue, normalizeQuery, parseVary, requestHost, urlTag, type CacheKeyInput } from './cache-key.js';
export {
  DEFAULT_CACHEABLE_STATUSES,
  evaluateCacheRequest,
  evaluateCacheResponse,
  type CacheRulesOptions,
  type RequestCacheDecision,
  type RequestCacheReason,
  type ResponseCacheDecision,
  type ResponseCacheReason,
} from './cacheability.js';
export { createEtag, ifNoneMatchMatches, isNotModified, mayAnswerNotModified } from './etag.js';
export {
  ageSeconds,
  currentAgeMs,
  freshnessOf,
  parseHttpDate,
  responseFreshness,
  type Freshness,
  type FreshnessDefaults,
  type FreshnessInfo,
  type ResponseFreshness,
} from './freshness.js';
export {
  createHttpCache,
  REVALIDATION_HEADER,
  revalidationToken,
  type CachedAnswer,
  type HttpCache,
  type HttpCacheLookup,
  type HttpCacheOptions,
  type HttpCacheRouteOptions,
  type HttpCacheSaveResult,
  type StoredHttpResponse,
} from './http-cache.js';
export {
  createHttpPipeline,
  type CompletedResponse,
  type HttpPipeline,
  type HttpPipelineOptions,
  type PipelineAction,
  type PipelineRateLimit,
  type PipelineRequestOptions,
  type PipelineResponse,
  type ResponseCapture,
} from './http-pipeline.js';
export type { HttpHeaders, HttpRequestInfo, HttpResponseInfo } from './http-types.js';
export { createMemoryCacheStore, type MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-cache-store.js';

// Request lifecycle, route labels and rate limiting (moved from the root entry).
export { createAdaptiveLimit, type AdaptiveLimit, type AdaptiveLimitOptions, type AdaptiveState, type StressBand } from './adaptive-limit.js';
export type { ConcurrencyLimiter, ConcurrencyLimiterOptions } from './concurrency-limiter.js';
export { subscribeResponseFinish, watchRequest, watchResponse, type WatchedRequest } from './connection-watch.js';
export { createMemoryRateLimitStore, type MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-rate-limit-store.js';
export { createProfileTrigger, type ProfileTrigger, type ProfileTriggerOptions } from './profile-trigger.js';
export { clientAddressKey } from './rate-limit-key.js';
export type { RateLimitErrorBody } from './rate-limit-response.js';
export {
  createRateLimiter,
  DEFAULT_EXEMPT_PATHS,
  type RateLimitCheck,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitOutcome,
} from './rate-limiter.js';
export {
  createRequestTracker,
  RequestTiming,
  requestTimingContext,
  type RequestTimingContext,
  type RequestTrack,
  type RequestTracker,
  type RequestTrackerOptions,
} from './request-tracker.js';
export { joinRoutePath, normalizeMethod, normalizeRoute, OTHER_METHOD, UNMATCHED_ROUTE } from './route-label.js';
