// The root entry: what every @wai package programs against — contracts, errors, clock, logger and the metric
// engine. The request pipeline is `@wai/metrics-core/http`, the environment configuration
// `@wai/metrics-core/config`, test helpers `@wai/metrics-core/testing`. Each name here is used by another
// package, an app or a documented example (src/index.test.ts holds the list to at most 60 names).
// Explicit named exports only; keep each list sorted.

// ── clock, errors, logger ───────────────────────────────────────────────────────────────────────────────
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
} from './errors.js';
export { silentLogger, type Logger } from './logger.js';

// ── contracts ───────────────────────────────────────────────────────────────────────────────────────────
export type { Analyzer, AnalyzerContext, AnalyzerResult, OperationStats } from './contracts/analyzer.js';
export type { CacheAdmin, WarmingResult } from './contracts/cache-admin.js';
export type { CacheAnalytics, CacheSetOptions, CacheStatsSource, CacheStore, CacheTierAnalytics } from './contracts/cache.js';
export type { Alert, AlertSignal, Bottleneck, Finding, Recommendation, Severity } from './contracts/findings.js';
export type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryRecord, HistoryStore } from './contracts/history.js';
export type { EndpointStats, HealthReport, HealthStatus, LoadSignal, MetricsSnapshot } from './contracts/metrics.js';
export type { AlertRule, AlertThresholds, PerformanceMonitor, PerformanceMonitorOptions } from './contracts/monitor.js';
export type { ProfileFunction, ProfileSummary } from './contracts/profiling.js';
export type { RateLimitHit, RateLimitStore } from './contracts/rate-limit.js';

// ── metric engine ───────────────────────────────────────────────────────────────────────────────────────
export { createPerformanceMonitor } from './monitor/performance-monitor.js';
export { QuantileSketch } from './monitor/quantile-sketch.js';
