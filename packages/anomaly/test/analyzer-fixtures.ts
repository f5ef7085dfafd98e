/**
 * Builds `AnalyzerContext`s (our own contract from @wai/metrics-core) from synthetic series, so analyzer tests
 * control every number the monitor would otherwise measure.
 */
import type {
  AnalyzerContext,
  CacheAnalytics,
  EndpointStats,
  HistoryPoint,
  HistoryQuery,
  Logger,
  MetricsSnapshot,
  OperationStats,
  ProfileSummary,
} from '@wai/metrics-core';

export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;
export const MB = 1024 * 1024;

/** Deterministic noise in [-1, 1). */
export function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

export function latency(p95: number, count: number, avg = p95 / 2): EndpointStats['responseTime'] {
  return { count, avg, min: avg / 4, p50: avg * 0.9, p90: p95 * 0.9, p95, p99: p95 * 1.3, max: p95 * 2 };
}

export function endpoint(method: string, route: string, count: number, p95: number, avg = p95 / 2, errors = 0): EndpointStats {
  return {
    route,
    method,
    count,
    errors,
    errorRate: errors / count,
    requestsPerSecond: count / 60,
    responseTime: latency(p95, count, avg),
    statusClasses: { '2xx': count - errors, '5xx': errors },
    aborted: 0,
    lastSeen: T0,
  };
}

export function snapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    timestamp: T0,
    windowMs: 60_000,
    uptimeSeconds: 3600,
    requestCount: 0,
    errorCount: 0,
    errorRate: 0,
    requestsPerSecond: 0,
    responseTime: latency(50, 0),
    memory: { heapUsed: 200 * MB, heapTotal: 300 * MB, heapLimit: 512 * MB, rss: 400 * MB, external: 0, usagePercent: 39 },
    cpu: { percent: 20, userMs: 0, systemMs: 0 },
    eventLoop: { delayP50: 10, delayP99: 20, delayMax: 30, utilization: 0.2 },
    gc: { pauseMs: 0, count: 0, majorCount: 0 },
    endpoints: [],
    cache: {},
    rateLimit: { allowed: 0, limited: 0, shed: 0 },
    ...overrides,
  };
}

export interface RecordingLogger extends Logger {
  warnings: unknown[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: unknown[] = [];
  return { warnings, debug() {}, info() {}, warn: (object) => void warnings.push(object), error: (object) => void warnings.push(object) };
}

export interface SyntheticMonitor {
  /** Series keyed by metric, or `metric|route` for per-route series. */
  series: Map<string, HistoryPoint[]>;
  add(metric: string, points: HistoryPoint[], route?: string): void;
  context(overrides?: Partial<Omit<AnalyzerContext, 'history' | 'routes'>>): AnalyzerContext;
  logger: RecordingLogger;
}

export function syntheticMonitor(): SyntheticMonitor {
  const series = new Map<string, HistoryPoint[]>();
  const logger = recordingLogger();
  const keyOf = (metric: string, route?: string): string => (route === undefined ? metric : `${metric}|${route}`);
  return {
    series,
    logger,
    add(metric, points, route) {
      const key = keyOf(metric, route);
      series.set(key, [...(series.get(key) ?? []), ...points]);
    },
    context(overrides = {}) {
      const snap = overrides.snapshot ?? snapshot();
      const now = overrides.now ?? snap.timestamp;
      return {
        now,
        snapshot: snap,
        caches: {} as Record<string, CacheAnalytics>,
        operations: [] as OperationStats[],
        profiles: [] as ProfileSummary[],
        logger,
        ...overrides,
        history(metric: string, query: HistoryQuery = {}): HistoryPoint[] {
          return (series.get(keyOf(metric, query.route)) ?? []).filter(
            (point) => (query.from === undefined || point.t >= query.from) && (query.to === undefined || point.t <= query.to) && point.t <= now,
          );
        },
        routes(): string[] {
          return [...new Set([...series.keys()].map((key) => (key.includes('|') ? key.slice(key.indexOf('|') + 1) : key)))];
        },
      };
    },
  };
}

/** `count` points one interval apart ending at `end`. */
export function points(count: number, end: number, intervalMs: number, value: (i: number) => number): HistoryPoint[] {
  return Array.from({ length: count }, (_, i) => ({ t: end - (count - 1 - i) * intervalMs, v: value(i) }));
}
