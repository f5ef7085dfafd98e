import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake-clock.js';
import type { Analyzer, AnalyzerContext } from '../contracts/analyzer.js';
import type { Bottleneck } from '../contracts/findings.js';
import type { HistoryRecord } from '../contracts/history.js';
import { createMemoryHistoryStore } from './memory-history-store.js';
import { createPerformanceMonitor } from './performance-monitor.js';

/** Timers alive now (created, not yet cleared or fired), seen through async_hooks: unref'd ones included. */
function trackTimers(): { live: () => number; disable: () => void } {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return { live: () => live.size, disable: () => void hook.disable() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('monitor lifecycle', () => {
  it('start() schedules sampling and stop()/close() leave no open handles', async () => {
    const activeBefore = process.getActiveResourcesInfo().length;
    const timers = trackTimers();
    const monitor = createPerformanceMonitor({ interval: 20 });
    const samples: number[] = [];
    monitor.on('metrics', (snapshot) => samples.push(snapshot.timestamp));
    monitor.start();
    expect(monitor.isRunning).toBe(true);
    expect(timers.live()).toBe(2); // the sampling interval and the coarse-time ticker
    monitor.trackEndpoint('/a', 5, 200);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const snapshot = monitor.getCurrentMetrics();
    expect(snapshot.requestCount).toBe(1);
    expect(snapshot.memory.heapUsed).toBeGreaterThan(0);
    expect(snapshot.memory.heapLimit).toBeGreaterThan(snapshot.memory.heapUsed);
    monitor.stop();
    await settle();
    expect(monitor.isRunning).toBe(false);
    expect(timers.live()).toBe(0);
    monitor.start();
    await monitor.close();
    await settle();
    expect(timers.live()).toBe(0);
    monitor.start(); // a closed monitor stays stopped
    expect(monitor.isRunning).toBe(false);
    expect(timers.live()).toBe(0);
    timers.disable();
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(activeBefore);
  });

  it('measures event-loop delay, utilisation and CPU while running', async () => {
    const monitor = createPerformanceMonitor({ interval: 60_000 });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const blockUntil = Date.now() + 100; // block the event loop: the sampler must see it
    while (Date.now() < blockUntil);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const snapshot = await monitor.sample();
    expect(snapshot.eventLoop.delayMax).toBeGreaterThan(50);
    expect(snapshot.eventLoop.utilization).toBeGreaterThan(0.3);
    expect(snapshot.cpu.percent).toBeGreaterThan(0); // its size depends on the machine's load
    await monitor.close();
  });

  it('runs on the injected clock and cancels its timers on close', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, interval: 5000, systemMetrics: false, autoStart: true });
    let samples = 0;
    monitor.on('metrics', () => samples++);
    clock.advance(15_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(samples).toBe(3);
    await monitor.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects invalid options with a ConfigError naming the option', () => {
    expect(() => createPerformanceMonitor({ interval: 0 })).toThrow(/option interval must be a positive number/);
    expect(() => createPerformanceMonitor({ maxSeries: 1.5 })).toThrow(/option maxSeries must be a positive integer/);
  });

  it('refuses a bad anomalyThreshold or trendAnalysisWindow with a ConfigError naming it', () => {
    for (const anomalyThreshold of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createPerformanceMonitor({ anomalyThreshold })).toThrow(
        expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/option anomalyThreshold must be a positive number/) }),
      );
    }
    for (const trendAnalysisWindow of [0, 1.5, -60_000]) {
      expect(() => createPerformanceMonitor({ trendAnalysisWindow })).toThrow(
        expect.objectContaining({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/option trendAnalysisWindow must be a positive integer/) }),
      );
    }
  });

  it('keeps the load signal cheap and current', async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    monitor.requestStarted();
    monitor.requestStarted();
    monitor.requestFinished();
    for (let i = 0; i < 10; i++) monitor.trackEndpoint('/a', 100, i < 5 ? 500 : 200);
    await monitor.sample();
    expect(monitor.getLoadSignal()).toMatchObject({ inFlight: 1, errorRate: 0.5 });
    expect(monitor.getLoadSignal().latencyP99).toBeCloseTo(100, 0);
    await monitor.close();
  });
});

function bottleneck(id: string, severity: Bottleneck['severity'] = 'warning'): Bottleneck {
  return { id, kind: 'slow_endpoint', severity, title: id, detail: id, evidence: {}, impact: '' };
}

describe('buffered recording', () => {
  it('folds buffered requests in before every read, across buffer fills and slot changes', async () => {
    const clock = createFakeClock(1_000_000);
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, defaultAlertRules: false, autoStart: true });
    for (let i = 0; i < 1000; i++) monitor.trackEndpoint('/a', i % 10, i % 100 === 0 ? 503 : 200, 'GET');
    clock.advance(1500); // next slot (and the ticker's coarse time moves on)
    monitor.trackEndpoint('/b', 5, 200, 'POST');
    const stats = monitor.getCurrentMetrics();
    expect(stats.endpoints.find((e) => e.route === '/a')).toMatchObject({ count: 1000, errors: 10 });
    expect(stats.endpoints.find((e) => e.route === '/b' && e.method === 'POST')?.count).toBe(1);
    expect(monitor.toPrometheus()).toMatch(/route="\/a"[^\n]*status_code="503"[^\n]*\} 10\n/);
    monitor.trackEndpoint('/a', 1, 200, 'GET');
    expect(monitor.getHealth().score).toBeGreaterThan(0);
    expect(monitor.getCurrentMetrics().endpoints.find((e) => e.route === '/a')?.count).toBe(1001);
    await monitor.close();
  });

  it("keeps a thrown error apart from another request's 5xx that is still buffered", async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false, defaultAlertRules: false, autoStart: true });
    monitor.trackEndpoint('/x', 3, 500, 'GET'); // a 5xx without a thrown error: one error
    monitor.trackError('/x', 'GET', new Error('invalid')); // the next request throws…
    monitor.trackEndpoint('/x', 4, 400, 'GET'); // …and its error handler answers 400: the second error
    expect(monitor.getCurrentMetrics().endpoints.find((e) => e.route === '/x')).toMatchObject({ count: 2, errors: 2 });
    await monitor.close();
  });
});

describe('analyzers', () => {
  it('merges findings by stable id with firstSeen/lastSeen and drops ones not reported again', async () => {
    const clock = createFakeClock();
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false });
    let report = [bottleneck('slow:/a'), bottleneck('leak', 'critical')];
    const contexts: AnalyzerContext[] = [];
    const analyzer: Analyzer = {
      name: 'test',
      analyze: (context) => {
        contexts.push(context);
        return { bottlenecks: report, recommendations: [{ ...bottleneck('rec:1'), action: 'do it', expectedEffect: '2x' }] };
      },
    };
    monitor.use(analyzer);
    monitor.recordOperation('db', 'SELECT 1', 12);
    monitor.recordOperation('db', 'SELECT 1', 30, true);
    const start = clock.now();
    await monitor.sample();
    clock.advance(30_000);
    report = [bottleneck('slow:/a')];
    await monitor.sample();
    const found = monitor.getBottlenecks();
    expect(found).toEqual([expect.objectContaining({ id: 'slow:/a', firstSeen: start, lastSeen: start + 30_000 })]);
    expect(monitor.getOptimizationRecommendations()).toMatchObject([{ id: 'rec:1', action: 'do it' }]);
    expect(contexts[0]!.operations).toMatchObject([{ kind: 'db', name: 'SELECT 1', count: 2, errors: 1 }]);
    expect(contexts[1]!.history('requests_per_second')).toHaveLength(2);
    await monitor.close();
  });

  it('lends analyzers the anomalyThreshold and trendAnalysisWindow it was given, and only those', async () => {
    const seen: Array<AnalyzerContext['settings']> = [];
    const analyzer: Analyzer = {
      name: 'settings',
      analyze: (context) => {
        seen.push(context.settings);
        return {};
      },
    };
    const configured = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, anomalyThreshold: 1.5, trendAnalysisWindow: 900_000 });
    const bare = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    configured.use(analyzer);
    bare.use(analyzer);
    await configured.sample();
    await bare.sample();
    expect(seen).toEqual([{ anomalyThreshold: 1.5, trendAnalysisWindow: 900_000 }, {}]);
    await configured.close();
    await bare.close();
  });

  it('logs a trendAnalysisWindow longer than the history it keeps (1440 samples per series)', async () => {
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (o: unknown) => void warnings.push(o), error() {} };
    const fits = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, logger, interval: 1000, trendAnalysisWindow: 1_440_000 });
    expect(warnings).toEqual([]);
    const tooLong = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, logger, interval: 1000, trendAnalysisWindow: 3_600_000 });
    expect(warnings).toEqual([expect.objectContaining({ trendAnalysisWindow: 3_600_000, interval: 1000, historyPoints: 1440 })]);
    await fits.close();
    await tooLong.close();
  });

  it('a throwing analyzer is logged and never crashes sampling', async () => {
    const errors: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (o: unknown) => void errors.push(o) };
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false, logger });
    monitor.use({ name: 'broken', analyze: () => { throw new Error('analyzer bug'); } });
    monitor.use({ name: 'rejects', analyze: async () => { throw new Error('async bug'); } });
    await expect(monitor.sample()).resolves.toMatchObject({ requestCount: 0 });
    expect(errors).toHaveLength(2);
    await monitor.close();
  });

  it("routes analyzers' alerts through the alert engine: reported → firing, not reported → resolved", async () => {
    const monitor = createPerformanceMonitor({ clock: createFakeClock(), systemMetrics: false });
    let anomalous = true;
    monitor.use({
      name: 'anomaly',
      analyze: () => ({ alerts: anomalous ? [{ id: 'anomaly:latency', type: 'anomaly', severity: 'warning', value: 9, threshold: 3, message: 'latency anomaly' }] : [] }),
    });
    const events: string[] = [];
    monitor.on('alert', (a) => events.push(`fire ${a.id}`));
    monitor.on('alert:resolved', (a) => events.push(`resolve ${a.id}`));
    await monitor.sample();
    await monitor.sample();
    anomalous = false;
    await monitor.sample();
    expect(events).toEqual(['fire anomaly:latency', 'resolve anomaly:latency']);
    await monitor.close();
  });
});

describe('history', () => {
  it('keeps key metrics per sample, globally and per top route, and averages by step', async () => {
    const clock = createFakeClock(1_699_999_980_000); // a multiple of the 30 s step
    const monitor = createPerformanceMonitor({ clock, systemMetrics: true });
    const start = clock.now();
    for (let i = 0; i < 6; i++) {
      monitor.trackEndpoint('/a', 100 * (i + 1), 200, 'GET');
      await monitor.sample();
      clock.advance(10_000);
    }
    const p95 = monitor.getHistory('latency_p95', { route: 'GET /a' });
    expect(p95).toHaveLength(6);
    expect(p95.map((p) => p.t)).toEqual([0, 1, 2, 3, 4, 5].map((k) => start + k * 10_000));
    const rps = monitor.getHistory('requests_per_second');
    const stepped = monitor.getHistory('requests_per_second', { step: 30_000, from: start });
    expect(stepped).toHaveLength(2);
    expect(stepped[0]!.v).toBeCloseTo((rps[0]!.v + rps[1]!.v + rps[2]!.v) / 3, 10);
    expect(monitor.getHistory('heap_used').length).toBe(6);
    expect(monitor.getHistory('latency_p95', { from: start + 25_000, to: start + 45_000 })).toHaveLength(2);
    await monitor.close();
  });

  it('appends to a HistoryStore and reads older ranges from it', async () => {
    const store = createMemoryHistoryStore();
    const old: HistoryRecord[] = [{ metric: 'error_rate', t: 1000, v: 0.5 }, { metric: 'error_rate', t: 2000, v: 0.25 }];
    await store.append(old);
    const clock = createFakeClock(10_000);
    const monitor = createPerformanceMonitor({ clock, systemMetrics: false, historyStore: store });
    await monitor.sample();
    expect(await store.query('error_rate', { from: 10_000 })).toEqual([{ t: 10_000, v: 0 }]);
    const all = await monitor.queryHistory('error_rate', { from: 0 });
    expect(all).toEqual([{ t: 1000, v: 0.5 }, { t: 2000, v: 0.25 }, { t: 10_000, v: 0 }]);
    expect(await monitor.queryHistory('error_rate', { from: 0, to: 5000, step: 5000 })).toEqual([{ t: 0, v: 0.375 }]);
    await monitor.close();
  });
});

describe('profiling', () => {
  it('captures a CPU profile through the inspector, one at a time', async () => {
    const monitor = createPerformanceMonitor({ systemMetrics: false });
    const busy = () => {
      const end = Date.now() + 150;
      let x = 0;
      while (Date.now() < end) x += Math.sqrt(x + 1);
      return x;
    };
    const capture = monitor.captureProfile({ durationMs: 300, reason: 'test' });
    await expect(monitor.captureProfile({ durationMs: 10 })).rejects.toMatchObject({ code: 'E_PROFILER_BUSY' });
    setTimeout(busy, 20);
    const result = await capture;
    expect(result.reason).toBe('test');
    expect(result.topFunctions.length).toBeGreaterThan(0);
    expect(result.topFunctions.reduce((sum, f) => sum + f.selfPercent, 0)).toBeLessThanOrEqual(100.001);
    expect(result.topFunctions.some((f) => f.functionName === 'busy')).toBe(true);
    expect(monitor.getProfiles()).toMatchObject([{ id: result.id }]);
    expect(monitor.getProfile(result.id)?.profile).toBeTruthy();
    await expect(monitor.captureProfile({ durationMs: -1 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await monitor.close();
  });
});
