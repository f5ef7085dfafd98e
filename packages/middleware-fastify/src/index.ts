export type { RouteCacheConfig, RouteRateLimitConfig, WaiPerformanceOptions, WaiRateLimitOptions } from './options.js';
export { waiPerformance, type WaiPerf } from './plugin.js';
