/**
 * The contracts between @wai packages. Every other package programs against these types (with `import type`),
 * never against another package. Units: durations in milliseconds unless named `ttl` (seconds); rates are
 * fractions 0..1 unless the name says `Percent` (0..100).
 */
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

// ─── findings ────────────────────────────────────────────────────────────────────────────────────────────

export type Severity = 'info' | 'warning' | 'critical';

export type AlertState = 'pending' | 'firing' | 'resolved';

/** Built-in alert types; custom rules and analyzers may use their own strings. */
export type AlertType =
  | 'memory'
  | 'response_time'
  | 'error_rate'
  | 'cpu'
  | 'event_loop'
  | 'cache_hit_rate'
  | 'connection'
  | 'anomaly'
  | (string & {});

export interface Alert {
  /** Stable for one condition (rule + route/source), so repeated evaluations update rather than duplicate. */
  id: string;
  type: AlertType;
  severity: Severity;
  state: AlertState;
  message: string;
  /** The observed value that crossed the threshold (latest while firing). */
  value: number;
  threshold: number;
  route?: string;
  /** Epoch ms when the alert started firing (pending alerts: when the condition was first seen). */
  startedAt: number;
  resolvedAt?: number;
  /** Detector output, profile top functions, … — whatever explains the alert. */
  evidence?: Record<string, unknown>;
}

/** What a rule or analyzer reports for a condition that is true now; the engine turns it into an `Alert`. */
export interface AlertSignal {
  id: string;
  type: AlertType;
  severity: Severity;
  message: string;
  value: number;
  threshold: number;
  route?: string;
  evidence?: Record<string, unknown>;
}

/** Common shape of bottlenecks and recommendations. `id` is stable across analyses of the same condition. */
export interface Finding {
  id: string;
  kind: string;
  severity: Severity;
  title: string;
  /** One or two sentences for a human. */
  detail: string;
  /** The numbers behind the finding (e.g. `{ p95Ms: 840, shareOfTime: 0.62 }`). */
  evidence: Record<string, unknown>;
  /** What it costs now, or what fixing it would gain, in words with a number where one is known. */
  impact: string;
  route?: string;
  /** Epoch ms of the first and latest analysis that reported it. */
  firstSeen?: number;
  lastSeen?: number;
}

export type BottleneckKind =
  | 'slow_endpoint'
  | 'memory_leak'
  | 'slow_query'
  | 'slow_redis'
  | 'cache_inefficiency'
  | 'event_loop_blocking'
  | 'upstream_latency'
  | (string & {});

export interface Bottleneck extends Finding {
  kind: BottleneckKind;
}

export interface Recommendation extends Finding {
  /** The action to take, imperative ("Raise L1 maxSize from 1000 to 4000"). */
  action: string;
  /** The expected effect with a number where one can be estimated ("hit rate 62 % → 88 %"). */
  expectedEffect: string;
}

// ─── metrics ─────────────────────────────────────────────────────────────────────────────────────────────

export interface LatencySummary {
  count: number;
  avg: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export interface EndpointStats {
  /** Route template (`/api/workshops/:id`), never a raw URL. */
  route: string;
  method: string;
  count: number;
  /** 5xx responses plus thrown errors. */
  errors: number;
  errorRate: number;
  requestsPerSecond: number;
  responseTime: LatencySummary;
  statusClasses: Partial<Record<StatusClass, number>>;
  /** Requests aborted by the client before the response finished. */
  aborted: number;
  lastSeen: number;
}

export interface MemoryStats {
  heapUsed: number;
  heapTotal: number;
  /** V8's heap size limit (`heap_size_limit`). */
  heapLimit: number;
  rss: number;
  external: number;
  /** heapUsed / heapLimit × 100. */
  usagePercent: number;
  /** Heap used right after the latest major GC (the leak signal), when known. */
  heapAfterGc?: number;
}

export interface CpuStats {
  /** Process CPU time / wall time × 100 over the last sample (can exceed 100 on several cores). */
  percent: number;
  userMs: number;
  systemMs: number;
}

export interface EventLoopStats {
  delayP50: number;
  delayP99: number;
  delayMax: number;
  /** Event-loop utilisation 0..1 over the last sample. */
  utilization: number;
}

export interface GcStats {
  /** Total GC pause time in the last sample window (ms). */
  pauseMs: number;
  count: number;
  majorCount: number;
}

export interface MetricsSnapshot {
  timestamp: number;
  /** Length of the window the request figures describe (ms), e.g. the last minute. */
  windowMs: number;
  uptimeSeconds: number;
  requestCount: number;
  errorCount: number;
  errorRate: number;
  requestsPerSecond: number;
  responseTime: LatencySummary;
  memory: MemoryStats;
  cpu: CpuStats;
  eventLoop: EventLoopStats;
  gc: GcStats;
  endpoints: EndpointStats[];
  /** Per attached cache source. */
  cache: Record<string, CacheAnalytics>;
  /** Rate-limit decisions counted since start. */
  rateLimit: { allowed: number; limited: number; shed: number };
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthComponent {
  /** 0..100 for this component. */
  score: number;
  /** Weight in the overall score (weights of present components are renormalised to sum to 1). */
  weight: number;
  value: number;
  detail: string;
}

export interface HealthReport {
  score: number;
  status: HealthStatus;
  timestamp: number;
  components: {
    latency: HealthComponent;
    errors: HealthComponent;
    memory: HealthComponent;
    eventLoop: HealthComponent;
    cache?: HealthComponent;
  };
}

/** A cheap, cached digest of current stress for adaptive limiters (updated on every sample). */
export interface LoadSignal {
  timestamp: number;
  eventLoopDelayP99: number;
  latencyP99: number;
  errorRate: number;
  healthScore: number;
  heapUsagePercent: number;
  /** Requests in flight when the adapters report them. */
  inFlight: number;
}

// ─── history ─────────────────────────────────────────────────────────────────────────────────────────────

export type HistoryMetric =
  | 'latency_avg'
  | 'latency_p50'
  | 'latency_p95'
  | 'latency_p99'
  | 'requests_per_second'
  | 'error_rate'
  | 'heap_used'
  | 'heap_after_gc'
  | 'heap_usage_percent'
  | 'rss'
  | 'cpu_percent'
  | 'event_loop_delay_p50'
  | 'event_loop_delay_p99'
  | 'event_loop_utilization'
  | 'gc_pause_ms'
  | 'cache_hit_rate'
  | 'health_score'
  | (string & {});

export interface HistoryPoint {
  /** Epoch ms. */
  t: number;
  v: number;
}

export interface HistoryRecord extends HistoryPoint {
  metric: HistoryMetric;
  /** Route template for per-route series (`GET /api/x`), absent for global series. */
  route?: string;
}

export interface HistoryQuery {
  route?: string;
  from?: number;
  to?: number;
  /** Bucket width in ms; points in one bucket are averaged. */
  step?: number;
}

/** Durable history (memory by default; SQL beside the SQL cache tier). */
export interface HistoryStore {
  append(records: readonly HistoryRecord[]): Promise<void>;
  query(metric: HistoryMetric, query: HistoryQuery): Promise<HistoryPoint[]>;
  close(): Promise<void>;
}

// ─── caches ──────────────────────────────────────────────────────────────────────────────────────────────

export interface CacheSetOptions {
  /** Seconds. */
  ttl?: number;
  tags?: readonly string[];
}

/** Where a fill began (see `CacheStore.beginFill`); opaque, passed back to `fill` unchanged. */
export interface FillToken {
  /** Monotonic ms when the fill began. */
  readonly startedAt: number;
}

/** What HTTP response caching needs from a cache; any @wai cache or a user's own store fits. */
export interface CacheStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set<T = unknown>(key: string, value: T, options?: CacheSetOptions): Promise<void>;
  delete(key: string): Promise<boolean>;
  invalidateByTag(tag: string): Promise<void>;
  /**
   * Optional (both or neither): `beginFill` before reading what will be stored, `fill` to store it unless the key
   * or one of its tags was written or invalidated since (false, nothing stored). The response cache uses them so
   * a response computed before a write never lands after it; a store without them gets a plain `set`, which
   * carries no such guarantee.
   */
  beginFill?(): Promise<FillToken>;
  fill?<T = unknown>(token: FillToken, key: string, value: T, options?: CacheSetOptions): Promise<boolean>;
}

export interface CacheTierAnalytics {
  hits: number;
  misses: number;
  hitRate: number;
  errors: number;
  /** Mean / p99 latency of reads in ms, when measured. */
  latencyAvgMs?: number;
  latencyP99Ms?: number;
  /** Entries and bytes held, when known. */
  size?: number;
  memoryBytes?: number;
  evictions?: number;
  available?: boolean;
}

export interface CacheAnalytics {
  hits: number;
  misses: number;
  /** Overall hit rate 0..1 (a hit in any tier counts). */
  hitRate: number;
  tiers: Record<string, CacheTierAnalytics>;
  loads?: { calls: number; errors: number; latencyAvgMs: number; latencyP99Ms?: number };
  stampedesPrevented?: number;
  evictions?: number;
  memoryBytes?: number;
  /** Most accessed keys; `hot` when the count reached the cache's `hotKeyThreshold` (when one is set). */
  topKeys?: Array<{ key: string; count: number; hot?: boolean }>;
  accessPatterns?: Array<{ prefix: string; requests: number; hitRate: number; expiredWhileHot?: number; ttlEffectiveness?: number }>;
  /** A sample of the key access stream for miss-ratio-curve estimates (e.g. SHARDS), when collected. */
  missRatioCurve?: Array<{ size: number; hitRate: number }>;
  /** Capacity settings, so recommendations can name the current value. */
  config?: { l1MaxSize?: number; l1MaxMemory?: number; hotKeyThreshold?: number };
  /** Connection failures of the cache's backends (e.g. Redis down), surfaced by the monitor's alert rules. */
  connectionErrors?: number;
}

export interface CacheStatsSource {
  getAnalytics(): CacheAnalytics;
}

export interface WarmingResult {
  strategy: string;
  keysWarmed: number;
  durationMs: number;
  errors: string[];
}

/** What the dashboard's cache routes need (warm, invalidate). */
export interface CacheAdmin extends CacheStatsSource {
  /** Runs one strategy (unknown name → `WaiError` `E_NOT_FOUND`) or all enabled ones in priority order. */
  warm(strategy?: string): Promise<WarmingResult[]>;
  listWarmingStrategies?(): Array<{ name: string; description?: string; enabled: boolean; priority: number }>;
  delete(key: string): Promise<boolean>;
  invalidateByTag(tag: string): Promise<void>;
  clear(): Promise<void>;
}

// ─── rate limiting ───────────────────────────────────────────────────────────────────────────────────────

export interface RateLimitHit {
  /** Hits in the sliding window including this one (weighted previous window + current window). */
  count: number;
  /** Ms until the current fixed window ends. */
  resetInMs: number;
}

/**
 * Atomic counters for sliding-window limits: `increment` records one hit and returns the window's count
 * including it. Memory implementation in core; Redis (Lua) in @wai/cache-tiers for limits across instances.
 */
export interface RateLimitStore {
  increment(key: string, windowMs: number): Promise<RateLimitHit>;
  /** Undo one hit (e.g. when a request is not counted after all). */
  decrement?(key: string, windowMs: number): Promise<void>;
  reset(key: string): Promise<void>;
  close?(): Promise<void>;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** 'limited' → 429, 'shed' → 503 from the concurrency limiter. */
  reason?: 'limited' | 'shed';
  route?: string;
  key?: string;
  limit: number;
  remaining: number;
  resetInMs: number;
}

// ─── profiling ───────────────────────────────────────────────────────────────────────────────────────────

export interface ProfileFunction {
  functionName: string;
  url: string;
  lineNumber: number;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  id: string;
  startedAt: number;
  durationMs: number;
  reason: string;
  topFunctions: ProfileFunction[];
}

export interface ProfileResult extends ProfileSummary {
  /** The raw `.cpuprofile` JSON (Chrome DevTools format). */
  profile: unknown;
}

// ─── the monitor ─────────────────────────────────────────────────────────────────────────────────────────

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
