import { WaiError, type AnalyzerResult, type CacheAnalytics, type HistoryPoint } from '@wai/metrics-core';
import { describe, expect, it } from 'vitest';
import { createAnomalyAnalyzer } from '../src/analyzer/create-anomaly-analyzer.js';
import type { StreamingDetector } from '../src/detector-types.js';
import { createAnomalyDetector } from '../src/detectors/anomaly-detector.js';
import { createRobustZScoreDetector } from '../src/detectors/robust-z-score.js';
import { MB, MINUTE, T0, endpoint, noise, points, snapshot, syntheticMonitor } from './analyzer-fixtures.js';

const ids = (findings: ReadonlyArray<{ id: string }> | undefined): string[] => (findings ?? []).map((finding) => finding.id);
const byId = <T extends { id: string }>(findings: T[] | undefined, id: string): T => {
  const found = (findings ?? []).find((finding) => finding.id === id);
  if (!found) throw new Error(`no finding ${id} among ${ids(findings).join(', ')}`);
  return found;
};

function analyze(monitor: ReturnType<typeof syntheticMonitor>, overrides: Parameters<ReturnType<typeof syntheticMonitor>['context']>[0] = {}): AnalyzerResult {
  const result = createAnomalyAnalyzer().analyze(monitor.context(overrides)) as AnalyzerResult;
  expect(monitor.logger.warnings).toEqual([]);
  return result;
}

describe('createAnomalyAnalyzer: bottlenecks and recommendations', () => {
  it('reports a memory leak with the time until the heap limit', () => {
    const monitor = syntheticMonitor();
    const random = noise(1);
    // Heap after GC grows 2 MB/min from 300 MB (±4 MB), sampled every 30 s for an hour; the limit is 512 MB.
    monitor.add('heap_after_gc', points(121, T0, 30_000, (i) => 300 * MB + i * MB + random() * 4 * MB));
    const result = analyze(monitor);
    const leak = byId(result.bottlenecks, 'memory_leak:heap');
    expect(leak.kind).toBe('memory_leak');
    expect(leak.severity).toBe('critical'); // ~420 MB now, ~46 min to the limit
    const crossing = leak.evidence['thresholdCrossingMs'] as number;
    expect(crossing / MINUTE).toBeGreaterThan(40);
    expect(crossing / MINUTE).toBeLessThan(52);
    expect(leak.evidence['growthBytesPerHour'] as number).toBeGreaterThan(110 * MB);
    expect(leak.evidence['growthBytesPerHour'] as number).toBeLessThan(130 * MB);
    expect(leak.detail).toMatch(/heap reaches its limit in ~4\d min/);
    const fix = byId(result.recommendations, 'fix_memory_leak:heap');
    expect(fix.action).toMatch(/heap snapshots/);
    expect(fix.expectedEffect).toMatch(/stops growth of 1\d\d MB\/h/);
  });

  it('does not call a noisy but flat heap, or a short burst, a leak', () => {
    const flat = syntheticMonitor();
    const random = noise(2);
    flat.add('heap_after_gc', points(121, T0, 30_000, () => 300 * MB + random() * 20 * MB));
    expect(ids(analyze(flat).bottlenecks)).not.toContain('memory_leak:heap');
    const short = syntheticMonitor();
    // Rising, but only over 4 minutes (< leakMinSpanMs).
    short.add('heap_after_gc', points(9, T0, 30_000, (i) => 300 * MB + i * 10 * MB));
    expect(ids(analyze(short).bottlenecks)).not.toContain('memory_leak:heap');
  });

  it('falls back to heap_used (GC sawtooth on a rising floor) when there is no heap_after_gc series', () => {
    const monitor = syntheticMonitor();
    monitor.add('heap_used', points(121, T0, 30_000, (i) => 200 * MB + i * 0.5 * MB + (i % 6) * 4 * MB));
    const leak = byId(analyze(monitor).bottlenecks, 'memory_leak:heap');
    expect(leak.evidence['metric']).toBe('heap_used');
    expect(leak.severity).toBe('warning'); // ~260 MB, 60 MB/h: the limit is hours away
  });

  it('reports a slow endpoint with its share of time and p95 against the other routes, and suggests caching it', () => {
    const monitor = syntheticMonitor();
    const endpoints = [
      endpoint('GET', '/api/workshops', 600, 40, 20),
      endpoint('POST', '/api/bookings', 100, 80, 45),
      endpoint('GET', '/api/workshops/:id/report', 120, 1500, 900),
      endpoint('GET', '/api/rare', 5, 5000, 4000), // too few requests to judge
    ];
    const result = analyze(monitor, { snapshot: snapshot({ endpoints }) });
    expect(ids(result.bottlenecks)).toEqual(['slow_endpoint:GET /api/workshops/:id/report']);
    const slow = byId(result.bottlenecks, 'slow_endpoint:GET /api/workshops/:id/report');
    expect(slow.severity).toBe('critical'); // p95 ≥ 1 s and most of the request time
    expect(slow.route).toBe('GET /api/workshops/:id/report');
    // 120 × 900 = 108 000 ms of 12 000 + 4 500 + 108 000 + 20 000 ms.
    expect(slow.evidence['shareOfTime']).toBeCloseTo(108_000 / 144_500, 3);
    expect(slow.evidence['othersMedianP95Ms']).toBe(60);
    expect(slow.evidence['ratioToOthers']).toBe(25);
    const cache = byId(result.recommendations, 'cache_route:GET /api/workshops/:id/report');
    expect(cache.action).toMatch(/^Cache responses of GET \/api\/workshops\/:id\/report/);
    // 50 % hits at ~1 ms: mean 900 → ~450 ms.
    expect(cache.expectedEffect).toMatch(/mean latency 900 ms → ~451 ms/);
  });

  it('flags a route slow relative to the others below the absolute threshold, but not a non-GET for caching', () => {
    const monitor = syntheticMonitor();
    const endpoints = [
      endpoint('GET', '/a', 300, 30),
      endpoint('GET', '/b', 300, 40),
      endpoint('GET', '/c', 300, 35),
      endpoint('POST', '/slow', 50, 400, 200),
    ];
    const result = analyze(monitor, { snapshot: snapshot({ endpoints }) });
    const slow = byId(result.bottlenecks, 'slow_endpoint:POST /slow');
    expect(slow.severity).toBe('warning');
    expect(ids(result.recommendations)).toEqual([]);
  });

  it('reports event-loop blocking while the CPU is busy, with the profile top functions as evidence', () => {
    const monitor = syntheticMonitor();
    monitor.add('event_loop_delay_p99', points(10, T0, 30_000, (i) => (i < 4 ? 20 : 450)));
    const profile = {
      id: 'p1',
      startedAt: T0 - 2 * MINUTE,
      durationMs: 5000,
      reason: 'event_loop alert',
      topFunctions: [
        { functionName: '(idle)', url: '', lineNumber: 0, selfMs: 900, selfPercent: 18 },
        { functionName: 'renderPdfReport', url: 'file:///app/src/report.js', lineNumber: 42, selfMs: 3100, selfPercent: 62 },
        { functionName: 'JSON.stringify', url: '', lineNumber: 0, selfMs: 400, selfPercent: 8 },
      ],
    };
    const blocked = snapshot({ eventLoop: { delayP50: 180, delayP99: 450, delayMax: 900, utilization: 0.97 }, cpu: { percent: 96, userMs: 0, systemMs: 0 } });
    const result = analyze(monitor, { snapshot: blocked, profiles: [profile] });
    const finding = byId(result.bottlenecks, 'event_loop_blocking:main');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence['blockedShareOfSamples']).toBe(0.6);
    const evidenceProfile = finding.evidence['profile'] as { topFunctions: Array<{ functionName: string }> };
    expect(evidenceProfile.topFunctions.map((fn) => fn.functionName)).toEqual(['renderPdfReport', 'JSON.stringify']);
    const advice = byId(result.recommendations, 'event_loop_offload');
    expect(advice.action).toMatch(/^Move renderPdfReport \(file:\/\/\/app\/src\/report\.js:42, 62 % of CPU self time\) to a worker thread/);

    // Without a recent profile the advice is to capture one.
    const stale = { ...profile, startedAt: T0 - 60 * MINUTE };
    const withoutProfile = analyze(monitor, { snapshot: blocked, profiles: [stale] });
    expect(byId(withoutProfile.recommendations, 'event_loop_offload').kind).toBe('capture_profile');
    // A high delay with an idle CPU is not CPU blocking.
    const idle = snapshot({ eventLoop: { delayP50: 180, delayP99: 450, delayMax: 900, utilization: 0.3 }, cpu: { percent: 10, userMs: 0, systemMs: 0 } });
    expect(ids(analyze(monitor, { snapshot: idle }).bottlenecks)).toEqual([]);
  });

  it('reports a low hit rate and recommends the L1 size the miss-ratio curve says reaches the plateau', () => {
    const monitor = syntheticMonitor();
    const main: CacheAnalytics = {
      hits: 300,
      misses: 700,
      hitRate: 0.3,
      tiers: { l1: { hits: 250, misses: 750, hitRate: 0.25, errors: 0, size: 1000, memoryBytes: 2 * MB, evictions: 500 } },
      loads: { calls: 700, errors: 0, latencyAvgMs: 40 },
      evictions: 500,
      config: { l1MaxSize: 1000, l1MaxMemory: 4 * MB },
      missRatioCurve: [
        { size: 500, hitRate: 0.18 },
        { size: 1000, hitRate: 0.27 },
        { size: 2000, hitRate: 0.55 },
        { size: 4000, hitRate: 0.82 },
        { size: 8000, hitRate: 0.83 },
        { size: 16000, hitRate: 0.84 },
      ],
      accessPatterns: [
        { prefix: 'workshop:', requests: 600, hitRate: 0.4, expiredWhileHot: 150 },
        { prefix: 'user:', requests: 400, hitRate: 0.15, expiredWhileHot: 2 },
      ],
    };
    const result = analyze(monitor, { caches: { main } });
    const low = byId(result.bottlenecks, 'cache_inefficiency:main:hit_rate');
    expect(low.severity).toBe('warning');
    expect(low.impact).toBe('700 misses × 40 ms per load = 28 s of loading');
    // workshop: 600 × 60 % misses = 360 > user: 400 × 85 % = 340.
    expect((low.evidence['worstPrefixes'] as Array<{ prefix: string }>).map((entry) => entry.prefix)).toEqual(['workshop:', 'user:']);
    expect(byId(result.bottlenecks, 'cache_inefficiency:main:evictions').evidence['evictionsPerRequest']).toBe(0.5);
    const size = byId(result.recommendations, 'cache_size:main:l1');
    expect(size.action).toBe('Raise L1 maxSize of cache main from 1000 to 4000');
    expect(size.expectedEffect).toMatch(/^L1 hit rate ~27 % → ~82 % \(miss-ratio curve/);
    // 2 KB per entry × 4000 = 8 MB > l1.maxMemory 4 MB.
    expect(size.expectedEffect).toMatch(/raise l1\.maxMemory from 4\.0 MB too/);
    const ttl = byId(result.recommendations, 'cache_ttl:main:workshop:');
    expect(ttl.severity).toBe('warning');
    expect(ttl.expectedEffect).toBe('hit rate of workshop:* 40 % → up to ~65 %');
    // 2 of 400 is under minExpiredWhileHotShare.
    expect(ids(result.recommendations)).not.toContain('cache_ttl:main:user:');
  });

  it('without a miss-ratio curve, sizes L1 conservatively from the hottest keys only', () => {
    const monitor = syntheticMonitor();
    const topKeys = Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, count: 10 }));
    const small: CacheAnalytics = {
      hits: 1000,
      misses: 4000,
      hitRate: 0.2,
      tiers: { l1: { hits: 1000, misses: 4000, hitRate: 0.2, errors: 0, size: 100 } },
      config: { l1MaxSize: 100 },
      topKeys,
    };
    const result = analyze(monitor, { caches: { small } });
    const size = byId(result.recommendations, 'cache_size:small:l1');
    // 400 keys × 9 repeat reads = 3600 of 5000 reads → at least 72 %.
    expect(size.action).toBe('Raise L1 maxSize of cache small from 100 to 500');
    expect(size.expectedEffect).toMatch(/^L1 hit rate 20 % → at least ~72 % \(lower bound/);
    expect(byId(result.bottlenecks, 'cache_inefficiency:small:hit_rate').severity).toBe('critical');
    // A healthy cache with few hot keys: nothing to say.
    const healthy: CacheAnalytics = { ...small, hits: 4500, misses: 500, hitRate: 0.9, tiers: {}, topKeys: topKeys.slice(0, 50) };
    expect(analyze(monitor, { caches: { healthy } })).toMatchObject({ bottlenecks: [], recommendations: [] });
  });

  it('reports slow database queries, Redis commands and upstream calls with concrete advice', () => {
    const monitor = syntheticMonitor();
    const op = (kind: string, name: string, count: number, p95: number, avg = p95 / 2) => ({
      kind,
      name,
      count,
      errors: 0,
      latency: { count, avg, min: 1, p50: avg, p90: p95 * 0.9, p95, p99: p95 * 1.5, max: p95 * 2 },
    });
    const operations = [
      op('db', 'SELECT * FROM workshops WHERE city = $1 ORDER BY starts_at', 80, 450, 300),
      op('db', 'UPDATE bookings SET seats = seats - 1 WHERE id = $1', 20, 2500, 1200),
      op('db', 'SELECT 1', 500, 2),
      op('redis', 'KEYS', 10, 80),
      op('redis', 'GET', 5000, 3),
      op('http-upstream', 'GET payments.example.com/v1/charges', 30, 1200, 700),
      op('db', 'SELECT slow_but_rare()', 2, 5000),
    ];
    const result = analyze(monitor, { operations });
    expect(ids(result.bottlenecks).sort()).toEqual([
      'slow_query:SELECT * FROM workshops WHERE city = $1 ORDER BY starts_at',
      'slow_query:UPDATE bookings SET seats = seats - 1 WHERE id = $1',
      'slow_redis:KEYS',
      'upstream_latency:GET payments.example.com/v1/charges',
    ]);
    expect(byId(result.bottlenecks, 'slow_query:UPDATE bookings SET seats = seats - 1 WHERE id = $1').severity).toBe('critical');
    const read = byId(result.recommendations, 'cache_query:SELECT * FROM workshops WHERE city = $1 ORDER BY starts_at');
    expect(read.action).toMatch(/createQueryCache/);
    // 80 × 300 ms × 50 %.
    expect(read.expectedEffect).toBe('at a 50 % hit rate, ~12 s less waiting over these 80 calls');
    expect(byId(result.recommendations, 'redis_command:KEYS').action).toMatch(/SCAN/);
    expect(byId(result.recommendations, 'cache_upstream:GET payments.example.com/v1/charges').action).toMatch(/timeout near its p99 \(1\.8 s\)/);
    expect(ids(result.recommendations)).toContain('optimize_query:UPDATE bookings SET seats = seats - 1 WHERE id = $1');
  });

  it('keeps ids stable across analyses: firstSeen stays, lastSeen moves, cleared findings disappear', () => {
    const monitor = syntheticMonitor();
    const analyzer = createAnomalyAnalyzer();
    const slow = snapshot({ endpoints: [endpoint('GET', '/a', 100, 30), endpoint('GET', '/b', 100, 2000, 1000)] });
    const first = analyzer.analyze(monitor.context({ now: T0, snapshot: slow })) as AnalyzerResult;
    const second = analyzer.analyze(monitor.context({ now: T0 + 30_000, snapshot: slow })) as AnalyzerResult;
    expect(ids(second.bottlenecks)).toEqual(ids(first.bottlenecks));
    const finding = byId(second.bottlenecks, 'slow_endpoint:GET /b');
    expect(finding.firstSeen).toBe(T0);
    expect(finding.lastSeen).toBe(T0 + 30_000);
    const fast = snapshot({ endpoints: [endpoint('GET', '/a', 100, 30), endpoint('GET', '/b', 100, 35)] });
    expect((analyzer.analyze(monitor.context({ now: T0 + 60_000, snapshot: fast })) as AnalyzerResult).bottlenecks).toEqual([]);
    const again = analyzer.analyze(monitor.context({ now: T0 + 90_000, snapshot: slow })) as AnalyzerResult;
    expect(byId(again.bottlenecks, 'slow_endpoint:GET /b').firstSeen).toBe(T0 + 90_000);
  });

  it('logs a rule that trips over malformed source data and still reports the other findings', () => {
    const monitor = syntheticMonitor();
    const context = monitor.context({
      snapshot: snapshot({ endpoints: [endpoint('GET', '/a', 100, 30), endpoint('GET', '/b', 100, 2000, 1000)] }),
      // A source without latency figures (not our contract, but a plug-in may be buggy).
      operations: [{ kind: 'db', name: 'SELECT 1', count: 10, errors: 0 } as never],
    });
    const result = createAnomalyAnalyzer().analyze(context) as AnalyzerResult;
    expect(ids(result.bottlenecks)).toEqual(['slow_endpoint:GET /b']);
    expect(monitor.logger.warnings).toHaveLength(1);
    expect(monitor.logger.warnings[0]).toMatchObject({ analyzer: 'anomaly', rule: 'findSlowOperations' });
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    const code = (call: () => unknown): string => {
      try {
        call();
      } catch (error) {
        if (WaiError.isInstance(error)) return `${error.code} ${error.message}`;
        throw error;
      }
      return 'no error';
    };
    expect(code(() => createAnomalyAnalyzer({ maxSeries: 0 }))).toMatch(/^E_CONFIG_INVALID .*maxSeries/);
    expect(code(() => createAnomalyAnalyzer({ lowHitRate: 1.5 }))).toMatch(/lowHitRate must be a finite number in 0\.\.1/);
    expect(code(() => createAnomalyAnalyzer({ slowEndpointMs: Number.NaN }))).toMatch(/slowEndpointMs/);
    expect(code(() => createAnomalyAnalyzer({ watchPerRoute: [{ metric: 'latency_p95', direction: 'sideways' as never }] }))).toMatch(/direction/);
    expect(code(() => createAnomalyAnalyzer({ detectorFactory: 42 as never }))).toMatch(/detectorFactory/);
    expect(code(() => createAnomalyAnalyzer({ leakAlpha: 1 }))).toMatch(/leakAlpha must be a finite number in \(0, 1\)/);
    expect(code(() => createAnomalyAnalyzer({ leakMinPoints: 2.5 }))).toMatch(/leakMinPoints/);
  });
});

describe('createAnomalyAnalyzer: anomalies', () => {
  /** A latency series at ~50 ms with a spike of `spike` ms at index `at`. */
  const latencySeries = (count: number, end: number, at: number, spike: number, seed = 4): HistoryPoint[] => {
    const random = noise(seed);
    return points(count, end, 30_000, (i) => (i === at ? spike : 50 + random() * 5));
  };

  // An injected robust z-score detector keeps these tests about the analyzer's mechanics (feeding, direction, hold,
  // severity grading, ids) independent of the ensemble's tuning; the default ensemble has its own tests below.
  const detectorFactory = (): StreamingDetector => createRobustZScoreDetector();

  it('raises an anomaly alert with the detector evidence for a latency spike, then resolves it', () => {
    const monitor = syntheticMonitor();
    const analyzer = createAnomalyAnalyzer({ detectorFactory });
    const end = T0;
    monitor.add('latency_p95', latencySeries(200, end, 199, 600));
    const result = analyzer.analyze(monitor.context({ now: end })) as AnalyzerResult;
    const alert = byId(result.alerts, 'anomaly:latency_p95');
    expect(alert.type).toBe('anomaly');
    expect(alert.severity).toBe('critical'); // ~100 robust standard deviations
    expect(alert.value).toBe(600);
    expect(alert.threshold).toBeLessThan(600);
    expect(alert.message).toMatch(/^Anomaly: p95 latency is 600 ms, expected ~5\d ms/);
    expect(alert.evidence).toMatchObject({ metric: 'latency_p95', observedAt: end, direction: 'above' });
    expect(alert.evidence?.['score'] as number).toBeGreaterThanOrEqual(0.5);
    expect(alert.evidence?.['detector']).toMatchObject({ median: expect.any(Number), z: expect.any(Number) });
    // Back to normal: still reported within anomalyHoldMs, resolved (not reported) after it.
    monitor.add('latency_p95', points(2, end + 60_000, 30_000, () => 51));
    expect(ids((analyzer.analyze(monitor.context({ now: end + 60_000 })) as AnalyzerResult).alerts)).toContain('anomaly:latency_p95');
    monitor.add('latency_p95', points(2, end + 120_000, 30_000, () => 50));
    expect((analyzer.analyze(monitor.context({ now: end + 120_000 })) as AnalyzerResult).alerts).toEqual([]);
  });

  it('grades a modest anomaly as a warning', () => {
    const monitor = syntheticMonitor();
    // Noise of ±5 ms has a robust σ ≈ 3.7 ms: 80 ms is z ≈ 8 (alarm at 4, critical from ≈ 8.6).
    monitor.add('latency_p95', latencySeries(200, T0, 199, 79));
    const alert = byId((createAnomalyAnalyzer({ detectorFactory }).analyze(monitor.context()) as AnalyzerResult).alerts, 'anomaly:latency_p95');
    expect(alert.severity).toBe('warning');
  });

  it('flags per-route series, and only in the watched direction', () => {
    const monitor = syntheticMonitor();
    const end = T0;
    monitor.add('latency_p95', latencySeries(200, end, 199, 900), 'GET /api/x');
    // A sudden latency drop on another route is good news, not an alert.
    monitor.add('latency_p95', latencySeries(200, end, 199, 0.5, 9), 'GET /api/y');
    const result = createAnomalyAnalyzer({ detectorFactory }).analyze(monitor.context({ now: end })) as AnalyzerResult;
    expect(ids(result.alerts)).toEqual(['anomaly:latency_p95:GET /api/x']);
    expect(byId(result.alerts, 'anomaly:latency_p95:GET /api/x')).toMatchObject({ route: 'GET /api/x', evidence: { route: 'GET /api/x' } });
  });

  it('stays quiet during warm-up and on a normal series', () => {
    const monitor = syntheticMonitor();
    monitor.add('latency_p95', latencySeries(200, T0, -1, 0));
    expect((createAnomalyAnalyzer({ detectorFactory }).analyze(monitor.context()) as AnalyzerResult).alerts).toEqual([]);
    const young = syntheticMonitor();
    young.add('latency_p95', latencySeries(20, T0, 19, 5000)); // a spike inside the warm-up
    expect(analyze(young).alerts).toEqual([]);
  });

  describe('with the default ensemble detector (no detectorFactory)', () => {
    /** Latency around 80 ms with Gaussian noise (σ = 4 ms, Box–Muller over the fixture's uniform noise). */
    const steadyLatency = (seed: number): ((i: number) => number) => {
      const random = noise(seed);
      return () => 80 + 4 * Math.sqrt(-2 * Math.log((1 - random()) / 2)) * Math.cos(Math.PI * random());
    };
    const ROUTE = 'GET /api/orders';
    const OTHER = 'GET /api/users';
    const routes = snapshot({ endpoints: [endpoint('GET', '/api/orders', 500, 80), endpoint('GET', '/api/users', 400, 80)] });

    it('catches a latency spike on a per-route series as an anomaly alert with the ensemble evidence', () => {
      const monitor = syntheticMonitor();
      const spiky = steadyLatency(3);
      // 600 points every 30 s (5 h; the analyzer's backfill) with the spike on the newest one.
      monitor.add('latency_p95', points(600, T0, 30_000, (i) => (i === 599 ? 900 : spiky(i))), ROUTE);
      monitor.add('latency_p95', points(600, T0, 30_000, steadyLatency(4)), OTHER);
      const analyzer = createAnomalyAnalyzer();
      const result = analyzer.analyze(monitor.context({ snapshot: routes })) as AnalyzerResult;
      expect(monitor.logger.warnings).toEqual([]);
      expect(analyzer.watchedSeries()).toBe(2);
      expect(ids(result.alerts)).toEqual([`anomaly:latency_p95:${ROUTE}`]);
      const alert = byId(result.alerts, `anomaly:latency_p95:${ROUTE}`);
      expect(alert).toMatchObject({ type: 'anomaly', severity: 'critical', value: 900, route: ROUTE });
      expect(alert.message).toMatch(new RegExp(`^Anomaly: p95 latency of ${ROUTE} is 900 ms, expected ~(79|80|81) ms`));
      expect(alert.threshold).toBeLessThan(120);
      expect(alert.evidence).toMatchObject({ metric: 'latency_p95', route: ROUTE, observedAt: T0, direction: 'above' });
      expect(alert.evidence?.['detector']).toMatchObject({ component: expect.stringMatching(/^(value|change|seasonal|range)$/), suppressed: false });
      // Same alerts as injecting createAnomalyDetector() explicitly: the default really is the ensemble.
      const explicit = createAnomalyAnalyzer({ detectorFactory: () => createAnomalyDetector() }).analyze(monitor.context({ snapshot: routes })) as AnalyzerResult;
      expect(explicit.alerts).toEqual(result.alerts);
    });

    it('stays quiet on steady noise sampled every 30 s (several seeds, analysed as it arrives), then catches a jump to 900 ms at once', () => {
      for (const seed of [1, 2, 5, 8, 13, 21]) {
        const monitor = syntheticMonitor();
        const analyzer = createAnomalyAnalyzer();
        const global = steadyLatency(seed);
        const perRoute = steadyLatency(seed + 100);
        // Series start at a different minute of the hour for each seed: hour boundaries fall anywhere.
        const start = T0 + seed * 7 * 60_000;
        const alerts: string[] = [];
        for (let i = 0; i < 640; i += 1) {
          const t = start + i * 30_000;
          const jumped = i >= 600;
          monitor.add('latency_p95', [{ t, v: jumped ? 900 : global(i) }]);
          monitor.add('latency_p95', [{ t, v: jumped ? 900 : perRoute(i) }], ROUTE);
          const result = analyzer.analyze(monitor.context({ now: t, snapshot: routes })) as AnalyzerResult;
          for (const alert of result.alerts ?? []) alerts.push(`${i}:${alert.id}`);
        }
        expect(monitor.logger.warnings).toEqual([]);
        // Nothing before the jump; from its first point on, both series alert (held while the level stays high).
        expect(alerts.filter((entry) => Number(entry.split(':')[0]) < 600), `seed ${seed}`).toEqual([]);
        expect(alerts.filter((entry) => entry.startsWith('600:')).sort(), `seed ${seed}`).toEqual(['600:anomaly:latency_p95', `600:anomaly:latency_p95:${ROUTE}`]);
      }
    });
  });

  it('feeds each point to its detector once, in order, with no look-ahead, and bounds the series', () => {
    const fed = new Map<string, number[]>();
    const detectorFactory = (key: { metric: string; route?: string }): StreamingDetector => {
      const name = `${key.metric}:${key.route ?? ''}`;
      return {
        update(value, timestamp) {
          fed.set(name, [...(fed.get(name) ?? []), timestamp]);
          return { score: 0, isAnomaly: false, expected: value, lower: value, upper: value, warmingUp: false };
        },
        reset() {},
      };
    };
    const monitor = syntheticMonitor();
    const analyzer = createAnomalyAnalyzer({ detectorFactory, maxSeries: 8, watchGlobal: [{ metric: 'error_rate', direction: 'up' }] });
    // 10 routes, the first ones busiest; per-route series: latency_p95 and error_rate → 1 global + 3 routes × 2 fit,
    // and detectors exist only for series with data (no per-route error_rate here).
    const endpoints = Array.from({ length: 10 }, (_, i) => endpoint('GET', `/r${i}`, 1000 - i, 20));
    for (let i = 0; i < 10; i++) monitor.add('latency_p95', points(5, T0, 30_000, () => 20), `GET /r${i}`);
    monitor.add('error_rate', points(5, T0 + 60_000, 30_000, () => 0)); // the last two points are in the future
    analyzer.analyze(monitor.context({ now: T0, snapshot: snapshot({ endpoints }) }));
    expect(analyzer.watchedSeries()).toBe(4);
    expect(fed.get('error_rate:')).toEqual([T0 - 60_000, T0 - 30_000, T0]);
    expect(fed.get('latency_p95:GET /r0')).toHaveLength(5);
    expect(fed.has('latency_p95:GET /r3')).toBe(false);
    monitor.add('latency_p95', [{ t: T0 + 30_000, v: 21 }], 'GET /r0');
    analyzer.analyze(monitor.context({ now: T0 + 60_000, snapshot: snapshot({ endpoints }) }));
    expect(fed.get('error_rate:')).toEqual([T0 - 60_000, T0 - 30_000, T0, T0 + 30_000, T0 + 60_000]);
    expect(fed.get('latency_p95:GET /r0')?.slice(-2)).toEqual([T0, T0 + 30_000]);
    analyzer.close();
    expect(analyzer.watchedSeries()).toBe(0);

    // A detector made for a long existing history starts from its latest 600 points.
    const long = syntheticMonitor();
    long.add('error_rate', points(1000, T0, 30_000, () => 0));
    fed.clear();
    createAnomalyAnalyzer({ detectorFactory, watchGlobal: [{ metric: 'error_rate' }] }).analyze(long.context());
    expect(fed.get('error_rate:')).toHaveLength(600);
    expect(fed.get('error_rate:')?.at(-1)).toBe(T0);
  });
});
