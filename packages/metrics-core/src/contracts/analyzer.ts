/**
 * The analyzer plug-in contract (what @wai/anomaly implements) and what the monitor lends it on each run.
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */
import type { Logger } from '../logger.js';
import type { CacheAnalytics } from './cache.js';
import type { AlertSignal, Bottleneck, Recommendation } from './findings.js';
import type { HistoryMetric, HistoryPoint, HistoryQuery } from './history.js';
import type { LatencySummary, MetricsSnapshot } from './metrics.js';
import type { ProfileSummary } from './profiling.js';

export interface AnalyzerResult {
  bottlenecks?: Bottleneck[];
  recommendations?: Recommendation[];
  /** Conditions true now (type `anomaly` for detectors); ones not reported again are resolved. */
  alerts?: AlertSignal[];
}

/** What the monitor lends an analyzer on each run. */
export interface AnalyzerContext {
  now: number;
  snapshot: MetricsSnapshot;
  history(metric: HistoryMetric, query?: HistoryQuery): HistoryPoint[];
  /** Names of series with history (global metrics and `route` keys). */
  routes(): string[];
  caches: Record<string, CacheAnalytics>;
  /** Timings reported by sources (`monitor.recordOperation`), e.g. SQL queries and Redis calls. */
  operations: OperationStats[];
  profiles: ProfileSummary[];
  logger: Logger;
  /**
   * The monitor's analysis settings, each present only when the monitor was given it. An analyzer applies them
   * where its own options leave the matter open (its own option wins); @wai/anomaly documents how it maps them.
   */
  settings?: {
    /** Anomaly sensitivity in standard deviations (two-sided): flag what is as surprising as a k-σ Gaussian deviation. */
    anomalyThreshold?: number;
    /** Window (ms) that trends (heap growth, latency trend) are fitted over. */
    trendAnalysisWindow?: number;
  };
}

/** A plug-in the monitor runs after every sample (what @wai/anomaly implements). */
export interface Analyzer {
  readonly name: string;
  analyze(context: AnalyzerContext): AnalyzerResult | Promise<AnalyzerResult>;
  close?(): void | Promise<void>;
}

/** Timings of an operation kind reported by a source (`db`, `redis`, `http-upstream`, …). */
export interface OperationStats {
  kind: string;
  /** e.g. normalised SQL or a Redis command name. */
  name: string;
  count: number;
  errors: number;
  latency: LatencySummary;
}
