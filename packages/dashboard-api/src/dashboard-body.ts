import type {
  Alert,
  Bottleneck,
  CacheAdmin,
  CacheAnalytics,
  CacheStatsSource,
  EndpointStats,
  HealthStatus,
  MetricsSnapshot,
  PerformanceMonitor,
  Recommendation,
  Severity,
} from '@wai/metrics-core';
import type { Readings } from './snapshot-source.js';

/** The `GET dashboard` body, in the guide's shape (`memoryUsage` and `cacheHitRate` in percent). */
export interface DashboardBody {
  overview: { healthScore: number; status: HealthStatus; lastUpdated: string };
  keyMetrics: {
    /** Mean response time in ms over the monitor's window. */
    responseTime: number;
    /** Fraction 0..1. */
    errorRate: number;
    /** Heap used as a percent of the heap limit. */
    memoryUsage: number;
    requestsPerSecond: number;
    /** Percent 0..100, or `null` when no cache reports. */
    cacheHitRate: number | null;
  };
  alerts: { active: number; critical: number; recent: Alert[] };
  bottlenecks: { count: number; critical: number; top3: Bottleneck[] };
  recommendations: Recommendation[];
  cache: CacheAnalytics | null;
}

/** A compact endpoint row for the page's table. */
export interface EndpointRow {
  route: string;
  method: string;
  count: number;
  requestsPerSecond: number;
  errorRate: number;
  p50: number;
  p95: number;
  p99: number;
}

/** What the WebSocket pushes every interval (everything the page draws). */
export interface LiveSnapshotFrame {
  type: 'snapshot';
  timestamp: number;
  health: { score: number; status: HealthStatus };
  responseTime: { avg: number; p50: number; p95: number; p99: number };
  requestsPerSecond: number;
  requestCount: number;
  errorRate: number;
  memory: { heapUsed: number; heapLimit: number; rss: number; usagePercent: number };
  eventLoop: { delayP50: number; delayP99: number; utilization: number };
  cpuPercent: number;
  cacheHitRate: number | null;
  /** The configured cache's tiers (hit rate in percent) and warming strategies, when a cache is configured. */
  cache: { tiers: Array<{ name: string; hitRate: number; size: number | null; available: boolean }>; strategies: string[] } | null;
  endpoints: EndpointRow[];
  endpointCount: number;
  alerts: Alert[];
  bottlenecks: Bottleneck[];
  recommendations: Recommendation[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function bySeverity<T extends { severity: Severity }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Overall hit rate (0..1) of the configured cache, else of the caches attached to the monitor, else null. */
export function cacheHitRate(cache: CacheAnalytics | null, snapshot: MetricsSnapshot): number | null {
  if (cache) return cache.hits + cache.misses === 0 ? null : cache.hitRate;
  let hits = 0;
  let misses = 0;
  for (const source of Object.values(snapshot.cache)) {
    hits += source.hits;
    misses += source.misses;
  }
  return hits + misses === 0 ? null : hits / (hits + misses);
}

export function readCache(cache: CacheStatsSource | undefined): CacheAnalytics | null {
  return cache ? cache.getAnalytics() : null;
}

export function buildDashboard(
  monitor: PerformanceMonitor,
  cache: CacheStatsSource | undefined,
  readings: Readings = { snapshot: monitor.getCurrentMetrics(), health: monitor.getHealth() },
): DashboardBody {
  const { snapshot, health } = readings;
  const alerts = monitor.getAlerts();
  const active = alerts.filter((alert) => alert.state === 'firing');
  const bottlenecks = bySeverity(monitor.getBottlenecks());
  const analytics = readCache(cache);
  const hitRate = cacheHitRate(analytics, snapshot);
  return {
    overview: { healthScore: round(health.score, 1), status: health.status, lastUpdated: new Date(snapshot.timestamp).toISOString() },
    keyMetrics: {
      responseTime: round(snapshot.responseTime.avg),
      errorRate: round(snapshot.errorRate, 4),
      memoryUsage: round(snapshot.memory.usagePercent),
      requestsPerSecond: round(snapshot.requestsPerSecond),
      cacheHitRate: hitRate === null ? null : round(hitRate * 100),
    },
    alerts: {
      active: active.length,
      critical: active.filter((alert) => alert.severity === 'critical').length,
      recent: [...alerts].sort((a, b) => b.startedAt - a.startedAt).slice(0, 10),
    },
    bottlenecks: {
      count: bottlenecks.length,
      critical: bottlenecks.filter((item) => item.severity === 'critical').length,
      top3: bottlenecks.slice(0, 3),
    },
    recommendations: bySeverity(monitor.getOptimizationRecommendations()).slice(0, 10),
    cache: analytics,
  };
}

/** A table row from an endpoint's figures (this instance's or the fleet's). */
export function endpointRow(stats: Pick<EndpointStats, 'route' | 'method' | 'count' | 'requestsPerSecond' | 'errorRate' | 'responseTime'>): EndpointRow {
  return {
    route: stats.route,
    method: stats.method,
    count: stats.count,
    requestsPerSecond: round(stats.requestsPerSecond),
    errorRate: round(stats.errorRate, 4),
    p50: round(stats.responseTime.p50),
    p95: round(stats.responseTime.p95),
    p99: round(stats.responseTime.p99),
  };
}

/** Picks the `limit` busiest endpoints without sorting all of them (the monitor may track thousands). */
function busiest(endpoints: readonly EndpointStats[], limit: number): EndpointStats[] {
  if (endpoints.length <= limit) return [...endpoints].sort((a, b) => b.count - a.count);
  const top: EndpointStats[] = [];
  for (const endpoint of endpoints) {
    if (top.length < limit) {
      top.push(endpoint);
      if (top.length === limit) top.sort((a, b) => b.count - a.count);
    } else if (endpoint.count > top[limit - 1]!.count) {
      let index = limit - 1;
      while (index > 0 && top[index - 1]!.count < endpoint.count) index -= 1;
      top.splice(index, 0, endpoint);
      top.pop();
    }
  }
  return top;
}

export function buildLiveFrame(
  monitor: PerformanceMonitor,
  cache: CacheStatsSource | undefined,
  endpointLimit: number,
  readings: Readings = { snapshot: monitor.getCurrentMetrics(), health: monitor.getHealth() },
): LiveSnapshotFrame {
  const { snapshot, health } = readings;
  const analytics = readCache(cache);
  const hitRate = cacheHitRate(analytics, snapshot);
  return {
    type: 'snapshot',
    timestamp: snapshot.timestamp,
    health: { score: round(health.score, 1), status: health.status },
    responseTime: {
      avg: round(snapshot.responseTime.avg),
      p50: round(snapshot.responseTime.p50),
      p95: round(snapshot.responseTime.p95),
      p99: round(snapshot.responseTime.p99),
    },
    requestsPerSecond: round(snapshot.requestsPerSecond),
    requestCount: snapshot.requestCount,
    errorRate: round(snapshot.errorRate, 4),
    memory: {
      heapUsed: snapshot.memory.heapUsed,
      heapLimit: snapshot.memory.heapLimit,
      rss: snapshot.memory.rss,
      usagePercent: round(snapshot.memory.usagePercent),
    },
    eventLoop: {
      delayP50: round(snapshot.eventLoop.delayP50),
      delayP99: round(snapshot.eventLoop.delayP99),
      utilization: round(snapshot.eventLoop.utilization, 3),
    },
    cpuPercent: round(snapshot.cpu.percent, 1),
    cacheHitRate: hitRate === null ? null : round(hitRate * 100),
    cache: analytics
      ? {
          tiers: Object.entries(analytics.tiers).map(([name, tier]) => ({
            name,
            hitRate: round(tier.hitRate * 100),
            size: tier.size ?? null,
            available: tier.available ?? true,
          })),
          strategies: (cache as Partial<CacheAdmin>).listWarmingStrategies?.().map((strategy) => strategy.name) ?? [],
        }
      : null,
    endpoints: busiest(snapshot.endpoints, endpointLimit).map(endpointRow),
    endpointCount: snapshot.endpoints.length,
    alerts: monitor.getAlerts({ active: true }),
    bottlenecks: bySeverity(monitor.getBottlenecks()).slice(0, 20),
    recommendations: bySeverity(monitor.getOptimizationRecommendations()).slice(0, 20),
  };
}
