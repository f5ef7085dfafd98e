import type { Attributes, BatchObservableCallback, BatchObservableResult, Histogram, Meter, MeterProvider, ObservableCounter } from '@opentelemetry/api';
import { ConfigError } from '../errors.js';
import { normalizeMethod, OTHER_METHOD } from '../http/route-label.js';
import { OVERFLOW_ROUTE } from '../monitor/series-registry.js';
import type { CacheAnalytics, CacheStatsSource } from '../contracts/cache.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';

/**
 * What the bridge needs of a MeterProvider; `@opentelemetry/api`'s `MeterProvider` (and the SDK's) satisfies it.
 * Structural, so that these declarations do not import the optional peer: a TypeScript user without it installed
 * can still compile against `@wai/metrics-core/otel`.
 */
export interface OtelMeterProvider {
  getMeter(name: string, version?: string, options?: object): unknown;
}

export interface OtelBridgeOptions {
  /** The monitor whose figures are exported. */
  monitor: PerformanceMonitor;
  /** Your MeterProvider (`new MeterProvider({ readers })` from `@opentelemetry/sdk-metrics`, or `metrics.getMeterProvider()`). */
  meterProvider: OtelMeterProvider;
  /** Instrumentation scope name of the meter. @default '@wai/metrics-core' */
  meterName?: string;
  /**
   * Cache sources read for hits/misses per tier, by name. @default the monitor's own sources (`addCacheSource`),
   * read from its snapshot at each collection
   */
  caches?: Record<string, CacheStatsSource>;
  /**
   * Record each request into `http.server.request.duration`. Turn off when the OTel HTTP instrumentation already
   * records that histogram for the same server (it would be counted twice). @default true
   */
  requestDuration?: boolean;
  /** Bucket boundaries in seconds. @default the semantic conventions' advice (0.005 … 10 s) */
  durationBuckets?: number[];
  /** Most distinct (route, method, status) attribute sets; beyond it routes are reported as `__overflow__`. @default 2000 */
  maxAttributeSets?: number;
}

export interface OtelBridge {
  /** Stops recording requests and unregisters the observable callbacks (the instruments stay in the provider). */
  close(): void;
}

/** The semantic conventions' advice for `http.server.request.duration` (HTTP metrics, stable since v1.23). */
export const HTTP_SERVER_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type StatusAttributes = Map<number, Attributes>;

/**
 * Registers @wai's metrics with your OpenTelemetry MeterProvider, so a pipeline that already exports OTLP carries
 * them: `http.server.request.duration` (histogram, seconds; `http.request.method`, `http.route`,
 * `http.response.status_code`, `error.type` on 5xx), `wai.cache.hits` / `wai.cache.misses` (observable counters
 * per `wai.cache.name` and `wai.cache.tier`), `nodejs.eventloop.delay.p50` / `.p99` (seconds),
 * `nodejs.eventloop.utilization` and `wai.health.score` (0..100). A plug-in: metrics-core only imports
 * `@opentelemetry/api` types; the package is an optional peer.
 *
 * Requests are recorded by wrapping this monitor instance's `trackEndpoint` (what both framework adapters call),
 * so the adapters need no change; `close()` restores it.
 */
export function createOtelBridge(options: OtelBridgeOptions): OtelBridge {
  const { monitor, meterProvider } = options;
  if (!monitor || typeof monitor.trackEndpoint !== 'function') throw new ConfigError('[wai:metrics-core] createOtelBridge needs `monitor` (a PerformanceMonitor)');
  if (!meterProvider || typeof meterProvider.getMeter !== 'function') {
    throw new ConfigError('[wai:metrics-core] createOtelBridge needs `meterProvider` (your MeterProvider, or metrics.getMeterProvider() from @opentelemetry/api)');
  }
  const maxAttributeSets = options.maxAttributeSets ?? 2000;
  if (!Number.isInteger(maxAttributeSets) || maxAttributeSets < 1) throw new ConfigError(`[wai:metrics-core] maxAttributeSets must be a positive integer, got ${String(options.maxAttributeSets)}`);
  const buckets = options.durationBuckets ?? HTTP_SERVER_DURATION_BUCKETS;
  if (!Array.isArray(buckets) || buckets.some((value, index) => !(value > 0) || (index > 0 && value <= buckets[index - 1]!))) {
    throw new ConfigError('[wai:metrics-core] durationBuckets must be increasing positive numbers (seconds)');
  }
  const meter: Meter = (meterProvider as MeterProvider).getMeter(options.meterName ?? '@wai/metrics-core');

  let restore: (() => void) | undefined;
  if (options.requestDuration ?? true) {
    const histogram = meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      advice: { explicitBucketBoundaries: buckets },
    });
    restore = tapRequests(monitor, histogram, maxAttributeSets);
  }

  const cacheHits = meter.createObservableCounter('wai.cache.hits', { description: 'Cache lookups answered by a tier.', unit: '{lookup}' });
  const cacheMisses = meter.createObservableCounter('wai.cache.misses', { description: 'Cache lookups a tier could not answer.', unit: '{lookup}' });
  const delayP50 = meter.createObservableGauge('nodejs.eventloop.delay.p50', { description: 'Event loop delay, median.', unit: 's' });
  const delayP99 = meter.createObservableGauge('nodejs.eventloop.delay.p99', { description: 'Event loop delay, 99th percentile.', unit: 's' });
  const utilization = meter.createObservableGauge('nodejs.eventloop.utilization', { description: 'Share of time the event loop was busy.', unit: '1' });
  // `{score}`, not `1`: a 0..100 score is no ratio (Prometheus exporters turn unit `1` into a `_ratio` suffix).
  const health = meter.createObservableGauge('wai.health.score', { description: 'Health score of the instance, 0 (unhealthy) to 100.', unit: '{score}' });
  const observables = [cacheHits, cacheMisses, delayP50, delayP99, utilization, health];

  // One callback per collection: one snapshot serves every gauge (reading it per instrument would take it six times).
  const collect: BatchObservableCallback = (result) => {
    const snapshot = monitor.getCurrentMetrics();
    result.observe(delayP50, snapshot.eventLoop.delayP50 / 1000);
    result.observe(delayP99, snapshot.eventLoop.delayP99 / 1000);
    result.observe(utilization, snapshot.eventLoop.utilization);
    result.observe(health, monitor.getHealthScore());
    const caches = options.caches ? readSources(options.caches) : snapshot.cache;
    for (const [name, analytics] of Object.entries(caches)) observeCache(result, cacheHits, cacheMisses, name, analytics);
  };
  meter.addBatchObservableCallback(collect, observables);

  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      restore?.();
      meter.removeBatchObservableCallback(collect, observables);
    },
  };
}

function readSources(sources: Record<string, CacheStatsSource>): Record<string, CacheAnalytics> {
  const out: Record<string, CacheAnalytics> = {};
  for (const [name, source] of Object.entries(sources)) out[name] = source.getAnalytics();
  return out;
}

function observeCache(result: BatchObservableResult, hits: ObservableCounter, misses: ObservableCounter, name: string, analytics: CacheAnalytics): void {
  for (const [tier, stats] of Object.entries(analytics.tiers)) {
    const attributes = { 'wai.cache.name': name, 'wai.cache.tier': tier };
    result.observe(hits, stats.hits, attributes);
    result.observe(misses, stats.misses, attributes);
  }
}

/**
 * Wraps `monitor.trackEndpoint` on this instance so every request is also recorded into `histogram`. Attribute
 * objects are cached per (route, method, status): the SDK keeps the object it is given, and a request must not
 * allocate one. Returns the undo.
 */
function tapRequests(monitor: PerformanceMonitor, histogram: Histogram, maxAttributeSets: number): () => void {
  const original = monitor.trackEndpoint;
  const byRoute = new Map<string, Map<string, StatusAttributes>>();
  let sets = 0;
  let active = true;
  const attributesFor = (route: string, method: string, status: number): Attributes => {
    let byMethod = byRoute.get(route);
    let byStatus = byMethod?.get(method);
    const cached = byStatus?.get(status);
    if (cached !== undefined) return cached;
    if (sets >= maxAttributeSets && route !== OVERFLOW_ROUTE) return attributesFor(OVERFLOW_ROUTE, method, status);
    if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    const normalized = normalizeMethod(method);
    // The semantic conventions name unknown methods `_OTHER`.
    const attributes: Attributes = { 'http.request.method': normalized === OTHER_METHOD ? '_OTHER' : normalized, 'http.route': route, 'http.response.status_code': status };
    if (status >= 500) attributes['error.type'] = String(status);
    byStatus.set(status, attributes);
    sets++;
    return attributes;
  };
  const tapped: PerformanceMonitor['trackEndpoint'] = function trackEndpoint(route, durationMs, statusCode, method = 'GET') {
    original.call(monitor, route, durationMs, statusCode, method);
    if (!active || typeof route !== 'string' || !(durationMs >= 0)) return;
    histogram.record(durationMs / 1000, attributesFor(route, method, statusCode));
  };
  monitor.trackEndpoint = tapped;
  return () => {
    active = false;
    // Only unwrap when nobody wrapped after us; otherwise `active` alone stops the recording.
    if (monitor.trackEndpoint === tapped) monitor.trackEndpoint = original;
  };
}
