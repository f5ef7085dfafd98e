import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createFakeClock } from '../fake-clock.js';
import { createPerformanceMonitor } from '../monitor/performance-monitor.js';
import type { CacheAnalytics, CacheStatsSource } from '../contracts/cache.js';
import type { PerformanceMonitor } from '../contracts/monitor.js';
import { createOtelBridge } from './otel-bridge.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function setup(monitorOverrides: Partial<Parameters<typeof createPerformanceMonitor>[0]> = {}) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: the test collects by forceFlush, never on the timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const monitor = createPerformanceMonitor({ clock: createFakeClock(Date.now()), systemMetrics: false, ...monitorOverrides });
  cleanup.push(() => meterProvider.shutdown(), () => monitor.close());
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  };
  return { meterProvider, monitor, collect };
}

const find = (metrics: MetricData[], name: string) => metrics.find((metric) => metric.descriptor.name === name);

/** The cache stats contract as a cache implements it: cumulative hits/misses per tier. */
function countingCache(): CacheStatsSource & { hit(tier: string): void; miss(tier: string): void } {
  const tiers: Record<string, { hits: number; misses: number }> = { l1: { hits: 0, misses: 0 }, l2: { hits: 0, misses: 0 } };
  return {
    hit: (tier) => void tiers[tier]!.hits++,
    miss: (tier) => void tiers[tier]!.misses++,
    getAnalytics(): CacheAnalytics {
      const entries = Object.entries(tiers).map(([name, t]) => [name, { ...t, hitRate: t.hits / Math.max(1, t.hits + t.misses), errors: 0 }] as const);
      const hits = tiers.l1!.hits + tiers.l2!.hits;
      return { hits, misses: tiers.l2!.misses, hitRate: hits / Math.max(1, hits + tiers.l2!.misses), tiers: Object.fromEntries(entries) };
    },
  };
}

describe('OpenTelemetry bridge', () => {
  it('records every request into http.server.request.duration with the semantic-convention attributes, in seconds', async () => {
    const { meterProvider, monitor, collect } = setup();
    const bridge = createOtelBridge({ monitor, meterProvider });
    cleanup.push(() => bridge.close());
    const durations = [12, 48, 130, 700, 2600];
    for (const ms of durations) monitor.trackEndpoint('/api/workshops/:id', ms, 200, 'GET');
    monitor.trackEndpoint('/api/workshops', 30, 503, 'POST');
    monitor.trackEndpoint('/api/workshops', 5, 200, 'brew');

    const metric = find(await collect(), 'http.server.request.duration') as HistogramMetricData;
    expect(metric.descriptor.unit).toBe('s');
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = metric.dataPoints;
    const get = points.find((p) => p.attributes['http.route'] === '/api/workshops/:id');
    expect(get?.attributes).toEqual({ 'http.request.method': 'GET', 'http.route': '/api/workshops/:id', 'http.response.status_code': 200 });
    expect(get?.value.count).toBe(durations.length);
    expect(get?.value.sum).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 1000, 9);
    expect(get?.value.max).toBeCloseTo(2.6, 9);
    // Semantic-convention buckets: 0.012 s and 0.048 s fall in (0.01, 0.025] and (0.025, 0.05].
    expect(get?.value.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(get?.value.buckets.counts.slice(2, 4)).toEqual([1, 1]);
    const failed = points.find((p) => p.attributes['http.response.status_code'] === 503);
    expect(failed?.attributes).toMatchObject({ 'http.request.method': 'POST', 'error.type': '503' });
    expect(points.find((p) => p.attributes['http.request.method'] === '_OTHER')?.value.count).toBe(1);
    // The monitor still sees every request.
    expect(monitor.getCurrentMetrics().requestCount).toBe(durations.length + 2);
  });

  it('observes cache hits and misses per tier, event-loop delay and the health score at each collection', async () => {
    const { meterProvider, monitor, collect } = setup();
    const cache = countingCache();
    monitor.addCacheSource('main', cache);
    const bridge = createOtelBridge({ monitor, meterProvider });
    cleanup.push(() => bridge.close());
    for (let i = 0; i < 7; i++) cache.hit('l1');
    cache.miss('l1');
    cache.hit('l2');
    cache.miss('l2');
    cache.miss('l2');
    // Half the requests fail, so the health score is well below 100 and the gauge must carry the real figure.
    for (let i = 0; i < 20; i++) monitor.trackEndpoint('/api/orders', 20, i % 2 === 0 ? 500 : 200, 'GET');
    await monitor.sample();

    const metrics = await collect();
    const hits = find(metrics, 'wai.cache.hits')!;
    expect(hits.dataPointType).toBe(DataPointType.SUM);
    const byTier = (metric: MetricData) => Object.fromEntries(metric.dataPoints.map((p) => [`${String(p.attributes['wai.cache.name'])}/${String(p.attributes['wai.cache.tier'])}`, p.value]));
    expect(byTier(hits)).toEqual({ 'main/l1': 7, 'main/l2': 1 });
    expect(byTier(find(metrics, 'wai.cache.misses')!)).toEqual({ 'main/l1': 1, 'main/l2': 2 });
    expect(monitor.getHealthScore()).toBeLessThan(90);
    expect(find(metrics, 'wai.health.score')!.dataPoints[0]!.value).toBe(monitor.getHealthScore());
    expect(find(metrics, 'wai.health.score')!.descriptor.unit).toBe('{score}');
    expect(find(metrics, 'nodejs.eventloop.delay.p99')!.descriptor.unit).toBe('s');
    expect(find(metrics, 'nodejs.eventloop.delay.p99')!.dataPoints).toHaveLength(1);

    // Counters are cumulative: later lookups show up at the next collection.
    cache.hit('l1');
    expect(byTier(find(await collect(), 'wai.cache.hits')!)).toEqual({ 'main/l1': 8, 'main/l2': 1 });
  });

  it('reports the event-loop delay the monitor sampled, in seconds', async () => {
    const { meterProvider, collect } = setup();
    const monitor = createPerformanceMonitor({ interval: 60_000 });
    cleanup.push(() => monitor.close());
    const bridge = createOtelBridge({ monitor, meterProvider });
    cleanup.push(() => bridge.close());
    // The histogram of event-loop delay runs while the monitor runs; block the loop so it has a delay to see.
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const blockUntil = Date.now() + 100;
    while (Date.now() < blockUntil);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const snapshot = await monitor.sample();
    const metrics = await collect();
    const p99 = find(metrics, 'nodejs.eventloop.delay.p99')!.dataPoints[0]!.value as number;
    expect(snapshot.eventLoop.delayMax).toBeGreaterThan(50);
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeCloseTo(monitor.getCurrentMetrics().eventLoop.delayP99 / 1000, 6);
  });

  it('stops recording and restores the monitor on close', async () => {
    const { meterProvider, monitor, collect } = setup();
    const original = monitor.trackEndpoint;
    const bridge = createOtelBridge({ monitor, meterProvider });
    expect(monitor.trackEndpoint).not.toBe(original);
    monitor.trackEndpoint('/a', 10, 200);
    bridge.close();
    expect(monitor.trackEndpoint).toBe(original);
    monitor.trackEndpoint('/a', 10, 200);
    const metrics = await collect();
    expect((find(metrics, 'http.server.request.duration') as HistogramMetricData).dataPoints[0]!.value.count).toBe(1);
    // Observable callbacks are gone: no cache/health points after close.
    expect(find(metrics, 'wai.health.score')?.dataPoints ?? []).toEqual([]);
  });

  it('caps attribute sets: routes beyond maxAttributeSets are reported as __overflow__', async () => {
    const { meterProvider, monitor, collect } = setup();
    const bridge = createOtelBridge({ monitor, meterProvider, maxAttributeSets: 3 });
    cleanup.push(() => bridge.close());
    for (let i = 0; i < 10; i++) monitor.trackEndpoint(`/r${i}`, 1, 200);
    const points = (find(await collect(), 'http.server.request.duration') as HistogramMetricData).dataPoints;
    expect(points.map((p) => p.attributes['http.route']).sort()).toEqual(['/r0', '/r1', '/r2', '__overflow__']);
    expect(points.find((p) => p.attributes['http.route'] === '__overflow__')?.value.count).toBe(7);
  });

  it('refuses bad options by name', () => {
    const { meterProvider, monitor } = setup();
    expect(() => createOtelBridge({ monitor, meterProvider: undefined as never })).toThrow(ConfigError);
    expect(() => createOtelBridge({ monitor: {} as PerformanceMonitor, meterProvider })).toThrow(/monitor/);
    expect(() => createOtelBridge({ monitor, meterProvider, durationBuckets: [1, 0.5] })).toThrow(/durationBuckets/);
    expect(() => createOtelBridge({ monitor, meterProvider, maxAttributeSets: 0 })).toThrow(/maxAttributeSets/);
  });
});
