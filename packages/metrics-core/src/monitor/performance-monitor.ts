import { EventEmitter } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ConfigError, WaiError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Analyzer, AnalyzerContext } from '../contracts/analyzer.js';
import type { CacheAnalytics, CacheStatsSource } from '../contracts/cache.js';
import type { Alert, Bottleneck, Recommendation } from '../contracts/findings.js';
import type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryStore } from '../contracts/history.js';
import type { EndpointStats, HealthReport, LoadSignal, MetricsSnapshot, StatusClass } from '../contracts/metrics.js';
import type { AlertRule, MonitorEvents, PerformanceMonitor, PerformanceMonitorOptions } from '../contracts/monitor.js';
import type { SeriesWindow, WindowExport } from '../contracts/fleet.js';
import type { ProfileResult, ProfileSummary } from '../contracts/profiling.js';
import type { RateLimitDecision } from '../contracts/rate-limit.js';
import { AlertEngine, type AlertTransitions } from './alert-engine.js';
import { AnalyzerRunner } from './analyzer-runner.js';
import { CpuProfiler } from './cpu-profiler.js';
import { createDefaultAlertRules, resolveThresholds, type ConnectionState, type ResolvedThresholds } from './default-alert-rules.js';
import { computeHealth } from './health-score.js';
import { HistoryRecorder } from './history-recorder.js';
import { summarize } from './latency-summary.js';
import { DEFAULT_HISTORY_POINTS } from './metric-history.js';
import { OperationRegistry } from './operation-registry.js';
import { renderPrometheus, type CustomMetric } from './prometheus-exposition.js';
import { defaultMapping } from './quantile-sketch.js';
import { RequestBuffer } from './request-buffer.js';
import { SLOT_MS, SLOTS, STATUS_CLASSES, WindowView } from './rolling-window.js';
import { SeriesRegistry, slotOf, type RouteSeries } from './series-registry.js';
import { emptySample, SystemSampler, type SystemSample } from './system-sampler.js';

/** Current figures describe this much recent traffic. */
export const CURRENT_WINDOW_MS = SLOTS * SLOT_MS;
/** Longest view: the ring of one-minute sketches. */
export const MAX_WINDOW_MS = 60 * 60_000;
/** How often the cached coarse time (and thus the write slot) is refreshed while running. */
const TICK_MS = 1000;
/** Distinct custom metric series (`recordMetric` name + labels). */
const MAX_CUSTOM_METRICS = 1000;
/** Thrown errors awaiting their request's trackEndpoint, per series (bounded for callers that never send one). */
const MAX_PENDING_THROWN = 1000;

/** `PerformanceMonitorOptions` with every default applied (the README's option table is checked against it). */
export interface ResolvedMonitorOptions {
  interval: number;
  maxSeries: number;
  seriesIdleMs: number;
  apdexTargetMs: number;
  systemMetrics: boolean;
  defaultAlertRules: boolean;
  autoStart: boolean;
  historyStore: HistoryStore | undefined;
  thresholds: ResolvedThresholds;
  /** What analyzers get as `context.settings` (only the settings the caller gave). */
  analysis: NonNullable<AnalyzerContext['settings']>;
}

function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`[wai:metrics-core] option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

function resolveAnalysis(options: PerformanceMonitorOptions): ResolvedMonitorOptions['analysis'] {
  const analysis: ResolvedMonitorOptions['analysis'] = {};
  if (options.anomalyThreshold !== undefined) analysis.anomalyThreshold = positive('anomalyThreshold', options.anomalyThreshold, 0);
  if (options.trendAnalysisWindow !== undefined) analysis.trendAnalysisWindow = positive('trendAnalysisWindow', options.trendAnalysisWindow, 0, true);
  return Object.freeze(analysis);
}

/** Defaults resolved in one place; invalid options throw `ConfigError` naming the option. */
export function resolveMonitorOptions(options: PerformanceMonitorOptions): ResolvedMonitorOptions {
  return {
    interval: positive('interval', options.interval, 30_000),
    maxSeries: positive('maxSeries', options.maxSeries, 2000, true),
    seriesIdleMs: positive('seriesIdleMs', options.seriesIdleMs, 600_000),
    apdexTargetMs: positive('apdexTargetMs', options.apdexTargetMs, 500),
    systemMetrics: options.systemMetrics ?? true,
    defaultAlertRules: options.defaultAlertRules ?? true,
    autoStart: options.autoStart ?? false,
    historyStore: options.historyStore,
    thresholds: resolveThresholds(options.thresholds ?? {}, 0),
    analysis: resolveAnalysis(options),
  };
}

/**
 * The metric engine: per-route rolling windows of DDSketches, a system sampler, health, alerts, analyzers,
 * history, profiles and Prometheus exposition. See `createPerformanceMonitor`. Its collaborators: the
 * `RequestBuffer` (the hot path), the `AnalyzerRunner` (analyzer scheduling and findings) and the
 * `HistoryRecorder` (history appends and reads).
 */
class Monitor implements PerformanceMonitor {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly settings: ResolvedMonitorOptions;
  private readonly events = new EventEmitter();
  private readonly registry: SeriesRegistry;
  /** Scratch views for reads (no allocation per read): one series, and everything merged. */
  private readonly view = new WindowView(defaultMapping);
  private readonly totalView = new WindowView(defaultMapping);
  private readonly sampler = new SystemSampler();
  private readonly alertEngine: AlertEngine;
  private readonly connections = new Map<string, ConnectionState>();
  private readonly analyzers: AnalyzerRunner;
  private readonly history: HistoryRecorder;
  private readonly buffer: RequestBuffer;
  private readonly operations = new OperationRegistry();
  private readonly profiler: CpuProfiler;
  private readonly caches = new Map<string, CacheStatsSource>();
  private readonly custom = new Map<string, CustomMetric>();
  private readonly createdAt: number;
  private readonly rateLimit = { allowed: 0, limited: 0, shed: 0 };
  private readonly totals = { gcPauseMs: 0, gcRuns: 0 };
  /** Cached coarse time while running (refreshed every second), so a request costs no clock read; -1 when stopped. */
  private coarseNow = -1;
  private coarseSlot = -1;
  private ticker: TimerHandle | undefined;
  private sampleTimer: TimerHandle | undefined;
  private sampling: Promise<unknown> = Promise.resolve();
  private system: SystemSample = emptySample();
  private sampled = false;
  private closed = false;
  private inFlight = 0;
  /** `currentTime` bound once, so the hot path passes it to the buffer without allocating. */
  private readonly readTime = (): number => this.currentTime();
  private lastHealth: HealthReport | undefined;
  private loadSignal: LoadSignal;

  constructor(options: PerformanceMonitorOptions) {
    this.settings = resolveMonitorOptions(options);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.createdAt = this.clock.now();
    this.registry = new SeriesRegistry({ mapping: defaultMapping, maxSeries: this.settings.maxSeries }, this.createdAt);
    this.buffer = new RequestBuffer(this.registry);
    this.alertEngine = new AlertEngine({ logger: this.logger, defaultForMs: this.settings.thresholds.forMs });
    this.analyzers = new AnalyzerRunner({ logger: this.logger, alertEngine: this.alertEngine, emitTransitions: (transitions) => this.emitTransitions(transitions) });
    this.history = new HistoryRecorder(this.settings.historyStore, this.logger, this.settings.systemMetrics);
    this.profiler = new CpuProfiler(this.clock);
    this.events.setMaxListeners(0);
    if (this.settings.defaultAlertRules) {
      for (const rule of createDefaultAlertRules(this.settings.thresholds, this.connections, this.settings.interval)) this.alertEngine.addRule(rule);
    }
    const trendWindow = this.settings.analysis.trendAnalysisWindow;
    if (trendWindow !== undefined && trendWindow > DEFAULT_HISTORY_POINTS * this.settings.interval) {
      this.logger.warn(
        { trendAnalysisWindow: trendWindow, interval: this.settings.interval, historyPoints: DEFAULT_HISTORY_POINTS },
        `[wai:metrics-core] trendAnalysisWindow ${trendWindow} ms is longer than the ${DEFAULT_HISTORY_POINTS} samples of history kept per series ` +
          `(${DEFAULT_HISTORY_POINTS * this.settings.interval} ms at interval ${this.settings.interval} ms): trends are fitted over that much; shorten the window or lengthen the interval`,
      );
    }
    this.loadSignal = { timestamp: this.createdAt, eventLoopDelayP99: 0, latencyP99: 0, errorRate: 0, healthScore: 100, heapUsagePercent: 0, inFlight: 0 };
    if (this.settings.autoStart) this.start();
  }

  // ── recording (hot path) ──────────────────────────────────────────────────────────────────────────────

  trackEndpoint(route: string, durationMs: number, statusCode: number, method = 'GET'): void {
    if (typeof route !== 'string') return;
    this.buffer.add(route, method, durationMs, statusCode, this.currentSlot(), this.readTime);
  }

  /** Folds the buffered requests into their series (every read and every error/abort calls this first). */
  private flushPending(): void {
    this.buffer.flush(this.closed);
  }

  trackError(route: string, method = 'GET', error?: unknown): void {
    // Requests buffered before this error come first (their 5xx must not consume this error's pendingThrown).
    this.flushPending();
    const series = this.seriesFor(route, method);
    if (!series) return;
    const slot = this.currentSlot();
    series.countEvent(slot, 'error');
    series.errors++;
    if (series.pendingThrown < MAX_PENDING_THROWN) series.pendingThrown++;
    if (error !== undefined) this.logger.debug({ err: error, route, method }, '[wai:metrics-core] request error');
  }

  trackAborted(route: string, method = 'GET'): void {
    this.flushPending();
    const series = this.seriesFor(route, method);
    if (!series) return;
    const slot = this.currentSlot();
    series.countEvent(slot, 'aborted');
    series.aborted++;
  }

  private seriesFor(route: string, method: string): RouteSeries | undefined {
    if (typeof route !== 'string' || this.closed) return undefined;
    const now = this.currentTime();
    const series = this.registry.routes.get(route)?.get(method) ?? this.registry.resolve(route, method, now);
    series.lastSeen = now;
    return series;
  }

  private currentTime(): number {
    return this.coarseNow >= 0 ? this.coarseNow : this.clock.now();
  }

  private currentSlot(): number {
    return this.coarseNow >= 0 ? this.coarseSlot : slotOf(this.clock.now());
  }

  requestStarted(): void {
    this.inFlight++;
  }

  requestFinished(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  recordRateLimit(decision: RateLimitDecision): void {
    if (decision.allowed) this.rateLimit.allowed++;
    else if (decision.reason === 'shed') this.rateLimit.shed++;
    else this.rateLimit.limited++;
  }

  recordOperation(kind: string, name: string, durationMs: number, failed = false): void {
    if (typeof kind !== 'string' || typeof name !== 'string' || this.closed) return;
    this.operations.record(kind, name, durationMs, failed, this.currentSlot(), this.currentTime());
  }

  recordMetric(name: string, value: number, labels: Record<string, string> = {}): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new WaiError('E_INVALID_ARGUMENT', '[wai:metrics-core] recordMetric needs a non-empty metric name', { statusCode: 400 });
    }
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new WaiError('E_INVALID_ARGUMENT', `[wai:metrics-core] recordMetric("${name}") needs a numeric value`, { statusCode: 400 });
    }
    const sorted = Object.keys(labels).sort();
    const key = `${name}\u0000${sorted.map((label) => `${label}=${labels[label]}`).join('\u0000')}`;
    const existing = this.custom.get(key);
    if (existing) {
      existing.value = value;
      return;
    }
    if (this.custom.size >= MAX_CUSTOM_METRICS) {
      this.logger.warn({ name }, `[wai:metrics-core] custom metric cap (${MAX_CUSTOM_METRICS}) reached; value dropped`);
      return;
    }
    this.custom.set(key, { name, labels: { ...labels }, value });
  }

  reportConnection(source: string, healthy: boolean, detail?: string): void {
    const previous = this.connections.get(source);
    const now = this.clock.now();
    const state: ConnectionState = {
      healthy,
      since: previous && previous.healthy === healthy ? previous.since : now,
      failures: (previous?.failures ?? 0) + (healthy ? 0 : 1),
    };
    if (detail !== undefined) state.detail = detail;
    this.connections.set(source, state);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────────────────

  getCurrentMetrics(options: { windowMs?: number } = {}): MetricsSnapshot {
    const windowMs = options.windowMs === undefined ? CURRENT_WINDOW_MS : Math.round(options.windowMs);
    if (!(windowMs >= SLOT_MS && windowMs <= MAX_WINDOW_MS)) {
      throw new WaiError('E_INVALID_ARGUMENT', `[wai:metrics-core] windowMs must be between ${SLOT_MS} and ${MAX_WINDOW_MS} ms, got ${options.windowMs}`, { statusCode: 400 });
    }
    const now = this.clock.now();
    const nowSlot = slotOf(now);
    if (!this.sampled && this.settings.systemMetrics) this.takeSystemSample();
    const seconds = Math.max(1, Math.min(windowMs, now - this.createdAt) / 1000);
    const total = this.totalView;
    total.reset();
    const endpoints: EndpointStats[] = [];
    this.flushPending();
    for (const series of this.registry.all()) {
      const stats = this.endpointStats(series, nowSlot, seconds, windowMs);
      if (!stats) continue;
      endpoints.push(stats);
      total.add(this.view);
    }
    endpoints.sort((a, b) => b.count - a.count);
    const requestCount = total.sketch.count;
    const errorCount = total.errors;
    return {
      timestamp: now,
      windowMs,
      uptimeSeconds: (now - this.createdAt) / 1000,
      requestCount,
      errorCount,
      errorRate: requestCount > 0 ? Math.min(1, errorCount / requestCount) : 0,
      requestsPerSecond: requestCount / seconds,
      responseTime: summarize(total.sketch),
      memory: { ...this.system.memory },
      cpu: { ...this.system.cpu },
      eventLoop: { ...this.system.eventLoop },
      gc: { ...this.system.gc },
      endpoints,
      cache: this.cacheAnalytics(),
      rateLimit: { ...this.rateLimit },
    };
  }

  /** Every series' current window merged into `totalView`. */
  private collectTotal(nowSlot: number): WindowView {
    const total = this.totalView;
    total.reset();
    this.flushPending();
    for (const series of this.registry.all()) series.collect(nowSlot, CURRENT_WINDOW_MS, total);
    return total;
  }

  private resetView(): WindowView {
    this.view.reset();
    return this.view;
  }

  private endpointStats(series: RouteSeries, nowSlot: number, seconds: number, windowMs: number): EndpointStats | undefined {
    const view = series.collect(nowSlot, windowMs, this.resetView());
    const count = view.sketch.count;
    if (count === 0 && view.errors === 0 && view.aborted === 0) return undefined;
    const statusClasses: Partial<Record<StatusClass, number>> = {};
    for (let c = 0; c < STATUS_CLASSES.length; c++) if (view.classes[c]! > 0) statusClasses[STATUS_CLASSES[c]!] = view.classes[c]!;
    return {
      route: series.route,
      method: series.method,
      count,
      errors: view.errors,
      errorRate: count > 0 ? Math.min(1, view.errors / count) : view.errors > 0 ? 1 : 0,
      requestsPerSecond: count / seconds,
      responseTime: summarize(view.sketch),
      statusClasses,
      aborted: view.aborted,
      lastSeen: series.lastSeen,
    };
  }

  private cacheAnalytics(): Record<string, CacheAnalytics> {
    const result: Record<string, CacheAnalytics> = {};
    for (const [name, source] of this.caches) {
      try {
        result[name] = source.getAnalytics();
      } catch (error) {
        this.logger.warn({ err: error, cache: name }, '[wai:metrics-core] cache source getAnalytics failed');
      }
    }
    return result;
  }

  exportWindow(): WindowExport {
    const now = this.clock.now();
    const nowSlot = slotOf(now);
    if (!this.sampled && this.settings.systemMetrics) this.takeSystemSample();
    const total = this.totalView;
    total.reset();
    const series: SeriesWindow[] = [];
    this.flushPending();
    for (const entry of this.registry.all()) {
      const view = entry.collect(nowSlot, CURRENT_WINDOW_MS, this.resetView());
      if (view.sketch.count === 0 && view.errors === 0 && view.aborted === 0) continue;
      series.push({ route: entry.route, method: entry.method, errors: view.errors, aborted: view.aborted, sketch: view.sketch.exportBuckets() });
      total.add(view);
    }
    const health = this.healthFrom(total, now);
    const { memory, cpu, eventLoop } = this.system;
    return {
      timestamp: now,
      windowMs: CURRENT_WINDOW_MS,
      seconds: Math.max(1, Math.min(CURRENT_WINDOW_MS, now - this.createdAt) / 1000),
      series,
      health: { score: health.score, status: health.status },
      memory: { heapUsed: memory.heapUsed, heapLimit: memory.heapLimit, rss: memory.rss, usagePercent: memory.usagePercent },
      cpuPercent: cpu.percent,
      eventLoop: { delayP50: eventLoop.delayP50, delayP99: eventLoop.delayP99, utilization: eventLoop.utilization },
    };
  }

  getHealth(): HealthReport {
    const now = this.clock.now();
    if (!this.sampled && this.settings.systemMetrics) this.takeSystemSample();
    return this.healthFrom(this.collectTotal(slotOf(now)), now);
  }

  /** Health from the merged current window (`totalView` right after `getCurrentMetrics`, or `collectTotal`). */
  private healthFrom(view: WindowView, now: number): HealthReport {
    const target = this.settings.apdexTargetMs;
    let hits = 0;
    let lookups = 0;
    for (const cache of Object.values(this.cacheAnalytics())) {
      hits += cache.hits;
      lookups += cache.hits + cache.misses;
    }
    const thresholds = this.settings.thresholds;
    const report = computeHealth({
      timestamp: now,
      requests: view.sketch.count,
      satisfied: view.sketch.countAtMost(target),
      tolerating: view.sketch.countAtMost(target * 4),
      apdexTargetMs: target,
      errorRate: view.sketch.count > 0 ? Math.min(1, view.errors / view.sketch.count) : 0,
      heapUsagePercent: this.system.memory.usagePercent,
      eventLoopDelayP99: this.system.eventLoop.delayP99,
      ...(this.caches.size > 0 && lookups > 0 ? { cacheHitRate: hits / lookups } : {}),
      thresholds: {
        errorRate: thresholds.errorRate,
        memoryPercent: thresholds.memoryPercent,
        eventLoopDelayMs: thresholds.eventLoopDelayMs,
        cacheHitRate: thresholds.cacheHitRate,
      },
    });
    this.lastHealth = report;
    return report;
  }

  getHealthScore(): number {
    return this.getHealth().score;
  }

  getLoadSignal(): LoadSignal {
    this.loadSignal.inFlight = this.inFlight;
    return this.loadSignal;
  }

  getBottlenecks(): Bottleneck[] {
    return this.analyzers.bottlenecks.list();
  }

  getOptimizationRecommendations(): Recommendation[] {
    return this.analyzers.recommendations.list();
  }

  getAlerts(filter: { active?: boolean } = {}): Alert[] {
    return this.alertEngine.list(filter.active === true);
  }

  getHistory(metric: HistoryMetric, query: HistoryQuery = {}): HistoryPoint[] {
    return this.history.query(metric, query);
  }

  queryHistory(metric: HistoryMetric, query: HistoryQuery = {}): Promise<HistoryPoint[]> {
    return this.history.queryAll(metric, query);
  }

  // ── plug-ins and rules ────────────────────────────────────────────────────────────────────────────────

  addAlertRule(rule: AlertRule): void {
    if (!rule || typeof rule.id !== 'string' || typeof rule.evaluate !== 'function') {
      throw new WaiError('E_INVALID_ARGUMENT', '[wai:metrics-core] addAlertRule needs { id, type, severity, evaluate(snapshot, active) }', { statusCode: 400 });
    }
    this.alertEngine.addRule(rule);
  }

  removeAlertRule(id: string): boolean {
    const removed = this.alertEngine.removeRule(id);
    if (removed) {
      const transitions: AlertTransitions = { fired: [], resolved: [] };
      this.alertEngine.apply(id, [], 0, this.clock.now(), transitions);
      this.emitTransitions(transitions);
    }
    return removed;
  }

  use(analyzer: Analyzer): this {
    if (!analyzer || typeof analyzer.analyze !== 'function' || typeof analyzer.name !== 'string') {
      throw new WaiError('E_INVALID_ARGUMENT', '[wai:metrics-core] use() needs an analyzer with a name and analyze(context)', { statusCode: 400 });
    }
    this.analyzers.add(analyzer);
    return this;
  }

  addCacheSource(name: string, source: CacheStatsSource): this {
    if (!source || typeof source.getAnalytics !== 'function') {
      throw new WaiError('E_INVALID_ARGUMENT', `[wai:metrics-core] addCacheSource("${name}") needs an object with getAnalytics()`, { statusCode: 400 });
    }
    this.caches.set(name, source);
    return this;
  }

  // ── sampling ──────────────────────────────────────────────────────────────────────────────────────────

  sample(): Promise<MetricsSnapshot> {
    const run = this.sampling.then(() => this.runSample());
    this.sampling = run.catch(() => undefined);
    return run;
  }

  private takeSystemSample(): void {
    this.system = this.sampler.sample();
    this.sampled = true;
    this.totals.gcPauseMs += this.system.gc.pauseMs;
    this.totals.gcRuns += this.system.gc.count;
  }

  private async runSample(): Promise<MetricsSnapshot> {
    if (this.settings.systemMetrics) this.takeSystemSample();
    const now = this.clock.now();
    const evictBefore = now - this.settings.seriesIdleMs;
    this.flushPending();
    this.registry.evictIdle(evictBefore);
    this.operations.evictIdle(evictBefore);
    const snapshot = this.getCurrentMetrics();
    const health = this.healthFrom(this.totalView, now); // the window getCurrentMetrics just merged
    const records = this.history.append(snapshot, health, now);
    const transitions = this.alertEngine.evaluate(snapshot, now);
    this.emitTransitions(transitions);
    await this.runAnalyzers(snapshot, now);
    this.loadSignal = {
      timestamp: now,
      eventLoopDelayP99: snapshot.eventLoop.delayP99,
      latencyP99: snapshot.responseTime.p99,
      errorRate: snapshot.errorRate,
      healthScore: health.score,
      heapUsagePercent: snapshot.memory.usagePercent,
      inFlight: this.inFlight,
    };
    await this.history.persist(records);
    this.events.emit('metrics', snapshot);
    return snapshot;
  }

  private async runAnalyzers(snapshot: MetricsSnapshot, now: number): Promise<void> {
    if (this.analyzers.size === 0) return;
    await this.analyzers.run({
      now,
      snapshot,
      history: (metric, query) => this.history.query(metric, query),
      routes: () => this.history.routes(),
      caches: snapshot.cache,
      operations: this.operations.list(slotOf(now)),
      profiles: this.profiler.list(),
      logger: this.logger,
      settings: this.settings.analysis,
    });
  }

  private emitTransitions(transitions: AlertTransitions): void {
    for (const alert of transitions.fired) this.safeEmit('alert', alert);
    for (const alert of transitions.resolved) this.safeEmit('alert:resolved', alert);
  }

  /** A listener that throws must not break sampling: it is logged and reported on `error` when someone listens. */
  private safeEmit(event: 'alert' | 'alert:resolved', alert: Alert): void {
    try {
      this.events.emit(event, alert);
    } catch (error) {
      this.logger.error({ err: error, event }, '[wai:metrics-core] event listener threw');
      if (this.events.listenerCount('error') > 0) this.events.emit('error', error as Error);
    }
  }

  // ── profiling ─────────────────────────────────────────────────────────────────────────────────────────

  captureProfile(options: { durationMs?: number; reason?: string } = {}): Promise<ProfileResult> {
    if (this.closed) return Promise.reject(new WaiError('E_CLOSED', '[wai:metrics-core] the monitor is closed'));
    return this.profiler.capture(options);
  }

  getProfiles(): ProfileSummary[] {
    return this.profiler.list();
  }

  getProfile(id: string): ProfileResult | undefined {
    return this.profiler.get(id);
  }

  // ── events and lifecycle ──────────────────────────────────────────────────────────────────────────────

  on<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  off<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  once<E extends keyof MonitorEvents>(event: E, listener: MonitorEvents[E]): this {
    this.events.once(event, listener);
    return this;
  }

  get isRunning(): boolean {
    return this.sampleTimer !== undefined;
  }

  start(): void {
    if (this.closed || this.sampleTimer) return;
    const tick = () => {
      this.coarseNow = this.clock.now();
      this.coarseSlot = slotOf(this.coarseNow);
    };
    tick();
    this.ticker = this.clock.setInterval(tick, TICK_MS);
    if (this.settings.systemMetrics) this.sampler.start();
    this.sampleTimer = this.clock.setInterval(() => {
      this.sample().catch((error: unknown) => {
        this.logger.error({ err: error }, '[wai:metrics-core] sample failed');
        if (this.events.listenerCount('error') > 0) this.events.emit('error', error as Error);
      });
    }, this.settings.interval);
  }

  stop(): void {
    this.sampleTimer?.cancel();
    this.sampleTimer = undefined;
    this.ticker?.cancel();
    this.ticker = undefined;
    this.coarseNow = -1;
    this.coarseSlot = -1;
    this.sampler.stop();
  }

  toPrometheus(): string {
    if (!this.sampled && this.settings.systemMetrics) this.takeSystemSample();
    const health = this.lastHealth ?? this.getHealth();
    this.flushPending();
    return renderPrometheus({
      series: this.registry.all(),
      snapshot: { memory: this.system.memory, cpu: this.system.cpu, eventLoop: this.system.eventLoop, cache: this.cacheAnalytics() },
      healthScore: health.score,
      alertsFiring: this.alertEngine.firingCount(),
      totals: { ...this.totals, rateLimit: { ...this.rateLimit } },
      custom: this.custom.values(),
      cpuUsage: process.cpuUsage(),
      uptimeSeconds: (this.clock.now() - this.createdAt) / 1000,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    await this.sampling;
    await this.analyzers.close();
    this.events.removeAllListeners();
  }
}

/**
 * Creates the performance monitor. Nothing runs until `start()` (or `autoStart: true`): then a sampler reads
 * system metrics every `interval`, evaluates alert rules and runs analyzers. `trackEndpoint` works at any time.
 *
 * @example
 * const monitor = createPerformanceMonitor({ interval: 30_000 });
 * monitor.start();
 * monitor.trackEndpoint('/api/workshops/:id', 12.5, 200, 'GET');
 * monitor.getCurrentMetrics().responseTime.p95;
 * await monitor.close();
 */
export function createPerformanceMonitor(options: PerformanceMonitorOptions = {}): PerformanceMonitor {
  return new Monitor(options);
}
