export { adaptiveRateLimit, type AdaptiveRateLimitMiddleware, type AdaptiveRateLimitOptions } from './adaptive-rate-limit.js';
export { getDefaultCacheStore, getDefaultMonitor, setDefaultCacheStore, setDefaultMonitor } from './defaults.js';
export { initializePerformanceSystem, type PerformanceSystem, type PerformanceSystemConfig } from './initialize-performance-system.js';
export {
  intelligentCache,
  invalidateOnWrite,
  type IntelligentCacheMiddleware,
  type IntelligentCacheOptions,
  type InvalidateOnWriteOptions,
} from './intelligent-cache.js';
export { enhancedRequestTiming, instrumentApp, requestErrorTracking, type RequestTimingOptions, type Uninstrument } from './request-timing.js';
export { createRouteMonitoring, type RouteMonitoringMiddleware, type RouteMonitoringOptions } from './route-monitoring.js';
