import { ConfigError, type AnalyzerContext, type HistoryMetric } from '@wai/metrics-core';
import type { StreamingDetector } from '../detector-types.js';

/** Which deviations of a watched series count: latency only upwards, hit rate only downwards, … */
export type AnomalyDirection = 'up' | 'down' | 'both';

export interface WatchedMetric {
  metric: HistoryMetric;
  /** @default 'both' */
  direction?: AnomalyDirection;
}

/** Identifies one watched series; passed to `detectorFactory`. */
export interface SeriesKey {
  metric: HistoryMetric;
  /** Absent for global series. */
  route?: string;
}

export interface AnomalyAnalyzerOptions {
  /** Analyzer name shown by the monitor. @default 'anomaly' */
  name?: string;
  /**
   * Makes the streaming detector of one series. It gets the monitor's `anomalyThreshold` (when the monitor has
   * one) to honour as it sees fit. @default the ensemble, `createAnomalyDetector({ anomalyThreshold })`
   */
  detectorFactory?: (series: SeriesKey, settings: { anomalyThreshold?: number }) => StreamingDetector;
  /**
   * Sensitivity in standard deviations for the default detectors (a finite number > 0; see
   * `createAnomalyDetector`'s `anomalyThreshold`). Overrides the monitor's `anomalyThreshold`; either is read
   * when a series' detector is made. Not with `detectorFactory` (give it to your detectors there).
   * @default the monitor's `anomalyThreshold`, else the ensemble's calibrated default (≡ 6.3)
   */
  anomalyThreshold?: number;
  /**
   * Global series watched for anomalies.
   * @default latency_p95 ↑, error_rate ↑, event_loop_delay_p99 ↑, heap_used ↑, cache_hit_rate ↓, requests_per_second ↕
   */
  watchGlobal?: readonly WatchedMetric[];
  /** Series watched per route. @default latency_p95 ↑, error_rate ↑ */
  watchPerRoute?: readonly WatchedMetric[];
  /** Most series with a detector; the busiest routes win, idle ones are dropped. @default 200 */
  maxSeries?: number;
  /** An anomaly stays reported this long after its last anomalous point (the engine resolves it after). @default 60000 */
  anomalyHoldMs?: number;
  /**
   * Detector score at or above which an anomaly alert is critical rather than a warning. Scores are calibrated
   * as s / (s + s_alarm) of the surprise s = −ln p, so 0.8 is four times the alarm's surprise (z ≈ 8.6 for a
   * z = 4 alarm). @default 0.8
   */
  criticalScore?: number;

  /** Requests a route needs in the snapshot window before it is judged. @default 20 */
  minRequests?: number;
  /** p95 (ms) above which a route is slow whatever the others do (the default response-time alert). @default 1000 */
  slowEndpointMs?: number;
  /** A route whose p95 is this many times the median p95 of the other routes is slow… @default 3 */
  slowEndpointRatio?: number;
  /** …provided its p95 is at least this (ms); also the floor for `dominantShare`. @default 100 */
  minSlowEndpointMs?: number;
  /** A route taking this share (0..1) of all request time is a bottleneck (info) when its p95 ≥ minSlowEndpointMs. @default 0.5 */
  dominantShare?: number;
  /** Hit rate assumed when estimating the effect of caching a route, query or upstream call (0..1). @default 0.5 */
  assumedCacheHitRate?: number;

  /**
   * History window (ms) the heap and latency trends are fitted over. Overrides the monitor's `trendAnalysisWindow`.
   * @default the monitor's `trendAnalysisWindow`, else 3600000
   */
  trendWindowMs?: number;
  /** Points and span (ms) the heap trend needs. @default 10, 600000 */
  leakMinPoints?: number;
  leakMinSpanMs?: number;
  /** Least-squares r² the heap growth must reach to count as a leak rather than noise. @default 0.6 */
  leakMinRSquared?: number;
  /** Growth per hour, as a fraction of the current heap, below which a rising heap is ignored. @default 0.05 */
  leakMinGrowthPerHour?: number;
  /** Mann–Kendall significance level for the heap trend. @default 0.01 */
  leakAlpha?: number;

  /** p95 (ms) above which a database query is slow. @default 100 */
  slowQueryMs?: number;
  /** p95 (ms) above which a Redis command is slow. @default 10 */
  slowRedisMs?: number;
  /** p95 (ms) above which an upstream/HTTP call is slow. @default 500 */
  slowUpstreamMs?: number;
  /** Calls an operation needs before it is judged. @default 5 */
  minOperations?: number;

  /** Overall cache hit rate (0..1) below which a cache is inefficient. @default 0.5 */
  lowHitRate?: number;
  /** Requests (hits + misses) a cache needs before it is judged. @default 100 */
  minCacheRequests?: number;
  /** Evictions per request (0..1) above which the cache churns (its working set does not fit). @default 0.2 */
  evictionChurn?: number;
  /** Hit-rate gain (absolute) a bigger L1 must bring to be recommended. @default 0.05 */
  minHitRateGain?: number;
  /** Share of a prefix's requests that missed because hot entries expired, above which a longer TTL is recommended. @default 0.05 */
  minExpiredWhileHotShare?: number;

  /** Event-loop delay p99 (ms) that counts as blocked. @default 100 */
  eventLoopDelayMs?: number;
  /** CPU percent that counts as busy. @default 70 */
  busyCpuPercent?: number;
  /** Event-loop utilisation (0..1) that counts as busy. @default 0.9 */
  busyUtilization?: number;
  /** History window (ms) for the share of blocked samples. @default 300000 */
  blockingWindowMs?: number;
  /** Profiles older than this (ms) are not attached as evidence. @default 900000 */
  profileMaxAgeMs?: number;
}

/** Options resolved at construction; the two the monitor may also set stay optional until an analysis. */
export type ResolvedOptions = Required<Omit<AnomalyAnalyzerOptions, 'detectorFactory' | 'anomalyThreshold' | 'trendWindowMs'>> &
  Pick<AnomalyAnalyzerOptions, 'detectorFactory' | 'anomalyThreshold' | 'trendWindowMs'>;

/** The options a rule reads in one analysis: the monitor's settings filled in where the analyzer's own left a gap. */
export type AnalysisOptions = ResolvedOptions & { trendWindowMs: number };

/** Used when neither the analyzer nor the monitor sets a trend window. */
export const DEFAULT_TREND_WINDOW_MS = 3_600_000;

export const DEFAULT_WATCH_GLOBAL: readonly WatchedMetric[] = [
  { metric: 'latency_p95', direction: 'up' },
  { metric: 'error_rate', direction: 'up' },
  { metric: 'event_loop_delay_p99', direction: 'up' },
  { metric: 'heap_used', direction: 'up' },
  { metric: 'cache_hit_rate', direction: 'down' },
  { metric: 'requests_per_second', direction: 'both' },
];

export const DEFAULT_WATCH_PER_ROUTE: readonly WatchedMetric[] = [
  { metric: 'latency_p95', direction: 'up' },
  { metric: 'error_rate', direction: 'up' },
];

type NumericKey = Exclude<
  { [K in keyof AnomalyAnalyzerOptions]-?: NonNullable<AnomalyAnalyzerOptions[K]> extends number ? K : never }[keyof AnomalyAnalyzerOptions],
  'anomalyThreshold' | 'trendWindowMs'
>;

/** Defaults and the accepted range of every numeric option. */
const NUMBERS: Record<NumericKey, { value: number; min: number; max?: number; integer?: boolean; exclusive?: boolean }> = {
  maxSeries: { value: 200, min: 1, integer: true },
  anomalyHoldMs: { value: 60_000, min: 0 },
  criticalScore: { value: 0.8, min: 0, max: 1 },
  minRequests: { value: 20, min: 1 },
  slowEndpointMs: { value: 1000, min: 0 },
  slowEndpointRatio: { value: 3, min: 1 },
  minSlowEndpointMs: { value: 100, min: 0 },
  dominantShare: { value: 0.5, min: 0, max: 1 },
  assumedCacheHitRate: { value: 0.5, min: 0, max: 1 },
  leakMinPoints: { value: 10, min: 3, integer: true },
  leakMinSpanMs: { value: 600_000, min: 0 },
  leakMinRSquared: { value: 0.6, min: 0, max: 1 },
  leakMinGrowthPerHour: { value: 0.05, min: 0 },
  leakAlpha: { value: 0.01, min: 0, max: 1, exclusive: true },
  slowQueryMs: { value: 100, min: 0 },
  slowRedisMs: { value: 10, min: 0 },
  slowUpstreamMs: { value: 500, min: 0 },
  minOperations: { value: 5, min: 1 },
  lowHitRate: { value: 0.5, min: 0, max: 1 },
  minCacheRequests: { value: 100, min: 1 },
  evictionChurn: { value: 0.2, min: 0 },
  minHitRateGain: { value: 0.05, min: 0, max: 1 },
  minExpiredWhileHotShare: { value: 0.05, min: 0, max: 1 },
  eventLoopDelayMs: { value: 100, min: 0 },
  busyCpuPercent: { value: 70, min: 0 },
  busyUtilization: { value: 0.9, min: 0, max: 1 },
  blockingWindowMs: { value: 300_000, min: 1 },
  profileMaxAgeMs: { value: 900_000, min: 0 },
};

const fail = (option: string, expected: string, got: unknown): ConfigError =>
  new ConfigError(`[wai:anomaly] createAnomalyAnalyzer: option ${option} must be ${expected}, got ${String(got)}.`);

function checkWatch(option: string, list: readonly WatchedMetric[] | undefined, fallback: readonly WatchedMetric[]): WatchedMetric[] {
  if (list === undefined) return [...fallback];
  if (!Array.isArray(list)) throw fail(option, 'an array of { metric, direction? }', list);
  return list.map((entry: WatchedMetric) => {
    if (!entry || typeof entry.metric !== 'string' || entry.metric === '') throw fail(option, 'an array of { metric, direction? }', entry);
    const direction = entry.direction ?? 'both';
    if (direction !== 'up' && direction !== 'down' && direction !== 'both') throw fail(`${option}[].direction`, "'up', 'down' or 'both'", direction);
    return { metric: entry.metric, direction };
  });
}

/** Resolves defaults in one place and validates every option (a bad one throws `ConfigError` naming it). */
export function resolveOptions(options: AnomalyAnalyzerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw fail('options', 'an object', options);
  const numbers = {} as Record<NumericKey, number>;
  for (const [key, spec] of Object.entries(NUMBERS) as Array<[NumericKey, (typeof NUMBERS)[NumericKey]]>) {
    const value = options[key] ?? spec.value;
    const range = spec.exclusive ? `in (${spec.min}, ${spec.max})` : spec.max === undefined ? `≥ ${spec.min}` : `in ${spec.min}..${spec.max}`;
    const outside = spec.exclusive
      ? value <= spec.min || (spec.max !== undefined && value >= spec.max)
      : value < spec.min || (spec.max !== undefined && value > spec.max);
    if (typeof value !== 'number' || !Number.isFinite(value) || outside) {
      throw fail(key, `a finite number ${range}`, value);
    }
    if (spec.integer && !Number.isInteger(value)) throw fail(key, 'an integer', value);
    numbers[key] = value;
  }
  if (options.detectorFactory !== undefined && typeof options.detectorFactory !== 'function') {
    throw fail('detectorFactory', 'a function', options.detectorFactory);
  }
  const ownSettings: Pick<AnomalyAnalyzerOptions, 'anomalyThreshold' | 'trendWindowMs'> = {};
  if (options.anomalyThreshold !== undefined) {
    ownSettings.anomalyThreshold = checkPositive('anomalyThreshold', options.anomalyThreshold, 'a finite number of standard deviations > 0');
    if (options.detectorFactory !== undefined) {
      throw fail('anomalyThreshold', 'left unset when detectorFactory is given (pass the sensitivity to the detectors your factory makes)', options.anomalyThreshold);
    }
  }
  if (options.trendWindowMs !== undefined) ownSettings.trendWindowMs = checkPositive('trendWindowMs', options.trendWindowMs, 'a finite number of milliseconds > 0');
  const name = options.name ?? 'anomaly';
  if (typeof name !== 'string' || name === '') throw fail('name', 'a non-empty string', name);
  return {
    ...numbers,
    name,
    watchGlobal: checkWatch('watchGlobal', options.watchGlobal, DEFAULT_WATCH_GLOBAL),
    watchPerRoute: checkWatch('watchPerRoute', options.watchPerRoute, DEFAULT_WATCH_PER_ROUTE),
    ...(options.detectorFactory ? { detectorFactory: options.detectorFactory } : {}),
    ...ownSettings,
  };
}

function checkPositive(option: string, value: unknown, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw fail(option, expected, value);
  return value;
}

/**
 * The monitor's analysis settings applied where the analyzer's own options are silent (own option first, then
 * `context.settings`, then the default). A malformed setting from a hand-built context is refused like an option.
 */
export function withSettings(options: ResolvedOptions, settings: AnalyzerContext['settings']): AnalysisOptions {
  const trendWindowMs =
    options.trendWindowMs ??
    (settings?.trendAnalysisWindow === undefined ? DEFAULT_TREND_WINDOW_MS : checkPositive('trendAnalysisWindow (monitor setting)', settings.trendAnalysisWindow, 'a finite number of milliseconds > 0'));
  const anomalyThreshold =
    options.anomalyThreshold ??
    (settings?.anomalyThreshold === undefined ? undefined : checkPositive('anomalyThreshold (monitor setting)', settings.anomalyThreshold, 'a finite number of standard deviations > 0'));
  return { ...options, trendWindowMs, ...(anomalyThreshold === undefined ? {} : { anomalyThreshold }) };
}
