// `@wai/metrics-core/http/testing`: the response-cache conformance table every HTTP adapter runs.
export {
  HTTP_CONFORMANCE_CASES,
  runConformanceCase,
  sharedLimitStatuses,
  type ConformanceCacheOptions,
  type ConformanceCase,
  type ConformanceRateLimit,
  type ConformanceServer,
  type ConformanceStep,
  type ConformanceTarget,
  type OriginHandler,
  type OriginRequest,
  type OriginResponse,
} from './conformance.js';
export {
  benchmarkCacheTests,
  checkCacheTests,
  publishedCacheTests,
  renderCacheTestsTable,
  runCacheTests,
  summarizeCacheTests,
  type CacheTestOutcome,
  type CacheTestsBenchmark,
  type CacheTestsBenchmarkOptions,
  type CacheTestsGroup,
  type CacheTestsOptions,
  type CacheTestsReport,
  type CacheTestsSummary,
} from './cache-tests.js';
export { forwardToOrigin, type OriginAnswer } from './reverse-proxy.js';
export { HTTP_OPTION_DEFAULTS } from './option-defaults.js';
