import type { HistoryMetric, Severity } from '@wai/metrics-core';

/** "840 ms", "1.4 s", "12.3 ms". */
export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** A fraction 0..1 as "62 %". */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

export function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 100 ? `${Math.round(mb)} MB` : `${mb.toFixed(1)} MB`;
}

const round = (value: number, digits = 3): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
export { round };

interface MetricDescription {
  label: string;
  format(value: number): string;
}

const plain = (value: number): string => (Math.abs(value) >= 100 ? String(Math.round(value)) : value.toFixed(2));

const METRICS: Record<string, MetricDescription> = {
  latency_avg: { label: 'mean latency', format: formatMs },
  latency_p50: { label: 'p50 latency', format: formatMs },
  latency_p95: { label: 'p95 latency', format: formatMs },
  latency_p99: { label: 'p99 latency', format: formatMs },
  requests_per_second: { label: 'request rate', format: (value) => `${plain(value)} req/s` },
  error_rate: { label: 'error rate', format: formatPercent },
  heap_used: { label: 'heap used', format: formatBytes },
  heap_after_gc: { label: 'heap after GC', format: formatBytes },
  heap_usage_percent: { label: 'heap usage', format: (value) => `${plain(value)} %` },
  rss: { label: 'RSS', format: formatBytes },
  cpu_percent: { label: 'CPU', format: (value) => `${plain(value)} %` },
  event_loop_delay_p50: { label: 'event-loop delay p50', format: formatMs },
  event_loop_delay_p99: { label: 'event-loop delay p99', format: formatMs },
  event_loop_utilization: { label: 'event-loop utilisation', format: formatPercent },
  gc_pause_ms: { label: 'GC pause time', format: formatMs },
  cache_hit_rate: { label: 'cache hit rate', format: formatPercent },
  health_score: { label: 'health score', format: plain },
};

export function describeMetric(metric: HistoryMetric): MetricDescription {
  return METRICS[metric] ?? { label: metric, format: plain };
}

/** True for the monitor's built-in metric names (which `routes()` lists beside route keys). */
export const isKnownMetric = (name: string): boolean => Object.hasOwn(METRICS, name);

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Sort key: most severe first. */
export const severityRank = (severity: Severity): number => RANK[severity];
