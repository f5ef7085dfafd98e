import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import { computeHealth, falling, type HealthInputs } from './health-score.js';
import { createPerformanceMonitor } from './performance-monitor.js';

const base: HealthInputs = {
  timestamp: 0, requests: 100, satisfied: 100, tolerating: 100, apdexTargetMs: 500, errorRate: 0,
  heapUsagePercent: 30, eventLoopDelayP99: 5,
  thresholds: { errorRate: 0.05, memoryPercent: 80, eventLoopDelayMs: 200, cacheHitRate: 0.5 },
};

describe('health score', () => {
  it('is 100 and healthy when everything is fine, with weights summing to 1', () => {
    const report = computeHealth(base);
    expect(report.score).toBe(100);
    expect(report.status).toBe('healthy');
    expect(report.components.cache).toBeUndefined();
    const weights = Object.values(report.components).reduce((sum, c) => sum + c!.weight, 0);
    expect(weights).toBeCloseTo(1, 10);
  });

  it('latency: Apdex counts tolerating requests as half', () => {
    const report = computeHealth({ ...base, satisfied: 60, tolerating: 80 });
    expect(report.components.latency.value).toBeCloseTo(0.7);
    expect(report.components.latency.score).toBe(70);
  });

  it('errors: 50 at the threshold, 0 at twice it', () => {
    expect(computeHealth({ ...base, errorRate: 0.05 }).components.errors.score).toBe(50);
    expect(computeHealth({ ...base, errorRate: 0.1 }).components.errors.score).toBe(0);
    expect(computeHealth({ ...base, errorRate: 0.025 }).components.errors.score).toBe(75);
  });

  it('memory: 100 up to 60 %, 50 at the threshold, 0 at 100 %', () => {
    expect(computeHealth({ ...base, heapUsagePercent: 60 }).components.memory.score).toBe(100);
    expect(computeHealth({ ...base, heapUsagePercent: 80 }).components.memory.score).toBe(50);
    expect(computeHealth({ ...base, heapUsagePercent: 90 }).components.memory.score).toBe(25);
  });

  it('event loop: 50 at the delay threshold', () => {
    expect(computeHealth({ ...base, eventLoopDelayP99: 200 }).components.eventLoop.score).toBe(50);
    expect(computeHealth({ ...base, eventLoopDelayP99: 400 }).components.eventLoop.score).toBe(0);
  });

  it('cache: only with a source, 50 at the hit-rate threshold, weights renormalised', () => {
    const report = computeHealth({ ...base, cacheHitRate: 0.5 });
    expect(report.components.cache?.score).toBe(50);
    expect(computeHealth({ ...base, cacheHitRate: 0.95 }).components.cache?.score).toBe(100);
    expect(report.score).toBe(95); // 100 × 0.9 + 50 × 0.1
    const weights = Object.values(report.components).reduce((sum, c) => sum + c!.weight, 0);
    expect(weights).toBeCloseTo(1, 10);
  });

  it('status bands: degraded from 50, unhealthy below', () => {
    expect(computeHealth({ ...base, satisfied: 0, tolerating: 0, errorRate: 0.05 }).status).toBe('unhealthy');
    expect(computeHealth({ ...base, satisfied: 0, tolerating: 0 }).score).toBe(61.1); // latency weight 0.35 / 0.9 without a cache
    expect(computeHealth({ ...base, satisfied: 0, tolerating: 0 }).status).toBe('degraded');
    expect(computeHealth({ ...base, satisfied: 0, tolerating: 100 }).score).toBe(80.6);
  });

  it('falling() is piecewise linear and monotone', () => {
    let previous = 101;
    for (let value = 0; value <= 500; value += 5) {
      const score = falling(value, 20, 200, 400);
      expect(score).toBeLessThanOrEqual(previous);
      previous = score;
    }
  });

  it('the monitor feeds it from its window and attached caches', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, apdexTargetMs: 100 });
    for (let i = 0; i < 50; i++) monitor.trackEndpoint('/a', 50, 200);
    for (let i = 0; i < 50; i++) monitor.trackEndpoint('/a', 300, 200); // tolerating (≤ 400)
    monitor.addCacheSource('main', { getAnalytics: () => ({ hits: 90, misses: 10, hitRate: 0.9, tiers: {} }) });
    const health = monitor.getHealth();
    expect(health.components.latency.value).toBeCloseTo(0.75, 2);
    expect(health.components.cache?.value).toBeCloseTo(0.9);
    expect(monitor.getHealthScore()).toBe(health.score);
    await monitor.close();
  });
});
