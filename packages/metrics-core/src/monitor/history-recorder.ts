import type { HistoryMetric, HistoryPoint, HistoryQuery, HistoryRecord, HistoryStore } from '../contracts/history.js';
import type { HealthReport, MetricsSnapshot } from '../contracts/metrics.js';
import type { Logger } from '../logger.js';
import { averageBySteps, MetricHistory } from './metric-history.js';

/** Per-route history is kept for this many busiest routes. */
const HISTORY_TOP_ROUTES = 20;

/**
 * The monitor's history: every sample's key figures appended to the in-memory rings and, when one is given, to
 * a durable `HistoryStore`; reads combine the two (memory first, the store for older ranges).
 */
export class HistoryRecorder {
  private readonly history = new MetricHistory();

  constructor(
    private readonly store: HistoryStore | undefined,
    private readonly logger: Logger,
    private readonly systemMetrics: boolean,
  ) {}

  /** Appends one sample's figures to memory and returns them as records for the durable store. */
  append(snapshot: MetricsSnapshot, health: HealthReport, now: number): HistoryRecord[] {
    const records: HistoryRecord[] = [];
    const add = (metric: HistoryMetric, v: number, route?: string) => {
      if (!Number.isFinite(v)) return;
      this.history.append(metric, now, v, route);
      records.push(route === undefined ? { metric, t: now, v } : { metric, t: now, v, route });
    };
    add('latency_avg', snapshot.responseTime.avg);
    add('latency_p50', snapshot.responseTime.p50);
    add('latency_p95', snapshot.responseTime.p95);
    add('latency_p99', snapshot.responseTime.p99);
    add('requests_per_second', snapshot.requestsPerSecond);
    add('error_rate', snapshot.errorRate);
    add('health_score', health.score);
    if (this.systemMetrics) {
      add('heap_used', snapshot.memory.heapUsed);
      if (snapshot.memory.heapAfterGc !== undefined) add('heap_after_gc', snapshot.memory.heapAfterGc);
      add('heap_usage_percent', snapshot.memory.usagePercent);
      add('rss', snapshot.memory.rss);
      add('cpu_percent', snapshot.cpu.percent);
      add('event_loop_delay_p50', snapshot.eventLoop.delayP50);
      add('event_loop_delay_p99', snapshot.eventLoop.delayP99);
      add('event_loop_utilization', snapshot.eventLoop.utilization);
      add('gc_pause_ms', snapshot.gc.pauseMs);
    }
    if (health.components.cache) add('cache_hit_rate', health.components.cache.value);
    for (const endpoint of snapshot.endpoints.slice(0, HISTORY_TOP_ROUTES)) {
      if (endpoint.count === 0) continue;
      const route = `${endpoint.method} ${endpoint.route}`;
      add('latency_p95', endpoint.responseTime.p95, route);
      add('requests_per_second', endpoint.requestsPerSecond, route);
      add('error_rate', endpoint.errorRate, route);
    }
    return records;
  }

  /** Hands records to the durable store; a failing store is logged and history stays in memory. */
  async persist(records: readonly HistoryRecord[]): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.append(records);
    } catch (error) {
      this.logger.warn({ err: error }, '[wai:metrics-core] history store append failed; history kept in memory only');
    }
  }

  /** The in-memory history only. */
  query(metric: HistoryMetric, query: HistoryQuery = {}): HistoryPoint[] {
    return this.history.query(metric, query);
  }

  routes(): string[] {
    return this.history.routes();
  }

  /** The in-memory history, then the store for the part of the range older than memory holds. */
  async queryAll(metric: HistoryMetric, query: HistoryQuery = {}): Promise<HistoryPoint[]> {
    const { step, ...range } = query;
    const memory = this.history.query(metric, range);
    const oldest = this.history.oldest(metric, query.route);
    const from = query.from ?? Number.NEGATIVE_INFINITY;
    let points = memory;
    if (this.store && (oldest === undefined || from < oldest)) {
      const storeQuery: HistoryQuery = { ...range };
      if (oldest !== undefined) storeQuery.to = Math.min(query.to ?? Number.POSITIVE_INFINITY, oldest - 1);
      const older = await this.store.query(metric, storeQuery);
      points = [...older, ...memory];
    }
    return step ? averageBySteps(points, step) : points;
  }
}
