import { createPerformanceMonitor, type PerformanceMonitor } from '@wai/metrics-core';
import { createFakeClock } from '@wai/metrics-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnomalyAnalyzer } from '../src/analyzer/create-anomaly-analyzer.js';
import { createRobustZScoreDetector } from '../src/detectors/robust-z-score.js';
import { noise } from './analyzer-fixtures.js';

describe('createAnomalyAnalyzer with a real monitor', () => {
  let monitor: PerformanceMonitor | undefined;
  afterEach(async () => {
    await monitor?.close();
    monitor = undefined;
  });

  it('monitor.use(createAnomalyAnalyzer()) yields a slow-endpoint bottleneck, a slow query and recommendations', async () => {
    const clock = createFakeClock();
    // System metrics off: the test must not depend on this machine's CPU or event loop.
    monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false });
    monitor.use(createAnomalyAnalyzer());
    const random = noise(3);
    for (let i = 0; i < 400; i++) {
      monitor.trackEndpoint('/api/workshops', 15 + random() * 5, 200, 'GET');
      if (i % 4 === 0) monitor.trackEndpoint('/api/workshops/:id/report', 1400 + random() * 300, 200, 'GET');
      if (i % 8 === 0) monitor.trackEndpoint('/api/bookings', 40 + random() * 10, 201, 'POST');
      if (i % 10 === 0) monitor.recordOperation('db', 'SELECT * FROM reports WHERE workshop_id = $1', 600 + random() * 100);
    }
    clock.advance(1000);
    await monitor.sample();

    const bottlenecks = monitor.getBottlenecks();
    const slow = bottlenecks.find((finding) => finding.id === 'slow_endpoint:GET /api/workshops/:id/report');
    expect(slow).toBeDefined();
    expect(slow?.kind).toBe('slow_endpoint');
    expect(slow?.severity).toBe('critical');
    expect(slow?.evidence['p95Ms'] as number).toBeGreaterThan(1300);
    expect(slow?.evidence['shareOfTime'] as number).toBeGreaterThan(0.7);
    expect(bottlenecks.map((finding) => finding.id)).toContain('slow_query:SELECT * FROM reports WHERE workshop_id = $1');
    expect(bottlenecks.map((finding) => finding.id)).not.toContain('slow_endpoint:GET /api/workshops');

    const recommendations = monitor.getOptimizationRecommendations();
    const cacheRoute = recommendations.find((finding) => finding.id === 'cache_route:GET /api/workshops/:id/report');
    expect(cacheRoute?.action).toMatch(/^Cache responses of GET \/api\/workshops\/:id\/report/);
    expect(cacheRoute?.expectedEffect).toMatch(/hit rate, mean latency/);
    expect(recommendations.map((finding) => finding.id)).toContain('cache_query:SELECT * FROM reports WHERE workshop_id = $1');

    // A second analysis updates the same findings instead of adding copies.
    clock.advance(30_000);
    await monitor.sample();
    const again = monitor.getBottlenecks().filter((finding) => finding.id === 'slow_endpoint:GET /api/workshops/:id/report');
    expect(again).toHaveLength(1);
    expect(again[0]?.firstSeen).toBe(slow?.firstSeen);
    expect(again[0]?.lastSeen).toBe(clock.now());
  });

  it('raises an anomaly alert through the monitor alert engine and resolves it', async () => {
    const clock = createFakeClock();
    monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false });
    monitor.use(createAnomalyAnalyzer({ detectorFactory: () => createRobustZScoreDetector({ warmUp: 20 }), anomalyHoldMs: 0 }));
    const fired: string[] = [];
    const resolved: string[] = [];
    monitor.on('alert', (alert) => fired.push(alert.id));
    monitor.on('alert:resolved', (alert) => resolved.push(alert.id));
    const random = noise(8);
    // One sample per minute (the monitor's current window is a minute), 40 quiet minutes, then a latency spike.
    const minute = async (latencyMs: () => number): Promise<void> => {
      clock.advance(60_000);
      for (let i = 0; i < 30; i++) monitor?.trackEndpoint('/api/workshops', latencyMs(), 200, 'GET');
      await monitor?.sample();
    };
    for (let m = 0; m < 40; m++) await minute(() => 30 + random() * 6);
    expect(monitor.getAlerts({ active: true }).filter((alert) => alert.type === 'anomaly')).toEqual([]);
    await minute(() => 900 + random() * 50);
    const active = monitor.getAlerts({ active: true }).filter((alert) => alert.type === 'anomaly');
    expect(active.map((alert) => alert.id).sort()).toEqual(['anomaly:latency_p95', 'anomaly:latency_p95:GET /api/workshops']);
    expect(active[0]?.evidence).toMatchObject({ metric: 'latency_p95', direction: 'above' });
    expect(fired).toContain('anomaly:latency_p95');
    for (let m = 0; m < 2; m++) await minute(() => 30 + random() * 6);
    expect(monitor.getAlerts({ active: true }).filter((alert) => alert.type === 'anomaly')).toEqual([]);
    expect(resolved).toContain('anomaly:latency_p95');
  });
});
