/**
 * The monitor's metric history and the durable store it appends to (memory by default; SQL in the reference app).
 * Units: durations in milliseconds unless named `ttl` (seconds); rates are fractions 0..1 unless the name says
 * `Percent` (0..100).
 */

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

/** Durable history (memory by default; a SQL implementation lives in apps/reference-server). */
export interface HistoryStore {
  append(records: readonly HistoryRecord[]): Promise<void>;
  query(metric: HistoryMetric, query: HistoryQuery): Promise<HistoryPoint[]>;
  close(): Promise<void>;
}
