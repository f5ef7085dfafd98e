import type { CacheAnalytics } from '../contracts/cache.js';
import type { MetricsSnapshot } from '../contracts/metrics.js';
import { DURATION_BUCKETS_MS, type RouteSeries } from './series-registry.js';

/**
 * Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format) with OpenTelemetry-style
 * names (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/, mapped to Prometheus as in the OTel
 * Prometheus compatibility spec: dots → underscores, unit suffix `_seconds`/`_bytes`, counters `_total`).
 */

/** Cumulative figures the monitor keeps for counters (never reset, as Prometheus requires). */
export interface ExpositionTotals {
  gcPauseMs: number;
  gcRuns: number;
  rateLimit: { allowed: number; limited: number; shed: number };
}

export interface CustomMetric {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExpositionInput {
  series: Iterable<RouteSeries>;
  /** The parts of a snapshot the exposition needs (no per-endpoint figures: those come from `series`). */
  snapshot: Pick<MetricsSnapshot, 'memory' | 'cpu' | 'eventLoop' | 'cache'>;
  healthScore: number;
  alertsFiring: { info: number; warning: number; critical: number };
  totals: ExpositionTotals;
  custom: Iterable<CustomMetric>;
  cpuUsage: NodeJS.CpuUsage;
  uptimeSeconds: number;
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Escapes a label value: backslash, double quote and line feed (the three the format requires). */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A metric or label name reduced to `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** A label name: sanitized, and never in the `__` prefix Prometheus reserves for itself. */
export function sanitizeLabelName(name: string): string {
  const cleaned = sanitizeName(name);
  return cleaned.startsWith('__') ? `label${cleaned}` : cleaned;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function labelText(labels: ReadonlyArray<readonly [string, string]>): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

class Writer {
  readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: ReadonlyArray<readonly [string, string]>, value: number): void {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, 'gauge', help);
    this.sample(name, [], value);
  }

  counter(name: string, help: string, value: number): void {
    this.family(name, 'counter', help);
    this.sample(name, [], value);
  }
}

const BUCKET_LABELS = [...DURATION_BUCKETS_MS.map((ms) => String(ms / 1000)), '+Inf'];

export function renderPrometheus(input: ExpositionInput): string {
  const out = new Writer();
  const series = [...input.series];

  const duration = 'http_server_request_duration_seconds';
  out.family(duration, 'histogram', 'Duration of HTTP server requests.');
  // The hot part of a scrape (14 buckets × every label set): label text built once per series and code.
  const lines = out.lines;
  for (const entry of series) {
    const routeLabels = `http_route="${escapeLabelValue(entry.route)}",http_request_method="${escapeLabelValue(entry.method)}"`;
    for (const [code, histogram] of entry.statusHistograms()) {
      const labels = `${routeLabels},http_response_status_code="${code}"`;
      let cumulative = 0;
      for (let k = 0; k < BUCKET_LABELS.length; k++) {
        cumulative += histogram.buckets[k]!;
        lines.push(`${duration}_bucket{${labels},le="${BUCKET_LABELS[k]!}"} ${cumulative}`);
      }
      lines.push(`${duration}_sum{${labels}} ${formatValue(histogram.sum / 1000)}`, `${duration}_count{${labels}} ${histogram.count}`);
    }
  }

  out.family('wai_http_server_request_errors_total', 'counter', 'Requests that failed: 5xx responses plus thrown errors.');
  for (const entry of series) out.sample('wai_http_server_request_errors_total', [['http_route', entry.route], ['http_request_method', entry.method]], entry.errors);
  out.family('wai_http_server_requests_aborted_total', 'counter', 'Requests aborted by the client before the response finished.');
  for (const entry of series) out.sample('wai_http_server_requests_aborted_total', [['http_route', entry.route], ['http_request_method', entry.method]], entry.aborted);

  const { memory, eventLoop } = input.snapshot;
  out.counter('process_cpu_user_seconds_total', 'User CPU time spent by the process in seconds.', input.cpuUsage.user / 1e6);
  out.counter('process_cpu_system_seconds_total', 'System CPU time spent by the process in seconds.', input.cpuUsage.system / 1e6);
  out.counter('process_cpu_seconds_total', 'Total user and system CPU time spent by the process in seconds.', (input.cpuUsage.user + input.cpuUsage.system) / 1e6);
  out.gauge('process_cpu_utilization_ratio', 'Process CPU time over wall time in the last sample (1 = one core).', input.snapshot.cpu.percent / 100);
  out.gauge('process_resident_memory_bytes', 'Resident set size in bytes.', memory.rss);
  out.gauge('process_uptime_seconds', 'Seconds since the monitor started.', input.uptimeSeconds);
  out.gauge('nodejs_heap_size_used_bytes', 'V8 heap used in bytes.', memory.heapUsed);
  out.gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated in bytes.', memory.heapTotal);
  out.gauge('nodejs_heap_size_limit_bytes', 'V8 heap size limit in bytes.', memory.heapLimit);
  out.gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', memory.external);
  if (memory.heapAfterGc !== undefined) out.gauge('nodejs_heap_after_gc_bytes', 'V8 heap used right after the latest major GC, in bytes.', memory.heapAfterGc);
  out.gauge('nodejs_eventloop_delay_p50_seconds', 'Event-loop delay median over the last sample, in seconds.', eventLoop.delayP50 / 1000);
  out.gauge('nodejs_eventloop_delay_p99_seconds', 'Event-loop delay 99th percentile over the last sample, in seconds.', eventLoop.delayP99 / 1000);
  out.gauge('nodejs_eventloop_delay_max_seconds', 'Event-loop delay maximum over the last sample, in seconds.', eventLoop.delayMax / 1000);
  out.gauge('nodejs_eventloop_utilization_ratio', 'Event-loop utilisation over the last sample (0..1).', eventLoop.utilization);
  out.counter('nodejs_gc_duration_seconds_total', 'Total garbage-collection pause time in seconds.', input.totals.gcPauseMs / 1000);
  out.counter('nodejs_gc_runs_total', 'Garbage collections observed.', input.totals.gcRuns);

  out.gauge('wai_health_score', 'Overall health score 0..100 (healthy >= 80, degraded >= 50).', input.healthScore);
  out.family('wai_alerts_firing', 'gauge', 'Alerts currently firing, by severity.');
  for (const severity of ['info', 'warning', 'critical'] as const) out.sample('wai_alerts_firing', [['severity', severity]], input.alertsFiring[severity]);
  out.family('wai_rate_limit_decisions_total', 'counter', 'Rate-limit decisions: allowed, limited (429) and shed (503).');
  for (const decision of ['allowed', 'limited', 'shed'] as const) out.sample('wai_rate_limit_decisions_total', [['decision', decision]], input.totals.rateLimit[decision]);

  renderCaches(out, input.snapshot.cache);
  renderCustom(out, input.custom);
  return `${out.lines.join('\n')}\n`;
}

function renderCaches(out: Writer, caches: Record<string, CacheAnalytics>): void {
  const entries = Object.entries(caches);
  if (entries.length === 0) return;
  out.family('wai_cache_hit_ratio', 'gauge', 'Cache hit rate (0..1) reported by an attached cache source.');
  for (const [name, cache] of entries) out.sample('wai_cache_hit_ratio', [['cache', name]], cache.hitRate);
  out.family('wai_cache_tier_hit_ratio', 'gauge', 'Hit rate (0..1) of one tier of an attached cache.');
  for (const [name, cache] of entries) {
    for (const [tier, stats] of Object.entries(cache.tiers)) out.sample('wai_cache_tier_hit_ratio', [['cache', name], ['tier', tier]], stats.hitRate);
  }
}

function renderCustom(out: Writer, custom: Iterable<CustomMetric>): void {
  const families = new Map<string, CustomMetric[]>();
  for (const metric of custom) {
    const name = `wai_custom_${sanitizeName(metric.name)}`;
    const list = families.get(name);
    if (list) list.push(metric);
    else families.set(name, [metric]);
  }
  for (const [name, metrics] of families) {
    out.family(name, 'gauge', `Custom metric ${metrics[0]!.name} recorded through monitor.recordMetric.`);
    for (const metric of metrics) {
      const labels = Object.entries(metric.labels)
        .map(([key, value]) => [sanitizeLabelName(key), String(value)] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      out.sample(name, labels, metric.value);
    }
  }
}
