/**
 * The performance monitor: its public interface, options, thresholds and alert rules.
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Analyzer } from './analyzer.js';
import type { CacheStatsSource } from './cache.js';
import type { Alert, AlertSignal, AlertType, Bottleneck, Recommendation, Severity } from './findings.js';
import type { WindowExport } from './fleet.js';
import type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryStore } from './history.js';
import type { HealthReport, LoadSignal, MetricsSnapshot } from './metrics.js';
import type { ProfileResult, ProfileSummary } from './profiling.js';
import type { RateLimitDecision } from './rate-limit.js';

export interface AlertThresholds {
  /** Heap usage percent (of the heap limit) that triggers / recovers. @default 80 / 75 */
  memoryPercent?: number;
  memoryRecoveryPercent?: number;
  /** p95 response time in ms. @default 1000 / 800 */
  responseTimeMs?: number;
  responseTimeRecoveryMs?: number;
  /** Error rate 0..1. @default 0.05 / 0.03 */
  errorRate?: number;
  errorRateRecovery?: number;
  /** CPU percent. @default 90 / 75 */
  cpuPercent?: number;
  cpuRecoveryPercent?: number;
  /** Event-loop delay p99 in ms. @default 200 / 100 */
  eventLoopDelayMs?: number;
  eventLoopDelayRecoveryMs?: number;
  /** Cache hit rate 0..1 below which to alert. @default 0.5 / 0.6 */
  cacheHitRate?: number;
  cacheHitRateRecovery?: number;
  /** How long a condition must hold before it fires (ms). @default 60000 in production presets */
  forMs?: number;
}

export interface AlertRule {
  id: string;
  type: AlertType;
  severity: Severity;
  /** Milliseconds the condition must hold before firing. */
  forMs?: number;
  /**
   * Returns the signals true now. For hysteresis, the engine passes the ids currently pending/firing so a
   * rule can apply its recovery threshold to those and its trigger threshold to the rest.
   */
  evaluate(snapshot: MetricsSnapshot, active: ReadonlySet<string>): AlertSignal[];
}

export interface MonitorEvents {
  alert: (alert: Alert) => void;
  'alert:resolved': (alert: Alert) => void;
  metrics: (snapshot: MetricsSnapshot) => void;
  error: (error: Error) => void;
}

export interface PerformanceMonitor {
  /** Records one finished request. `route` must be a template; `method` defaults to GET. */
  trackEndpoint(route: string, durationMs: number, statusCode: number, method?: string): void;
  /** Counts a thrown error (call before or instead of trackEndpoint with the final status). */
  trackError(route: string, method?: string, error?: unknown): void;
  /** Counts a request the client aborted. */
  trackAborted(route: string, method?: string): void;
  /** Adapters report requests in flight for the load signal. */
  requestStarted(): void;
  requestFinished(): void;
  /** Counts a rate-limit decision. */
  recordRateLimit(decision: RateLimitDecision): void;
  /** Timing of a dependency call (`kind` e.g. 'db', 'redis'), for slow-query findings. */
  recordOperation(kind: string, name: string, durationMs: number, failed?: boolean): void;
  /** A custom gauge/counter value exported as `wai_custom_<name>`. */
  recordMetric(name: string, value: number, labels?: Record<string, string>): void;
  /** A backend connection went down/up (e.g. Redis, database) — drives the connection alert. */
  reportConnection(source: string, healthy: boolean, detail?: string): void;

  /**
   * Request figures over the last minute (10 s resolution), or over `windowMs` up to one hour (whole minutes
   * beyond the first: coarser). System figures are the latest sample either way.
   */
  getCurrentMetrics(options?: { windowMs?: number }): MetricsSnapshot;
  /**
   * The current window per route series as mergeable sketch buckets, with health and system gauges: what a fleet
   * publisher sends (one walk over the series, like `getCurrentMetrics`).
   */
  exportWindow(): WindowExport;
  getHealthScore(): number;
  getHealth(): HealthReport;
  getLoadSignal(): LoadSignal;
  getBottlenecks(): Bottleneck[];
  getOptimizationRecommendations(): Recommendation[];
  getAlerts(filter?: { active?: boolean }): Alert[];
  getHistory(metric: HistoryMetric, query?: HistoryQuery): HistoryPoint[];
  /** Reads the in-memory history, then the `HistoryStore` for older ranges. */
  queryHistory(metric: HistoryMetric, query?: HistoryQuery): Promise<HistoryPoint[]>;

  addAlertRule(rule: AlertRule): void;
  removeAlertRule(id: string): boolean;
  use(analyzer: Analyzer): this;
  addCacheSource(name: string, source: CacheStatsSource): this;
  /** Runs one sample + evaluation + analysis now (what the interval timer does). */
  sample(): Promise<MetricsSnapshot>;

  captureProfile(options?: { durationMs?: number; reason?: string }): Promise<ProfileResult>;
  getProfiles(): ProfileSummary[];
  getProfile(id: string): ProfileResult | undefined;

  on<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this;
  off<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this;
  once<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this;

  start(): void;
  stop(): void;
  readonly isRunning: boolean;
  /** Prometheus text exposition format 0.0.4. */
  toPrometheus(): string;
  close(): Promise<void>;
}

export interface PerformanceMonitorOptions {
  /** Sampling / evaluation interval in ms. @default 30000 */
  interval?: number;
  thresholds?: AlertThresholds;
  clock?: Clock;
  logger?: Logger;
  /** Most route series kept; further routes share one overflow series. @default 2000 */
  maxSeries?: number;
  /** A series not seen for this long is evicted (ms). @default 600000 */
  seriesIdleMs?: number;
  /** Apdex target T in ms (satisfied ≤ T, tolerating ≤ 4T). @default 500 */
  apdexTargetMs?: number;
  /** Durable history; memory only when absent. */
  historyStore?: HistoryStore;
  /** Sample system metrics (CPU, memory, event loop, GC). @default true */
  systemMetrics?: boolean;
  /** Install the guide's default alert rules. @default true */
  defaultAlertRules?: boolean;
  /**
   * Anomaly sensitivity in standard deviations (a finite number > 0), lent to analyzers as
   * `context.settings.anomalyThreshold`: lower is more sensitive (the guide: 1.5 in development, 2 in production).
   * @default unset — each analyzer's own calibrated default (@wai/anomaly: its NAB-tuned ensemble)
   */
  anomalyThreshold?: number;
  /**
   * Window (ms, a positive integer) that analyzers fit trends over (`context.settings.trendAnalysisWindow`). The
   * fit sees at most the 1440 samples of history the monitor keeps per series (a longer window is logged).
   * @default unset — each analyzer's own default (@wai/anomaly: 3600000)
   */
  trendAnalysisWindow?: number;
  /** Start sampling immediately. @default false */
  autoStart?: boolean;
}
